//! The caller's own second factor: TOTP enrolment (`POST /v1/auth/mfa/totp`, then `/confirm`
//! with a first code), turning it off, and new recovery codes. The seed is sealed at rest with
//! the server's secret key (secrets::SecretKey) and shown once, at enrolment. Every change sends
//! the "MFA changed" security notice, in the transaction of the change.

use roster_domain::UserId;
use roster_domain::activity::Action;
use roster_domain::email::normalize_email;
use roster_domain::login::AttemptReason;
use roster_domain::password::normalize_password;
use roster_store::login_attempts::Factor;
use roster_store::{Ts, Tx, mfa, users};

use super::limits::{Attempt, email_key};
use super::totp::{self, Enrolment};
use crate::error::{Clash, CoreError, CoreResult, Denied};
use crate::jobs::{self, payload};
use crate::{Actor, Core, RequestMeta, activity};

impl Core {
    /// `POST /v1/auth/mfa/totp`: a new seed, waiting for its first code. Starting again replaces
    /// a pending seed; while MFA is on, it is 409 (turn it off first).
    pub async fn start_totp(&self, actor: &Actor) -> CoreResult<Enrolment> {
        let user = &actor.user;
        if user.mfa_enabled {
            return Err(CoreError::Conflict(Clash::MfaAlreadyOn));
        }
        let seed = totp::new_seed();
        let enrolment = totp::enrolment(&seed, &self.config.mfa_issuer, &user.email)?;
        let sealed = self.secret_key.seal(user.id.as_uuid().as_bytes(), &seed);
        let mut tx = self.db.begin().await?;
        if !mfa::put_pending(&mut tx, user.id, &sealed, Ts::new(self.now())).await? {
            return Err(CoreError::Conflict(Clash::MfaAlreadyOn));
        }
        self.commit(tx).await?;
        Ok(enrolment)
    }

    /// The set-up waiting for its first code, shown again with the same secret (a page that got
    /// a wrong code asks for another without changing what the app was given).
    pub async fn pending_totp(&self, actor: &Actor) -> CoreResult<Option<Enrolment>> {
        let user = &actor.user;
        let row = {
            let mut conn = self.db.conn().await?;
            mfa::get(&mut conn, user.id).await?
        };
        let Some(row) = row.filter(|r| r.enabled_at.is_none()) else { return Ok(None) };
        let seed = self.open_seed(user.id, &row.seed)?;
        Ok(Some(totp::enrolment(&seed, &self.config.mfa_issuer, &user.email)?))
    }

    /// `POST /v1/auth/mfa/totp/confirm`: a right code turns MFA on and returns the ten recovery
    /// codes (shown once). A wrong code is 422 on `code`.
    pub async fn confirm_totp(&self, actor: &Actor, code: &str, meta: &RequestMeta) -> CoreResult<Vec<String>> {
        let user = &actor.user;
        let now = self.now();
        let row = {
            let mut conn = self.db.conn().await?;
            mfa::get(&mut conn, user.id).await?
        };
        let row = row.ok_or(CoreError::Conflict(Clash::NoMfaEnrolment))?;
        if row.enabled_at.is_some() {
            return Err(CoreError::Conflict(Clash::MfaAlreadyOn));
        }
        let seed = self.open_seed(user.id, &row.seed)?;
        let Some(step) = totp::check(&seed, code, now.unix_timestamp()) else {
            return Err(CoreError::field("code", "invalid_code", "the code does not match; check the device's clock"));
        };
        let (codes, hashes) = totp::new_recovery_codes(&self.recovery_code_key());
        let mut tx = self.db.begin().await?;
        if !mfa::enable(&mut tx, user.id, step, Ts::new(now)).await? {
            return Err(CoreError::Conflict(Clash::MfaAlreadyOn));
        }
        users::set_mfa_enabled(&mut tx, user.id, true, Ts::new(now)).await?;
        mfa::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
        self.mfa_changed(&mut tx, actor, Action::UserMfaEnabled, payload::SecurityNotice::MfaEnabled, meta).await?;
        self.commit(tx).await?;
        Ok(codes)
    }

    /// `DELETE /v1/auth/mfa/totp {password}`: MFA off, seed and recovery codes gone.
    pub async fn disable_totp(&self, actor: &Actor, password: &str, meta: &RequestMeta) -> CoreResult<()> {
        self.check_own_password(actor, password, meta).await?;
        if !actor.user.mfa_enabled {
            return Err(CoreError::Conflict(Clash::MfaOff));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        mfa::remove(&mut tx, actor.user.id).await?;
        users::set_mfa_enabled(&mut tx, actor.user.id, false, Ts::new(now)).await?;
        self.mfa_changed(&mut tx, actor, Action::UserMfaDisabled, payload::SecurityNotice::MfaDisabled, meta).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// `POST /v1/auth/mfa/recovery-codes {password}`: ten new codes; the old ones are void.
    pub async fn regenerate_recovery_codes(
        &self,
        actor: &Actor,
        password: &str,
        meta: &RequestMeta,
    ) -> CoreResult<Vec<String>> {
        self.check_own_password(actor, password, meta).await?;
        if !actor.user.mfa_enabled {
            return Err(CoreError::Conflict(Clash::MfaOff));
        }
        let (codes, hashes) = totp::new_recovery_codes(&self.recovery_code_key());
        let mut tx = self.db.begin().await?;
        mfa::replace_recovery_codes(&mut tx, actor.user.id, &hashes).await?;
        let notice = payload::SecurityNotice::RecoveryCodesRegenerated;
        self.mfa_changed(&mut tx, actor, Action::UserRecoveryCodesRegenerated, notice, meta).await?;
        self.commit(tx).await?;
        Ok(codes)
    }

    /// The caller's password proves it is the user (wrong → 403 `forbidden`). A stolen session
    /// must not become a password oracle: these checks count in the same limits as logins
    /// (auth::limits), under the user's email. The pages ask for it before a deletion too.
    pub async fn check_own_password(&self, actor: &Actor, password: &str, meta: &RequestMeta) -> CoreResult<()> {
        let key = email_key(&normalize_email(&actor.user.email));
        let attempt = Attempt { email_key: &key, user: Some(actor.user.id), factor: Factor::Password, meta };
        let admitted = self.admit(&attempt).await?;
        let stored = {
            let mut conn = self.db.conn().await?;
            users::password_hash(&mut conn, actor.user.id).await?
        };
        // Verified whether or not a hash is stored (a dummy one then), in the same time.
        if self.checked(&admitted, self.hasher.verify(normalize_password(password), stored)).await? {
            self.withdraw(admitted).await
        } else {
            self.fail(&attempt, admitted, AttemptReason::WrongPassword).await?;
            Err(CoreError::Forbidden(Denied::WrongPassword))
        }
    }

    /// The activity and the security notice of an MFA change.
    async fn mfa_changed(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: Action,
        notice: payload::SecurityNotice,
        meta: &RequestMeta,
    ) -> CoreResult<()> {
        let now = self.now();
        let user = actor.user.id;
        activity::by(actor, meta, now).record(tx, user, actor.account_id, action, serde_json::json!({})).await?;
        jobs::enqueue(tx, &payload::SecurityMail { user_id: user, notice }, now).await?;
        Ok(())
    }

    /// The key recovery codes are hashed with.
    pub(crate) fn recovery_code_key(&self) -> [u8; 32] {
        self.secret_key.derive("recovery-codes")
    }

    /// The user's TOTP seed, unsealed.
    pub(crate) fn open_seed(&self, user: UserId, sealed: &[u8]) -> CoreResult<Vec<u8>> {
        self.secret_key
            .open(user.as_uuid().as_bytes(), sealed)
            .map_err(|e| CoreError::Internal(format!("{e} (was ROSTER_SECRET_KEY changed since MFA was turned on?)")))
    }
}
