//! The audit trail: recording entries inside a change's transaction, and reading them back.

use roster_domain::activity::Action;
use roster_domain::scope::Scope;
use roster_domain::{AccountId, ActivityId, FieldErrors, UserId};
use roster_store::Exec;
use roster_store::activities::{self, Activity};
use time::OffsetDateTime;

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
    action: Action,
    meta: &RequestMeta,
    changes: serde_json::Value,
) -> CoreResult<()> {
    let entry = Activity {
        id: ActivityId::new(),
        at,
        user_id: user,
        actor_id: actor,
        account_id: account,
        action,
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        changes,
    };
    activities::insert(exec, &entry).await?;
    // The analytics queue folds the entry into the user's day, recomputed whole: one job per
    // user and day, queued again by each entry once it has run (N entries, not N runs).
    let day = crate::jobs::handlers::day_of(at);
    let midnight = at.to_offset(time::UtcOffset::UTC).replace_time(time::Time::MIDNIGHT);
    let millis = u64::try_from(midnight.unix_timestamp() * 1000).unwrap_or_default();
    let id = user.as_uuid();
    let parts: [&[u8]; 2] = [id.as_bytes(), day.as_bytes()];
    let payload = crate::jobs::payload::AnalyticsActivity { user_id: user, day: day.clone() };
    crate::jobs::enqueue_coalesced(exec, millis, &parts, &payload, at).await?;
    Ok(())
}

/// Entries written on behalf of the signed-in `actor` (who did it) in one request: the time, the
/// actor and the request's address and agent are said once, each entry only what differs.
pub struct By<'a> {
    actor: &'a Actor,
    meta: &'a RequestMeta,
    at: OffsetDateTime,
}

/// Entries by `actor`, at `at`, from the request `meta`.
pub fn by<'a>(actor: &'a Actor, meta: &'a RequestMeta, at: OffsetDateTime) -> By<'a> {
    By { actor, meta, at }
}

impl By<'_> {
    /// Record `action` about `user` in `account` (in the caller's transaction).
    pub async fn record(
        &self,
        exec: &mut impl Exec,
        user: UserId,
        account: Option<AccountId>,
        action: Action,
        changes: serde_json::Value,
    ) -> CoreResult<()> {
        record(exec, self.at, user, Some(self.actor.user.id), account, action, self.meta, changes).await
    }
}

/// A page of a user's audit trail, newest first.
pub struct ActivityPage {
    pub entries: Vec<Activity>,
    pub next_cursor: Option<String>,
}

/// Rows read per batch while filtering a trail down to what the caller may see, and batches
/// read at most for one page (a page may come back short, with a cursor to go on).
const BATCH: u32 = 100;
const MAX_BATCHES: usize = 20;

impl Core {
    /// `GET /v1/users/:id/activity`: the user itself and platform admins see the whole trail;
    /// others see the entries of the accounts where they hold `users.read`, without the
    /// addresses and agents the user signed in from.
    pub async fn user_activity(
        &self,
        actor: &Actor,
        id: UserId,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<ActivityPage> {
        let mut errors = FieldErrors::new();
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let mut conn = self.db.conn().await?;
        let target = access::visible_user(&mut conn, &actor.user, id).await?;
        let whole = actor.user.id == target.id || actor.user.platform_admin;
        let readable = if whole {
            Vec::new()
        } else {
            access::shared_accounts_with(&mut conn, &actor.user, &target, &Scope::USERS_READ).await?
        };
        // The cursor is bound to this trail as this caller sees it.
        let context = format!("activity:{}:{}", target.id, actor.user.id);
        let mut before = self.cursor_id(&context, cursor)?;

        let mut entries = Vec::new();
        let mut more = false;
        for _ in 0..MAX_BATCHES {
            let batch = activities::of_user(&mut conn, target.id, before, BATCH).await?;
            let exhausted = batch.len() <= BATCH as usize;
            for entry in batch.into_iter().take(BATCH as usize) {
                before = Some(entry.id);
                if whole {
                    entries.push(entry);
                } else if entry.account_id.is_some_and(|a| readable.contains(&a)) {
                    entries.push(Activity { ip: None, user_agent: None, ..entry });
                }
                if entries.len() > limit as usize {
                    break;
                }
            }
            if entries.len() > limit as usize {
                more = true;
                break;
            }
            if exhausted {
                break;
            }
            more = true;
        }
        entries.truncate(limit as usize);
        let next_cursor = match (more, entries.len() == limit as usize) {
            // A full page: continue after its last entry.
            (true, true) => entries.last().map(|last| self.seal_id(&context, last.id)),
            // A short page cut by the batch budget: continue after the last row examined.
            (true, false) => before.map(|b| self.seal_id(&context, b)),
            (false, _) => None,
        };
        Ok(ActivityPage { entries, next_cursor })
    }
}
