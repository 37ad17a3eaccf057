//! An account's members: list, add (an existing user or a new address), remove (API.md §6).

use roster_domain::activity::Action;
use std::collections::HashMap;

use roster_domain::email::{Email, normalize_email};
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{Membership, UserDetail, UserStatus};
use roster_domain::{AccountId, FieldErrors, UserId};
use roster_store::{Ts, Tx, accounts, memberships, sessions, users, workspaces};
use serde_json::json;

use super::input::{self, AddMember};
use crate::access::{self, Granted};
use crate::accounts::joining::{Joining, announce, join_account};
use crate::error::{CoreError, CoreResult, Denied};
use crate::jobs::{self, payload};
use crate::users::create::Plan;
use crate::users::{Paging, UserFilters};
use crate::{Actor, Core, RequestMeta, activity};

/// A page of members: each user with its membership here.
pub struct MemberList {
    pub members: Vec<(UserDetail, Membership)>,
    pub next_cursor: Option<String>,
    pub total: Option<roster_store::user_list::Total>,
}

/// What `add_member` did: the membership, and whether the user was invited as a new one.
pub struct Added {
    pub membership: Membership,
    pub user: UserDetail,
    pub invited: bool,
}

impl Core {
    /// `GET /v1/accounts/:id/members` (`users.read`): the list of `GET /v1/users` for this
    /// account, each user with its membership.
    pub async fn list_members(
        &self,
        actor: &Actor,
        account: AccountId,
        filters: UserFilters,
        paging: Paging,
    ) -> CoreResult<MemberList> {
        let filters = UserFilters { account_id: Some(account.as_uuid()), ..filters };
        let list = self.user_list(crate::users::list::Listing::Members, actor, filters, paging).await?;
        let ids: Vec<UserId> = list.users.iter().map(|u| u.user.id).collect();
        let mut conn = self.db.conn().await?;
        let mut by_user: HashMap<UserId, Membership> =
            memberships::in_account_of(&mut conn, account, &ids).await?.into_iter().map(|m| (m.user_id, m)).collect();
        let members =
            list.users.into_iter().filter_map(|user| by_user.remove(&user.user.id).map(|m| (user, m))).collect();
        Ok(MemberList { members, next_cursor: list.next_cursor, total: list.total })
    }

    /// `POST /v1/accounts/:id/members` (`users.create`): make an existing user a member (the
    /// multi-account case) or invite a new address. Role and grants never above the caller's.
    pub async fn add_member(
        &self,
        actor: &Actor,
        account: AccountId,
        body: AddMember,
        meta: &RequestMeta,
    ) -> CoreResult<Added> {
        let mut errors = FieldErrors::new();
        let role = input::role(&mut errors, "role", body.role.as_deref()).unwrap_or(Role::Member);
        let grant = input::scopes(&mut errors, "grant", body.grant.as_deref()).unwrap_or_default();
        let deny = input::scopes(&mut errors, "deny", body.deny.as_deref()).unwrap_or_default();
        let email = match (&body.user_id, body.email.as_deref().map(str::trim)) {
            (Some(_), Some(_)) => {
                errors.add("email", "not_allowed", "give user_id or email, not both");
                None
            }
            (None, None | Some("")) => {
                errors.add("user_id", "required", "give user_id or email");
                None
            }
            (None, Some(raw)) => {
                Email::parse(raw).map_err(|e| errors.add("email", "invalid_email", e.to_string())).ok()
            }
            (Some(_), None) => None,
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Locked first: a deletion of the account, or another join, runs before or after this
        // one, never between its checks and its write.
        accounts::lock(&mut tx, account).await?;
        let granted = access::require(&mut tx, &actor.user, account, &Scope::USERS_CREATE).await?;
        super::live(&mut tx, account).await?;
        errors.into_result().map_err(CoreError::Validation)?;
        may_hand_out(&granted, role, &grant)?;

        let existing = match (body.user_id, &email) {
            (Some(id), _) => Some(access::visible_user(&mut tx, &actor.user, UserId::from_uuid(id)).await?),
            (None, Some(email)) => {
                users::find_for_login(&mut tx, &normalize_email(email.as_str())).await?.map(|(user, _)| user)
            }
            (None, None) => None,
        };
        let Some(user) = existing else {
            // A new address: the user is created invited, in this account, in one transaction.
            drop(tx);
            let email = email.ok_or_else(|| CoreError::Internal("validated email missing".into()))?;
            let plan = Plan::invitation(email, granted, role, grant, deny);
            let user = crate::users::fresh(self.insert_user(Some(actor), plan, None, meta).await?);
            let mut conn = self.db.conn().await?;
            let membership = memberships::find(&mut conn, user.user.id, account).await?.ok_or(CoreError::NotFound)?;
            return Ok(Added { membership, user, invited: true });
        };
        if user.status == UserStatus::Deleted {
            return Err(CoreError::NotFound);
        }
        // A membership of its own here would override what the user inherits from above: only
        // someone who outranks that inherited role may do it (else an admin of a sub-account
        // could demote an owner of the agency there).
        if let Some(inherited) = memberships::governing(&mut tx, user.id, account).await?
            && !access::holds_role(granted.perms(), inherited.role)
        {
            return Err(CoreError::Forbidden(Denied::RankAboveOwn(inherited.role)));
        }
        let joining = Joining::AddedBy { granted: &granted, role, grant, deny };
        let membership = join_account(&mut tx, user.id, joining, now).await?;
        announce(&mut tx, &membership, Some(actor.user.id), now).await?;
        // The account's records follow: the member's CRM contact, the seat count.
        jobs::enqueue(&mut tx, &payload::SyncMember { user_id: user.id, account_id: account }, now).await?;
        let changes = json!({"role": role.as_str(), "grant": membership.grant, "deny": membership.deny});
        activity::by(actor, meta, now)
            .record(&mut tx, user.id, Some(account), Action::MembershipCreated, changes)
            .await?;
        let mail = payload::MemberAddedMail { user_id: user.id, account_id: account, added_by: Some(actor.user.id) };
        jobs::enqueue(&mut tx, &mail, now).await?;
        let user = crate::users::detail(&mut tx, user).await?;
        self.commit(tx).await?;
        Ok(Added { membership, user, invited: false })
    }

    /// `DELETE /v1/accounts/:id/members/:userId` (`users.delete`, or the member itself leaving):
    /// never the last owner; an owner only by an owner.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        account: AccountId,
        user: UserId,
        meta: &RequestMeta,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, account).await?;
        let leaving = actor.user.id == user;
        let perms = if leaving {
            access::permissions(&mut tx, &actor.user, account).await?.ok_or(CoreError::NotFound)?
        } else {
            access::require(&mut tx, &actor.user, account, &Scope::USERS_DELETE).await?.perms().clone()
        };
        super::live(&mut tx, account).await?;
        let membership = memberships::find(&mut tx, user, account).await?.ok_or(CoreError::NotFound)?;
        if !leaving && !access::holds_role(&perms, membership.role) {
            return Err(CoreError::Forbidden(Denied::RankAboveOwn(membership.role)));
        }
        if membership.role == Role::Owner && memberships::other_owners(&mut tx, account, user).await? == 0 {
            return Err(CoreError::LastOwner);
        }
        memberships::delete(&mut tx, user, account).await?;
        lost_standing(&mut tx, user).await?;
        accounts::refresh_seats(&mut tx, account, Ts::new(now)).await?;
        let changes = json!({"role": membership.role.as_str()});
        activity::by(actor, meta, now).record(&mut tx, user, Some(account), Action::MembershipDeleted, changes).await?;
        let data = json!({"user_id": user, "account_id": account, "role": membership.role.as_str()});
        jobs::events::record(&mut tx, "membership.deleted", user, data, now).await?;
        jobs::enqueue(&mut tx, &payload::SyncMember { user_id: user, account_id: account }, now).await?;
        self.commit(tx).await?;
        Ok(())
    }
}

/// Whether the holder of `granted` may give `role` and `grant`: nobody hands out a role or a
/// scope it does not hold there (403).
pub(crate) fn may_hand_out(granted: &Granted, role: Role, grant: &[Scope]) -> CoreResult<()> {
    if !granted.may_assign(role) {
        return Err(CoreError::Forbidden(Denied::RoleAboveOwn(role)));
    }
    if let Some(scope) = grant.iter().find(|s| !granted.perms().allows(s)) {
        return Err(CoreError::Forbidden(Denied::GrantAboveOwn(scope.clone())));
    }
    Ok(())
}

/// After `user` lost a membership: its workspaces in accounts where it no longer stands are
/// left, and its sessions acting in such an account fall back to another of its accounts.
pub(crate) async fn lost_standing(tx: &mut Tx, user: UserId) -> CoreResult<()> {
    for (workspace, _) in workspaces::of_user(tx, user).await? {
        if memberships::governing(tx, user, workspace.account_id).await?.is_none() {
            workspaces::remove_member(tx, workspace.id, user).await?;
        }
    }
    for active in sessions::active_accounts_of(tx, user).await? {
        if memberships::governing(tx, user, active).await?.is_none() {
            sessions::fall_back(tx, active, Some(user)).await?;
        }
    }
    Ok(())
}
