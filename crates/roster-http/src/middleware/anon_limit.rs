//! `ROSTER_RATE_LIMIT_ANON`: requests per minute per client address to the API without a bearer
//! token — sign-up, login, MFA, recovery, verification — answered 429 `rate_limited` with
//! `Retry-After` once over (the web pages anyone may use count against the same limiter, through
//! [`AnonLimit::check`]). In memory per instance (governor's
//! keyed GCRA), which is what it is for: a cheap first brake in front of the database-counted
//! limits of the sign-in itself (roster-core's auth::limits), which hold across instances.
//!
//! The client address follows `ROSTER_TRUSTED_PROXIES` like everywhere else. Signed-in requests,
//! health checks, metrics and the API documents are not limited here.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppState;
use crate::error::{ApiError, Code};
use crate::extract::meta::client_ip;

/// Addresses remembered before the idle ones are forgotten.
const FORGET_ABOVE: usize = 100_000;

/// The per-address limiter, or none when `ROSTER_RATE_LIMIT_ANON=0`.
#[derive(Clone)]
pub struct AnonLimit(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl AnonLimit {
    /// `n` requests per minute per address; 0 turns the limit off.
    pub fn per_minute(n: u32) -> Self {
        Self(NonZeroU32::new(n).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))))
    }

    /// Count one request from `ip`: `Err(seconds)` to wait when it is over the limit. The web
    /// pages anyone may post to share this limiter with the API.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.0 else { return Ok(()) };
        if let Err(not_until) = limiter.check_key(&ip) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1));
        }
        if limiter.len() > FORGET_ABOVE {
            limiter.retain_recent();
        }
        Ok(())
    }
}

/// Whether a request to `path` is limited: always for the API's endpoints that never take a
/// token (an `Authorization` header they ignore must not buy a way around the limit); for the
/// rest of the API, when no `Authorization` header comes with it.
fn limited(path: &str, has_token: bool) -> bool {
    let token_free = crate::token_free::PUBLIC.iter().any(|(_, p)| *p == path && p.starts_with("/v1/"));
    token_free || (!has_token && path.starts_with("/v1/"))
}

pub async fn anon_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let has_token = request.headers().contains_key(header::AUTHORIZATION);
    if state.anon_limit.0.is_none() || !limited(request.uri().path(), has_token) {
        return next.run(request).await;
    }
    let Some(ip) = client_ip(request.extensions(), request.headers(), &state.trusted_proxies) else {
        return next.run(request).await;
    };
    if let Err(seconds) = state.anon_limit.check(ip) {
        return ApiError::new(Code::RateLimited, "too many requests from this address; retry later")
            .retry_after(seconds)
            .into_response();
    }
    next.run(request).await
}
