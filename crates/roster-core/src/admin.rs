//! Operations for platform admins: the jobs of every queue, running a failed one again, and the
//! whole audit trail.

use roster_domain::activity::Action;
use roster_domain::{AccountId, FieldErrors, JobId, UserId};
use roster_store::Ts;
use roster_store::activities::{self, AuditFilter};
use roster_store::job_queue;
pub use roster_store::job_queue::JobView;

use crate::activity::ActivityPage;
use crate::error::{Clash, CoreError, CoreResult, Denied};
use crate::jobs::{JobStatus, Queue};
use crate::paging::time_filter;
use crate::{Actor, Core};

pub struct JobPage {
    pub jobs: Vec<JobView>,
    pub next_cursor: Option<String>,
}

/// The value a filter names, if one is named; a name that is none of its values is the field's
/// error (`invalid_<field>`).
fn filter<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    name: Option<&str>,
    parse: fn(&str) -> Option<T>,
    message: &str,
) -> Option<T> {
    let parsed = parse(name?);
    if parsed.is_none() {
        errors.add(field, format!("invalid_{field}"), message);
    }
    parsed
}

fn require_platform_admin(actor: &Actor) -> CoreResult<()> {
    if actor.user.platform_admin { Ok(()) } else { Err(CoreError::Forbidden(Denied::PlatformAdminOnly)) }
}

impl Core {
    /// `GET /v1/admin/jobs?status=&queue=`: newest first, paginated.
    pub async fn list_jobs(
        &self,
        actor: &Actor,
        status: Option<&str>,
        queue: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<JobPage> {
        require_platform_admin(actor)?;
        let mut errors = FieldErrors::new();
        let status = filter(&mut errors, "status", status, JobStatus::parse, "must be queued, running, done or dead");
        let queue =
            filter(&mut errors, "queue", queue, Queue::parse, "must be onboarding, notifications, analytics or sync");
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let context = format!("jobs:{}:{}", status.map_or("", JobStatus::as_str), queue.map_or("", Queue::as_str));
        let before = self.cursor_id(&context, cursor)?;
        let mut conn = self.db.conn().await?;
        let mut jobs = job_queue::list(&mut conn, status, queue, before, limit).await?;
        let next_cursor = if jobs.len() > limit as usize {
            jobs.truncate(limit as usize);
            jobs.last().map(|last| self.seal_id(&context, last.id))
        } else {
            None
        };
        Ok(JobPage { jobs, next_cursor })
    }

    /// `POST /v1/admin/jobs/:id/retry`: a dead job, or a failed one waiting for its next try,
    /// runs again now with a fresh set of attempts. Anything else → 409.
    pub async fn retry_job(&self, actor: &Actor, id: JobId) -> CoreResult<JobView> {
        require_platform_admin(actor)?;
        let mut tx = self.db.begin().await?;
        if job_queue::find(&mut tx, id).await?.is_none() {
            return Err(CoreError::NotFound);
        }
        if !job_queue::retry(&mut tx, id, Ts::new(self.now())).await? {
            return Err(CoreError::Conflict(Clash::JobNotRetryable));
        }
        let job = job_queue::find(&mut tx, id).await?.ok_or(CoreError::NotFound)?;
        self.commit(tx).await?;
        Ok(job)
    }
}

/// What `GET /v1/admin/audit` selects (every part optional; the times RFC 3339).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_id: Option<UserId>,
    pub user_id: Option<UserId>,
    pub account_id: Option<AccountId>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Core {
    /// `GET /v1/admin/audit`: the entries of every user's trail that the query selects, newest
    /// first, paginated, with their addresses and agents (platform admins).
    pub async fn audit(
        &self,
        actor: &Actor,
        query: &AuditQuery,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<ActivityPage> {
        require_platform_admin(actor)?;
        let mut errors = FieldErrors::new();
        let action = filter(
            &mut errors,
            "action",
            query.action.as_deref(),
            Action::parse,
            "must be an audit action such as user.updated",
        );
        let from = time_filter(&mut errors, "from", query.from.as_deref());
        let to = time_filter(&mut errors, "to", query.to.as_deref());
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let filter =
            AuditFilter { actor: query.actor_id, user: query.user_id, account: query.account_id, action, from, to };
        let context = format!("audit:{filter:?}");
        let before = self.cursor_id(&context, cursor)?;
        let mut conn = self.db.conn().await?;
        let mut entries = activities::search(&mut conn, &filter, before, limit).await?;
        let next_cursor = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|last| self.seal_id(&context, last.id))
        } else {
            None
        };
        Ok(ActivityPage { entries, next_cursor })
    }
}
