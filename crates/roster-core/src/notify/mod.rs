//! Delivery of what Roster tells the outside world: email (SMTP or `.eml` files), SMS and push
//! through provider webhooks, and signed domain events (API.md §2, §8, §9).
//!
//! This module only delivers: it decides nothing and retries nothing. The job engine calls one
//! `send_*` method per attempt and reads the [`DeliveryError`] to record a failure and retry.

mod client;
mod events;
mod mail;
mod smtp;
mod templates;
mod webhook;

#[cfg(test)]
mod tests;

pub use client::{describe as describe_http_error, install_crypto_provider};
use std::path::PathBuf;
use std::sync::Arc;

use lettre::message::Mailbox;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use events::{Event, signature};
pub use mail::Mail;
pub use templates::Template;

/// Where and how to deliver; built from `ROSTER_*` settings (API.md §2).
/// No `Debug`: the SMTP URL may hold a password and the events secret is one; neither may reach
/// a log line by way of `{:?}`.
#[derive(Clone)]
pub struct NotifyConfig {
    /// `ROSTER_PUBLIC_URL`: the base of every link in a message.
    pub public_url: String,
    /// `ROSTER_SMTP_URL`: `smtp://host:port`, `smtp://user:pass@host:port?tls=required|starttls`,
    /// `smtps://user:pass@host:port`; unset: mail goes to `.eml` files in `mail_dir`.
    pub smtp_url: Option<String>,
    /// `ROSTER_MAIL_DIR`: where `.eml` files go when there is no SMTP server.
    pub mail_dir: PathBuf,
    /// `ROSTER_MAIL_FROM`: the sender, e.g. `Roster <no-reply@localhost>`.
    pub mail_from: String,
    /// `ROSTER_SMS_WEBHOOK_URL`
    pub sms_webhook_url: Option<String>,
    /// `ROSTER_PUSH_WEBHOOK_URL`
    pub push_webhook_url: Option<String>,
    /// `ROSTER_EVENTS_WEBHOOK_URL`
    pub events_webhook_url: Option<String>,
    /// `ROSTER_EVENTS_SECRET`: the HMAC key of `Roster-Signature`.
    pub events_secret: Option<String>,
}

/// Why one delivery attempt failed. `Rejected` and `Transport` are worth retrying (a provider
/// that is down or refuses now may accept later); `NotConfigured` is not, until an operator sets
/// the variable it names.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The channel has no destination configured (names the variable to set).
    #[error("{0} is not set")]
    NotConfigured(&'static str),
    /// Refused for good, so another try would get the same answer: an SMTP 5xx, an HTTP 4xx
    /// other than 408 and 429, a recipient or message that cannot be sent at all.
    #[error("refused: {0}")]
    Permanent(String),
    /// The receiver answered 404 or 410: what the message was addressed to is gone (a push
    /// token the provider no longer knows).
    #[error("gone: {0}")]
    Gone(String),
    /// The receiver answered with a failure worth another try later: HTTP 5xx, 408 or 429 (the
    /// status and the start of the body).
    #[error("rejected: {0}")]
    Rejected(String),
    /// The receiver could not be reached or did not answer in time, or the SMTP dialogue failed.
    #[error("transport failure: {0}")]
    Transport(String),
}

/// The delivery side of notifications: cheap to clone, one per process.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// `public_url` without a trailing slash.
    public_url: String,
    from: Mailbox,
    smtp: Option<smtp::Smtp>,
    mail_dir: PathBuf,
    /// Built on first use: loading the platform's root certificates costs ~0.2 s and a few MB,
    /// which a process that never calls a webhook should not pay at start-up.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
    sms_url: Option<reqwest::Url>,
    push_url: Option<reqwest::Url>,
    /// `ROSTER_EVENTS_WEBHOOK_URL` and the secret that signs what goes there (one is never set
    /// without the other).
    events: Option<(reqwest::Url, String)>,
}

/// What a token may carry in a query string unescaped (RFC 3986 unreserved characters).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

impl Notifier {
    /// Check the settings and build the transports. Every error names the variable at fault
    /// and never echoes a credential.
    pub fn new(config: NotifyConfig) -> Result<Self, String> {
        let public_url = config.public_url.trim().trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&public_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => return Err(format!("ROSTER_PUBLIC_URL is not an http(s) URL: {public_url:?}")),
        }
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| format!("ROSTER_MAIL_FROM is not a mail address ({e}): {:?}", config.mail_from))?;
        let smtp = match set(config.smtp_url.as_ref()) {
            Some(url) => Some(smtp::Smtp::new(url).map_err(|e| format!("ROSTER_SMTP_URL: {e}"))?),
            None => None,
        };
        let sms_url = webhook_url("ROSTER_SMS_WEBHOOK_URL", config.sms_webhook_url.as_ref())?;
        let push_url = webhook_url("ROSTER_PUSH_WEBHOOK_URL", config.push_webhook_url.as_ref())?;
        let events = match webhook_url("ROSTER_EVENTS_WEBHOOK_URL", config.events_webhook_url.as_ref())? {
            Some(url) => match set(config.events_secret.as_ref()) {
                Some(secret) => Some((url, secret.to_owned())),
                None => {
                    return Err("ROSTER_EVENTS_WEBHOOK_URL is set but ROSTER_EVENTS_SECRET is not: events must be \
                                signed"
                        .into());
                }
            },
            None => None,
        };
        // Cheap, unlike building the client: every TLS user in the process (webhooks, SMTP,
        // the tests' clients) finds the provider in place.
        client::install_crypto_provider();
        Ok(Self {
            inner: Arc::new(Inner {
                public_url,
                from,
                smtp,
                mail_dir: config.mail_dir,
                http: std::sync::OnceLock::new(),
                sms_url,
                push_url,
                events,
            }),
        })
    }

    /// The sign-in page, for messages that ask the reader to sign in.
    pub fn sign_in_link(&self) -> String {
        format!("{}/sign-in", self.inner.public_url)
    }

    /// The link a message carries for `token` (API.md §8): `{public_url}/{path}?token=...`,
    /// with `path` one of `verify-email`, `reset-password`, `accept-invite`, `confirm-email`.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}/{}?token={}", self.inner.public_url, path, utf8_percent_encode(token, QUERY_VALUE))
    }
}

/// A setting that is present and not blank.
fn set(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn webhook_url(var: &str, value: Option<&String>) -> Result<Option<reqwest::Url>, String> {
    let Some(value) = set(value) else { return Ok(None) };
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(Some(url)),
        _ => Err(format!("{var} is not an http(s) URL")),
    }
}

impl Notifier {
    /// The HTTP client for webhooks, built the first time one is called.
    fn http(&self) -> Result<&reqwest::Client, DeliveryError> {
        self.inner.http.get_or_init(client::build).as_ref().map_err(|e| DeliveryError::Transport(e.clone()))
    }
}
