//! A user's email addresses: the caller adds one (proving it is the user with its password), a
//! link mailed to that address confirms it, and an address added with `primary: true` becomes
//! the sign-in address only once confirmed, the former one being told. An address is held by one
//! live user at most, as its sign-in address or a confirmed one (roster_store::user_emails), and
//! the answer for an address someone else holds is the same whichever of theirs it is. An
//! address added but not confirmed holds nothing against anyone else: others may add it too, or
//! sign up with it, and the first to confirm it (or sign up with it) wins; the other claims are
//! dropped.

use roster_domain::UserId;
use roster_domain::activity::Action;
use roster_domain::email::Email;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_store::user_emails::{self, Removal, UserEmail};
use roster_store::{Ts, Tx, tokens, users};
use serde_json::json;
use time::OffsetDateTime;

use super::create::{VERIFICATION_VALIDITY, issue_token};
use crate::auth::limits::link_wait;
use crate::error::{CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::purpose::Purpose;
use crate::{Actor, Core, RequestMeta, activity};

/// At most this many addresses per user, the sign-in address included.
pub const MAX_EMAILS: i64 = 10;

/// `PUT /v1/users/email`, as sent.
#[derive(Debug, Clone)]
pub struct AddEmail {
    pub email: String,
    pub password: String,
    pub primary: bool,
}

/// Addresses released per statement by [`Core::sweep_unconfirmed_emails`].
const SWEEP_BATCH: u32 = 1000;

impl Core {
    /// Add `email` to the caller's addresses and mail it a confirmation link (again, if it was
    /// added before and is still unconfirmed). An address the caller has confirmed already
    /// becomes the sign-in address at once when `primary` asks it; the sign-in address itself
    /// is left as it is.
    pub async fn add_email(&self, actor: &Actor, input: AddEmail, meta: &RequestMeta) -> CoreResult<()> {
        let email = parse(&input.email)?;
        self.check_own_password(actor, &input.password, meta).await?;
        let user = &actor.user;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // One change of a user's addresses at a time: the count below stays true until commit.
        users::lock(&mut tx, user.id).await?;
        if let Some((holder, held)) = user_emails::holder(&mut tx, email.normalized()).await? {
            if holder != user.id {
                return Err(CoreError::EmailTaken);
            }
            // The caller's sign-in address, or one it confirmed: nothing to confirm again.
            if input.primary && !held.is_primary {
                switch_primary(&mut tx, user, &held, actor.account_id, now, meta).await?;
                self.commit(tx).await?;
            }
            return Ok(());
        }
        if user_emails::own(&mut tx, user.id, email.normalized()).await?.is_some() {
            // Added again: a new link, and a new 24 hours before the address is released.
            user_emails::readd(&mut tx, user.id, email.normalized(), input.primary, Ts::new(now)).await?;
        } else {
            if user_emails::count(&mut tx, user.id).await? >= MAX_EMAILS {
                return Err(CoreError::field(
                    "email",
                    "too_many",
                    format!("a user has at most {MAX_EMAILS} email addresses; remove one first"),
                ));
            }
            let new = UserEmail {
                address: email.as_str().to_owned(),
                address_key: email.normalized().to_owned(),
                verified: false,
                is_primary: false,
                becomes_primary: input.primary,
                created_at: Ts::new(now),
            };
            user_emails::add(&mut tx, user.id, &new).await?;
        }
        // A confirmation link goes to one address at most once a minute and 5 times an hour,
        // however often it is added.
        let wait = link_wait(&mut tx, user.id, Purpose::ConfirmEmail, email.normalized(), now).await?;
        if wait > 0 {
            return Err(CoreError::RateLimited { retry_after: wait });
        }
        let data = json!({"address": email.normalized()});
        let token_id = issue_token(&mut tx, user.id, Purpose::ConfirmEmail, VERIFICATION_VALIDITY, data, now).await?;
        jobs::enqueue(&mut tx, &payload::ConfirmEmailMail { user_id: user.id, token_id }, now).await?;
        let changes = json!({"email": email.as_str(), "primary": input.primary});
        activity::record(&mut tx, now, user.id, Some(user.id), actor.account_id, Action::UserEmailAdded, meta, changes)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Release the secondary addresses never confirmed whose last link has expired (24 h after
    /// they were last added), batch by batch (run periodically by every process): until then
    /// an address someone typed holds it against everyone else, its real owner included. The
    /// user's other addresses, and a confirmed one, are never touched.
    pub async fn sweep_unconfirmed_emails(&self) -> CoreResult<u64> {
        let before = Ts::new(self.now() - VERIFICATION_VALIDITY);
        let mut released = 0;
        loop {
            let mut conn = self.db.write_conn().await?;
            let n = user_emails::expire_unconfirmed(&mut conn, before, SWEEP_BATCH).await?;
            released += n;
            if n < u64::from(SWEEP_BATCH) {
                return Ok(released);
            }
        }
    }

    /// `POST /v1/users/email/verify` (and the `/confirm-email` page): the token's address is
    /// confirmed, and becomes the sign-in address if it was added to. A used, expired or
    /// unknown token, or one whose address was removed since, is `invalid_token`.
    pub async fn confirm_email(&self, token: &str, meta: &RequestMeta) -> CoreResult<UserDetail> {
        let now = self.now();
        let hash = crate::secrets::hash_token(token);
        let mut tx = self.db.begin().await?;
        let redeemed = tokens::redeem(&mut tx, Purpose::ConfirmEmail.as_str(), &hash, Ts::new(now)).await?;
        let redeemed = redeemed.ok_or(CoreError::InvalidToken)?;
        let address =
            redeemed.data.get("address").and_then(serde_json::Value::as_str).ok_or(CoreError::InvalidToken)?;
        users::lock(&mut tx, redeemed.user_id).await?;
        let user = users::find(&mut tx, redeemed.user_id).await?.filter(|u| u.status != UserStatus::Deleted);
        let user = user.ok_or(CoreError::InvalidToken)?;
        // Another user took the address first (signed up with it, or confirmed it): this claim
        // was dropped with it, and the link confirms nothing.
        let confirmed = match user_emails::confirm(&mut tx, user.id, address).await {
            Err(roster_store::StoreError::Conflict(_)) => return Err(CoreError::InvalidToken),
            found => found?.ok_or(CoreError::InvalidToken)?,
        };
        let changes = json!({"email": confirmed.address});
        activity::record(&mut tx, now, user.id, Some(user.id), None, Action::UserEmailConfirmed, meta, changes).await?;
        let user = if confirmed.becomes_primary {
            let confirmed = UserEmail { verified: true, ..confirmed };
            switch_primary(&mut tx, &user, &confirmed, None, now, meta).await?
        } else {
            user
        };
        let user = super::detail(&mut tx, user).await?;
        self.commit(tx).await?;
        Ok(user)
    }

    /// `DELETE /v1/users/email`: remove one of the caller's other addresses (the sign-in
    /// address → 409 `primary_email`; an address the caller does not have → 404).
    pub async fn remove_email(&self, actor: &Actor, email: &str, meta: &RequestMeta) -> CoreResult<UserDetail> {
        let email = parse(email)?;
        let user = &actor.user;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        users::lock(&mut tx, user.id).await?;
        match user_emails::remove(&mut tx, user.id, email.normalized()).await? {
            Removal::NotFound => return Err(CoreError::NotFound),
            Removal::Primary => return Err(CoreError::PrimaryEmail),
            Removal::Removed => {}
        }
        let changes = json!({"email": email.as_str()});
        activity::record(
            &mut tx,
            now,
            user.id,
            Some(user.id),
            actor.account_id,
            Action::UserEmailRemoved,
            meta,
            changes,
        )
        .await?;
        let current = users::find(&mut tx, user.id).await?.ok_or(CoreError::NotFound)?;
        let detail = super::detail(&mut tx, current).await?;
        self.commit(tx).await?;
        Ok(detail)
    }
}

fn parse(input: &str) -> CoreResult<Email> {
    Email::parse(input).map_err(|e| CoreError::field("email", "invalid_email", e.to_string()))
}

/// Make the user's confirmed address `to` the sign-in address: the former one is told (a
/// security notice, to that address), and the accounts' CRM contacts follow.
async fn switch_primary(
    tx: &mut Tx,
    user: &User,
    to: &UserEmail,
    account: Option<roster_domain::AccountId>,
    now: OffsetDateTime,
    meta: &RequestMeta,
) -> CoreResult<User> {
    if !user_emails::make_primary(tx, user.id, &to.address_key, Ts::new(now)).await? {
        return Err(CoreError::Internal("a confirmed address to switch to was not found".into()));
    }
    let id: UserId = user.id;
    let changes = json!({"email": {"from": user.email, "to": to.address}});
    activity::record(tx, now, id, Some(id), account, Action::UserEmailChanged, meta, changes).await?;
    let notice = payload::SecurityNotice::EmailChanged { from: user.email.clone(), to: to.address.clone() };
    jobs::enqueue(tx, &payload::SecurityMail { user_id: id, notice }, now).await?;
    let next = User { email: to.address.clone(), email_verified: true, updated_at: now, ..user.clone() };
    let data =
        json!({"user": jobs::events::user_data(&next), "changes": {"email": {"from": user.email, "to": to.address}}});
    jobs::events::record(tx, "user.updated", id, data, now).await?;
    jobs::sync_memberships(tx, id, now).await?;
    Ok(next)
}
