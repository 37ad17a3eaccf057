//! The background work a change records (transactional outbox). The queue manager runs these;
//! here they are only written, in the same transaction as the change that causes them.

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
}

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
    /// Starts the user's analytics record.
    pub const ANALYTICS_INIT: JobKind = JobKind { queue: queue::ANALYTICS, name: "analytics.init" };
}

/// Attempts before a job is declared dead.
const MAX_ATTEMPTS: i32 = 10;

pub async fn enqueue(
    exec: &mut impl Exec,
    kind: JobKind,
    payload: serde_json::Value,
    now: OffsetDateTime,
) -> CoreResult<()> {
    let job = NewJob {
        id: uuid::Uuid::now_v7(),
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
