//! What an administrator may do to another user's sign-in: list the user's live sessions, end
//! one or all of them, and turn two-factor authentication off (a lost phone). Each is a change
//! to the user as a whole, so it needs what a suspension needs: platform admin, or `users.update`
//! with a role at least the user's in EVERY account the user belongs to. Never for oneself:
//! one's own sessions and two-factor authentication are under `/v1/auth`, where turning MFA off
//! asks for the password. Each change is audited and mailed to the user as a security notice.

use roster_domain::activity::Action;
use roster_domain::scope::Scope;
use roster_domain::user::User;
use roster_domain::{SessionId, UserId};
use roster_store::sessions;
pub use roster_store::sessions::SessionInfo;
use roster_store::{Exec, Ts, mfa, users};
use serde_json::json;

use crate::error::{Clash, CoreError, CoreResult, Denied};
use crate::jobs::{self, payload};
use crate::{Actor, Core, RequestMeta, access, activity};

/// The user `id`, if the caller may oversee its sign-in: invisible → 404, visible without the
/// right in every account → 403, oneself → 403.
async fn overseen(exec: &mut impl Exec, actor: &Actor, id: UserId) -> CoreResult<User> {
    let target = access::visible_user(exec, &actor.user, id).await?;
    let may = access::may_change(exec, &actor.user, &target, &Scope::USERS_UPDATE).await?;
    if may.by_self() {
        return Err(CoreError::Forbidden(Denied::OwnSignIn));
    }
    Ok(target)
}

impl Core {
    /// `GET /v1/users/:id/sessions`: the user's live sessions, most recently used first.
    pub async fn user_sessions(&self, actor: &Actor, id: UserId) -> CoreResult<Vec<SessionInfo>> {
        let now = self.now();
        let mut conn = self.db.conn().await?;
        let target = overseen(&mut conn, actor, id).await?;
        let idle_since = Ts::new(now - self.config.session_idle);
        Ok(sessions::live_of_user(&mut conn, target.id, Ts::new(now), idle_since).await?)
    }

    /// `DELETE /v1/users/:id/sessions[?session_id=]`: end the user's session `session` (not
    /// one of the user's live ones → 404), or every session; how many ended. The user's next
    /// request with an ended session is 401.
    pub async fn end_user_sessions(
        &self,
        actor: &Actor,
        id: UserId,
        session: Option<SessionId>,
        meta: &RequestMeta,
    ) -> CoreResult<u64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let target = overseen(&mut tx, actor, id).await?;
        let ended = match session {
            Some(session) if sessions::revoke_own(&mut tx, target.id, session, Ts::new(now)).await? => 1,
            Some(_) => return Err(CoreError::NotFound),
            None => sessions::revoke_all(&mut tx, target.id, Ts::new(now)).await?,
        };
        if ended > 0 {
            let changes = json!({"sessions": ended, "session_id": session});
            let audit = activity::by(actor, meta, now);
            audit.record(&mut tx, target.id, actor.account_id, Action::UserSessionsRevoked, changes).await?;
            let notice = payload::SecurityNotice::SignedOut { sessions: ended };
            jobs::enqueue(&mut tx, &payload::SecurityMail { user_id: target.id, notice }, now).await?;
        }
        self.commit(tx).await?;
        Ok(ended)
    }

    /// `DELETE /v1/users/:id/mfa`: turn the user's two-factor authentication off (its seed and
    /// recovery codes go); off already → 409. The user signs in with the password alone and
    /// may set it up again.
    pub async fn reset_user_mfa(&self, actor: &Actor, id: UserId, meta: &RequestMeta) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let target = overseen(&mut tx, actor, id).await?;
        if !target.mfa_enabled {
            return Err(CoreError::Conflict(Clash::MfaOff));
        }
        mfa::remove(&mut tx, target.id).await?;
        users::set_mfa_enabled(&mut tx, target.id, false, Ts::new(now)).await?;
        activity::by(actor, meta, now)
            .record(&mut tx, target.id, actor.account_id, Action::UserMfaReset, json!({}))
            .await?;
        let notice = payload::SecurityNotice::MfaReset;
        jobs::enqueue(&mut tx, &payload::SecurityMail { user_id: target.id, notice }, now).await?;
        self.commit(tx).await?;
        Ok(())
    }
}

/// What the caller may do to a user as a whole, so that a page shows only the buttons that
/// would work (each service checks again when the button is used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RightsOver {
    /// Change the profile and the status (`users.update` in every account of the user's).
    pub update: bool,
    /// Delete the user (`users.delete` in every account of the user's; one deletes oneself
    /// from one's own page).
    pub delete: bool,
    /// See and end the user's sessions and reset its two-factor authentication (as `update`,
    /// never for oneself).
    pub oversee: bool,
}

impl Core {
    /// The caller's [`RightsOver`] the user `id`; a user the caller cannot see → 404.
    pub async fn rights_over(&self, actor: &Actor, id: UserId) -> CoreResult<RightsOver> {
        let mut conn = self.db.conn().await?;
        let target = access::visible_user(&mut conn, &actor.user, id).await?;
        let mut may = async |scope: &Scope| match access::may_change(&mut conn, &actor.user, &target, scope).await {
            Ok(proof) => Ok(Some(proof.by_self())),
            Err(CoreError::Forbidden(_)) => Ok(None),
            Err(other) => Err(other),
        };
        let update = may(&Scope::USERS_UPDATE).await?;
        let delete = may(&Scope::USERS_DELETE).await?;
        Ok(RightsOver { update: update == Some(false), delete: delete == Some(false), oversee: update == Some(false) })
    }
}
