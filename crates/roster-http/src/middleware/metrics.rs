//! Prometheus metrics: request counts and latency histograms by route template and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

const LATENCY: &str = "http_request_duration_seconds";
const REQUESTS: &str = "http_requests_total";

/// Install the process-wide recorder (the `metrics` facade has exactly one) and return the
/// handle that renders it. Histogram buckets span 0.5 ms to 10 s.
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    let buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    // Jobs wait for retries: their delivery latency spans seconds to hours.
    let job_buckets = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &buckets)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full("roster_job_run_seconds".to_owned()), &buckets))
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full("roster_job_delivery_seconds".to_owned()), &job_buckets))
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())
}

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Held for the whole request: this process's workers yield while requests are in flight.
    let _in_flight = state.core.request_started();
    let start = Instant::now();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(LATENCY, &labels).record(start.elapsed().as_secs_f64());
    response
}
