//! Account recovery. `POST /v1/users/recovery {email}` asks for a reset link ([`request`]);
//! `{token, new_password, mfa_code?}` sets the password — with a recovery token, or with an
//! invitation token, which also activates the invited user. Either way every session ends and
//! the failures counted against the account (auth::limits) are forgotten: completing a recovery
//! proves the owner. A reset link went to the sign-in address, so following it also confirms
//! that address; when it had never been confirmed, whatever was set up on the account before is
//! distrusted and removed ([`distrust`]), for it may be the work of someone who signed up with
//! another person's address and waited.

mod distrust;
mod request;

use roster_domain::FieldError;
use roster_domain::activity::Action;
use roster_domain::email::normalize_email;
use roster_domain::login::AttemptReason;
use roster_domain::password::normalize_password;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_store::login_attempts::{self, Factor};
use roster_store::tokens::{self, Live};
use roster_store::{Ts, sessions, users};
use serde_json::json;

use super::limits::{Attempt, email_key};
use crate::error::{CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::purpose::Purpose;
use crate::{Core, RequestMeta, activity};

/// The links Roster mails, each to a page of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    VerifyEmail,
    ResetPassword,
    AcceptInvite,
    ConfirmEmail,
}

/// Whether following the reset link `live` is the first proof of `user`'s sign-in address: the
/// link went to the address the user still signs in with, and that address was never verified.
fn first_proof(live: &Live, user: &User) -> bool {
    let went_to = live.data.get("address").and_then(serde_json::Value::as_str);
    !user.email_verified && went_to == Some(normalize_email(&user.email).as_str())
}

/// Whether completing the reset `live` of `user` takes a second factor: when MFA is on, unless
/// the reset is the first proof of the address (then MFA is among what it removes).
fn needs_second_factor(live: &Live, user: &User) -> bool {
    user.mfa_enabled && !first_proof(live, user)
}

impl Core {
    /// `POST /v1/users/recovery {token, new_password, mfa_code?}` → the user. A bad, used or
    /// expired token is `invalid_token`; with MFA on, a recovery also needs a TOTP or recovery
    /// code (`mfa_required` without one, `invalid_credentials` for a wrong one, limited like
    /// logins) — except the first proof of a never-confirmed address, which turns MFA off.
    pub async fn complete_recovery(
        &self,
        token: &str,
        new_password: &str,
        mfa_code: Option<&str>,
        meta: &RequestMeta,
    ) -> CoreResult<UserDetail> {
        let now = self.now();
        let hash = crate::secrets::hash_token(token);
        let (live, invitation) = {
            let mut conn = self.db.conn().await?;
            if let Some(live) = tokens::find_live(&mut conn, Purpose::Recovery.as_str(), &hash, Ts::new(now)).await? {
                (live, false)
            } else {
                let live = tokens::find_live(&mut conn, Purpose::Invite.as_str(), &hash, Ts::new(now)).await?;
                (live.ok_or(CoreError::InvalidToken)?, true)
            }
        };
        let user = {
            let mut conn = self.db.conn().await?;
            users::find(&mut conn, live.user_id).await?
        };
        let wanted = if invitation { UserStatus::Invited } else { UserStatus::Active };
        let user = user.filter(|u| u.status == wanted).ok_or(CoreError::InvalidToken)?;
        self.check_new_password("new_password", new_password, &user).await?;
        let key = email_key(&normalize_email(&user.email));
        if !invitation && needs_second_factor(&live, &user) {
            let code = mfa_code.filter(|c| !c.trim().is_empty()).ok_or(CoreError::MfaRequired)?;
            let attempt = Attempt { email_key: &key, user: Some(user.id), factor: Factor::Mfa, meta };
            let admitted = self.admit(&attempt).await?;
            if !self.checked(&admitted, self.second_factor_ok(&user, code)).await? {
                self.fail(&attempt, admitted, AttemptReason::MfaFailed).await?;
                return Err(CoreError::InvalidCredentials);
            }
            // A recovery is no sign-in: a right code leaves no trace in the history.
            self.withdraw(admitted).await?;
        }
        let password_hash = self.hasher.hash(normalize_password(new_password)).await?;
        let mut tx = self.db.begin().await?;
        if !tokens::spend(&mut tx, live.id, Ts::new(now)).await? {
            return Err(CoreError::InvalidToken);
        }
        users::lock(&mut tx, user.id).await?;
        users::set_password_hash(&mut tx, user.id, &password_hash, Ts::new(now)).await?;
        let revoked = sessions::revoke_all(&mut tx, user.id, Ts::new(now)).await?;
        login_attempts::reset(&mut tx, &key, Ts::new(now)).await?;
        let user = if invitation {
            let active = User { status: UserStatus::Active, email_verified: true, updated_at: now, ..user };
            users::update_profile(&mut tx, &active).await?;
            users::set_email_verified(&mut tx, active.id, Ts::new(now)).await?;
            let changes = json!({"status": {"from": "invited", "to": "active"}, "email_verified": true});
            activity::record(
                &mut tx,
                now,
                active.id,
                Some(active.id),
                None,
                Action::UserInvitationAccepted,
                meta,
                changes,
            )
            .await?;
            active
        } else {
            let mut changes = json!({"sessions_revoked": revoked});
            let mut removed = None;
            let mut next = User { updated_at: now, ..user.clone() };
            if first_proof(&live, &user) {
                let cleared = distrust::remove_unproven(&mut tx, &user, now).await?;
                users::set_email_verified(&mut tx, user.id, Ts::new(now)).await?;
                changes["email_verified"] = json!({"from": false, "to": true});
                changes["removed"] = cleared.audit();
                next.email_verified = true;
                next.mfa_enabled = next.mfa_enabled && !cleared.mfa;
                removed = Some(cleared.into_notice(revoked));
            }
            activity::record(&mut tx, now, user.id, Some(user.id), None, Action::UserPasswordReset, meta, changes)
                .await?;
            jobs::enqueue(&mut tx, &payload::PasswordChangedMail { user_id: user.id, removed }, now).await?;
            next
        };
        let user = crate::users::detail(&mut tx, user).await?;
        self.commit(tx).await?;
        Ok(user)
    }

    /// Whether the token of an emailed link is still good, without spending it: the
    /// link pages show their form only then (a GET never consumes a token; mail scanners open
    /// links). `Some(true)` when completing it will also need an MFA code.
    pub async fn link_token(&self, link: Link, token: &str) -> CoreResult<Option<bool>> {
        let purpose = match link {
            Link::VerifyEmail => Purpose::VerifyEmail,
            Link::ResetPassword => Purpose::Recovery,
            Link::AcceptInvite => Purpose::Invite,
            Link::ConfirmEmail => Purpose::ConfirmEmail,
        };
        let mut conn = self.db.conn().await?;
        let hash = crate::secrets::hash_token(token);
        let Some(live) = tokens::find_live(&mut conn, purpose.as_str(), &hash, Ts::new(self.now())).await? else {
            return Ok(None);
        };
        let user = users::find(&mut conn, live.user_id).await?.filter(|u| u.status != UserStatus::Deleted);
        Ok(user.map(|u| link == Link::ResetPassword && needs_second_factor(&live, &u)))
    }

    /// The password policy of API.md §7 for a new password of `user`'s, as 422 on `field`.
    pub(crate) async fn check_new_password(&self, field: &str, password: &str, user: &User) -> CoreResult<()> {
        let policy = self.config.password_policy;
        let problems = self
            .hasher
            .check_policy(policy, password.to_owned(), Some(user.email.clone()), Some(user.name.clone()))
            .await?;
        if problems.is_empty() {
            return Ok(());
        }
        Err(CoreError::Validation(
            problems.into_iter().map(|p| FieldError::new(field, p.code(), p.message(&policy))).collect(),
        ))
    }
}
