//! `ROSTER_SMTP_URL` into a lettre transport. The forms (API.md §2):
//!
//! | URL | connection |
//! | --- | --- |
//! | `smtp://host:port` | plain, no TLS (local relays, the test sink); port 25 by default |
//! | `smtp://user:pass@host:port?tls=required` (or `tls=starttls`) | STARTTLS, refused without it; port 587 |
//! | `smtp://...?tls=opportunistic` | STARTTLS when the server offers it |
//! | `smtps://user:pass@host:port` | implicit TLS; port 465 |
//!
//! User and password are percent-decoded; a path (`smtp://host/ehlo.name`) names this host in
//! `EHLO`. Certificates are checked against the system's roots.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use percent_encoding::percent_decode_str;

/// How long one SMTP command may take (connecting included).
const TIMEOUT: Duration = Duration::from_secs(15);

/// The transport for `url`; errors never repeat the URL (it may hold a password).
pub(super) fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let url = reqwest::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    let host = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']')).unwrap_or_default();
    if host.is_empty() {
        return Err("no host".into());
    }
    let tls_mode = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS set-up failed: {e}"));
    let (port, tls) = match (url.scheme(), tls_mode.as_deref()) {
        ("smtp", None | Some("none")) => (25, Tls::None),
        ("smtp", Some("required" | "starttls")) => (587, Tls::Required(tls(host)?)),
        ("smtp", Some("opportunistic")) => (587, Tls::Opportunistic(tls(host)?)),
        ("smtps", None | Some("implicit" | "wrapper")) => (465, Tls::Wrapper(tls(host)?)),
        (scheme @ ("smtp" | "smtps"), Some(mode)) => return Err(format!("unknown tls={mode:?} for {scheme}://")),
        (scheme, _) => return Err(format!("unknown scheme {scheme:?} (use smtp:// or smtps://)")),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(url.port().unwrap_or(port))
        .tls(tls)
        .timeout(Some(TIMEOUT));
    if !url.username().is_empty() {
        let decode = |s: &str| {
            percent_decode_str(s).decode_utf8().map(|s| s.into_owned()).map_err(|_| "credentials are not UTF-8")
        };
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or_default())?;
        builder = builder.credentials(Credentials::new(user, password));
    }
    let name = url.path().trim_matches('/');
    if !name.is_empty() {
        builder = builder.hello_name(ClientId::Domain(name.to_owned()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://user:p%40ss@mail.example.com:587?tls=required",
            "smtp://user:pass@mail.example.com?tls=starttls",
            "smtp://mail.example.com?tls=opportunistic",
            "smtps://user:pass@mail.example.com:465",
            "smtps://mail.example.com",
            "smtp://[::1]:2525/roster.example.com",
        ] {
            assert!(transport(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn refuses_others_without_echoing_secrets() {
        for url in ["http://user:hunter2@host", "smtp://user:hunter2@host?tls=maybe", "smtp://", "hunter2", ""] {
            let Err(e) = transport(url) else { panic!("{url} accepted") };
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
