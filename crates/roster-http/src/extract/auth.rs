//! The signed-in caller: `Authorization: Bearer TOKEN`, checked on every request against the
//! database or a cache it invalidates (a revoked session or a changed scope takes effect at once,
//! on every instance), plus `X-Account-Id`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use roster_core::{Actor, CoreError};
use roster_domain::AccountId;

use crate::AppState;
use crate::error::{ApiError, Code};

/// A signed-in caller (401 otherwise).
pub struct Auth(pub Actor);

/// A caller who may or may not be signed in. A token that is present but invalid is still 401:
/// silently treating it as anonymous would surprise the client.
pub struct MaybeAuth(pub Option<Actor>);

pub const ACCOUNT_HEADER: &str = "x-account-id";

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn resolve(parts: &Parts, state: &AppState, token: &str) -> Result<Actor, ApiError> {
    let account = match parts.headers.get(ACCOUNT_HEADER) {
        None => None,
        Some(value) => {
            let id = value
                .to_str()
                .ok()
                .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
                .ok_or_else(|| ApiError::new(Code::BadRequest, "X-Account-Id must be an account id"))?;
            Some(AccountId::from_uuid(id))
        }
    };
    state.core.authenticate(token, account).await.map_err(ApiError::from)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(CoreError::Unauthenticated)?;
        resolve(parts, state, token).await.map(Auth)
    }
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let token = bearer(&parts.headers).ok_or(CoreError::Unauthenticated)?;
            return resolve(parts, state, token).await.map(|actor| MaybeAuth(Some(actor)));
        }
        Ok(MaybeAuth(None))
    }
}
