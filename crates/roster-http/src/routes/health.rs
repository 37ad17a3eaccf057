//! Operations: liveness, readiness, metrics.

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Code, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// Liveness.
///
/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Readiness.
///
/// The database answers and carries this build's schema (all migrations applied).
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Problem)))]
async fn readyz(State(state): State<AppState>) -> ApiResult<axum::Json<Health>> {
    state.core.ready().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::new(Code::Unavailable, "the database is not reachable or not migrated")
    })?;
    Ok(axum::Json(Health { status: "ready" }))
}

/// Metrics.
///
/// Prometheus text format: requests by route and status, latency histograms, jobs by queue and
/// state.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}
