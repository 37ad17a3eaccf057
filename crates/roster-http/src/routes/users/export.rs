//! `GET /v1/users/{id}/export`: everything stored about a user, as one JSON document to save
//! (GDPR Art. 15 and 20). Its parts are the views the API shows elsewhere, so the document
//! reads like the API; its shape is [`UserExport`].

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use roster_core::users::export::{Contact, Day, Export, SessionRecord};
use roster_domain::UserId;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::ActivityView;
use super::calendars::{CalendarView, EventView};
use super::push_tokens::PushTokenView;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Meta};
use crate::routes::accounts::workspaces::WorkspaceView;
use crate::routes::announcements::AnswerView;
use crate::routes::auth::sessions::AttemptView;
use crate::views::{EmailView, PhoneView, UserView, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_user))
}

/// Everything Roster stores about a user. Never a password hash, token, code or TOTP seed.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserExport {
    /// `roster.user-export.v1`: the version of this document's shape.
    format: &'static str,
    #[schema(format = DateTime)]
    exported_at: String,
    /// The user as `GET /v1/users/{id}` shows it.
    user: UserView,
    /// Every address of the user (the sign-in one is `primary`).
    emails: Vec<EmailView>,
    phones: Vec<PhoneView>,
    /// Whether two-factor authentication is on, and since when (never the seed or the codes).
    mfa: MfaView,
    /// The accounts the user belongs to, with its role and scopes in each.
    memberships: Vec<ExportMembership>,
    workspaces: Vec<ExportWorkspace>,
    /// The configuration as `GET /v1/users/config` shows it.
    #[schema(value_type = Object)]
    preferences: serde_json::Value,
    /// Each token shown only by its last 6 characters.
    push_tokens: Vec<PushTokenView>,
    /// Every stored session, ended or not (sessions are kept a week after they end), without
    /// its token.
    sessions: Vec<ExportSession>,
    /// Every login attempt kept (90 days), newest first.
    login_history: Vec<AttemptView>,
    /// The user's whole audit trail, newest first.
    activity: Vec<ActivityView>,
    /// Each calendar with the occurrences stored from its last good fetch.
    calendars: Vec<ExportCalendar>,
    /// The user's answers to announcements.
    announcements: Vec<AnswerView>,
    analytics: ExportAnalytics,
    /// The CRM contacts that stand for the user in its accounts.
    crm_contacts: Vec<ExportContact>,
}

#[derive(Debug, Serialize, ToSchema)]
struct MfaView {
    totp_enabled: bool,
    #[schema(format = DateTime)]
    enabled_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ExportMembership {
    account_id: Uuid,
    account_name: String,
    #[schema(value_type = roster_core::openapi::Role)]
    role: String,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    grant: Vec<String>,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    deny: Vec<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct ExportWorkspace {
    workspace: WorkspaceView,
    /// `lead` or `member`.
    role: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct ExportSession {
    id: Uuid,
    active_account_id: Option<Uuid>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_seen_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
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
struct ExportCalendar {
    calendar: CalendarView,
    events: Vec<EventView>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ExportAnalytics {
    logins_7d: i64,
    logins_30d: i64,
    active_days_30d: i64,
    #[schema(format = DateTime)]
    last_active_at: Option<String>,
    /// Every UTC day with activity.
    days: Vec<ExportDay>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ExportDay {
    /// `YYYY-MM-DD` (UTC).
    #[schema(format = Date)]
    day: String,
    logins: i64,
    /// Entries of the audit trail that day.
    events: i64,
    #[schema(format = DateTime)]
    last_active_at: String,
}

impl From<Day> for ExportDay {
    fn from(d: Day) -> Self {
        ExportDay { day: d.day, logins: d.logins, events: d.events, last_active_at: rfc3339(d.last_active_at.get()) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct ExportContact {
    account_id: Uuid,
    name: String,
    email: String,
    phone: Option<String>,
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

/// Export everything stored about a user.
///
/// One JSON document to save (`Content-Disposition: attachment`): the user with its addresses
/// and phones, memberships and workspaces, preferences, push tokens (masked), sessions (without
/// tokens), login history, activity, calendars with their events, answers to announcements,
/// analytics and CRM contacts. Never a password hash, token, code or TOTP seed. The user itself
/// or a platform admin (another user who can see it → 403); the export is recorded in the
/// user's activity (`user.exported`).
#[utoipa::path(get, path = "/v1/users/{id}/export", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserExport,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"roster-user-{id}.json\""))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn export_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<UserId>,
) -> ApiResult<Response> {
    let export = state.core.export_user(&actor, id, &meta).await?;
    let disposition = format!("attachment; filename=\"roster-user-{id}.json\"");
    Ok((
        [(header::CONTENT_DISPOSITION, disposition), (header::CACHE_CONTROL, "no-store".to_owned())],
        axum::Json(UserExport::from(export)),
    )
        .into_response())
}
