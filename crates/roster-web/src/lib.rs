//! Roster in the browser: every page that answers HTML. The link pages of the emails
//! (`/verify-email`, `/confirm-email`, `/reset-password`, `/accept-invite`), sign-in and sign-up,
//! recovery, and `/account`, where a person manages their own profile, addresses, phones,
//! password, two-factor authentication, sessions, notifications and data.
//!
//! Pages are clients of the same [`roster_core::Core`] services as the JSON API — never of its
//! handlers — so no rule is written twice. A browser is signed in by a cookie that names a row
//! of the same sessions table as a bearer token (listed, revoked and expired the same way); the
//! cookie never authenticates an API request, and a bearer token never appears in a page. Every
//! state-changing form carries a token bound to the session and must come from our own origin.
//! Templates are askama (compiled into the binary); htmx and the stylesheet are vendored
//! (`assets/`), so the pages work offline and under `default-src 'self'`.

// Handlers and extractors answer a refusal with the page that says it (`Result<_, Response>`).
#![allow(clippy::result_large_err, reason = "a refusal is the response itself")]

mod account;
mod assets;
mod chrome;
mod console;
mod cookies;
mod forms;
mod links;
mod outcome;
mod render;
mod security;
mod sign_in;
mod visitor;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use roster_http::AppState;
use roster_http::error::{ApiError, Code};

/// The pages behind the emailed links: each look at a token counts against the per-address limit
/// of anonymous requests.
const LINK_PAGES: [&str; 4] = ["/verify-email", "/reset-password", "/accept-invite", "/confirm-email"];
/// The forms anyone may post without signing in: each post counts against the same limit.
const ANONYMOUS_FORMS: [&str; 4] = ["/sign-in", "/sign-in/code", "/sign-up", "/recover"];

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(sign_in::home))
        .route("/sign-in", get(sign_in::sign_in_page).post(sign_in::sign_in))
        .route("/sign-in/code", post(sign_in::second_step))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/sign-up", get(sign_in::sign_up_page).post(sign_in::sign_up))
        .route("/recover", get(sign_in::recover_page).post(sign_in::recover))
        .route("/verify-email", get(links::verify_email_page).post(links::verify_email))
        .route("/confirm-email", get(links::confirm_email_page).post(links::confirm_email))
        .route("/reset-password", get(links::reset_password_page).post(links::reset_password))
        .route("/accept-invite", get(links::accept_invite_page).post(links::accept_invite))
        .merge(account::router())
        .merge(console::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::anonymous_limit))
        .layer(map_response(security::page_headers))
        .merge(assets::router())
        .fallback(fallback)
        .method_not_allowed_fallback(|| async {
            ApiError::new(Code::MethodNotAllowed, "this route does not take that method")
        })
        .with_state(state)
}

/// What answers a path nobody serves: a page for a browser, problem+json for the API and for
/// every client that does not ask for HTML.
async fn fallback(request: Request) -> Response {
    let wants_page = !request.uri().path().starts_with("/v1/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && matches!(*request.method(), Method::GET | Method::HEAD) {
        return security::page_headers(render::not_found()).await;
    }
    ApiError::new(Code::NotFound, "no such route").into_response()
}
