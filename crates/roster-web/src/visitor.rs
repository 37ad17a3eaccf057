//! The signed-in person of a page: the session cookie checked against the sessions table on
//! every request, exactly as a bearer token is (a revoked or expired session signs the browser
//! out at once, on every instance). Without a good cookie a page redirects to `/sign-in`, which
//! brings the person back afterwards.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::{Actor, CoreError};
use roster_http::AppState;

use crate::cookies::{self, Cookie};
use crate::render;

pub(crate) struct Visitor {
    pub actor: Actor,
    /// The token every form of this session's pages carries.
    pub form_token: String,
}

/// A person who may or may not be signed in.
pub(crate) struct MaybeVisitor(pub Option<Visitor>);

/// A redirect to the sign-in page that returns to `back` (a path of ours) afterwards.
pub(crate) fn to_sign_in(back: &str) -> Response {
    let location = if back == "/account" || !is_local_path(back) {
        "/sign-in".to_owned()
    } else {
        format!("/sign-in?next={}", encode(back))
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Whether `path` is a path of this site, safe to redirect to (not `//host`, not a URL).
pub(crate) fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
}

fn encode(text: &str) -> String {
    serde_urlencoded::to_string([("n", text)]).map(|s| s[2..].to_owned()).unwrap_or_default()
}

async fn visitor(parts: &Parts, state: &AppState) -> Result<Option<Visitor>, Response> {
    let secure = cookies::secure(&state.core.config.public_url);
    let Some(token) = cookies::read(&parts.headers, Cookie::Session, secure) else { return Ok(None) };
    match state.core.authenticate(&token, None).await {
        Ok(actor) => Ok(Some(Visitor { form_token: state.core.form_token(&actor), actor })),
        Err(CoreError::Unauthenticated) => Ok(None),
        Err(err) => Err(render::core_error(err)),
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(visitor) = visitor(parts, state).await? {
            return Ok(visitor);
        }
        // A form posted after the session ended comes back to the page, not to the post.
        let back = match parts.method {
            axum::http::Method::GET => parts.uri.path_and_query().map_or("/account", |p| p.as_str()),
            _ => "/account",
        };
        let mut response = to_sign_in(back);
        let secure = cookies::secure(&state.core.config.public_url);
        response.headers_mut().append(header::SET_COOKIE, cookies::clear(Cookie::Session, secure));
        Err(response)
    }
}

impl FromRequestParts<AppState> for MaybeVisitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        visitor(parts, state).await.map(MaybeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_places_to_come_back_to() {
        assert!(is_local_path("/account?x=1"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
    }
}
