//! `Idempotency-Key` on POST (API.md §1): the first response for a key and caller is stored and
//! replayed for 24 hours; the same key with another body → 422 `idempotency_key_reused`.
//!
//! A route whose responses carry a secret (a bearer token; later TOTP seeds and recovery codes)
//! declares it where the route is built, with the [`never_stored`] layer: its responses are
//! marked, and a marked response is never stored (the key is released instead), whatever its
//! path.

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use roster_core::idempotency::{Claim, StoredResponse};

use crate::AppState;
use crate::error::{ApiError, Code};
use crate::extract::auth::bearer;
use crate::extract::meta::client_ip;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Headers worth replaying with a stored response (a replayed 401 must still carry
/// `WWW-Authenticate: Bearer`, API.md §1).
const KEPT_HEADERS: [HeaderName; 4] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG, header::WWW_AUTHENTICATE];

/// The mark of a response that must never be stored (see [`never_stored`]).
#[derive(Debug, Clone, Copy)]
struct NeverStored;

/// For the routes whose responses carry a secret, as `.layer(map_response(never_stored))`:
/// every response of theirs, errors included, is marked so that the idempotency layer never
/// stores it, and carries `Cache-Control: no-store` so that no client or proxy keeps it either
/// (RFC 6749 §5.1 asks this of token responses). A retried login, say, simply opens another
/// session.
pub async fn never_stored(mut response: Response) -> Response {
    response.extensions_mut().insert(NeverStored);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    // Checked on every POST, also where nothing is stored: the same key means the same everywhere.
    let printable = |k: &str| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let Some(key) = key.to_str().ok().filter(|k| printable(k)).map(str::to_owned) else {
        return ApiError::new(Code::BadRequest, "Idempotency-Key must be 1–255 printable ASCII characters")
            .into_response();
    };
    // Taken out before awaiting: a request body is not Sync, so no borrow of the request may
    // cross an await.
    let token = bearer(request.headers()).map(str::to_owned);
    // Without the token its route needs, the request is refused (401) before its key means
    // anything: such refusals are neither stored nor replayed.
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    if token.is_none() && route.is_some_and(|route| crate::token_free::needs_token("post", &route)) {
        return next.run(request).await;
    }
    let ip = client_ip(request.extensions(), request.headers(), &state.trusted_proxies);
    let Some(caller) = caller(&state, token, ip).await else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match crate::extract::body::read_body(body).await {
        Ok(bytes) => bytes,
        Err(err) => return err.into_response(),
    };
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let print = state.core.idempotency_fingerprint(parts.method.as_str(), path, &bytes);
    match state.core.idempotency_claim(&caller, &key, &print).await {
        Err(err) => ApiError::from(err).into_response(),
        Ok(Claim::Replay(stored)) => replay(stored),
        Ok(Claim::Proceed) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            remember(&state, &caller, &key, response).await
        }
    }
}

/// Keys are scoped to the signed-in user, or to the client address when anonymous. A request
/// whose token does not authenticate is not idempotent: it gets its 401 afresh, never a replay.
async fn caller(state: &AppState, token: Option<String>, ip: Option<std::net::IpAddr>) -> Option<String> {
    match token {
        Some(token) => state
            .core
            .authenticate(&token, None)
            .await
            .ok()
            .map(|actor| roster_core::idempotency::user_caller(actor.user.id)),
        None => Some(format!("anon:{}", ip.map(|ip| ip.to_string()).unwrap_or_default())),
    }
}

async fn remember(state: &AppState, caller: &str, key: &str, response: Response) -> Response {
    let status = response.status();
    let secret = response.extensions().get::<NeverStored>().is_some();
    if secret || status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        // A secret is never kept. A failure on our side, or "slow down", is not an answer: the
        // client may retry with the same key and get the real one.
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
        .filter_map(|name| {
            parts.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_owned()))
        })
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
