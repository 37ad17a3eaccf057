//! How a user comes to stand in an account: a new account of its own (`new_account`), the
//! membership with its seat counted (`join_account`), and the `membership.created` event that
//! announces it (`announce`). Sign-up, invitations, account creation and adding members all join
//! through here, so a seat is never counted twice nor an event forgotten.

use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::AccountStatus;
use roster_domain::user::{Account, Membership};
use roster_domain::{AccountId, UserId};
use roster_store::{Exec, Ts, Tx, accounts, memberships};
use serde_json::json;
use time::OffsetDateTime;

use crate::access::Granted;
use crate::error::CoreResult;
use crate::jobs;

/// A new top-level account named `name`, active, with no seats counted yet.
pub(crate) fn new_account(name: String, now: OffsetDateTime) -> Account {
    Account {
        id: AccountId::new(),
        name,
        parent_id: None,
        status: AccountStatus::Active,
        seats_used: 0,
        created_at: now,
        updated_at: now,
    }
}

/// How a user comes to join an account.
pub(crate) enum Joining<'g> {
    /// As the owner of the account it has just created.
    Founder(AccountId),
    /// With `role` and scope overrides, added by a caller holding `users.create` there (who
    /// checked that it may hand them out).
    AddedBy { granted: &'g Granted, role: Role, grant: Vec<Scope>, deny: Vec<Scope> },
}

/// Add a membership and count the seat.
pub(crate) async fn join_account(
    tx: &mut Tx,
    user: UserId,
    joining: Joining<'_>,
    now: OffsetDateTime,
) -> CoreResult<Membership> {
    let (account, role, grant, deny) = match joining {
        Joining::Founder(account) => (account, Role::Owner, Vec::new(), Vec::new()),
        Joining::AddedBy { granted, role, grant, deny } => (granted.account(), role, grant, deny),
    };
    // Locked first, so concurrent joins count seats one after the other (see accounts::lock).
    accounts::lock(tx, account).await?;
    let membership = Membership { user_id: user, account_id: account, role, grant, deny, created_at: now };
    // Already a member → 409 `conflict` (the store names the constraint).
    memberships::insert(tx, &membership).await?;
    accounts::refresh_seats(tx, account, Ts::new(now)).await?;
    Ok(membership)
}

/// The `membership.created` event of a new membership, in its transaction.
pub(crate) async fn announce(
    exec: &mut impl Exec,
    m: &Membership,
    by: Option<UserId>,
    now: OffsetDateTime,
) -> CoreResult<()> {
    let data = json!({"user_id": m.user_id, "account_id": m.account_id, "role": m.role.as_str(), "added_by": by});
    jobs::events::record(exec, "membership.created", m.user_id, data, now).await
}
