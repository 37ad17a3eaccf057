//! Sign-in: password and second factor (login, mfa, limits, totp), bearer sessions checked on
//! every request (from memory while the database has not changed: auth::cache), logout, the
//! caller's own sessions and password, recovery.

mod browser;
pub mod cache;
pub mod hasher;
pub(crate) mod limits;
mod login;
mod mfa;
mod own_sessions;
mod recovery;
pub mod totp;
pub mod verify;

pub use login::{LoginOutcome, LoginSuccess};
pub use recovery::Link;

use roster_domain::AccountId;
use roster_domain::user::UserStatus;
use roster_store::Ts;
use roster_store::sessions::{self, SessionWithUser};
use time::Duration;

use crate::error::{CoreError, CoreResult};
use crate::{Actor, Core, access, secrets};

/// Sessions are touched at most this often, so a busy client does not turn every read into a
/// write (the idle timeout is days; a minute of slack does not matter).
const TOUCH_EVERY: Duration = Duration::minutes(1);

impl Core {
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
        self.commit(tx).await?;
        Ok(())
    }
}
