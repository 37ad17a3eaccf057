//! What every page answers with, and what every form must prove: the headers that keep a page
//! from running foreign script, being framed or cached, the check that a POST comes from a page
//! of ours (`Origin`), and the per-address limit on the forms anyone may post.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use roster_http::AppState;
use roster_http::extract::meta::client_ip;

use crate::render;

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// No script or style but our own files, no framing, no referrer beyond our origin, and nothing
/// cached unless the response says otherwise (a page may hold a token or a secret).
pub(crate) async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `ROSTER_RATE_LIMIT_ANON` on the forms anyone may post (sign-in, sign-up, recovery, the link
/// pages): the same per-address limiter as the API's anonymous endpoints, answered with a page.
pub(crate) async fn anonymous_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let limited = crate::LINK_PAGES.contains(&path)
        || (request.method() == Method::POST && crate::ANONYMOUS_FORMS.contains(&path));
    if !limited {
        return next.run(request).await;
    }
    if let Some(ip) = client_ip(request.extensions(), request.headers(), &state.trusted_proxies)
        && let Err(wait) = state.anon_limit.check(ip)
    {
        return render::too_many(wait);
    }
    next.run(request).await
}

/// Whether a POST comes from a page of ours: its `Origin` is the public URL's origin, or the
/// origin the request was sent to (`Host`). A missing `Origin` is refused: every browser sends it
/// with a form POST.
pub(crate) fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
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
