//! `DELETE /v1/users/:id`: soft deletion (kept for audit), ownership transfer, optional purge.

use roster_domain::UserId;
use roster_domain::activity::Action;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::UserStatus;
use roster_store::{Ts, Tx, accounts, activities, memberships, preferences, sessions, tokens, users};
use serde_json::json;
use time::OffsetDateTime;

use crate::access::MayChange;
use crate::error::{CoreError, CoreResult, Denied};
use crate::{Actor, Core, RequestMeta, access, activity};

const HEIR_RULE: &str = "must be an active member of every account the deleted user solely owns";

#[derive(Debug, Clone)]
pub struct Deletion {
    pub id: UserId,
    pub deleted_at: OffsetDateTime,
    pub transferred_to: Option<UserId>,
}

impl Core {
    pub async fn delete_user(
        &self,
        actor: &Actor,
        id: UserId,
        transfer_to: Option<UserId>,
        purge: bool,
        meta: &RequestMeta,
    ) -> CoreResult<Deletion> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        users::lock(&mut tx, id).await?;
        let target = access::visible_user(&mut tx, &actor.user, id).await?;
        let may = access::may_change(&mut tx, &actor.user, &target, &Scope::USERS_DELETE).await?;
        if purge && !may.by_self() && !actor.user.platform_admin {
            return Err(CoreError::Forbidden(Denied::PurgeOthers));
        }
        // The heir must be an active member of every account it inherits: ownership is never
        // pushed onto a stranger, and the answer is the same whether or not the id exists.
        let not_heir = || CoreError::field("transfer_to", "invalid_heir", HEIR_RULE);
        let heir = match transfer_to {
            Some(heir_id) => match users::find(&mut tx, heir_id).await? {
                Some(heir) if heir.id != target.id && heir.status == UserStatus::Active => Some(heir.id),
                _ => return Err(not_heir()),
            },
            None => None,
        };

        let own = memberships::of_user(&mut tx, target.id).await?;
        // Locked in id order (so two deletions never wait on each other crosswise) before the
        // owners are counted: two co-owners leaving at once cannot both be "not the last".
        let mut locked: Vec<_> = own.iter().map(|(m, _)| m.account_id).collect();
        locked.sort();
        for account in locked {
            accounts::lock(&mut tx, account).await?;
        }
        // Read again under the locks: a role changed meanwhile counts as it is now.
        let own = memberships::of_user(&mut tx, target.id).await?;
        let mut transferred = false;
        for (membership, _) in own.iter().filter(|(m, _)| m.role == Role::Owner) {
            if memberships::other_owners(&mut tx, membership.account_id, target.id).await? > 0 {
                continue;
            }
            let Some(heir) = heir else {
                return Err(CoreError::LastOwner);
            };
            match memberships::governing(&mut tx, heir, membership.account_id).await? {
                Some(m) if m.account_id == membership.account_id => {
                    memberships::set_role(&mut tx, heir, membership.account_id, Role::Owner).await?;
                }
                _ => return Err(not_heir()),
            }
            transferred = true;
        }

        let at = Ts::new(now);
        retire(&mut tx, may, purge, at).await?;
        for (membership, _) in &own {
            accounts::refresh_seats(&mut tx, membership.account_id, at).await?;
        }
        let transferred_to = heir.filter(|_| transferred);
        let changes = json!({"purged": purge, "transferred_to": transferred_to});
        activity::by(actor, meta, now)
            .record(&mut tx, target.id, actor.account_id, Action::UserDeleted, changes)
            .await?;
        crate::jobs::events::record(&mut tx, "user.deleted", target.id, json!({"id": target.id}), now).await?;
        crate::jobs::sync_memberships(&mut tx, target.id, now).await?;
        self.commit(tx).await?;
        Ok(Deletion { id: target.id, deleted_at: now, transferred_to })
    }
}

/// The write of a deletion: reachable only with the proof that the caller may change the user.
/// The user is marked deleted, its sessions and tokens void; a purge also erases what it stored.
async fn retire(tx: &mut Tx, may: MayChange, purge: bool, at: Ts) -> CoreResult<()> {
    let id = may.target();
    users::mark_deleted(tx, id, at, purge).await?;
    sessions::revoke_all(tx, id, at).await?;
    tokens::void_all(tx, id, at).await?;
    // A deleted user signs in no more: its second factor is of no use to anyone.
    roster_store::mfa::remove(tx, id).await?;
    roster_store::push_tokens::delete_all(tx, id).await?;
    // Its feeds are fetched no more (their URLs may carry the feed's secret).
    roster_store::calendars::delete_all(tx, id).await?;
    if purge {
        preferences::delete(tx, id).await?;
        roster_store::user_phones::delete_all(tx, id).await?;
        activities::anonymize(tx, id).await?;
        sessions::anonymize(tx, id).await?;
        roster_store::login_attempts::anonymize(tx, id).await?;
        roster_store::jobs::redact_for_user(tx, id.as_uuid()).await?;
        roster_store::idempotency::forget_caller(tx, &crate::idempotency::user_caller(id)).await?;
    }
    Ok(())
}
