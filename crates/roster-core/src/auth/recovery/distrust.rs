//! The first proof of an address. Anyone may sign up with an address that is not theirs; if its
//! owner later resets the password through the mailed link, the account becomes the owner's —
//! and whatever the first holder set up must not stay with it: devices registered for push
//! notices (they would go on receiving the owner's), a second factor (it would lock the owner
//! out, or let the other in), phone numbers and addresses never confirmed. Sessions end with
//! every recovery. What was removed is recorded in the activity trail and listed in the notice.

use roster_domain::user::User;
use roster_store::{Ts, Tx, mfa, push_tokens, user_emails, user_phones, users};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::CoreResult;
use crate::jobs::{self, payload};

/// What the first proof of an address removed.
pub(super) struct Removed {
    pub push_tokens: u64,
    /// Two-factor authentication was on (or being set up) and is now off.
    pub mfa: bool,
    /// Numbers never confirmed, E.164.
    pub phones: Vec<String>,
    /// Addresses added and never confirmed.
    pub emails: Vec<String>,
}

impl Removed {
    /// As the activity trail records it.
    pub fn audit(&self) -> Value {
        json!({"push_tokens": self.push_tokens, "mfa": self.mfa, "phones": self.phones, "emails": self.emails})
    }

    /// As the notice lists it, with the sessions the recovery ended.
    pub fn into_notice(self, sessions: u64) -> payload::Distrusted {
        payload::Distrusted {
            sessions,
            push_tokens: self.push_tokens,
            mfa: self.mfa,
            phones: self.phones,
            emails: self.emails,
        }
    }
}

/// Remove from `user`'s account what was set up before its address was proven (in the
/// recovery's transaction, under the user's row lock).
pub(super) async fn remove_unproven(tx: &mut Tx, user: &User, now: OffsetDateTime) -> CoreResult<Removed> {
    let push_tokens = push_tokens::delete_all(tx, user.id).await?;
    let mfa = user.mfa_enabled || mfa::get(tx, user.id).await?.is_some();
    if mfa {
        mfa::remove(tx, user.id).await?;
        users::set_mfa_enabled(tx, user.id, false, Ts::new(now)).await?;
    }
    let (phones, primary_gone) = user_phones::delete_unverified(tx, user.id).await?;
    if primary_gone {
        // The oldest phone left (each one confirmed) becomes primary; the CRM contacts follow.
        if let Some(heir) = user_phones::of_user(tx, user.id).await?.iter().min_by_key(|p| p.created_at) {
            user_phones::make_primary(tx, user.id, heir.id).await?;
        }
        jobs::sync_memberships(tx, user.id, now).await?;
    }
    let emails = user_emails::remove_pending(tx, user.id).await?;
    Ok(Removed { push_tokens, mfa, phones, emails })
}
