//! The background work a change records (transactional outbox): written in the same
//! transaction as the change that causes it, run later by the workers of its queue
//! ([`runner`]), by the handler of its kind ([`handlers`]).

pub mod backoff;
pub mod events;
pub mod handlers;
pub mod runner;

use roster_store::Exec;
use roster_store::jobs::NewJob;
use time::OffsetDateTime;

use crate::error::CoreResult;

/// The four queues of API.md §9 and their switches.
pub mod queue {
    pub const ONBOARDING: &str = "onboarding";
    pub const NOTIFICATIONS: &str = "notifications";
    pub const ANALYTICS: &str = "analytics";
    pub const SYNC: &str = "sync";
    pub const ALL: [&str; 4] = [ONBOARDING, NOTIFICATIONS, ANALYTICS, SYNC];
}

/// The states of a job (API.md §9).
pub const STATUSES: [&str; 4] = ["queued", "running", "done", "dead"];

/// One kind of job: the queue it runs on and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobKind {
    pub queue: &'static str,
    pub name: &'static str,
}

pub mod kind {
    use super::{JobKind, queue};

    /// Email with a link to `{public_url}/verify-email?token=…`.
    pub const EMAIL_VERIFICATION: JobKind = JobKind { queue: queue::NOTIFICATIONS, name: "email.verification" };
    /// Email with a link to `{public_url}/accept-invite?token=…`.
    pub const EMAIL_INVITATION: JobKind = JobKind { queue: queue::NOTIFICATIONS, name: "email.invitation" };
    /// Decides and sends the welcome sequence (as notification jobs).
    pub const ONBOARDING_WELCOME: JobKind = JobKind { queue: queue::ONBOARDING, name: "onboarding.welcome" };
    /// Writes the default dashboard into the user's preferences.
    pub const ONBOARDING_DASHBOARD: JobKind = JobKind { queue: queue::ONBOARDING, name: "onboarding.dashboard" };
    /// Brings the new member into its account's records (as a sync job).
    pub const ONBOARDING_SYNC: JobKind = JobKind { queue: queue::ONBOARDING, name: "onboarding.sync" };
    /// The welcome email itself.
    pub const EMAIL_WELCOME: JobKind = JobKind { queue: queue::NOTIFICATIONS, name: "email.welcome" };
    /// A text message: `{to, body}`.
    pub const SMS: JobKind = JobKind { queue: queue::NOTIFICATIONS, name: "sms.send" };
    /// A push notification: `{tokens, title, body, data}`.
    pub const PUSH: JobKind = JobKind { queue: queue::NOTIFICATIONS, name: "push.send" };
    /// Starts the user's analytics record.
    pub const ANALYTICS_INIT: JobKind = JobKind { queue: queue::ANALYTICS, name: "analytics.init" };
    /// Re-aggregates one user's day from the audit trail (idempotent).
    pub const ANALYTICS_ACTIVITY: JobKind = JobKind { queue: queue::ANALYTICS, name: "analytics.activity" };
    /// Keeps a member's CRM contact and its account's seat count up to date.
    pub const SYNC_MEMBER: JobKind = JobKind { queue: queue::SYNC, name: "sync.member" };
    /// Delivers one signed domain event to ROSTER_EVENTS_WEBHOOK_URL.
    pub const EVENT: JobKind = JobKind { queue: queue::SYNC, name: "event.deliver" };
}

/// Attempts before a job is declared dead.
const MAX_ATTEMPTS: i32 = 10;
/// How long a job that ended `done` stays listed (`GET /v1/admin/jobs`) before it is deleted.
pub const DONE_RETENTION: time::Duration = time::Duration::days(7);
/// Jobs deleted per statement by [`crate::Core::sweep_done_jobs`].
const PURGE_BATCH: u32 = 1000;

pub async fn enqueue(
    exec: &mut impl Exec,
    kind: JobKind,
    payload: serde_json::Value,
    now: OffsetDateTime,
) -> CoreResult<()> {
    enqueue_with_id(exec, uuid::Uuid::now_v7(), kind, payload, now).await
}

/// Enqueue a job on behalf of job `parent`. Its id is derived from the parent's, so a parent
/// that runs twice (delivery is at least once) records its children only once.
pub async fn enqueue_child(
    exec: &mut impl Exec,
    parent: uuid::Uuid,
    kind: JobKind,
    payload: serde_json::Value,
    now: OffsetDateTime,
) -> CoreResult<()> {
    use sha2::Digest;
    let digest = sha2::Sha256::new().chain_update(parent.as_bytes()).chain_update(kind.name.as_bytes()).finalize();
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    // The parent's own time (the first 48 bits of a UUID v7), not the clock: a second run of the
    // parent must derive the very same id.
    let b = parent.as_bytes();
    let millis = u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]);
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    enqueue_with_id(exec, id, kind, payload, now).await
}

async fn enqueue_with_id(
    exec: &mut impl Exec,
    id: uuid::Uuid,
    kind: JobKind,
    payload: serde_json::Value,
    now: OffsetDateTime,
) -> CoreResult<()> {
    let job = NewJob {
        id,
        queue: kind.queue,
        kind: kind.name,
        payload,
        max_attempts: MAX_ATTEMPTS,
        run_at: now,
        created_at: now,
    };
    roster_store::jobs::enqueue(exec, &job).await?;
    Ok(())
}

/// Record a `sync.member` job for every account `user` belongs to (its CRM contacts and the
/// accounts' seat counts follow a change of the user).
pub async fn sync_memberships(
    exec: &mut impl Exec,
    user: roster_domain::UserId,
    now: OffsetDateTime,
) -> CoreResult<()> {
    for (membership, _) in roster_store::memberships::of_user(exec, user).await? {
        let payload = serde_json::json!({"user_id": user, "account_id": membership.account_id});
        enqueue(exec, kind::SYNC_MEMBER, payload, now).await?;
    }
    Ok(())
}

impl crate::Core {
    /// Delete jobs done more than [`DONE_RETENTION`] ago (run periodically by every process).
    /// Batch by batch, each its own statement, so requests' writes interleave on SQLite.
    pub async fn sweep_done_jobs(&self) -> CoreResult<u64> {
        let before = roster_store::Ts::new(self.now() - DONE_RETENTION);
        let mut deleted = 0;
        loop {
            let mut conn = self.db.write_conn().await?;
            let n = roster_store::job_queue::purge_done(&mut conn, before, PURGE_BATCH).await?;
            deleted += n;
            if n < u64::from(PURGE_BATCH) {
                return Ok(deleted);
            }
        }
    }
}
