//! The background queues and the states of their jobs, as the jobs table stores them and
//! `/v1/admin/jobs` filters and shows them.

use crate::named::named_enum;

named_enum! {
    /// A queue of background work; each has its own workers and its own switch.
    #[cfg_attr(feature = "openapi", schema(as = QueueName))]
    pub enum Queue {
        Onboarding = "onboarding",
        Notifications = "notifications",
        Analytics = "analytics",
        Sync = "sync",
    }
}

named_enum! {
    /// Where a job is in its life: waiting (new or to be retried), held by a worker, finished,
    /// or given up after its last attempt.
    pub enum JobStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Dead = "dead",
    }
}
