//! Configuration (API.md §2): typed defaults → optional `roster.toml` → environment variables.
//! A bad value stops start-up with a message that names the variable.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use roster_core::jobs::Queue;
use roster_core::{CoreConfig, SignupMode};
use roster_domain::password::PasswordPolicy;
use serde::{Deserialize, Serialize};

mod secret;
mod unknown_env;
pub use secret::Secret;
pub use unknown_env::warn_unknown_variables;

/// Settings whose values are never repeated in an error message.
const SECRET_KEYS: [&str; 5] = ["admin_password", "smtp_url", "events_secret", "database_url", "secret_key"];

/// Every setting. Names are the variables' without the `ROSTER_` prefix, lowercased; the
/// queue switches keep their `qm_` prefix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://PATH` (embedded, created if missing) or `postgres://USER@HOST:PORT/DB` (scale-out).
    pub database_url: String,
    /// Address to bind.
    pub listen: SocketAddr,
    /// Base of the links in emails; never taken from request headers.
    pub public_url: String,
    /// `open`: anyone may sign up; `invite`: only members with `users.create` may create users.
    pub signup: Signup,
    /// On a database with no users, create this platform admin at start (with `admin_password`).
    pub admin_email: Option<String>,
    /// The password of the platform admin created at start.
    pub admin_password: Option<Secret>,
    /// `smtp://host:port`, `smtp://user:pass@host:port?tls=required` (STARTTLS) or `smtps://…`;
    /// unset: mail is written as `.eml` files into `mail_dir`.
    pub smtp_url: Option<Secret>,
    /// Where mail goes as `.eml` files when no `smtp_url` is set.
    pub mail_dir: String,
    /// The sender of every email.
    pub mail_from: String,
    /// SMS provider: `POST {"to", "body"}`.
    pub sms_webhook_url: Option<String>,
    /// Push provider: `POST {"tokens", "title", "body", "data"}`.
    pub push_webhook_url: Option<String>,
    /// Outbound domain events, signed with HMAC-SHA256 (`Roster-Signature`).
    pub events_webhook_url: Option<String>,
    /// The key that signs outbound events; required with `events_webhook_url`.
    pub events_secret: Option<Secret>,
    /// Password policy: minimum length (never below 8, at most 128).
    pub password_min_length: usize,
    /// Requests per minute per client address to the endpoints that need no sign-in; 0: off.
    pub rate_limit_anon: u32,
    /// Whether user-supplied URLs (calendar feeds) may point at loopback, private or link-local
    /// addresses.
    pub allow_private_urls: bool,
    /// How often calendar feeds are fetched (`15m`, `1h`, or a number of seconds; at least 1s).
    pub calendar_refresh: Seconds,
    /// Comma-separated proxy addresses whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Option<String>,
    /// 32 bytes, base64 or hex, that seal TOTP seeds at rest. Unset: a key is generated at
    /// first start and kept in the database, with a warning.
    pub secret_key: Option<Secret>,
    /// A file holding `secret_key` (for secret stores that mount files); not with `secret_key`.
    pub secret_key_file: Option<String>,
    /// The issuer named in `otpauth://` URIs (what authenticator apps show).
    pub mfa_issuer: String,
    /// ISO 3166 alpha-2 region (`US`, `GB`) a phone number written without its country code is
    /// read in; unset: such numbers are refused.
    pub default_phone_region: Option<String>,
    /// Sessions end after this many days without a request…
    pub session_idle_days: u32,
    /// …and in any case this many days after sign-in.
    pub session_absolute_days: u32,
    /// After SIGTERM/SIGINT: how long in-flight requests may run before open connections are
    /// closed (`30s`, `2m`, or a number of seconds).
    pub shutdown_timeout: Seconds,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `roster=debug,sqlx=warn`.
    pub log: String,
    /// Whether this process works the onboarding queue (jobs are always recorded).
    pub qm_user_onboarding: bool,
    /// Whether this process works the notifications queue (email, SMS, push).
    pub qm_user_notifications: bool,
    /// Whether this process works the analytics queue.
    pub qm_user_analytics: bool,
    /// Whether this process works the sync queue (CRM contacts, seats, calendars, events).
    pub qm_account_sync: bool,
}

/// A length of time, written `30s`, `15m`, `2h` or as a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl Seconds {
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }

    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().ok()?;
        let factor = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return None,
        };
        number.checked_mul(factor).map(Seconds)
    }
}

impl Serialize for Seconds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}s", self.0))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Seconds;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a duration such as 30s, 15m, 2h or a number of seconds")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Seconds, E> {
                Ok(Seconds(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Seconds, E> {
                u64::try_from(v).map(Seconds).map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Seconds, E> {
                Seconds::parse(v).ok_or_else(|| E::custom("expected a duration such as 30s, 15m, 2h"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signup {
    Open,
    Invite,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://roster.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://localhost:8080".into(),
            signup: Signup::Open,
            admin_email: None,
            admin_password: None,
            smtp_url: None,
            mail_dir: "./mail".into(),
            mail_from: "Roster <no-reply@localhost>".into(),
            sms_webhook_url: None,
            push_webhook_url: None,
            events_webhook_url: None,
            events_secret: None,
            password_min_length: 15,
            rate_limit_anon: 300,
            allow_private_urls: false,
            calendar_refresh: Seconds(15 * 60),
            trusted_proxies: None,
            secret_key: None,
            secret_key_file: None,
            mfa_issuer: "Roster".into(),
            default_phone_region: None,
            session_idle_days: 7,
            session_absolute_days: 30,
            shutdown_timeout: Seconds(30),
            log: "info".into(),
            qm_user_onboarding: true,
            qm_user_notifications: true,
            qm_user_analytics: true,
            qm_account_sync: true,
        }
    }
}

/// The environment variables read, each mapped to its setting.
const ROSTER_KEYS: [&str; 26] = [
    "DATABASE_URL",
    "LISTEN",
    "PUBLIC_URL",
    "SIGNUP",
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "SMTP_URL",
    "MAIL_DIR",
    "MAIL_FROM",
    "SMS_WEBHOOK_URL",
    "PUSH_WEBHOOK_URL",
    "EVENTS_WEBHOOK_URL",
    "EVENTS_SECRET",
    "PASSWORD_MIN_LENGTH",
    "RATE_LIMIT_ANON",
    "ALLOW_PRIVATE_URLS",
    "CALENDAR_REFRESH",
    "TRUSTED_PROXIES",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "MFA_ISSUER",
    "DEFAULT_PHONE_REGION",
    "SESSION_IDLE_DAYS",
    "SESSION_ABSOLUTE_DAYS",
    "SHUTDOWN_TIMEOUT",
    "LOG",
];
const QM_KEYS: [&str; 4] = ["QM_USER_ONBOARDING", "QM_USER_NOTIFICATIONS", "QM_USER_ANALYTICS", "QM_ACCOUNT_SYNC"];

/// The variable that sets `key`, for error messages.
fn variable(key: &str) -> String {
    if key.starts_with("qm_") { key.to_uppercase() } else { format!("ROSTER_{}", key.to_uppercase()) }
}

impl Settings {
    /// Defaults, then `file` if it exists, then the environment.
    pub fn load(file: &Path) -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if file.exists() {
            figment = figment.merge(Toml::file_exact(file));
        }
        let mut figment = figment
            .merge(Env::prefixed("ROSTER_").only(&ROSTER_KEYS))
            .merge(Env::raw().only(&QM_KEYS).map(|k| k.as_str().to_lowercase().into()));
        // Secrets keep their exact text: figment types environment values, which would turn
        // `007007` into 7007, `1.10` into 1.1, and strip the quotes of `"pw"`.
        for key in SECRET_KEYS {
            if let Ok(value) = std::env::var(variable(key)) {
                figment = figment.merge(Serialized::default(key, value));
            }
        }
        let settings: Settings = figment.extract().map_err(|err| {
            let key = err.path.last().cloned().unwrap_or_default();
            let from_file = err.metadata.as_ref().is_some_and(|m| m.name.contains("TOML"));
            let origin = if from_file { format!("{key} in {}", file.display()) } else { variable(&key) };
            if SECRET_KEYS.contains(&key.as_str()) {
                format!("invalid configuration: {origin}: invalid value (not shown: it may hold a secret)")
            } else {
                format!("invalid configuration: {origin}: {}", err.kind)
            }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        let bad = |key: &str, why: &str| Err(format!("invalid configuration: {}: {why}", variable(key)));
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return bad("database_url", "must start with sqlite:// or postgres://");
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return bad("public_url", "must be an http(s) URL");
        }
        if PasswordPolicy::new(self.password_min_length).is_err() {
            return bad("password_min_length", "must be between 8 and 128");
        }
        if let Some(url) = &self.smtp_url
            && !(url.0.starts_with("smtp://") || url.0.starts_with("smtps://"))
        {
            return bad("smtp_url", "must start with smtp:// or smtps://");
        }
        for (key, url) in [
            ("sms_webhook_url", &self.sms_webhook_url),
            ("push_webhook_url", &self.push_webhook_url),
            ("events_webhook_url", &self.events_webhook_url),
        ] {
            if url.as_ref().is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
                return bad(key, "must be an http(s) URL");
            }
        }
        if self.events_webhook_url.is_some() && self.events_secret.is_none() {
            return bad("events_secret", "is required when ROSTER_EVENTS_WEBHOOK_URL is set (events are signed)");
        }
        if self.admin_email.is_some() != self.admin_password.is_some() {
            return bad("admin_password", "ROSTER_ADMIN_EMAIL and ROSTER_ADMIN_PASSWORD go together");
        }
        if self.session_idle_days == 0 || self.session_absolute_days == 0 {
            return bad("session_idle_days", "session lifetimes must be at least one day");
        }
        self.trusted_proxies().map_err(|why| format!("invalid configuration: ROSTER_TRUSTED_PROXIES: {why}"))?;
        self.secret_key()?;
        if self.mfa_issuer.trim().is_empty() || self.mfa_issuer.contains(':') {
            return bad("mfa_issuer", "must be a non-empty name without ':'");
        }
        if let Some(region) = &self.default_phone_region
            && roster_domain::phone::Region::parse(region).is_err()
        {
            return bad("default_phone_region", "must be an ISO 3166 alpha-2 region such as US or GB");
        }
        if self.calendar_refresh.0 == 0 {
            return bad("calendar_refresh", "must be at least 1s");
        }
        tracing_subscriber::EnvFilter::try_new(&self.log)
            .map_err(|e| format!("invalid configuration: ROSTER_LOG: {e}"))?;
        Ok(())
    }

    pub fn trusted_proxies(&self) -> Result<Vec<IpAddr>, String> {
        self.trusted_proxies
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<IpAddr>().map_err(|_| format!("{s:?} is not an IP address")))
            .collect()
    }

    /// The queues this process works, by their QM_* switches.
    pub fn queues(&self) -> Vec<Queue> {
        [
            (self.qm_user_onboarding, Queue::Onboarding),
            (self.qm_user_notifications, Queue::Notifications),
            (self.qm_user_analytics, Queue::Analytics),
            (self.qm_account_sync, Queue::Sync),
        ]
        .into_iter()
        .filter_map(|(on, queue)| on.then_some(queue))
        .collect()
    }

    pub fn notify_config(&self) -> roster_core::notify::NotifyConfig {
        roster_core::notify::NotifyConfig {
            public_url: self.public_url.trim_end_matches('/').to_owned(),
            smtp_url: self.smtp_url.as_ref().map(|s| s.0.clone()),
            mail_dir: self.mail_dir.clone().into(),
            mail_from: self.mail_from.clone(),
            sms_webhook_url: self.sms_webhook_url.clone(),
            push_webhook_url: self.push_webhook_url.clone(),
            events_webhook_url: self.events_webhook_url.clone(),
            events_secret: self.events_secret.as_ref().map(|s| s.0.clone()),
        }
    }

    pub fn core_config(&self) -> CoreConfig {
        CoreConfig {
            public_url: self.public_url.trim_end_matches('/').to_owned(),
            signup: match self.signup {
                Signup::Open => SignupMode::Open,
                Signup::Invite => SignupMode::Invite,
            },
            password_policy: PasswordPolicy::new(self.password_min_length).unwrap_or_default(),
            session_idle: time::Duration::days(i64::from(self.session_idle_days)),
            session_absolute: time::Duration::days(i64::from(self.session_absolute_days)),
            // Checked by `validate` at load.
            secret_key: self.secret_key().ok().flatten().map(roster_core::secrets::SecretKey::new),
            mfa_issuer: self.mfa_issuer.trim().to_owned(),
            default_phone_region: self
                .default_phone_region
                .as_deref()
                .and_then(|region| roster_domain::phone::Region::parse(region).ok()),
            allow_private_urls: self.allow_private_urls,
            calendar_refresh: time::Duration::seconds(self.calendar_refresh.0 as i64),
            ..CoreConfig::default()
        }
    }
}

/// The commented example file (`roster config example`).
pub const EXAMPLE: &str = include_str!("../../../../roster.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let parsed: Settings =
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(EXAMPLE)).extract().unwrap();
        assert_eq!(format!("{parsed:?}"), format!("{:?}", Settings::default()));
    }

    #[test]
    fn the_example_file_shows_every_setting() {
        let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(Settings::default()) else {
            panic!("settings serialise to an object")
        };
        for key in keys.keys() {
            let shown = EXAMPLE.lines().any(|line| {
                let line = line.trim_start_matches(['#', ' ']);
                line.strip_prefix(key.as_str()).is_some_and(|rest| rest.starts_with(" = "))
            });
            assert!(shown, "{key} is missing from roster.example.toml");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let settings = Settings { admin_password: Some(Secret("hunter2hunter2".into())), ..Settings::default() };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn a_digits_only_secret_is_accepted_as_text() {
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string("admin_email = \"a@example.com\"\nadmin_password = 123456789012345678"))
            .extract()
            .unwrap();
        assert_eq!(settings.admin_password, Some(Secret("123456789012345678".into())));
    }

    #[test]
    fn durations_take_units_or_plain_seconds() {
        assert_eq!(Seconds::parse("30s"), Some(Seconds(30)));
        assert_eq!(Seconds::parse("2m"), Some(Seconds(120)));
        assert_eq!(Seconds::parse("1h"), Some(Seconds(3600)));
        assert_eq!(Seconds::parse("45"), Some(Seconds(45)));
        assert_eq!(Seconds::parse("soon"), None);
        assert_eq!(Seconds::parse("5d"), None);
    }

    #[test]
    fn variables_are_named_in_errors() {
        assert_eq!(variable("listen"), "ROSTER_LISTEN");
        assert_eq!(variable("qm_account_sync"), "QM_ACCOUNT_SYNC");
    }
}
