//! `/v1/admin`: operations for platform admins.

use crate::openapi::lazy::routes;
use axum::extract::State;
use roster_core::admin::AuditQuery;
use roster_domain::activity::Action;
use roster_domain::job::{JobStatus, Queue};
use roster_domain::{AccountId, JobId, UserId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Query};
use crate::views::Page;
use crate::views::activity::AuditEntryView;
use crate::views::jobs::JobView;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_jobs)).routes(routes!(retry_job)).routes(routes!(audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct JobsQuery {
    #[param(value_type = Option<JobStatus>)]
    status: Option<String>,
    #[param(value_type = Option<Queue>)]
    queue: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page (else 400); empty or absent: the first page.
    cursor: Option<String>,
}

/// List background jobs.
///
/// Jobs of every queue, newest first (platform admins). Done jobs are kept 7 days; dead ones
/// until retried.
#[utoipa::path(get, path = "/v1/admin/jobs", tag = "admin", params(JobsQuery),
    responses((status = 200, body = Page<JobView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn list_jobs(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<JobsQuery>,
) -> ApiResult<axum::Json<Page<JobView>>> {
    let page =
        state.core.list_jobs(&actor, q.status.as_deref(), q.queue.as_deref(), q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(Page::new(page.jobs.into_iter().map(JobView::from).collect(), page.next_cursor)))
}

/// Retry a job.
///
/// Runs a dead or failed job again now, with a fresh set of attempts (platform admins).
#[utoipa::path(post, path = "/v1/admin/jobs/{id}/retry", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retry_job(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<JobId>,
) -> ApiResult<axum::Json<JobView>> {
    Ok(axum::Json(JobView::from(state.core.retry_job(&actor, id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Entries of changes this user made.
    actor_id: Option<Uuid>,
    /// Entries about this user.
    user_id: Option<Uuid>,
    /// Entries in this account.
    account_id: Option<Uuid>,
    #[param(value_type = Option<Action>)]
    action: Option<String>,
    /// Entries at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Entries before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, with the same filters (else 400); empty or absent:
    /// the first page.
    cursor: Option<String>,
}

/// Search the audit trail.
///
/// The entries of every user's audit trail, newest first, selected by who acted (`actor_id`),
/// whom it was about (`user_id`), the account, the action and a time window (`from` inclusive,
/// `to` exclusive), with the addresses and agents they were made from (platform admins). An
/// unknown action → 422 `invalid_action`; a time that is not RFC 3339 → 422 `invalid_datetime`.
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = Page<AuditEntryView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn audit(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<AuditParams>,
) -> ApiResult<axum::Json<Page<AuditEntryView>>> {
    let query = AuditQuery {
        actor_id: q.actor_id.map(UserId::from_uuid),
        user_id: q.user_id.map(UserId::from_uuid),
        account_id: q.account_id.map(AccountId::from_uuid),
        action: q.action,
        from: q.from,
        to: q.to,
    };
    let page = state.core.audit(&actor, &query, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(Page::new(page.entries.into_iter().map(AuditEntryView::from).collect(), page.next_cursor)))
}
