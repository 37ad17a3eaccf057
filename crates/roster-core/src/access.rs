//! Authorization: every decision goes through effective scopes (API.md §4), never ad-hoc role
//! comparisons.
//!
//! A check that passes returns a proof — [`Granted`] for a scope in an account, [`MayChange`]
//! for a user as a whole — with private fields, made only here. Write steps take the proof as a
//! parameter, so that such a path cannot be reached without its check: `join_account` and the
//! member services take a `Granted`, the profile and deletion writes (`users::update::save`,
//! `users::delete::retire`) a `MayChange`.

use roster_domain::permissions::{Permissions, Source};
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{Membership, User, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::{Exec, memberships};

use crate::error::{CoreError, CoreResult, Denied};

/// Proof that the caller holds a scope in an account (its own membership there, one inherited
/// from an ancestor, or platform admin). Made only by [`require`].
#[derive(Debug, Clone)]
pub struct Granted {
    account: AccountId,
    perms: Permissions,
}

impl Granted {
    /// The account the scope is held in.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The caller's permissions there.
    pub fn perms(&self) -> &Permissions {
        &self.perms
    }

    /// Whether the caller may hand out `role` here: only if it holds every scope of that role
    /// itself (nobody grants what they do not have).
    pub fn may_assign(&self, role: Role) -> bool {
        holds_role(&self.perms, role)
    }
}

/// Whether `perms` hold every scope of `role` (so their holder ranks at least as `role`).
pub(crate) fn holds_role(perms: &Permissions, role: Role) -> bool {
    role.scopes().iter().all(|s| perms.allows(s))
}

/// Proof that the caller may change a user as a whole (profile, status, deletion): the user
/// itself, or someone with the scope and a rank at least the user's in every account the user
/// belongs to. Made only by [`may_change`].
#[derive(Debug, Clone, Copy)]
pub struct MayChange {
    target: UserId,
    by_self: bool,
}

impl MayChange {
    pub fn target(&self) -> UserId {
        self.target
    }

    /// Whether the caller is changing itself (some changes are never for oneself: status).
    pub fn by_self(&self) -> bool {
        self.by_self
    }
}

/// The caller's permissions in `account`: platform admin, own membership, or inherited from the
/// nearest ancestor. `None` when the caller has no standing there at all.
pub async fn permissions(exec: &mut impl Exec, caller: &User, account: AccountId) -> CoreResult<Option<Permissions>> {
    if caller.platform_admin {
        // Platform admins act everywhere, but only on accounts that exist.
        return Ok(roster_store::accounts::find(exec, account).await?.map(|_| Permissions::platform_admin()));
    }
    let governing = memberships::governing(exec, caller.id, account).await?;
    Ok(governing.map(|m| of_membership(m, account)))
}

/// The permissions a membership gives in `account` (held there, or in an ancestor).
fn of_membership(m: Membership, account: AccountId) -> Permissions {
    let source = if m.account_id == account {
        Source::Direct
    } else {
        Source::Inherited { from_account: m.account_id.as_uuid(), from_name: None }
    };
    Permissions { role: m.role, grant: m.grant, deny: m.deny, source }
}

/// Require `wanted` in `account`: no standing → 404 (the account is not visible), standing
/// without the scope → 403.
pub async fn require(exec: &mut impl Exec, caller: &User, account: AccountId, wanted: &Scope) -> CoreResult<Granted> {
    let perms = permissions(exec, caller, account).await?.ok_or(CoreError::NotFound)?;
    if !perms.allows(wanted) {
        return Err(CoreError::Forbidden(Denied::MissingScope(wanted.clone())));
    }
    Ok(Granted { account, perms })
}

/// For each account `target` belongs to: the target's membership there and the caller's
/// permissions there (`None`: no standing). Two queries, however many accounts.
async fn standing_over(
    exec: &mut impl Exec,
    caller: &User,
    target: &User,
) -> CoreResult<Vec<(Membership, Option<Permissions>)>> {
    if caller.platform_admin {
        let own = memberships::of_user(exec, target.id).await?;
        return Ok(own.into_iter().map(|(m, _)| (m, Some(Permissions::platform_admin()))).collect());
    }
    let pairs = memberships::governing_in_accounts_of(exec, caller.id, target.id).await?;
    Ok(pairs
        .into_iter()
        .map(|(theirs, ours)| {
            let account = theirs.account_id;
            (theirs, ours.map(|m| of_membership(m, account)))
        })
        .collect())
}

/// The accounts of `target` in which `caller` holds `wanted` (API.md §4: seeing a user needs
/// the scope in one shared account).
pub async fn shared_accounts_with(
    exec: &mut impl Exec,
    caller: &User,
    target: &User,
    wanted: &Scope,
) -> CoreResult<Vec<AccountId>> {
    Ok(standing_over(exec, caller, target)
        .await?
        .into_iter()
        .filter(|(_, perms)| perms.as_ref().is_some_and(|p| p.allows(wanted)))
        .map(|(m, _)| m.account_id)
        .collect())
}

/// Whether `caller` may change `target` as a whole with `wanted`: the scope in EVERY account the
/// target belongs to, and in each of them a role at least the target's (an admin does not
/// suspend, delete or take over an owner).
async fn rights_over(exec: &mut impl Exec, caller: &User, target: &User, wanted: &Scope) -> CoreResult<bool> {
    if caller.platform_admin {
        return Ok(true);
    }
    if target.platform_admin {
        return Ok(false);
    }
    let standing = standing_over(exec, caller, target).await?;
    Ok(!standing.is_empty()
        && standing
            .iter()
            .all(|(theirs, ours)| ours.as_ref().is_some_and(|p| p.allows(wanted) && holds_role(p, theirs.role))))
}

/// Require that `caller` may change `target` as a whole with `wanted` (itself, or
/// [`rights_over`]); otherwise 403.
pub async fn may_change(exec: &mut impl Exec, caller: &User, target: &User, wanted: &Scope) -> CoreResult<MayChange> {
    let by_self = caller.id == target.id;
    if !by_self && !rights_over(exec, caller, target, wanted).await? {
        return Err(CoreError::Forbidden(Denied::NotInEveryAccount(wanted.clone())));
    }
    Ok(MayChange { target: target.id, by_self })
}

/// Whether `caller` may see `target`: itself, platform admin, or `users.read` in an account the
/// target belongs to. Deleted users are visible to nobody.
pub async fn can_see(exec: &mut impl Exec, caller: &User, target: &User) -> CoreResult<bool> {
    if target.status == UserStatus::Deleted {
        return Ok(false);
    }
    if caller.id == target.id || caller.platform_admin {
        return Ok(true);
    }
    Ok(!shared_accounts_with(exec, caller, target, &Scope::USERS_READ).await?.is_empty())
}

/// Load a user the caller may see, or 404.
pub async fn visible_user(exec: &mut impl Exec, caller: &User, id: UserId) -> CoreResult<User> {
    let user = roster_store::users::find(exec, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(exec, caller, &user).await? {
        return Err(CoreError::NotFound);
    }
    Ok(user)
}
