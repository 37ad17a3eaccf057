//! `/console/announcements` (platform admins): every announcement, newest first; create one
//! for everyone or for an account and its sub-accounts (optionally mailed too), edit it, and end
//! it now. Times are typed and shown in UTC.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::announcements::{AnnouncementChange, NewAnnouncement};
use roster_domain::AnnouncementId;
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{Nav, PathId, Staff, message_of};
use crate::chrome::Chrome;
use crate::forms::{Nothing, SignedForm};
use crate::render;

pub(crate) struct Row {
    id: String,
    title: String,
    body: String,
    /// `YYYY-MM-DDTHH:MM`, as a `datetime-local` field takes it (UTC).
    starts: String,
    ends: String,
    audience: String,
    account: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "console/announcements.html")]
struct AnnouncementsPage {
    chrome: Chrome,
    nav: Nav,
    form_token: String,
    notice: Option<String>,
    problems: Vec<String>,
    rows: Vec<Row>,
    /// `(id, name)` of the accounts an announcement may be for.
    accounts: Vec<(String, String)>,
}

/// A time as a `datetime-local` field shows it, in UTC.
fn field_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
}

/// A `datetime-local` value (UTC) as RFC 3339; anything else is passed on for the service to
/// name as the field's error.
fn rfc3339(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let with_seconds = if text.len() == 16 { format!("{text}:00Z") } else { format!("{text}Z") };
    Some(if OffsetDateTime::parse(&with_seconds, &Rfc3339).is_ok() { with_seconds } else { text.to_owned() })
}

async fn show(
    state: &AppState,
    staff: &Staff,
    notice: Option<String>,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
    if !staff.platform_admin {
        return render::forbidden("Only platform admins manage announcements.");
    }
    let found = match state.core.announcements(&staff.visitor.actor, None, Some(100)).await {
        Ok(found) => found.items,
        Err(err) => return render::core_error(err),
    };
    let now = state.core.clock.now();
    let name_of = |id: Uuid| {
        staff
            .accounts
            .iter()
            .find(|(a, _)| a.id.as_uuid() == id)
            .map_or_else(|| id.to_string(), |(a, _)| a.name.clone())
    };
    let rows = found
        .into_iter()
        .map(|a| Row {
            id: a.id.to_string(),
            state: if a.ends_at.is_some_and(|e| e.get() <= now) {
                "ended"
            } else if a.starts_at.get() > now {
                "scheduled"
            } else {
                "showing"
            },
            title: a.title,
            body: a.body,
            starts: field_time(a.starts_at.get()),
            ends: a.ends_at.map(|e| field_time(e.get())).unwrap_or_default(),
            audience: a.account_id.map_or_else(|| "Everyone".to_owned(), name_of),
            account: a.account_id.map(|id| id.to_string()).unwrap_or_default(),
        })
        .collect();
    let rendered = AnnouncementsPage {
        chrome: staff.chrome(state).await,
        nav: staff.nav("announcements"),
        form_token: staff.visitor.form_token.clone(),
        notice,
        problems,
        rows,
        accounts: staff.accounts.iter().map(|(a, _)| (a.id.to_string(), a.name.clone())).collect(),
    }
    .render();
    render::page(status, rendered)
}

/// `GET /console/announcements`.
pub(crate) async fn page(State(state): State<AppState>, staff: Staff, RawQuery(raw): RawQuery) -> Response {
    let notice = match raw.as_deref() {
        Some("done=created") => Some("The announcement is published.".to_owned()),
        Some("done=saved") => Some("The announcement is saved.".to_owned()),
        Some("done=ended") => Some("The announcement has ended.".to_owned()),
        _ => None,
    };
    show(&state, &staff, notice, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub(crate) struct AnnouncementForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    /// An account id, or empty for everyone.
    #[serde(default)]
    account: String,
    #[serde(default)]
    notify: Option<String>,
}

fn audience(form: &AnnouncementForm) -> Result<Option<Uuid>, Response> {
    match form.account.trim() {
        "" => Ok(None),
        raw => Uuid::parse_str(raw).map(Some).map_err(|_| render::bad_form()),
    }
}

async fn refused(state: &AppState, visitor: crate::visitor::Visitor, err: roster_core::CoreError) -> Response {
    let message = match message_of(err) {
        Ok(message) => message,
        Err(page) => return page,
    };
    match Staff::of(state, visitor).await {
        Ok(staff) => show(state, &staff, None, vec![message], StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(page) => page,
    }
}

/// `POST /console/announcements`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<AnnouncementForm>,
) -> Response {
    let account_id = match audience(&form) {
        Ok(account) => account,
        Err(page) => return page,
    };
    let new = NewAnnouncement {
        starts_at: rfc3339(&form.starts_at),
        ends_at: rfc3339(&form.ends_at),
        notify: form.notify.is_some(),
        account_id,
        title: form.title,
        body: form.body,
    };
    match state.core.create_announcement(&visitor.actor, new, &meta).await {
        Ok(_) => Redirect::to("/console/announcements?done=created").into_response(),
        Err(err) => refused(&state, visitor, err).await,
    }
}

/// `POST /console/announcements/{id}`: save the edited fields.
pub(crate) async fn edit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<AnnouncementId>,
    SignedForm { visitor, form }: SignedForm<AnnouncementForm>,
) -> Response {
    let account_id = match audience(&form) {
        Ok(account) => account,
        Err(page) => return page,
    };
    let change = AnnouncementChange {
        starts_at: rfc3339(&form.starts_at),
        ends_at: Some(rfc3339(&form.ends_at)),
        account_id: Some(account_id),
        title: Some(form.title),
        body: Some(form.body),
    };
    match state.core.update_announcement(&visitor.actor, id, change, &meta).await {
        Ok(_) => Redirect::to("/console/announcements?done=saved").into_response(),
        Err(err) => refused(&state, visitor, err).await,
    }
}

/// `POST /console/announcements/{id}/end`: it stops showing now.
pub(crate) async fn end(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<AnnouncementId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let now = state.core.clock.now().format(&Rfc3339).ok();
    let change = AnnouncementChange { ends_at: Some(now), ..AnnouncementChange::default() };
    match state.core.update_announcement(&visitor.actor, id, change, &meta).await {
        Ok(_) => Redirect::to("/console/announcements?done=ended").into_response(),
        Err(err) => refused(&state, visitor, err).await,
    }
}
