//! The two cookies a browser holds: the session (the token of a row of the sessions table) and,
//! for the five minutes between the password and the code, the second step's token. Both are
//! `HttpOnly` and `SameSite=Lax` on path `/`; when the public URL is https they are `Secure` and
//! carry the `__Host-` prefix (no subdomain and no plain-http page can set or shadow them).

use axum::http::{HeaderMap, HeaderValue, header};
use time::Duration;

#[derive(Clone, Copy)]
pub(crate) enum Cookie {
    Session,
    SecondStep,
}

impl Cookie {
    pub(crate) fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Self::Session, true) => "__Host-roster_session",
            (Self::Session, false) => "roster_session",
            (Self::SecondStep, true) => "__Host-roster_mfa",
            (Self::SecondStep, false) => "roster_mfa",
        }
    }
}

/// Whether the cookies are `Secure` (and `__Host-`): the public URL is https.
pub(crate) fn secure(public_url: &str) -> bool {
    public_url.starts_with("https://")
}

/// The value of `cookie` in a request, if it came with one.
pub(crate) fn read(headers: &HeaderMap, cookie: Cookie, secure: bool) -> Option<String> {
    let name = cookie.name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` that stores `value` for `max_age`.
pub(crate) fn set(cookie: Cookie, secure: bool, value: &str, max_age: Duration) -> HeaderValue {
    header_value(cookie, secure, value, max_age.whole_seconds().max(0))
}

/// A `Set-Cookie` that removes the cookie.
pub(crate) fn clear(cookie: Cookie, secure: bool) -> HeaderValue {
    header_value(cookie, secure, "", 0)
}

fn header_value(cookie: Cookie, secure: bool, value: &str, max_age: i64) -> HeaderValue {
    let secure_attr = if secure { "; Secure" } else { "" };
    let text =
        format!("{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure_attr}", cookie.name(secure));
    // Tokens are URL-safe base64: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("roster_invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_read_among_others_by_its_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "other=1; xroster_session=no; roster_session=abc".parse().unwrap());
        assert_eq!(read(&headers, Cookie::Session, false).as_deref(), Some("abc"));
        assert_eq!(read(&headers, Cookie::Session, true), None);
    }

    #[test]
    fn over_https_the_cookie_is_secure_and_host_only() {
        let value = set(Cookie::Session, true, "tok", Duration::days(1));
        let text = value.to_str().unwrap();
        assert!(text.starts_with("__Host-roster_session=tok; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax"));
        assert!(text.ends_with("; Secure"));
        let plain = set(Cookie::Session, false, "tok", Duration::days(1));
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}
