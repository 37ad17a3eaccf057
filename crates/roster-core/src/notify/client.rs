//! The one HTTP client of the webhooks, and the POST that all of them share.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};

use super::DeliveryError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a refusal's body goes into the error (and so into the job's last error).
const ERROR_BODY_BYTES: usize = 200;

/// A client on rustls with the ring provider, which is installed process-wide here (installing
/// it twice is harmless: the first one stays).
pub(super) fn build() -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        // A webhook answers where it was configured; a redirect is a misconfiguration to see.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// POST `body` as JSON to `url`; success is any 2xx answer.
pub(super) async fn post_json(
    http: &reqwest::Client,
    url: &reqwest::Url,
    body: Vec<u8>,
    extra: Option<(HeaderName, HeaderValue)>,
) -> Result<(), DeliveryError> {
    let mut request = http.post(url.clone()).header(CONTENT_TYPE, "application/json").body(body);
    if let Some((name, value)) = extra {
        request = request.header(name, value);
    }
    let mut response = request.send().await.map_err(|e| DeliveryError::Transport(describe(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut head = Vec::new();
    while head.len() < ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => head.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    head.truncate(ERROR_BODY_BYTES);
    let text = String::from_utf8_lossy(&head);
    let message = format!("HTTP {status}: {}", text.trim());
    // A 4xx says the request itself is wrong (a bad number, an unknown token, a refused key):
    // sending it again cannot help, except for a timeout (408) and "slow down" (429).
    let permanent = status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
    let gone = status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE;
    Err(if gone {
        DeliveryError::Gone(message)
    } else if permanent {
        DeliveryError::Permanent(message)
    } else {
        DeliveryError::Rejected(message)
    })
}

/// reqwest's error with its causes (the top level alone often says only "error sending
/// request"), without the URL, which may carry a provider's key.
pub fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Make ring the process's TLS crypto provider (reqwest and lettre are built without one of
/// their own). Idempotent: a second call keeps the first provider.
pub fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}
