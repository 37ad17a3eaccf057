//! One log line per request, written when the response is ready: request id, method, path,
//! status and latency as fields of one event.
//!
//! No tracing span is opened: the JSON formatter renders a span's fields when it opens and
//! merges them into every event, which cost a token check about 17 % of its throughput (the
//! bench's `profile_vs_healthz`). The request id is kept in a task-local instead, so that the
//! few lines logged inside a request (the causes of 5xx answers) carry it too
//! ([`current_id`]).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::middleware::request_id::REQUEST_ID;

tokio::task_local! {
    static ID: Arc<str>;
}

/// The id of the request this task is serving ("" outside one).
pub fn current_id() -> Arc<str> {
    ID.try_with(Arc::clone).unwrap_or_else(|_| Arc::from(""))
}

pub async fn request_log(request: Request, next: Next) -> Response {
    let id: Arc<str> = Arc::from(request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or(""));
    if !tracing::enabled!(tracing::Level::INFO) {
        return ID.scope(id, next.run(request)).await;
    }
    let start = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = ID.scope(id.clone(), next.run(request)).await;
    tracing::info!(
        request_id = &*id,
        method = method.as_str(),
        path = path.as_str(),
        status = response.status().as_u16(),
        latency_us = start.elapsed().as_micros() as u64,
        "finished processing request"
    );
    response
}
