//! A member's role and scopes: change them (`PUT /v1/users/:id/scope`), explain them
//! (`GET /v1/users/:id/permissions`), and what a user is associated with
//! (`GET /v1/users/:id/associated`).

use roster_domain::activity::Action;
use roster_domain::user::UserStatus;
use std::collections::HashMap;

use roster_domain::permissions::{Decision, Permissions, Source};
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{Account, Membership};
use roster_domain::workspace::{Workspace, WorkspaceRole};
use roster_domain::{AccountId, FieldErrors, UserId};
use roster_store::crm::Contact;
use roster_store::{Exec, accounts, crm, memberships, workspaces};
use serde_json::json;

use super::input::{self, ScopeChange};
use super::members::may_hand_out;
use crate::error::{CoreError, CoreResult, Denied};
use crate::jobs::{self, payload};
use crate::{Actor, Core, RequestMeta, access, activity};

/// A user's standing in one account, explained.
pub struct Explained {
    pub account_id: AccountId,
    /// `None`: no membership there or above, and not a platform admin.
    pub perms: Option<Permissions>,
    pub check: Option<Decision>,
}

/// What a user is associated with, as far as the caller may see.
pub struct Associated {
    pub accounts: Vec<(Account, Role)>,
    pub workspaces: Vec<(Workspace, WorkspaceRole)>,
    pub contacts: Vec<Contact>,
}

fn scope_json(m: &Membership) -> serde_json::Value {
    json!({"role": m.role.as_str(), "grant": m.grant, "deny": m.deny})
}

impl Core {
    /// `PUT /v1/users/:id/scope` (`users.scope`): API.md §4 — never one's own, never an owner
    /// by a non-owner, never above the caller's, never the last owner away.
    pub async fn update_scope(
        &self,
        actor: &Actor,
        target: UserId,
        body: ScopeChange,
        meta: &RequestMeta,
    ) -> CoreResult<Membership> {
        let mut errors = FieldErrors::new();
        let role = input::role(&mut errors, "role", body.role.as_deref());
        let grant = input::scopes(&mut errors, "grant", body.grant.as_deref());
        let deny = input::scopes(&mut errors, "deny", body.deny.as_deref());
        let account = body.account_id.map(AccountId::from_uuid).or(actor.account_id);
        let Some(account) = account else {
            errors.add("account_id", "required", "no active account; name one");
            return Err(CoreError::Validation(errors.into_vec()));
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Locked before anything is read: two owners demoting each other at once take turns,
        // and the second sees the first's change (and gets `last_owner`).
        roster_store::accounts::lock(&mut tx, account).await?;
        let granted = access::require(&mut tx, &actor.user, account, &Scope::USERS_SCOPE).await?;
        super::live(&mut tx, account).await?;
        let target_user = roster_store::users::find(&mut tx, target).await?.filter(|u| u.status != UserStatus::Deleted);
        errors.into_result().map_err(CoreError::Validation)?;
        let current = match target_user {
            Some(_) => memberships::find(&mut tx, target, account).await?,
            None => None,
        };
        let current = current.ok_or(CoreError::NotFound)?;
        if actor.user.id == target {
            return Err(CoreError::Forbidden(Denied::OwnScope));
        }
        let next = Membership {
            role: role.unwrap_or(current.role),
            grant: grant.unwrap_or_else(|| current.grant.clone()),
            deny: deny.unwrap_or_else(|| current.deny.clone()),
            ..current.clone()
        };
        // An owner stays an owner who can run the account only with the role whole (no deny).
        if current.role == Role::Owner
            && (next.role != Role::Owner || !next.deny.is_empty())
            && memberships::other_owners(&mut tx, account, target).await? == 0
        {
            return Err(CoreError::LastOwner);
        }
        if current.role == Role::Owner && !granted.may_assign(Role::Owner) {
            return Err(CoreError::Forbidden(Denied::OwnerByNonOwner));
        }
        // What the change gives must be the caller's to give: the role, and every scope the
        // member gains (by a grant, or by a deny taken away).
        let before = effective(&current);
        let gained: Vec<Scope> = effective(&next).into_iter().filter(|s| !before.contains(s)).collect();
        may_hand_out(&granted, next.role, &gained)?;
        let new_grants: Vec<Scope> = next.grant.iter().filter(|g| !current.grant.contains(g)).cloned().collect();
        may_hand_out(&granted, next.role, &new_grants)?;

        memberships::update(&mut tx, &next).await?;
        let changes = json!({"before": scope_json(&current), "after": scope_json(&next)});
        activity::by(actor, meta, now)
            .record(&mut tx, target, Some(account), Action::UserScopeUpdated, changes.clone())
            .await?;
        let data =
            json!({"user_id": target, "account_id": account, "before": changes["before"], "after": changes["after"]});
        jobs::events::record(&mut tx, "user.scope_updated", target, data, now).await?;
        let job = payload::PermissionsChanged { user_id: target, account_id: account, changed_by: Some(actor.user.id) };
        jobs::enqueue(&mut tx, &job, now).await?;
        self.commit(tx).await?;
        Ok(next)
    }

    /// `GET /v1/users/:id/permissions`: the user itself, or `users.read` in the account. A
    /// user without standing there is shown only to those who can see it otherwise.
    pub async fn user_permissions(
        &self,
        actor: &Actor,
        target: UserId,
        account: Option<AccountId>,
        check: Option<&str>,
    ) -> CoreResult<Explained> {
        let mut errors = FieldErrors::new();
        let check = check.and_then(|raw| {
            Scope::parse(raw)
                .map_err(|_| errors.add("check", "unknown_scope", format!("{raw:?} is not a known scope")))
                .ok()
        });
        let account = account.or(actor.account_id);
        if account.is_none() {
            errors.add("account_id", "required", "no active account; name one");
        }
        errors.into_result().map_err(CoreError::Validation)?;
        let account = account.ok_or_else(|| CoreError::Internal("validated account missing".into()))?;
        let mut conn = self.db.conn().await?;
        let myself = actor.user.id == target;
        if !myself {
            access::require(&mut conn, &actor.user, account, &Scope::USERS_READ).await?;
        } else if access::permissions(&mut conn, &actor.user, account).await?.is_none() {
            return Err(CoreError::NotFound);
        }
        let user = roster_store::users::find(&mut conn, target).await?.filter(|u| u.status != UserStatus::Deleted);
        let user = user.ok_or(CoreError::NotFound)?;
        let perms = access::permissions(&mut conn, &user, account).await?;
        // Shown to whoever can see the user, and to those with `users.read` here when the user
        // stands here by a membership (its own or inherited) — not merely as a platform admin,
        // which would tell any tenant who the platform admins are.
        // For anyone but a platform admin, `perms` already is the governing membership's.
        let member_here = if user.platform_admin {
            memberships::governing(&mut conn, user.id, account).await?.is_some()
        } else {
            perms.is_some()
        };
        if !member_here && !access::can_see(&mut conn, &actor.user, &user).await? {
            return Err(CoreError::NotFound);
        }
        let perms = match perms {
            Some(perms) => Some(named(&mut conn, perms).await?),
            None => None,
        };
        let check = check.map(|scope| match &perms {
            Some(perms) => perms.explain(&scope),
            None => Decision {
                scope: scope.as_str().to_owned(),
                allowed: false,
                because: "no membership in this account or any account above it".to_owned(),
            },
        });
        Ok(Explained { account_id: account, perms, check })
    }

    /// `GET /v1/users/:id/associated` (as `GET /v1/users/:id`): the user's accounts with its
    /// role, its workspaces and its CRM contacts — each where the caller may read them
    /// (`users.read`, `workspaces.read`, `contacts.read` in that account; everything for the user
    /// itself and platform admins).
    pub async fn associated(&self, actor: &Actor, target: UserId) -> CoreResult<Associated> {
        let mut conn = self.db.conn().await?;
        let user = access::visible_user(&mut conn, &actor.user, target).await?;
        let everything = actor.user.id == user.id || actor.user.platform_admin;
        let theirs = accounts::of_user(&mut conn, user.id).await?;
        // The caller's permissions in each of the user's accounts: one look-up per account.
        let mut mine: HashMap<AccountId, Option<Permissions>> = HashMap::new();
        if !everything {
            for (account, _) in &theirs {
                mine.insert(account.id, access::permissions(&mut conn, &actor.user, account.id).await?);
            }
        }
        let may = |account: AccountId, scope: &Scope| {
            everything || mine.get(&account).is_some_and(|p| p.as_ref().is_some_and(|p| p.allows(scope)))
        };
        let workspaces = workspaces::of_user(&mut conn, user.id)
            .await?
            .into_iter()
            .filter(|(w, _)| may(w.account_id, &Scope::WORKSPACES_READ))
            .collect();
        let contacts = crm::of_user(&mut conn, user.id)
            .await?
            .into_iter()
            .filter(|c| may(AccountId::from_uuid(c.account_id), &Scope::CONTACTS_READ))
            .collect();
        let accounts = theirs.into_iter().filter(|(a, _)| may(a.id, &Scope::USERS_READ)).collect();
        Ok(Associated { accounts, workspaces, contacts })
    }
}

/// Every known scope a membership gives (its permissions held directly).
fn effective(m: &Membership) -> Vec<Scope> {
    Permissions { role: m.role, grant: m.grant.clone(), deny: m.deny.clone(), source: Source::Direct }.effective()
}

/// `perms` with the name of the account an inherited membership comes from, for explanations.
pub(crate) async fn named(exec: &mut impl Exec, perms: Permissions) -> CoreResult<Permissions> {
    let source = match perms.source {
        Source::Inherited { from_account, from_name: None } => {
            let name = accounts::find(exec, AccountId::from_uuid(from_account)).await?.map(|a| a.name);
            Source::Inherited { from_account, from_name: name }
        }
        other => other,
    };
    Ok(Permissions { source, ..perms })
}
