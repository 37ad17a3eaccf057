//! `/console/audit` (platform admins): the whole audit trail, newest first, filtered by who
//! acted, whom it was about (an email address or an id), the account, the action and the days,
//! a page at a time (the same search as `GET /v1/admin/audit`).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_core::admin::AuditQuery;
use roster_core::users::{Paging, UserFilters};
use roster_domain::activity::Action;
use roster_domain::{AccountId, UserId};
use roster_http::AppState;
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, Staff, changes_text, day_bound, message_of};
use crate::chrome::Chrome;
use crate::render::{self, local_time};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct AuditParams {
    actor: String,
    user: String,
    account: String,
    action: String,
    from: String,
    until: String,
    cursor: String,
}

pub(crate) struct EntryRow {
    when: String,
    user: String,
    user_id: String,
    actor: String,
    action: &'static str,
    account: String,
    address: String,
    changes: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    nav: Nav,
    params: AuditParams,
    actions: &'static [Action],
    entries: Vec<EntryRow>,
    problems: Vec<String>,
    next: Option<String>,
}

/// The user `text` names: an id, or an exact email address (any user's, as a platform admin
/// sees everyone). `Err` says why not.
async fn user_named(state: &AppState, staff: &Staff, field: &str, text: &str) -> Result<Option<UserId>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(Some(UserId::from_uuid(id)));
    }
    let filters = UserFilters { q: Some(text.to_owned()), ..UserFilters::default() };
    let paging = Paging { limit: Some(20), ..Paging::default() };
    let found = state
        .core
        .list_users(&staff.visitor.actor, filters, paging)
        .await
        .map_err(|_| format!("{field}: no such user."))?;
    let wanted = text.to_lowercase();
    found
        .users
        .iter()
        .find(|u| u.user.email.to_lowercase() == wanted || u.emails.iter().any(|e| e.address.to_lowercase() == wanted))
        .map(|u| Some(u.user.id))
        .ok_or_else(|| format!("{field}: no user has the address {text}."))
}

/// `GET /console/audit`.
pub(crate) async fn page(State(state): State<AppState>, staff: Staff, RawQuery(raw): RawQuery) -> Response {
    if !staff.platform_admin {
        return render::forbidden("Only platform admins see the whole audit log.");
    }
    let params: AuditParams = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let mut problems = Vec::new();
    let actor_id = user_named(&state, &staff, "Actor", &params.actor).await.unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let user_id = user_named(&state, &staff, "User", &params.user).await.unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let account = params.account.trim();
    let account_id = Uuid::parse_str(account).ok().map(AccountId::from_uuid);
    if account_id.is_none() && !account.is_empty() {
        problems.push("Account: give the account's id.".to_owned());
    }
    let query = AuditQuery {
        actor_id,
        user_id,
        account_id,
        action: Some(params.action.clone()).filter(|a| !a.is_empty()),
        from: day_bound(&params.from, false),
        to: day_bound(&params.until, true),
    };
    let cursor = Some(params.cursor.as_str()).filter(|c| !c.is_empty());
    let (entries, next_cursor) = if problems.is_empty() {
        match state.core.audit(&staff.visitor.actor, &query, Some(50), cursor).await {
            Ok(found) => (found.entries, found.next_cursor),
            Err(err) => match message_of(err) {
                Ok(message) => {
                    problems.push(message);
                    (Vec::new(), None)
                }
                Err(page) => return page,
            },
        }
    } else {
        (Vec::new(), None)
    };
    let zone = staff.visitor.actor.user.timezone.as_str();
    let me = staff.visitor.actor.user.id;
    let entries = entries
        .into_iter()
        .map(|e| EntryRow {
            when: local_time(zone, e.at),
            user: e.user_id.to_string(),
            user_id: e.user_id.to_string(),
            actor: match e.actor_id {
                Some(by) if by == me => "you".to_owned(),
                Some(by) if by == e.user_id => "the user".to_owned(),
                Some(by) => by.to_string(),
                None => "Roster".to_owned(),
            },
            action: e.action.as_str(),
            account: e.account_id.map(|a| a.to_string()).unwrap_or_default(),
            address: e.ip.unwrap_or_default(),
            changes: changes_text(&e.changes),
        })
        .collect();
    let next = next_cursor.map(|cursor| {
        let pairs = [
            ("actor", params.actor.as_str()),
            ("user", &params.user),
            ("account", &params.account),
            ("action", &params.action),
            ("from", &params.from),
            ("until", &params.until),
            ("cursor", &cursor),
        ];
        serde_urlencoded::to_string(pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let rendered = AuditPage {
        chrome: staff.chrome(&state).await,
        nav: staff.nav("audit"),
        params,
        actions: &Action::ALL,
        entries,
        problems,
        next,
    }
    .render();
    render::page(status, rendered)
}
