//! Roster's HTTP layer: routes, extractors, problem+json errors, OpenAPI. Handlers extract and
//! validate input, call ONE service method of [`roster_core::Core`], and map the result.

pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
mod query;
pub mod routes;
pub mod server;
mod token_free;
pub mod views;

use std::net::IpAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use roster_core::Core;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

use crate::error::{ApiError, Code};
use crate::middleware::request_id::{MakeId, REQUEST_ID, acceptable};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub trusted_proxies: Vec<IpAddr>,
    pub metrics: PrometheusHandle,
    /// `ROSTER_RATE_LIMIT_ANON`: requests per minute per address without a bearer token.
    pub anon_limit: middleware::anon_limit::AnonLimit,
}

pub use extract::body::BODY_LIMIT;

/// The whole API as one router, with `pages` (the web crate's router, which also brings the
/// answer for paths nobody serves) behind the same shared layers: request id, logging, metrics,
/// the anonymous limit, panics caught, body and header limits.
pub fn router(state: AppState, pages: Router) -> Router {
    let (api, _) = openapi::api_router().split_for_parts();
    let facts = openapi::Facts { password_min_length: state.core.config.password_policy.min_length };
    let api = api
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::idempotency::idempotency))
        .method_not_allowed_fallback(|| async {
            ApiError::new(Code::MethodNotAllowed, "this route does not take that method")
        })
        .with_state(state.clone());
    api.merge(pages)
        // Outside the idempotency layer: a 429 from here is never stored.
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::anon_limit::anon_limit))
        .layer(axum::middleware::from_fn_with_state(state, middleware::metrics::track))
        .merge(openapi::docs(facts))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!(request_id = &*middleware::request_log::current_id(), "a request handler panicked");
            ApiError::new(Code::Internal, "something went wrong on our side").into_response()
        }))
        .layer(axum::middleware::from_fn(middleware::single_headers::single_headers))
        .layer(axum::middleware::from_fn(middleware::head_limit::head_limit))
        .layer(axum::middleware::from_fn(middleware::request_log::request_log))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeId))
        .layer(axum::middleware::from_fn(drop_unacceptable_request_id))
}

/// Refuse to echo request ids that could forge log lines; a fresh one is generated instead.
async fn drop_unacceptable_request_id(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.headers().get(&REQUEST_ID).is_some_and(|v| !acceptable(v)) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// How often the Prometheus exporter drains its histograms (it has no listener of its own).
pub const METRICS_UPKEEP: Duration = Duration::from_secs(5);
