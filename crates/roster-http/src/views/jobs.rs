//! Background jobs as operators see them (never their payload: it may hold personal data).

use roster_domain::job::{JobStatus, Queue};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rfc3339;

/// A background job as operators see it (its payload is not shown: it may hold personal data).
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    pub queue: Queue,
    pub kind: String,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub run_at: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<roster_core::admin::JobView> for JobView {
    fn from(j: roster_core::admin::JobView) -> Self {
        Self {
            id: j.id.as_uuid(),
            queue: j.queue,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            run_at: rfc3339(j.run_at.get()),
            created_at: rfc3339(j.created_at.get()),
            updated_at: rfc3339(j.updated_at.get()),
        }
    }
}
