//! `POST /v1/auth/login` and `POST /v1/auth/mfa`: the password, then (when MFA is on) a TOTP or
//! recovery code against a short-lived, purpose-bound `mfa_token`; each attempt is limited and
//! recorded (auth::limits), and a successful one opens a session.

use roster_domain::activity::Action;
use roster_domain::email::normalize_email;
use roster_domain::login::AttemptReason;
use roster_domain::password::normalize_password;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_domain::{AccountId, SessionId};
use roster_store::login_attempts::{self, Factor};
use roster_store::sessions::{self, NewSession};
use roster_store::tokens::{self, NewToken};
use roster_store::{Ts, memberships, mfa, users};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::limits::{Admitted, Attempt, KEPT, email_key};
use super::totp;
use crate::error::{CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::purpose::Purpose;
use crate::{Core, RequestMeta, access, activity, secrets};

/// A new session: the bearer token is shown exactly once, here.
#[derive(Debug, Clone)]
pub struct LoginSuccess {
    pub token: String,
    pub expires_at: OffsetDateTime,
    pub session_id: SessionId,
    pub user: UserDetail,
}

/// What a right password leads to.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    Session(Box<LoginSuccess>),
    /// MFA is on: the second step (`POST /v1/auth/mfa`) takes this token and a code.
    MfaRequired {
        mfa_token: String,
    },
}

const MFA_TOKEN_VALIDITY: Duration = Duration::minutes(5);
/// Wrong codes after which an `mfa_token` is void.
const MFA_TOKEN_TRIES: i64 = 5;

impl Core {
    /// `POST /v1/auth/login`. Unknown email and wrong password answer the same, after the same
    /// amount of hashing work; over a limit, both are refused before any hashing.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        account: Option<AccountId>,
        meta: &RequestMeta,
    ) -> CoreResult<LoginOutcome> {
        let email = normalize_email(email);
        let key = email_key(&email);
        let found = {
            let mut conn = self.db.conn().await?;
            users::find_for_login(&mut conn, &email).await?
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        let attempt = Attempt { email_key: &key, user: user.as_ref().map(|u| u.id), factor: Factor::Password, meta };
        let admitted = self.admit(&attempt).await?;
        let ok = self.checked(&admitted, self.hasher.verify(normalize_password(password), hash)).await?;
        let Some(user) = user.filter(|_| ok) else {
            self.fail(&attempt, admitted, AttemptReason::WrongPassword).await?;
            return Err(CoreError::InvalidCredentials);
        };
        match user.status {
            UserStatus::Active => {}
            UserStatus::Suspended => {
                // The password was right: not a guess, so it does not count against the limits.
                self.not_counted(admitted, AttemptReason::Suspended).await?;
                return Err(CoreError::AccountSuspended);
            }
            UserStatus::Invited | UserStatus::Deleted => {
                self.fail(&attempt, admitted, AttemptReason::NotActive).await?;
                return Err(CoreError::InvalidCredentials);
            }
        }
        if let Some(id) = account {
            let mut conn = self.db.conn().await?;
            if access::permissions(&mut conn, &user, id).await?.is_none() {
                drop(conn);
                self.withdraw(admitted).await?;
                return Err(CoreError::NotFound);
            }
        }
        if user.mfa_enabled {
            // The first factor leads to the second, where the attempt is counted and recorded.
            self.withdraw(admitted).await?;
            let (mfa_token, token_hash) = secrets::new_token();
            let now = self.now();
            let mut tx = self.db.begin().await?;
            let token = NewToken {
                id: uuid::Uuid::now_v7(),
                user_id: user.id,
                purpose: Purpose::Mfa.as_str(),
                token_hash,
                data: serde_json::json!({ "account_id": account }),
                created_at: Ts::new(now),
                expires_at: Ts::new(now + MFA_TOKEN_VALIDITY),
            };
            tokens::replace(&mut tx, &token).await?;
            self.commit(tx).await?;
            return Ok(LoginOutcome::MfaRequired { mfa_token });
        }
        Ok(LoginOutcome::Session(Box::new(self.open_session(user, account, &attempt, admitted).await?)))
    }

    /// `POST /v1/auth/mfa`: the second step. An unknown, expired or spent `mfa_token` is
    /// `invalid_token`; a wrong code is `invalid_credentials`, and the fifth voids the token.
    pub async fn login_mfa(&self, mfa_token: &str, code: &str, meta: &RequestMeta) -> CoreResult<LoginSuccess> {
        let now = self.now();
        let (live, user) = {
            let mut conn = self.db.conn().await?;
            let live =
                tokens::find_live(&mut conn, Purpose::Mfa.as_str(), &secrets::hash_token(mfa_token), Ts::new(now))
                    .await?;
            let live = live.ok_or(CoreError::InvalidToken)?;
            let user = users::find(&mut conn, live.user_id).await?;
            (live, user)
        };
        let user = user.filter(|u| u.status == UserStatus::Active).ok_or(CoreError::InvalidToken)?;
        let key = email_key(&normalize_email(&user.email));
        let attempt = Attempt { email_key: &key, user: Some(user.id), factor: Factor::Mfa, meta };
        let admitted = self.admit(&attempt).await?;
        if !self.checked(&admitted, self.second_factor_ok(&user, code)).await? {
            {
                let mut conn = self.db.write_conn().await?;
                tokens::count_wrong_code(&mut conn, live.id, MFA_TOKEN_TRIES, Ts::new(now)).await?;
            }
            self.fail(&attempt, admitted, AttemptReason::MfaFailed).await?;
            return Err(CoreError::InvalidCredentials);
        }
        let spent = {
            let mut conn = self.db.write_conn().await?;
            tokens::spend(&mut conn, live.id, Ts::new(now)).await?
        };
        if !spent {
            self.withdraw(admitted).await?;
            return Err(CoreError::InvalidToken);
        }
        let account = live.data.get("account_id").and_then(|v| serde_json::from_value(v.clone()).ok());
        self.open_session(user, account, &attempt, admitted).await
    }

    /// Whether `code` is a TOTP code of the user's, for a step not accepted before (±1 step), or
    /// one of its unused recovery codes (then spent).
    pub(crate) async fn second_factor_ok(&self, user: &User, code: &str) -> CoreResult<bool> {
        let now = self.now();
        let mut conn = self.db.write_conn().await?;
        if !totp::is_totp_code(code) {
            return Ok(mfa::use_recovery_code(
                &mut conn,
                user.id,
                &totp::hash_recovery_code(&self.recovery_code_key(), code),
                Ts::new(now),
            )
            .await?);
        }
        let Some(row) = mfa::get(&mut conn, user.id).await?.filter(|r| r.enabled_at.is_some()) else {
            return Ok(false);
        };
        let seed = self.open_seed(user.id, &row.seed)?;
        let Some(step) = totp::check(&seed, code, now.unix_timestamp()) else { return Ok(false) };
        // Accepted once: a replay of this step (or an older one) on any instance is refused.
        Ok(mfa::use_step(&mut conn, user.id, step).await?)
    }

    /// Open a session for `user` after every factor passed: the attempt is recorded as a
    /// success, the failures in a row start again from zero, and a device and address not seen
    /// for 90 days get the "new sign-in" notice.
    async fn open_session(
        &self,
        user: User,
        account: Option<AccountId>,
        attempt: &Attempt<'_>,
        admitted: Admitted,
    ) -> CoreResult<LoginSuccess> {
        let now = self.now();
        let meta = attempt.meta;
        let mut tx = self.db.begin().await?;
        let active_account = match account {
            Some(id) => {
                access::permissions(&mut tx, &user, id).await?.ok_or(CoreError::NotFound)?;
                Some(id)
            }
            None => memberships::of_user(&mut tx, user.id).await?.first().map(|(m, _)| m.account_id),
        };
        let (token, token_hash) = secrets::new_token();
        let session = NewSession {
            id: SessionId::new(),
            user_id: user.id,
            token_hash,
            active_account_id: active_account,
            created_at: Ts::new(now),
            expires_at: Ts::new(now + self.config.session_absolute),
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
        };
        sessions::insert(&mut tx, &session).await?;
        users::set_last_login(&mut tx, user.id, Ts::new(now)).await?;
        let seen = login_attempts::seen_before(
            &mut tx,
            user.id,
            meta.user_agent.as_deref(),
            meta.ip.as_deref(),
            Ts::new(now - KEPT),
        )
        .await?;
        self.succeeded(&mut tx, attempt, admitted).await?;
        if !seen {
            let notice = payload::SecurityNotice::NewSignIn {
                at: now.format(&Rfc3339).unwrap_or_default(),
                ip: meta.ip.clone(),
                user_agent: meta.user_agent.clone(),
            };
            jobs::enqueue(&mut tx, &payload::SecurityMail { user_id: user.id, notice }, now).await?;
        }
        let changes = serde_json::json!({"session_id": session.id});
        activity::record(&mut tx, now, user.id, Some(user.id), active_account, Action::UserLogin, meta, changes)
            .await?;
        let user = crate::users::detail(&mut tx, User { last_login_at: Some(now), ..user }).await?;
        self.commit(tx).await?;
        Ok(LoginSuccess { token, expires_at: session.expires_at.get(), session_id: session.id, user })
    }
}
