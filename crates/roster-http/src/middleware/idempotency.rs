//! `Idempotency-Key` on POST (API.md §1): the first response for a key and caller is stored and
//! replayed for 24 hours; the same key with another body → 422 `idempotency_key_reused`.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use roster_core::idempotency::{Claim, StoredResponse, fingerprint};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, Code};
use crate::extract::auth::bearer;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
const BODY_LIMIT: usize = 1024 * 1024;
/// Headers worth replaying with a stored response.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    let Some(key) = key.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 255).map(str::to_owned) else {
        return ApiError::new(Code::BadRequest, "Idempotency-Key must be 1–255 visible ASCII characters").into_response();
    };
    let caller = caller(&request);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(Code::PayloadTooLarge, "the body must be at most 1 MiB").into_response();
    };
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let print = fingerprint(parts.method.as_str(), path, &bytes);
    match state.core.idempotency_claim(&caller, &key, &print).await {
        Err(err) => ApiError::from(err).into_response(),
        Ok(Claim::Replay(stored)) => replay(stored),
        Ok(Claim::Proceed) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            remember(&state, &caller, &key, response).await
        }
    }
}

/// Keys are scoped to the credentials that used them, or to the client address when anonymous.
fn caller(request: &Request) -> String {
    if let Some(token) = bearer(request.headers()) {
        let digest = Sha256::digest(token.as_bytes());
        return format!("token:{}", hex(&digest));
    }
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    format!("anon:{peer}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn remember(state: &AppState, caller: &str, key: &str, response: Response) -> Response {
    let status = response.status();
    if status.is_server_error() {
        // A failure on our side is not an answer: let the client retry with the same key.
        if let Err(err) = state.core.idempotency_release(caller, key).await {
            tracing::warn!(error = %err, "could not release idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_owned())))
        .collect();
    let stored = StoredResponse { status: status.as_u16(), headers, body: bytes.to_vec() };
    if let Err(err) = state.core.idempotency_complete(caller, key, &stored).await {
        tracing::warn!(error = %err, "could not store idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
