//! The pages behind the emailed links (API.md §8): `/verify-email`, `/reset-password`,
//! `/accept-invite` and `/confirm-email`, each `?token=`. Small server-rendered pages (askama
//! templates in `templates/pages/`, compiled into the binary), clients of the same core services
//! as the API; the web console will restyle and extend them here.
//!
//! A GET never consumes a token — mail scanners open links — it only looks whether the token is
//! still good and shows a button or a form; the POST of that form does the work. No script runs
//! (`Content-Security-Policy: default-src 'self'`), no page may be framed, and each POST must
//! come from a page of ours (`Origin`): the token in the form is the credential, no session or
//! cookie is involved.

mod links;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// The link pages, for the per-address limit of anonymous requests.
pub const PATHS: [&str; 4] = ["/verify-email", "/reset-password", "/accept-invite", "/confirm-email"];

const CSS: &str = include_str!("../../templates/pages/pages.css");

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/verify-email", get(links::verify_email_page).post(links::verify_email))
        .route("/confirm-email", get(links::confirm_email_page).post(links::confirm_email))
        .route("/reset-password", get(links::reset_password_page).post(links::reset_password))
        .route("/accept-invite", get(links::accept_invite_page).post(links::accept_invite))
        .route("/assets/pages.css", get(css))
        .layer(map_response(page_headers))
        .with_state(state)
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

/// What every page answers with: no script, no framing, no referrer beyond our origin, nothing
/// cached (a page may hold a token in its form).
async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether a POST comes from a page of ours: its `Origin` is the public URL's origin, or the
/// origin the request was sent to (`Host`). A missing `Origin` is refused: every browser sends it
/// with a form POST.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    if origin == origin_of(public_url) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// A rendered page with its status.
fn page(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "something went wrong on our side").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_scheme_host_and_port_of_a_url() {
        assert_eq!(origin_of("https://id.example.com/base/"), "https://id.example.com");
        assert_eq!(origin_of("http://localhost:8080"), "http://localhost:8080");
    }

    #[test]
    fn a_post_passes_only_from_our_own_origin() {
        let with = |origin: Option<&str>, host: &str| {
            let mut h = HeaderMap::new();
            if let Some(o) = origin {
                h.insert(header::ORIGIN, o.parse().unwrap());
            }
            h.insert(header::HOST, host.parse().unwrap());
            same_origin(&h, "https://id.example.com")
        };
        assert!(with(Some("https://id.example.com"), "internal:8080"));
        assert!(with(Some("http://127.0.0.1:9000"), "127.0.0.1:9000"));
        assert!(!with(Some("https://evil.example"), "127.0.0.1:9000"));
        assert!(!with(Some("null"), "127.0.0.1:9000"));
        assert!(!with(None, "127.0.0.1:9000"));
    }
}
