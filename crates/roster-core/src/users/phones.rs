//! A user's phone numbers (API.md §5, the contact-channels issue §1): added, changed, verified
//! with a 6-digit code sent by SMS, removed — by the user or by someone with `users.update` over
//! the user. Numbers are E.164 (roster_domain::phone); one is primary, and the accounts' CRM
//! contacts follow it.
//!
//! The code is minted by the worker that sends the SMS (jobs::handlers), which stores only its
//! keyed hash; a request only asks for one, within the limits of [`SEND_GAP`] and
//! [`SENDS_PER_HOUR`] per phone. [`MAX_WRONG_CODES`] wrong codes lock the code until a new one
//! is asked for.

use roster_domain::activity::Action;
use roster_domain::phone::{Phone, PhoneLabel, PhoneProblem};
use roster_domain::scope::Scope;
use roster_domain::user::User;
use roster_domain::{FieldErrors, PhoneId, UserId};
use roster_store::user_phones::{self, StoredPhone};
use roster_store::{Ts, Tx, users};
use serde_json::json;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::error::{Clash, CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::{Actor, Core, RequestMeta, access, activity};

pub const MAX_PHONES: usize = 10;
pub const MAX_WRONG_CODES: i64 = 5;
/// How long a code is good for, from when it is sent.
pub const CODE_VALIDITY: Duration = Duration::minutes(10);
/// At most one code per phone in this time…
pub const SEND_GAP: Duration = Duration::minutes(1);
/// …and this many in an hour.
pub const SENDS_PER_HOUR: i64 = 5;

/// `POST /v1/users/:id/phone`, as sent.
#[derive(Debug, Clone, Default)]
pub struct NewPhone {
    pub number: String,
    pub label: Option<String>,
    pub primary: Option<bool>,
}

/// `PUT /v1/users/:id/phone/:phoneId`, as sent. No `Debug`: it may hold a code.
#[derive(Clone, Default)]
pub struct PhoneChange {
    pub label: Option<String>,
    pub primary: Option<bool>,
    pub number: Option<String>,
    pub code: Option<String>,
    pub resend: bool,
}

pub use roster_domain::user::UserPhone;

/// A phone as shown.
pub(crate) fn shown(p: &StoredPhone) -> UserPhone {
    UserPhone { id: p.id, number: p.number.clone(), label: p.label, verified: p.verified, primary: p.is_primary }
}

impl Core {
    /// Add a phone and send it a code. The user's first phone is its primary one.
    pub async fn add_phone(
        &self,
        actor: &Actor,
        id: UserId,
        new: NewPhone,
        meta: &RequestMeta,
    ) -> CoreResult<UserPhone> {
        let mut errors = FieldErrors::new();
        let phone = self.parse_number(&new.number, &mut errors);
        let label = check_label(new.label.as_deref(), &mut errors);
        let phone = match (phone, errors.into_result()) {
            (Some(phone), Ok(())) => phone,
            (_, Err(fields)) => return Err(CoreError::Validation(fields)),
            (None, Ok(())) => return Err(CoreError::Internal("a number refused without a reason".into())),
        };
        let now = self.now();
        let (mut tx, user) = self.phone_owner(actor, id).await?;
        let phones = user_phones::of_user(&mut tx, user.id).await?;
        if phones.len() >= MAX_PHONES {
            let message = format!("a user has at most {MAX_PHONES} phone numbers; remove one first");
            return Err(CoreError::field("number", "too_many", message));
        }
        let primary = new.primary.unwrap_or(false) || phones.is_empty();
        let mut stored = StoredPhone {
            id: PhoneId::new(),
            number: phone.e164().to_owned(),
            label: label.unwrap_or(PhoneLabel::Mobile),
            verified: false,
            is_primary: primary,
            code_hash: None,
            code_expires_at: None,
            code_attempts: 0,
            last_sent_at: None,
            window_started_at: None,
            window_sends: 0,
            created_at: Ts::new(now),
            updated_at: Ts::new(now),
        };
        ask_for_code(&mut stored, now)?;
        user_phones::save(&mut tx, user.id, &stored).await?;
        if primary {
            user_phones::make_primary(&mut tx, user.id, stored.id).await?;
            jobs::sync_memberships(&mut tx, user.id, now).await?;
        }
        self.queue_code(&mut tx, user.id, &stored, now).await?;
        let changes = json!({"phone_id": stored.id, "number": stored.number, "primary": primary});
        record(&mut tx, actor, &user, Action::UserPhoneAdded, meta, changes, now).await?;
        self.commit(tx).await?;
        Ok(shown(&stored))
    }

    /// Change a phone: its label, whether it is primary, its number (which clears `verified`
    /// and sends a new code), a code to verify it, or a new code (`resend`).
    pub async fn change_phone(
        &self,
        actor: &Actor,
        id: UserId,
        phone_id: PhoneId,
        change: PhoneChange,
        meta: &RequestMeta,
    ) -> CoreResult<UserPhone> {
        let mut errors = FieldErrors::new();
        let number = change.number.as_deref().and_then(|n| self.parse_number(n, &mut errors));
        let label = check_label(change.label.as_deref(), &mut errors);
        if change.primary == Some(false) {
            errors.add("primary", "invalid", "make another phone primary instead");
        }
        if let Some(code) = &change.code
            && (code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()))
        {
            errors.add("code", "invalid_code", "must be the 6 digits of the code sent by SMS");
        }
        if change.code.is_some() && (change.number.is_some() || change.resend) {
            errors.add("code", "invalid", "a code verifies the current number: send it on its own");
        }
        errors.into_result().map_err(CoreError::Validation)?;
        let now = self.now();
        let (mut tx, user) = self.phone_owner(actor, id).await?;
        let before = user_phones::find(&mut tx, user.id, phone_id).await?.ok_or(CoreError::NotFound)?;
        if let Some(code) = &change.code {
            return self.check_code(tx, &user, before, code, actor, meta, now).await;
        }
        let mut next = StoredPhone { updated_at: Ts::new(now), ..before.clone() };
        if let Some(label) = label {
            next.label = label;
        }
        let renumbered = number.filter(|n| n.e164() != before.number);
        if let Some(number) = &renumbered {
            // Said before any limit on sending: the number cannot be this phone's anyway.
            let others = user_phones::of_user(&mut tx, user.id).await?;
            if others.iter().any(|p| p.number == number.e164()) {
                return Err(CoreError::PhoneTaken);
            }
            next.number = number.e164().to_owned();
            next.verified = false;
        }
        if renumbered.is_some() || change.resend {
            if next.verified {
                return Err(CoreError::Conflict(Clash::PhoneVerified));
            }
            ask_for_code(&mut next, now)?;
        }
        let primary_now = change.primary == Some(true) && !before.is_primary;
        next.is_primary = before.is_primary || primary_now;
        if next == (StoredPhone { updated_at: next.updated_at, ..before.clone() }) {
            return Ok(shown(&before));
        }
        user_phones::save(&mut tx, user.id, &next).await?;
        if primary_now {
            user_phones::make_primary(&mut tx, user.id, next.id).await?;
        }
        if primary_now || (next.is_primary && renumbered.is_some()) {
            jobs::sync_memberships(&mut tx, user.id, now).await?;
        }
        if renumbered.is_some() || change.resend {
            self.queue_code(&mut tx, user.id, &next, now).await?;
        }
        let changes = changed(&before, &next, change.resend);
        record(&mut tx, actor, &user, Action::UserPhoneUpdated, meta, changes, now).await?;
        self.commit(tx).await?;
        Ok(shown(&next))
    }

    /// Remove a phone. When it was the primary one, the oldest verified phone left (else the
    /// oldest) becomes primary.
    pub async fn remove_phone(
        &self,
        actor: &Actor,
        id: UserId,
        phone_id: PhoneId,
        meta: &RequestMeta,
    ) -> CoreResult<()> {
        let now = self.now();
        let (mut tx, user) = self.phone_owner(actor, id).await?;
        let gone = user_phones::find(&mut tx, user.id, phone_id).await?.ok_or(CoreError::NotFound)?;
        user_phones::delete(&mut tx, user.id, phone_id).await?;
        if gone.is_primary {
            let left = user_phones::of_user(&mut tx, user.id).await?;
            let heir = left.iter().filter(|p| p.verified).min_by_key(|p| p.created_at).or_else(|| left.first());
            if let Some(heir) = heir {
                user_phones::make_primary(&mut tx, user.id, heir.id).await?;
            }
            jobs::sync_memberships(&mut tx, user.id, now).await?;
        }
        let changes = json!({"phone_id": gone.id, "number": gone.number});
        record(&mut tx, actor, &user, Action::UserPhoneRemoved, meta, changes, now).await?;
        self.commit(tx).await?;
        Ok(())
    }

    fn parse_number(&self, input: &str, errors: &mut FieldErrors) -> Option<Phone> {
        match Phone::parse(input, self.config.default_phone_region) {
            Ok(phone) => Some(phone),
            Err(problem @ (PhoneProblem::NoCountryCode | PhoneProblem::Invalid)) => {
                errors.add("number", problem.code(), problem.to_string());
                None
            }
        }
    }

    /// The user whose phones the caller wants to change, locked (one change of a user's phones
    /// at a time), in the transaction that changes them: themselves, or a user over whom the
    /// caller has `users.update` (404 if the caller cannot see the user, 403 if it cannot change
    /// it).
    async fn phone_owner(&self, actor: &Actor, id: UserId) -> CoreResult<(Tx, User)> {
        let mut tx = self.db.begin().await?;
        users::lock(&mut tx, id).await?;
        let user = access::visible_user(&mut tx, &actor.user, id).await?;
        if user.status == roster_domain::user::UserStatus::Deleted {
            return Err(CoreError::NotFound);
        }
        access::may_change(&mut tx, &actor.user, &user, &Scope::USERS_UPDATE).await?;
        Ok((tx, user))
    }

    /// Queue the SMS that carries a new code (its worker mints it: `mint_phone_code`).
    async fn queue_code(&self, tx: &mut Tx, user: UserId, phone: &StoredPhone, now: OffsetDateTime) -> CoreResult<()> {
        let requested = phone.last_sent_at.map_or_else(|| Ts::new(now).micros(), Ts::micros);
        let sms = payload::Sms::code(user, phone.id, &phone.number, requested);
        jobs::enqueue(tx, &sms, now).await?;
        Ok(())
    }

    /// Check `code` against the phone's: right → verified; wrong → 422, counted (in a
    /// transaction of its own, so the count stays whatever the answer); after
    /// [`MAX_WRONG_CODES`] wrong ones → 429 until a new code is sent.
    #[allow(clippy::too_many_arguments)]
    async fn check_code(
        &self,
        mut tx: Tx,
        user: &User,
        phone: StoredPhone,
        code: &str,
        actor: &Actor,
        meta: &RequestMeta,
        now: OffsetDateTime,
    ) -> CoreResult<UserPhone> {
        if phone.verified {
            return Ok(shown(&phone));
        }
        let Some(stored) = phone.code_hash.clone() else {
            return Err(CoreError::field("code", "no_code", "no code is waiting: ask for one with {\"resend\": true}"));
        };
        if phone.code_attempts >= MAX_WRONG_CODES {
            return Err(CoreError::TooManyAttempts { retry_after: next_send_in(&phone, now).max(1) });
        }
        if phone.code_expires_at.is_some_and(|at| at.get() <= now) {
            return Err(CoreError::field("code", "code_expired", "the code expired: ask for a new one"));
        }
        let right = bool::from(self.phone_code_hash(phone.id, code).as_slice().ct_eq(&stored));
        let next = if right {
            StoredPhone { verified: true, code_hash: None, code_expires_at: None, code_attempts: 0, ..phone.clone() }
        } else {
            StoredPhone { code_attempts: phone.code_attempts + 1, ..phone.clone() }
        };
        user_phones::save(&mut tx, user.id, &StoredPhone { updated_at: Ts::new(now), ..next.clone() }).await?;
        if right {
            let changes = json!({"phone_id": phone.id, "number": phone.number, "verified": true});
            record(&mut tx, actor, user, Action::UserPhoneVerified, meta, changes, now).await?;
        }
        self.commit(tx).await?;
        if right { Ok(shown(&next)) } else { Err(CoreError::field("code", "invalid_code", "the code is not right")) }
    }

    /// The keyed hash a phone's code is kept as (bound to the phone).
    pub(crate) fn phone_code_hash(&self, phone: PhoneId, code: &str) -> Vec<u8> {
        let phone = phone.as_uuid();
        crate::secrets::hmac_sha256(&self.secret_key.derive("phone-codes"), &[phone.as_bytes(), code.as_bytes()])
            .to_vec()
    }
}

/// The label named, if one is; a name that is none of the labels is a field error.
fn check_label(label: Option<&str>, errors: &mut FieldErrors) -> Option<PhoneLabel> {
    let parsed = PhoneLabel::parse(label?);
    if parsed.is_none() {
        errors.add("label", "invalid_label", "must be mobile, work, home or other");
    }
    parsed
}

/// Record that a code is to be sent now (the old one dies at once), or refuse: at most one per
/// [`SEND_GAP`] and [`SENDS_PER_HOUR`] an hour → 429 `rate_limited`.
fn ask_for_code(phone: &mut StoredPhone, now: OffsetDateTime) -> CoreResult<()> {
    let wait = next_send_in(phone, now);
    if wait > 0 {
        return Err(CoreError::RateLimited { retry_after: wait });
    }
    let hour_over = phone.window_started_at.is_none_or(|start| start.get() + Duration::HOUR <= now);
    if hour_over {
        phone.window_started_at = Some(Ts::new(now));
        phone.window_sends = 0;
    }
    phone.window_sends += 1;
    phone.last_sent_at = Some(Ts::new(now));
    phone.code_hash = None;
    phone.code_expires_at = None;
    phone.code_attempts = 0;
    Ok(())
}

/// Seconds until a new code may be sent to the phone (0: now).
fn next_send_in(phone: &StoredPhone, now: OffsetDateTime) -> u64 {
    let gap = phone.last_sent_at.map(|at| at.get() + SEND_GAP);
    let hour = phone
        .window_started_at
        .filter(|_| phone.window_sends >= SENDS_PER_HOUR)
        .map(|start| start.get() + Duration::HOUR);
    crate::auth::limits::wait_until(now, [gap, hour])
}

/// What a change changed, for the activity entry (never a code).
fn changed(before: &StoredPhone, after: &StoredPhone, resend: bool) -> serde_json::Value {
    let mut changes = serde_json::Map::new();
    changes.insert("phone_id".into(), json!(before.id));
    if before.label != after.label {
        changes.insert("label".into(), json!({"from": before.label, "to": after.label}));
    }
    if before.number != after.number {
        changes.insert("number".into(), json!({"from": before.number, "to": after.number}));
    }
    if before.is_primary != after.is_primary {
        changes.insert("primary".into(), json!({"from": before.is_primary, "to": after.is_primary}));
    }
    if resend {
        changes.insert("code_sent".into(), json!(true));
    }
    serde_json::Value::Object(changes)
}

async fn record(
    tx: &mut Tx,
    actor: &Actor,
    user: &User,
    action: Action,
    meta: &RequestMeta,
    changes: serde_json::Value,
    now: OffsetDateTime,
) -> CoreResult<()> {
    activity::by(actor, meta, now).record(tx, user.id, actor.account_id, action, changes).await
}
