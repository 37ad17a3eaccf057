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

/// How the caller stands towards another user, judged over every account the target belongs
/// to. API.md §4: seeing needs the scope in one shared account; changing the user as a whole
/// needs it in every one of them.
pub struct Standing {
    /// The caller holds the scope in at least one of the target's accounts (or is the target).
    pub any: bool,
    /// The caller holds the scope in all of the target's accounts.
    pub all: bool,
}

pub async fn standing(exec: &mut impl Exec, caller: &User, target: &User, wanted: &str) -> CoreResult<Standing> {
    if caller.platform_admin {
        return Ok(Standing { any: true, all: true });
    }
    let wanted = scope(wanted);
    let accounts = memberships::of_user(exec, target.id).await?;
    let mut any = false;
    let mut all = !accounts.is_empty();
    for (membership, _) in &accounts {
        let allowed = permissions(exec, caller, membership.account_id).await?.is_some_and(|p| p.allows(&wanted));
        any |= allowed;
        all &= allowed;
    }
    Ok(Standing { any, all })
}

/// Whether `caller` may see `target`: itself, platform admin, or `users.read` in an account the
/// target belongs to. Deleted users are visible to nobody.
pub async fn can_see(exec: &mut impl Exec, caller: &User, target: &User) -> CoreResult<bool> {
    if target.status == roster_domain::user::UserStatus::Deleted {
        return Ok(false);
    }
    if caller.id == target.id {
        return Ok(true);
    }
    Ok(standing(exec, caller, target, "users.read").await?.any)
}

/// Load a user the caller may see, or 404.
pub async fn visible_user(exec: &mut impl Exec, caller: &User, id: UserId) -> CoreResult<User> {
    let user = roster_store::users::find(exec, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(exec, caller, &user).await? {
        return Err(CoreError::NotFound);
    }
    Ok(user)
}
