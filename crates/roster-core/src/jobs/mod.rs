//! The background work a change records (transactional outbox): written in the same
//! transaction as the change that causes it, run later by the workers of its queue
//! ([`runner`]), by the handler of its kind ([`handlers`]).

pub mod backoff;
pub mod events;
pub mod handlers;
pub mod payload;
pub mod runner;

use roster_domain::JobId;
use roster_store::Exec;
use roster_store::jobs::NewJob;
use time::OffsetDateTime;

use crate::error::{CoreError, CoreResult};
use payload::Payload;

pub use roster_domain::job::{JobStatus, Queue};

/// Every kind of job. Its name and queue are in [`payload`] (`Kind::name`, `Kind::queue`),
/// with the payload type of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EmailVerification,
    EmailInvitation,
    EmailWelcome,
    EmailMemberAdded,
    EmailAccessChanged,
    EmailPasswordChanged,
    EmailSecurity,
    EmailRecovery,
    RecoveryRequest,
    EmailConfirm,
    AnnouncementNotify,
    EmailAnnouncement,
    PermissionsChanged,
    Sms,
    Push,
    OnboardingWelcome,
    OnboardingDashboard,
    OnboardingSync,
    AnalyticsInit,
    AnalyticsActivity,
    SyncMember,
    CalendarSync,
    Event,
}

/// Attempts before a job is declared dead.
const MAX_ATTEMPTS: i32 = 10;
/// How long a job that ended `done` stays listed (`GET /v1/admin/jobs`) before it is deleted.
pub const DONE_RETENTION: time::Duration = time::Duration::days(7);
/// Jobs deleted per statement by [`crate::Core::sweep_done_jobs`].
const PURGE_BATCH: u32 = 1000;

/// Record the job `payload` (of its kind) to run from `now`, in the caller's transaction.
pub async fn enqueue<P: Payload>(exec: &mut impl Exec, payload: &P, now: OffsetDateTime) -> CoreResult<()> {
    enqueue_with_id(exec, JobId::new(), payload, now).await
}

/// Enqueue a job on behalf of job `parent`. Its id is derived from the parent's, so a parent
/// that runs twice (delivery is at least once) records its children only once.
pub async fn enqueue_child<P: Payload>(
    exec: &mut impl Exec,
    parent: JobId,
    payload: &P,
    now: OffsetDateTime,
) -> CoreResult<()> {
    // The parent's own time (the first 48 bits of a UUID v7), not the clock: a second run of the
    // parent must derive the very same id.
    enqueue_child_keyed(exec, parent, &[], payload, now).await
}

/// [`enqueue_child`] for a parent with several children of one kind, told apart by `key` (a
/// recipient's id, say).
pub async fn enqueue_child_keyed<P: Payload>(
    exec: &mut impl Exec,
    parent: JobId,
    key: &[u8],
    payload: &P,
    now: OffsetDateTime,
) -> CoreResult<()> {
    let parent = parent.as_uuid();
    let b = parent.as_bytes();
    let millis = u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]);
    let id = derived_id::<P>(millis, &[parent.as_bytes(), key]);
    enqueue_with_id(exec, id, payload, now).await
}

/// Record `payload` as THE job of its kind for a subject, or queue that job again if it is no
/// longer waiting (`roster_store::jobs::enqueue_rearm`): for work recomputed whole each run, so
/// that N changes cost one run, not N. The subject is named by `parts` and placed in time by
/// `millis` (the id's time, so claims in id order stay near time order).
pub async fn enqueue_coalesced<P: Payload>(
    exec: &mut impl Exec,
    millis: u64,
    parts: &[&[u8]],
    payload: &P,
    now: OffsetDateTime,
) -> CoreResult<()> {
    let job = new_job(derived_id::<P>(millis, parts), payload, now)?;
    roster_store::jobs::enqueue_rearm(exec, &job).await?;
    Ok(())
}

/// A UUID v7 with the time `millis` and the rest a hash of `parts` and the kind: the same
/// subject always gets the same id.
fn derived_id<P: Payload>(millis: u64, parts: &[&[u8]]) -> JobId {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for part in parts {
        hash.update(part);
    }
    let digest = hash.chain_update(P::KIND.name().as_bytes()).finalize();
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    JobId::from_uuid(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
}

async fn enqueue_with_id<P: Payload>(
    exec: &mut impl Exec,
    id: JobId,
    payload: &P,
    now: OffsetDateTime,
) -> CoreResult<()> {
    roster_store::jobs::enqueue(exec, &new_job(id, payload, now)?).await?;
    Ok(())
}

fn new_job<P: Payload>(id: JobId, payload: &P, now: OffsetDateTime) -> CoreResult<NewJob> {
    let payload = serde_json::to_value(payload)
        .map_err(|e| CoreError::Internal(format!("payload of {}: {e}", P::KIND.name())))?;
    Ok(NewJob {
        id,
        queue: P::KIND.queue(),
        kind: P::KIND.name(),
        payload,
        max_attempts: MAX_ATTEMPTS,
        run_at: now,
        created_at: now,
    })
}

/// Record a `sync.member` job for every account `user` belongs to (its CRM contacts and the
/// accounts' seat counts follow a change of the user).
pub async fn sync_memberships(
    exec: &mut impl Exec,
    user: roster_domain::UserId,
    now: OffsetDateTime,
) -> CoreResult<()> {
    for (membership, _) in roster_store::memberships::of_user(exec, user).await? {
        enqueue(exec, &payload::SyncMember { user_id: user, account_id: membership.account_id }, now).await?;
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
