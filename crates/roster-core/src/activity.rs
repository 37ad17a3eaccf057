//! The audit trail: recording entries inside a change's transaction, and reading them back.

use roster_domain::{AccountId, UserId};
use roster_store::Exec;
use roster_store::activities::{self, Activity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::{Actor, Core, RequestMeta, access};

/// Record `action` about `user` (in the caller's transaction).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    exec: &mut impl Exec,
    at: OffsetDateTime,
    user: UserId,
    actor: Option<UserId>,
    account: Option<AccountId>,
    action: &str,
    meta: &RequestMeta,
    changes: serde_json::Value,
) -> CoreResult<()> {
    let entry = Activity {
        id: Uuid::now_v7(),
        at,
        user_id: user,
        actor_id: actor,
        account_id: account,
        action: action.to_owned(),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        changes,
    };
    activities::insert(exec, &entry).await?;
    Ok(())
}

/// A page of a user's audit trail, newest first.
pub struct ActivityPage {
    pub entries: Vec<Activity>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ActivityCursor {
    before: Uuid,
}

impl Core {
    /// `GET /v1/users/:id/activity`: the user itself or `users.read` in one of its accounts.
    pub async fn user_activity(
        &self,
        actor: &Actor,
        id: UserId,
        limit: u32,
        cursor: Option<&str>,
    ) -> CoreResult<ActivityPage> {
        let mut conn = self.db.conn().await?;
        let target = access::visible_user(&mut conn, &actor.user, id).await?;
        let context = format!("activity:{}", target.id);
        let before = cursor
            .map(|c| self.cursor_key.open::<ActivityCursor>(&context, c))
            .transpose()
            .map_err(|_| CoreError::BadRequest("invalid cursor".into()))?
            .map(|c| c.before);
        let mut entries = activities::of_user(&mut conn, target.id, before, limit).await?;
        let next_cursor = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|last| self.cursor_key.seal(&context, &ActivityCursor { before: last.id }))
        } else {
            None
        };
        Ok(ActivityPage { entries, next_cursor })
    }
}
