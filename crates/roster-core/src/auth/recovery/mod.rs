//! `POST /v1/users/recovery`: `{email}` mails a single-use reset link (30 minutes; a newer one
//! voids the older), answering the same whether or not the address is known; `{token,
//! new_password, mfa_code?}` sets the password — with a recovery token, or with an invitation
//! token, which also activates the invited user. Either way every session ends, the lock of
//! auth::limits lifts, and a recovery mails the "password changed" notice.

use roster_domain::email::normalize_email;
use roster_domain::password::normalize_password;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_domain::{FieldError, UserId};
use roster_store::login_attempts::{self, Factor};
use roster_store::tokens::{self, NewToken};
use roster_store::{Ts, sessions, users};
use time::Duration;

use super::limits::{Attempt, email_key};
use crate::error::{CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::users::purpose;
use crate::{Core, RequestMeta, activity};

const RECOVERY_VALIDITY: Duration = Duration::minutes(30);

/// The links Roster mails (API.md §8), each to a page of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    VerifyEmail,
    ResetPassword,
    AcceptInvite,
    ConfirmEmail,
}

impl Core {
    /// `POST /v1/users/recovery {email}`. A known, active user gets the link; for anyone else
    /// the same transaction shape runs and writes nothing, so the answer and its time are alike.
    pub async fn start_recovery(&self, email: &str) -> CoreResult<()> {
        let now = self.now();
        let found = {
            let mut conn = self.db.conn().await?;
            users::find_for_login(&mut conn, &normalize_email(email)).await?
        };
        let user = found.map(|(user, _)| user).filter(|u| u.status == UserStatus::Active);
        let mut tx = self.db.begin().await?;
        match user {
            Some(user) => {
                let token = NewToken {
                    id: uuid::Uuid::now_v7(),
                    user_id: user.id,
                    purpose: purpose::RECOVERY,
                    // The mail's worker mints the token it sends (tokens::rotate); this hash is a
                    // placeholder nobody holds.
                    token_hash: crate::secrets::new_token().1,
                    data: serde_json::json!({}),
                    created_at: Ts::new(now),
                    expires_at: Ts::new(now + RECOVERY_VALIDITY),
                };
                tokens::replace(&mut tx, &token).await?;
                jobs::enqueue(&mut tx, &payload::RecoveryMail { user_id: user.id, token_id: token.id }, now).await?;
            }
            None => {
                tokens::void_all(&mut tx, UserId::new(), Ts::new(now)).await?;
            }
        }
        tx.commit().await?;
        self.wake_workers();
        Ok(())
    }

    /// `POST /v1/users/recovery {token, new_password, mfa_code?}` → the user. A bad, used or
    /// expired token is `invalid_token`; with MFA on, a recovery also needs a TOTP or recovery
    /// code (`mfa_required` without one, `invalid_credentials` for a wrong one, limited like
    /// logins).
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
            if let Some(live) = tokens::find_live(&mut conn, purpose::RECOVERY, &hash, Ts::new(now)).await? {
                (live, false)
            } else {
                let live = tokens::find_live(&mut conn, purpose::INVITE, &hash, Ts::new(now)).await?;
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
        if !invitation && user.mfa_enabled {
            let code = mfa_code.filter(|c| !c.trim().is_empty()).ok_or(CoreError::MfaRequired)?;
            let attempt = Attempt { email_key: &key, user: Some(user.id), factor: Factor::Mfa, meta };
            if let Some(refusal) = self.refusal(&attempt).await? {
                return Err(self.refuse(&attempt, refusal).await);
            }
            if !self.second_factor_ok(&user, code).await? {
                self.record_failure(&attempt, "mfa_failed", true).await?;
                return Err(CoreError::InvalidCredentials);
            }
        }
        let password_hash = self.hasher.hash(normalize_password(new_password)).await?;
        let mut tx = self.db.begin().await?;
        if !tokens::spend(&mut tx, live.id, Ts::new(now)).await? {
            return Err(CoreError::InvalidToken);
        }
        users::set_password_hash(&mut tx, user.id, &password_hash, Ts::new(now)).await?;
        let revoked = sessions::revoke_all(&mut tx, user.id, Ts::new(now)).await?;
        login_attempts::clear(&mut tx, &key).await?;
        let user = if invitation {
            let active = User { status: UserStatus::Active, email_verified: true, updated_at: now, ..user };
            users::update_profile(&mut tx, &active).await?;
            users::set_email_verified(&mut tx, active.id, Ts::new(now)).await?;
            let changes = serde_json::json!({"status": {"from": "invited", "to": "active"}, "email_verified": true});
            activity::record(&mut tx, now, active.id, Some(active.id), None, "user.invitation_accepted", meta, changes)
                .await?;
            active
        } else {
            let changes = serde_json::json!({"sessions_revoked": revoked});
            activity::record(&mut tx, now, user.id, Some(user.id), None, "user.password_reset", meta, changes).await?;
            jobs::enqueue(&mut tx, &payload::PasswordChangedMail { user_id: user.id }, now).await?;
            User { updated_at: now, ..user }
        };
        let user = crate::users::detail(&mut tx, user).await?;
        tx.commit().await?;
        self.wake_workers();
        Ok(user)
    }

    /// Whether the token of an emailed link (API.md §8) is still good, without spending it: the
    /// link pages show their form only then (a GET never consumes a token; mail scanners open
    /// links). `Some(true)` when completing it will also need an MFA code.
    pub async fn link_token(&self, link: Link, token: &str) -> CoreResult<Option<bool>> {
        let purpose = match link {
            Link::VerifyEmail => purpose::VERIFY_EMAIL,
            Link::ResetPassword => purpose::RECOVERY,
            Link::AcceptInvite => purpose::INVITE,
            Link::ConfirmEmail => purpose::CONFIRM_EMAIL,
        };
        let mut conn = self.db.conn().await?;
        let hash = crate::secrets::hash_token(token);
        let Some(live) = tokens::find_live(&mut conn, purpose, &hash, Ts::new(self.now())).await? else {
            return Ok(None);
        };
        let user = users::find(&mut conn, live.user_id).await?.filter(|u| u.status != UserStatus::Deleted);
        Ok(user.map(|u| link == Link::ResetPassword && u.mfa_enabled))
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
