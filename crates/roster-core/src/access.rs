//! Authorization: every decision goes through effective scopes (API.md §4), never ad-hoc role
//! comparisons.

use roster_domain::permissions::{Permissions, Source};
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::User;
use roster_domain::{AccountId, UserId};
use roster_store::{Exec, memberships};

use crate::error::{CoreError, CoreResult};

/// A scope known to exist (the table in roster-domain); panics only on a typo in this crate,
/// caught by the first test that touches the path.
pub(crate) fn scope(name: &str) -> Scope {
    Scope::parse(name).unwrap_or_else(|_| panic!("{name} is a known scope"))
}

/// The caller's permissions in `account`: platform admin, own membership, or inherited from the
/// nearest ancestor. `None` when the caller has no standing there at all.
pub async fn permissions(exec: &mut impl Exec, caller: &User, account: AccountId) -> CoreResult<Option<Permissions>> {
    if caller.platform_admin {
        // Platform admins act everywhere, but only on accounts that exist.
        return Ok(roster_store::accounts::find(exec, account).await?.map(|_| Permissions::platform_admin()));
    }
    let Some(m) = memberships::governing(exec, caller.id, account).await? else {
        return Ok(None);
    };
    let source = if m.account_id == account {
        Source::Direct
    } else {
        Source::Inherited { from_account: m.account_id.as_uuid() }
    };
    Ok(Some(Permissions { role: m.role, grant: m.grant, deny: m.deny, source }))
}

/// Require `wanted` in `account`: no standing → 404 (the account is not visible), standing
/// without the scope → 403.
pub async fn require(exec: &mut impl Exec, caller: &User, account: AccountId, wanted: &str) -> CoreResult<Permissions> {
    let perms = permissions(exec, caller, account).await?.ok_or(CoreError::NotFound)?;
    if !perms.allows(&scope(wanted)) {
        return Err(CoreError::Forbidden(format!("missing scope {wanted}")));
    }
    Ok(perms)
}

/// Whether the caller may hand out `role` in an account where it holds `perms`: only if it
/// holds every scope of that role itself (nobody grants what they do not have).
pub fn may_assign(perms: &Permissions, role: Role) -> bool {
    role.scopes().iter().all(|s| perms.allows(s))
}

/// The accounts of `target` in which `caller` holds `wanted` (API.md §4: seeing a user needs
/// the scope in one shared account).
pub async fn shared_accounts_with(
    exec: &mut impl Exec,
    caller: &User,
    target: &User,
    wanted: &str,
) -> CoreResult<Vec<AccountId>> {
    let wanted = scope(wanted);
    let mut shared = Vec::new();
    for (membership, _) in memberships::of_user(exec, target.id).await? {
        if permissions(exec, caller, membership.account_id).await?.is_some_and(|p| p.allows(&wanted)) {
            shared.push(membership.account_id);
        }
    }
    Ok(shared)
}

/// Whether `caller` may change `target` as a whole with `wanted`: the scope in EVERY account the
/// target belongs to, and in each of them a role at least the target's (an admin does not
/// suspend, delete or take over an owner).
pub async fn rights_over(exec: &mut impl Exec, caller: &User, target: &User, wanted: &str) -> CoreResult<bool> {
    if caller.platform_admin {
        return Ok(true);
    }
    if target.platform_admin {
        return Ok(false);
    }
    let wanted = scope(wanted);
    let accounts = memberships::of_user(exec, target.id).await?;
    if accounts.is_empty() {
        return Ok(false);
    }
    for (membership, _) in &accounts {
        let allowed = permissions(exec, caller, membership.account_id)
            .await?
            .is_some_and(|p| p.allows(&wanted) && may_assign(&p, membership.role));
        if !allowed {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `caller` may see `target`: itself, platform admin, or `users.read` in an account the
/// target belongs to. Deleted users are visible to nobody.
pub async fn can_see(exec: &mut impl Exec, caller: &User, target: &User) -> CoreResult<bool> {
    if target.status == roster_domain::user::UserStatus::Deleted {
        return Ok(false);
    }
    if caller.id == target.id || caller.platform_admin {
        return Ok(true);
    }
    Ok(!shared_accounts_with(exec, caller, target, "users.read").await?.is_empty())
}

/// Load a user the caller may see, or 404.
pub async fn visible_user(exec: &mut impl Exec, caller: &User, id: UserId) -> CoreResult<User> {
    let user = roster_store::users::find(exec, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(exec, caller, &user).await? {
        return Err(CoreError::NotFound);
    }
    Ok(user)
}
