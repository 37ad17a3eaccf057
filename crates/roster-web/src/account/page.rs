//! The `/account` page itself: what each section shows, read through the services, shown with
//! what a form left for it (`outcome`).

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use roster_core::CoreError;
use roster_core::auth::totp::Enrolment;
use roster_domain::login::AttemptReason;
use roster_domain::phone::PhoneLabel;
use roster_domain::role::Role;
use roster_domain::user::{UserEmail, UserPhone};
use roster_http::AppState;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::chrome::Chrome;
use crate::outcome::{NOTICES, Outcome, outcome_of};
use crate::render::{self, page};
use crate::visitor::Visitor;

pub(crate) struct SessionRow {
    pub id: String,
    pub device: String,
    pub address: String,
    pub last_used: String,
    pub current: bool,
}

pub(crate) struct AttemptRow {
    pub when: String,
    pub device: String,
    pub address: String,
    pub outcome: &'static str,
}

pub(crate) struct Cell {
    pub name: String,
    pub label: String,
    pub checked: bool,
    pub locked: bool,
}

pub(crate) struct ChannelRow {
    pub label: &'static str,
    pub cells: Vec<Cell>,
}

pub(crate) struct DeviceRow {
    pub reference: String,
    pub masked: String,
    pub name: String,
    pub platform: String,
    pub added: String,
}

pub(crate) struct CalendarRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub problem: Option<String>,
    pub next: Vec<String>,
}

pub(crate) struct AccountRow {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub(crate) struct AccountPage {
    pub chrome: Chrome,
    pub form_token: String,
    pub notice: Option<String>,
    pub errors: Vec<(String, String)>,
    pub kept: Vec<(String, String)>,
    pub name: String,
    pub title: String,
    pub bio: String,
    pub locale: String,
    pub image: String,
    pub theme: String,
    pub emails: Vec<UserEmail>,
    pub phones: Vec<UserPhone>,
    pub mfa_enabled: bool,
    pub enrolment: Option<Enrolment>,
    pub recovery_codes: Option<Vec<String>>,
    pub sessions: Vec<SessionRow>,
    pub history: Vec<AttemptRow>,
    pub channels: Vec<ChannelRow>,
    pub devices: Vec<DeviceRow>,
    pub calendars: Vec<CalendarRow>,
    pub accounts: Vec<AccountRow>,
    pub owner_of: Vec<String>,
    /// The time zone picker's options (HTML, the user's zone selected) and the phone labels.
    pub zone_options: String,
    pub labels: &'static [PhoneLabel],
}

impl AccountPage {
    /// The message for the field (or form) `id`, if any.
    pub(crate) fn error(&self, id: &str) -> Option<&str> {
        self.errors.iter().find(|(key, _)| *key == id).map(|(_, message)| message.as_str())
    }

    /// What was sent in the field `id`, to show it again.
    pub(crate) fn kept(&self, id: &str) -> &str {
        self.kept.iter().find(|(key, _)| *key == id).map_or("", |(_, value)| value.as_str())
    }
}

/// The options of the time zone picker, every IANA name as `<option>NAME</option>`, built
/// when a page first needs them (the names are letters, digits, `/`, `_`, `+` and `-`: nothing
/// to escape).
static ZONE_OPTIONS: LazyLock<String> = LazyLock::new(|| {
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.contains('/') && !name.starts_with("Etc/") || name == "UTC")
        .filter(|name| name.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b)))
        .collect();
    zones.sort();
    zones.iter().map(|zone| format!("<option>{zone}</option>\n")).collect()
});

/// The picker's options with `zone` selected (added first when it is not a known name).
fn zone_options(zone: &str) -> String {
    let plain = format!("<option>{zone}</option>");
    match ZONE_OPTIONS.find(&plain) {
        Some(at) if zone.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b)) => {
            let mut html = String::with_capacity(ZONE_OPTIONS.len() + 10);
            html.push_str(&ZONE_OPTIONS[..at]);
            html.push_str("<option selected>");
            html.push_str(zone);
            html.push_str("</option>");
            html.push_str(&ZONE_OPTIONS[at + plain.len()..]);
            html
        }
        _ => ZONE_OPTIONS.clone(),
    }
}

/// The page again after a form of `form` failed: the problem beside its field (ids
/// `FORM-FIELD`) or above the form (id `FORM`); a failure that is not the form's is its page.
pub(crate) async fn failed(state: &AppState, visitor: &Visitor, form: &str, err: CoreError) -> Response {
    match outcome_of(form, err) {
        Ok(outcome) => show(state, visitor, outcome).await,
        Err(page) => page,
    }
}

#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

pub(crate) async fn account(State(state): State<AppState>, visitor: Visitor, Query(q): Query<NoticeQuery>) -> Response {
    let notice = NOTICES.iter().find(|(key, _)| *key == q.notice).map(|(_, text)| (*text).to_owned());
    show(&state, &visitor, Outcome { notice, ..Outcome::default() }).await
}

/// The page with `outcome`: read fresh, every section.
pub(crate) async fn show(state: &AppState, visitor: &Visitor, outcome: Outcome) -> Response {
    match read(state, visitor, outcome).await {
        Ok((status, page_data)) => {
            let mut response = page(status, page_data.render());
            if page_data.enrolment.is_some() || page_data.recovery_codes.is_some() {
                // Secrets on the page: never kept by any cache (every page is no-store already;
                // said again so no layer above can weaken it).
                response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            }
            response
        }
        Err(err) => render::core_error(err),
    }
}

async fn read(state: &AppState, visitor: &Visitor, outcome: Outcome) -> Result<(StatusCode, AccountPage), CoreError> {
    let core = &state.core;
    let actor = &visitor.actor;
    let profile = core.profile(actor).await?;
    let zone = profile.user.user.timezone.clone();
    let when = |at: OffsetDateTime| render::local_time(&zone, at);
    let sessions = core
        .list_sessions(actor)
        .await?
        .into_iter()
        .map(|(s, current)| SessionRow {
            id: s.id.to_string(),
            device: device_name(s.user_agent.as_deref()),
            address: s.ip.unwrap_or_else(|| "unknown".to_owned()),
            last_used: when(s.last_seen_at.get()),
            current,
        })
        .collect();
    let history = core
        .login_history(actor, Some(20), None)
        .await?
        .items
        .into_iter()
        .map(|a| AttemptRow {
            when: when(a.at.get()),
            device: device_name(a.user_agent.as_deref()),
            address: a.ip.unwrap_or_else(|| "unknown".to_owned()),
            outcome: attempt_outcome(a.success, a.reason),
        })
        .collect();
    let devices = core
        .push_tokens(actor)
        .await?
        .into_iter()
        .map(|t| DeviceRow {
            reference: super::settings::device_reference(&t.token),
            masked: mask(&t.token),
            name: t.device_name.unwrap_or_else(|| "Unnamed device".to_owned()),
            platform: t.platform,
            added: when(t.created_at.get()),
        })
        .collect();
    let mut calendars = Vec::new();
    for c in core.calendars(actor).await? {
        let from = core.clock.now().format(&time::format_description::well_known::Rfc3339).ok();
        let query = roster_core::calendars::EventsQuery { from, limit: Some(3), ..Default::default() };
        let next = core
            .calendar_events(actor, c.id, query)
            .await
            .map(|page| {
                page.items
                    .into_iter()
                    .map(|e| {
                        format!("{} — {}", when(e.starts_at.get()), e.summary.unwrap_or_else(|| "(no title)".into()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        calendars.push(CalendarRow {
            id: c.id.to_string(),
            name: c.name,
            status: c.status,
            problem: c.last_error,
            next,
        });
    }
    let accounts: Vec<AccountRow> = profile
        .accounts
        .iter()
        .map(|a| AccountRow {
            id: a.account_id.to_string(),
            name: a.name.clone(),
            role: a.role.as_str(),
            active: profile.active_account_id == Some(a.account_id),
        })
        .collect();
    let owner_of = profile.accounts.iter().filter(|a| a.role == Role::Owner).map(|a| a.name.clone()).collect();
    let user = &profile.user.user;
    let theme = profile.preferences.get("theme").and_then(|t| t.as_str()).unwrap_or("system").to_owned();
    let status = outcome.status.unwrap_or(StatusCode::OK);
    let data = AccountPage {
        chrome: Chrome::of(state, visitor, &profile.preferences).await,
        form_token: visitor.form_token.clone(),
        notice: outcome.notice,
        errors: outcome.errors,
        kept: outcome.kept,
        name: user.name.clone(),
        title: user.title.clone().unwrap_or_default(),
        bio: user.bio.clone().unwrap_or_default(),
        locale: user.locale.clone(),
        image: user.image.clone().unwrap_or_default(),
        theme,
        emails: profile.user.emails.clone(),
        phones: profile.user.phones.clone(),
        mfa_enabled: user.mfa_enabled,
        enrolment: outcome.enrolment,
        recovery_codes: outcome.recovery_codes,
        sessions,
        history,
        channels: channels(&profile.preferences),
        devices,
        calendars,
        accounts,
        owner_of,
        zone_options: zone_options(&user.timezone),
        labels: &PhoneLabel::ALL,
    };
    Ok((status, data))
}

/// The notification grid: every channel × kind, security by email always on.
fn channels(preferences: &serde_json::Value) -> Vec<ChannelRow> {
    let labels = [("email", "Email"), ("sms", "SMS"), ("push", "Push")];
    labels
        .iter()
        .map(|(channel, label)| ChannelRow {
            label,
            cells: roster_core::preferences::KINDS
                .iter()
                .map(|kind| Cell {
                    name: format!("{channel}.{kind}"),
                    label: format!("{label}: {kind}"),
                    checked: preferences["notifications"][channel][kind].as_bool().unwrap_or(false),
                    locked: *channel == "email" && *kind == "security",
                })
                .collect(),
        })
        .collect()
}

fn attempt_outcome(success: bool, reason: Option<AttemptReason>) -> &'static str {
    let Some(reason) = reason.filter(|_| !success) else { return "Signed in" };
    match reason {
        AttemptReason::WrongPassword => "Wrong password",
        AttemptReason::MfaFailed => "Wrong code",
        AttemptReason::Suspended => "Refused: suspended",
        AttemptReason::NotActive => "Refused: not active",
        AttemptReason::TooManyAttempts => "Refused: too many attempts",
        AttemptReason::Pending => "Not finished",
    }
}

/// A push token shown by its last 6 characters.
fn mask(token: &str) -> String {
    let tail: String = token.chars().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

/// A short name for a browser or app from its `User-Agent`.
pub(crate) fn device_name(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.is_empty()) else { return "Unknown device".to_owned() };
    let browser =
        [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
            .iter()
            .find(|(mark, _)| ua.contains(mark))
            .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_named_by_its_browser_and_system() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        assert_eq!(device_name(Some(chrome)), "Chrome on Linux");
        assert_eq!(device_name(Some("curl/8.5")), "curl/8.5");
        assert_eq!(device_name(None), "Unknown device");
    }

    #[test]
    fn a_push_token_shows_only_its_last_six_characters() {
        assert_eq!(mask("abcdefghijkl"), "…ghijkl");
        assert_eq!(mask("abc"), "…abc");
    }
}
