//! The settings the services act on (the binary maps `roster.toml` and the environment here).

use roster_domain::password::PasswordPolicy;
use time::Duration;

/// Who may use `POST /v1/users` without signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    Open,
    Invite,
}

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Base of every link in a message (never taken from request headers).
    pub public_url: String,
    pub signup: SignupMode,
    pub password_policy: PasswordPolicy,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Size of the password-hashing pool; defaults to the number of cores.
    pub hash_threads: usize,
    /// `ROSTER_SECRET_KEY`: seals TOTP seeds and keys request fingerprints. `None`: a key is
    /// generated at first start and kept in the database (with a warning at every start).
    pub secret_key: Option<crate::secrets::SecretKey>,
    /// `ROSTER_MFA_ISSUER`: the issuer named in `otpauth://` URIs.
    pub mfa_issuer: String,
    /// `ROSTER_DEFAULT_PHONE_REGION`: the region a phone number without its country code is
    /// read in; `None`: such a number is refused.
    pub default_phone_region: Option<roster_domain::phone::Region>,
    /// `ROSTER_ALLOW_PRIVATE_URLS`: whether calendar feeds may be fetched from loopback,
    /// private or link-local addresses.
    pub allow_private_urls: bool,
    /// `ROSTER_CALENDAR_REFRESH`: how often a calendar feed is fetched.
    pub calendar_refresh: Duration,
    /// Socket addresses a feed may be fetched from even when private addresses are not allowed
    /// (tests only: the SSRF tests need one "public" server on loopback that redirects to
    /// another). Matched on a URL's literal IP and port, never on a resolved name.
    pub fetch_exempt: Vec<std::net::SocketAddr>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            public_url: "http://localhost:8080".to_owned(),
            signup: SignupMode::Open,
            password_policy: PasswordPolicy::default(),
            session_idle: Duration::days(7),
            session_absolute: Duration::days(30),
            hash_threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            secret_key: None,
            mfa_issuer: "Roster".to_owned(),
            default_phone_region: None,
            allow_private_urls: false,
            calendar_refresh: Duration::minutes(15),
            fetch_exempt: Vec::new(),
        }
    }
}
