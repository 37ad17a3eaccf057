//! The export document (`GET /v1/users/{id}/export`): everything stored about a user. Its
//! parts are the views the API shows elsewhere, so the document reads like the API.

use roster_core::users::export::{Contact, Day, Export, SessionRecord};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::activity::{ActivityView, AttemptView};
use super::announcements::AnswerView;
use super::calendars::{CalendarView, EventView};
use super::devices::PushTokenView;
use super::workspaces::WorkspaceView;
use super::{EmailView, PhoneView, UserView, rfc3339};

/// Everything Roster stores about a user. Never a password hash, token, code or TOTP seed.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserExport {
    /// `roster.user-export.v1`: the version of this document's shape.
    pub format: &'static str,
    #[schema(format = DateTime)]
    pub exported_at: String,
    /// The user as `GET /v1/users/{id}` shows it.
    pub user: UserView,
    /// Every address of the user (the sign-in one is `primary`).
    pub emails: Vec<EmailView>,
    pub phones: Vec<PhoneView>,
    /// Whether two-factor authentication is on, and since when (never the seed or the codes).
    pub mfa: MfaView,
    /// The accounts the user belongs to, with its role and scopes in each.
    pub memberships: Vec<ExportMembership>,
    pub workspaces: Vec<ExportWorkspace>,
    /// The configuration as `GET /v1/users/config` shows it.
    #[schema(value_type = Object)]
    pub preferences: serde_json::Value,
    /// Each token shown only by its last 6 characters.
    pub push_tokens: Vec<PushTokenView>,
    /// Every stored session, ended or not (sessions are kept a week after they end), without
    /// its token.
    pub sessions: Vec<ExportSession>,
    /// Every login attempt kept (90 days), newest first.
    pub login_history: Vec<AttemptView>,
    /// The user's whole audit trail, newest first.
    pub activity: Vec<ActivityView>,
    /// Each calendar with the occurrences stored from its last good fetch.
    pub calendars: Vec<ExportCalendar>,
    /// The user's answers to announcements.
    pub announcements: Vec<AnswerView>,
    pub analytics: ExportAnalytics,
    /// The CRM contacts that stand for the user in its accounts.
    pub crm_contacts: Vec<ExportContact>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MfaView {
    pub totp_enabled: bool,
    #[schema(format = DateTime)]
    pub enabled_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportMembership {
    pub account_id: Uuid,
    pub account_name: String,
    #[schema(value_type = roster_core::openapi::Role)]
    pub role: String,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    pub grant: Vec<String>,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    pub deny: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportWorkspace {
    pub workspace: WorkspaceView,
    /// `lead` or `member`.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportSession {
    pub id: Uuid,
    pub active_account_id: Option<Uuid>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_seen_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<SessionRecord> for ExportSession {
    fn from(s: SessionRecord) -> Self {
        ExportSession {
            id: s.id,
            active_account_id: s.active_account_id,
            created_at: rfc3339(s.created_at.get()),
            last_seen_at: rfc3339(s.last_seen_at.get()),
            expires_at: rfc3339(s.expires_at.get()),
            revoked_at: s.revoked_at.map(|t| rfc3339(t.get())),
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportCalendar {
    pub calendar: CalendarView,
    pub events: Vec<EventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportAnalytics {
    pub logins_7d: i64,
    pub logins_30d: i64,
    pub active_days_30d: i64,
    #[schema(format = DateTime)]
    pub last_active_at: Option<String>,
    /// Every UTC day with activity.
    pub days: Vec<ExportDay>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDay {
    /// `YYYY-MM-DD` (UTC).
    #[schema(format = Date)]
    pub day: String,
    pub logins: i64,
    /// Entries of the audit trail that day.
    pub events: i64,
    #[schema(format = DateTime)]
    pub last_active_at: String,
}

impl From<Day> for ExportDay {
    fn from(d: Day) -> Self {
        ExportDay { day: d.day, logins: d.logins, events: d.events, last_active_at: rfc3339(d.last_active_at.get()) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportContact {
    pub account_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

impl From<Contact> for ExportContact {
    fn from(c: Contact) -> Self {
        ExportContact { account_id: c.account_id, name: c.name, email: c.email, phone: c.phone }
    }
}

impl From<Export> for UserExport {
    fn from(e: Export) -> Self {
        let names = |scopes: &[roster_domain::scope::Scope]| scopes.iter().map(|s| s.as_str().to_owned()).collect();
        UserExport {
            format: "roster.user-export.v1",
            exported_at: rfc3339(e.exported_at),
            user: UserView::from(&e.user),
            emails: e
                .user
                .emails
                .iter()
                .map(|m| EmailView { address: m.address.clone(), verified: m.verified, primary: m.primary })
                .collect(),
            phones: e.user.phones.iter().map(PhoneView::from).collect(),
            mfa: MfaView { totp_enabled: e.mfa_enabled_at.is_some(), enabled_at: e.mfa_enabled_at.map(rfc3339) },
            memberships: e
                .memberships
                .iter()
                .map(|(m, name)| ExportMembership {
                    account_id: m.account_id.as_uuid(),
                    account_name: name.clone(),
                    role: m.role.as_str().to_owned(),
                    grant: names(&m.grant),
                    deny: names(&m.deny),
                    created_at: rfc3339(m.created_at),
                })
                .collect(),
            workspaces: e
                .workspaces
                .iter()
                .map(|(w, role)| ExportWorkspace { workspace: WorkspaceView::from(w), role: role.as_str().to_owned() })
                .collect(),
            preferences: e.preferences,
            push_tokens: e.push_tokens.iter().map(PushTokenView::from).collect(),
            sessions: e.sessions.into_iter().map(ExportSession::from).collect(),
            login_history: e.login_history.into_iter().map(AttemptView::from).collect(),
            activity: e.activity.into_iter().map(ActivityView::from).collect(),
            calendars: e
                .calendars
                .iter()
                .map(|(c, events)| ExportCalendar {
                    calendar: CalendarView::from(c),
                    events: events.iter().map(EventView::from).collect(),
                })
                .collect(),
            announcements: e.announcements.iter().map(AnswerView::from).collect(),
            analytics: ExportAnalytics {
                logins_7d: e.analytics.logins_7d,
                logins_30d: e.analytics.logins_30d,
                active_days_30d: e.analytics.active_days_30d,
                last_active_at: e.analytics.last_active_at.map(|t| rfc3339(t.get())),
                days: e.analytics_days.into_iter().map(ExportDay::from).collect(),
            },
            crm_contacts: e.contacts.into_iter().map(ExportContact::from).collect(),
        }
    }
}
