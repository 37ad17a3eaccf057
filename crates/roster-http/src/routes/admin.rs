//! `/v1/admin`: operations for platform admins.

use crate::openapi::lazy::routes;
use axum::extract::State;
use roster_domain::JobId;
use roster_domain::job::{JobStatus, Queue};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Query};
use crate::views::Page;
use crate::views::jobs::JobView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_jobs)).routes(routes!(retry_job))
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
