//! Sign-in: password login, bearer sessions checked on every request (from memory while the
//! database has not changed: auth::cache), logout.

pub mod cache;
pub mod hasher;
mod own_sessions;
pub mod verify;

use roster_domain::email::normalize_email;
use roster_domain::password::normalize_password;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_domain::{AccountId, SessionId};
use roster_store::sessions::{self, NewSession, SessionWithUser};
use roster_store::{Ts, memberships, users};
use time::{Duration, OffsetDateTime};

use crate::error::{CoreError, CoreResult};
use crate::{Actor, Core, RequestMeta, access, activity, secrets};

/// A new session: the bearer token is shown exactly once, here.
#[derive(Debug, Clone)]
pub struct LoginSuccess {
    pub token: String,
    pub expires_at: OffsetDateTime,
    pub session_id: SessionId,
    pub user: UserDetail,
}

/// Sessions are touched at most this often, so a busy client does not turn every read into a
/// write (the idle timeout is days; a minute of slack does not matter).
const TOUCH_EVERY: Duration = Duration::minutes(1);

impl Core {
    /// `POST /v1/auth/login`. Unknown email and wrong password answer the same, after the same
    /// amount of hashing work.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        account: Option<AccountId>,
        meta: &RequestMeta,
    ) -> CoreResult<LoginSuccess> {
        let found = {
            let mut conn = self.db.conn().await?;
            users::find_for_login(&mut conn, &normalize_email(email)).await?
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        let ok = self.hasher.verify(normalize_password(password), hash).await?;
        let Some(user) = user.filter(|_| ok) else {
            return Err(CoreError::InvalidCredentials);
        };
        match user.status {
            UserStatus::Active => {}
            UserStatus::Suspended => return Err(CoreError::AccountSuspended),
            UserStatus::Invited | UserStatus::Deleted => return Err(CoreError::InvalidCredentials),
        }

        let now = self.now();
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
        let changes = serde_json::json!({"session_id": session.id});
        activity::record(&mut tx, now, user.id, Some(user.id), active_account, "user.login", meta, changes).await?;
        tx.commit().await?;

        let user = User { last_login_at: Some(now), ..user };
        Ok(LoginSuccess {
            token,
            expires_at: session.expires_at.get(),
            session_id: session.id,
            user: crate::users::detail(user),
        })
    }

    /// Resolve a bearer token to the caller. `requested_account` is the `X-Account-Id` header;
    /// naming an account the caller has no standing in is 404.
    pub async fn authenticate(&self, token: &str, requested_account: Option<AccountId>) -> CoreResult<Actor> {
        let hash = secrets::hash_token(token);
        let now = self.now();
        // Served from memory while the database has not changed since it was read (auth::cache).
        let mark = self.changes.mark().await?;
        let session = if let Some(session) = self.sessions.get(mark, &hash) {
            session
        } else {
            let mut conn = self.db.conn().await?;
            let session = sessions::find_by_token(&mut conn, &hash).await?.ok_or(CoreError::Unauthenticated)?;
            self.sessions.put(mark, hash.clone(), session.clone());
            session
        };
        let idle_deadline = session.last_seen_at.get() + self.config.session_idle;
        if session.expires_at.get() <= now || idle_deadline <= now || session.user.status != UserStatus::Active {
            return Err(CoreError::Unauthenticated);
        }
        let account_id = match requested_account {
            Some(id) => {
                let mut conn = self.db.conn().await?;
                access::permissions(&mut conn, &session.user, id).await?.ok_or(CoreError::NotFound)?;
                Some(id)
            }
            None => session.active_account_id,
        };
        if now - session.last_seen_at.get() >= TOUCH_EVERY {
            let mut conn = self.db.write_conn().await?;
            sessions::touch(&mut conn, session.id, Ts::new(now)).await?;
            self.sessions.put(mark, hash, SessionWithUser { last_seen_at: Ts::new(now), ..session.clone() });
        }
        Ok(Actor { user: session.user, session_id: session.id, account_id, mark })
    }

    /// `POST /v1/auth/logout`: revoke the caller's session.
    pub async fn logout(&self, actor: &Actor) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        sessions::revoke(&mut tx, actor.session_id, Ts::new(self.now())).await?;
        tx.commit().await?;
        Ok(())
    }
}
