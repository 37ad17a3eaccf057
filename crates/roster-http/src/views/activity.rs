//! How a user signs in and what was done: login attempts, sessions and the audit trail.

use roster_core::users::oversight::SessionInfo;
use roster_domain::activity::Action;
use roster_domain::login::AttemptReason;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rfc3339;

/// One login attempt of the caller's.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    #[schema(format = DateTime)]
    pub at: String,
    /// The client address it came from.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub success: bool,
    /// Why it failed: `wrong_password`, `mfa_failed`, `too_many_attempts` (refused over the
    /// email's or the user's limit), `suspended`, `not_active`, or `pending` while the password
    /// is being checked; null on success.
    pub reason: Option<AttemptReason>,
}

impl From<roster_core::users::export::Attempt> for AttemptView {
    fn from(a: roster_core::users::export::Attempt) -> Self {
        AttemptView {
            at: rfc3339(a.at.get()),
            ip: a.ip,
            user_agent: a.user_agent,
            success: a.success,
            reason: a.reason,
        }
    }
}

/// Sessions, most recently used first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub data: Vec<SessionView>,
}

/// One of the caller's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_seen_at: String,
    /// The client address it signed in from.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl SessionView {
    /// `session` as shown; `current` when it is the one asking.
    pub fn of(session: SessionInfo, current: bool) -> Self {
        SessionView {
            id: session.id,
            created_at: rfc3339(session.created_at.get()),
            last_seen_at: rfc3339(session.last_seen_at.get()),
            ip: session.ip,
            user_agent: session.user_agent,
            current,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor_id: Option<Uuid>,
    pub action: Action,
    pub account_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<roster_core::users::export::Activity> for ActivityView {
    fn from(a: roster_core::users::export::Activity) -> Self {
        ActivityView {
            id: a.id.as_uuid(),
            at: rfc3339(a.at),
            actor_id: a.actor_id.map(|u| u.as_uuid()),
            action: a.action,
            account_id: a.account_id.map(|u| u.as_uuid()),
            ip: a.ip,
            user_agent: a.user_agent,
            changes: a.changes,
        }
    }
}

/// An entry of the platform-wide audit search: an entry of a user's trail, and whom it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// The user the entry is about.
    pub user_id: Uuid,
    #[serde(flatten)]
    pub entry: ActivityView,
}

impl From<roster_core::users::export::Activity> for AuditEntryView {
    fn from(a: roster_core::users::export::Activity) -> Self {
        AuditEntryView { user_id: a.user_id.as_uuid(), entry: ActivityView::from(a) }
    }
}
