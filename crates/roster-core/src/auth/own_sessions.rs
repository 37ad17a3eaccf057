//! The caller's sessions, login history and password (API.md §7): list and revoke sessions, read
//! the attempts, change the password (which signs every other session out and tells the user).

use roster_domain::activity::Action;
use roster_domain::password::normalize_password;
use roster_domain::{FieldErrors, SessionId};
use roster_store::login_attempts;
use roster_store::sessions::{self, SessionInfo};
use roster_store::{Ts, users};
use serde_json::json;

use crate::error::{CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::paging::Page;
use crate::{Actor, Core, RequestMeta, activity};

/// Ended sessions stay this long (a revoked token then answers 401 like any unknown one).
const ENDED_RETENTION: time::Duration = time::Duration::days(7);
/// Sessions deleted per statement by [`Core::sweep_sessions`].
const SWEEP_BATCH: u32 = 1000;

impl Core {
    /// Delete sessions that ended (revoked, expired, or idle past the idle timeout) more than
    /// a week ago, batch by batch (run periodically by `serve`).
    pub async fn sweep_sessions(&self) -> CoreResult<u64> {
        let now = self.now();
        let before = Ts::new(now - ENDED_RETENTION);
        let idle_before = Ts::new(now - self.config.session_idle - ENDED_RETENTION);
        let mut total = 0;
        loop {
            let mut conn = self.db.write_conn().await?;
            let n = sessions::purge_ended(&mut conn, before, idle_before, SWEEP_BATCH).await?;
            total += n;
            if n < u64::from(SWEEP_BATCH) {
                break;
            }
        }
        // Login attempts are kept 90 days (the history's reach); a lock row that no longer says
        // anything goes once its window has passed.
        let mut conn = self.db.write_conn().await?;
        total += roster_store::login_attempts::sweep(&mut conn, Ts::new(now - super::limits::KEPT)).await?;
        total += roster_store::login_attempts::sweep_locks(&mut conn, Ts::new(now - super::limits::WINDOW)).await?;
        Ok(total)
    }

    /// `GET /v1/auth/login-history`: the caller's login attempts, newest first, paginated.
    pub async fn login_history(
        &self,
        actor: &Actor,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<Page<login_attempts::Attempt>> {
        let mut errors = FieldErrors::new();
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let context = format!("login-history:{}", actor.user.id);
        let before = self.cursor_id(&context, cursor)?;
        let mut conn = self.db.conn().await?;
        let found = login_attempts::history(&mut conn, actor.user.id, before, limit + 1).await?;
        Ok(self.id_page(&context, found, limit, |a| a.id))
    }

    /// `GET /v1/auth/sessions`: the caller's live sessions, most recently used first, each with
    /// whether it is the one asking.
    pub async fn list_sessions(&self, actor: &Actor) -> CoreResult<Vec<(SessionInfo, bool)>> {
        let now = self.now();
        let mut conn = self.db.conn().await?;
        let idle_since = Ts::new(now - self.config.session_idle);
        let live = sessions::live_of_user(&mut conn, actor.user.id, Ts::new(now), idle_since).await?;
        Ok(live
            .into_iter()
            .map(|s| {
                let current = s.id == actor.session_id.as_uuid();
                (s, current)
            })
            .collect())
    }

    /// `DELETE /v1/auth/sessions/:id`: revoke one of the caller's sessions (the current one
    /// too: that is signing out); another user's, or an unknown one → 404.
    pub async fn revoke_session(&self, actor: &Actor, id: SessionId) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        if !sessions::revoke_own(&mut tx, actor.user.id, id, Ts::new(self.now())).await? {
            return Err(CoreError::NotFound);
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// `DELETE /v1/auth/sessions`: revoke every session of the caller's but this one.
    pub async fn revoke_other_sessions(&self, actor: &Actor) -> CoreResult<u64> {
        let mut tx = self.db.begin().await?;
        let n = sessions::revoke_others(&mut tx, actor.user.id, actor.session_id, Ts::new(self.now())).await?;
        self.commit(tx).await?;
        Ok(n)
    }

    /// `POST /v1/auth/password`: the current password proves it is the user (wrong → 403);
    /// the new one meets the policy (422 on `new_password`). Every other session is revoked and
    /// the "password changed" notice is mailed, in the transaction of the change.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str, meta: &RequestMeta) -> CoreResult<()> {
        let user = &actor.user;
        self.check_own_password(actor, current, meta).await?;
        self.check_new_password("new_password", new, user).await?;
        let hash = self.hasher.hash(normalize_password(new)).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        users::set_password_hash(&mut tx, user.id, &hash, Ts::new(now)).await?;
        let revoked = sessions::revoke_others(&mut tx, user.id, actor.session_id, Ts::new(now)).await?;
        let changes = json!({"sessions_revoked": revoked});
        activity::record(
            &mut tx,
            now,
            user.id,
            Some(user.id),
            actor.account_id,
            Action::UserPasswordChanged,
            meta,
            changes,
        )
        .await?;
        jobs::enqueue(&mut tx, &payload::PasswordChangedMail { user_id: user.id, removed: None }, now).await?;
        self.commit(tx).await?;
        Ok(())
    }
}
