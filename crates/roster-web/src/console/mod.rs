//! `/console`: where account owners and admins run their teams, and platform admins run Roster.
//!
//! It is for members holding `users.read` in some account, and for platform admins; anyone else
//! gets a 403 page. Like every page it is a client of the same core services as the API, so it
//! works within the caller's rights exactly as the API does: what the API would answer 404 is
//! absent, and a button whose service would answer 403 is not shown (the service checks again
//! when it is used). Platform admins also see the jobs and the whole audit log.

mod accounts;
mod announcements;
mod audit;
mod chart;
mod csv;
mod jobs;
mod user;
mod users;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use roster_core::CoreError;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::Account;
use roster_http::AppState;

use crate::chrome::Chrome;
use crate::render;
use crate::visitor::Visitor;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/users", get(users::list))
        .route("/console/users.csv", get(csv::export))
        .route("/console/users/columns", post(users::save_columns))
        .route("/console/users/bulk", post(users::bulk))
        .route("/console/users/invite", post(users::invite))
        .route("/console/users/{id}", get(user::show))
        .route("/console/users/{id}/status", post(user::set_status))
        .route("/console/users/{id}/delete", post(user::delete))
        .route("/console/users/{id}/scope", post(user::save_scope))
        .route("/console/users/{id}/sessions/{session}/revoke", post(user::revoke_session))
        .route("/console/users/{id}/sessions/revoke-all", post(user::revoke_all_sessions))
        .route("/console/users/{id}/two-factor/reset", post(user::reset_two_factor))
        .route("/console/accounts", get(accounts::tree))
        .route("/console/accounts/{id}", get(accounts::account))
        .route("/console/accounts/{id}/members", post(accounts::add_member))
        .route("/console/accounts/{id}/members/{user}/remove", post(accounts::remove_member))
        .route("/console/announcements", get(announcements::page).post(announcements::create))
        .route("/console/announcements/{id}", post(announcements::edit))
        .route("/console/announcements/{id}/end", post(announcements::end))
        .route("/console/jobs", get(jobs::page))
        .route("/console/jobs/{id}/retry", post(jobs::retry))
        .route("/console/audit", get(audit::page))
}

/// The id in a console page's path (`{id}`), or the 404 page: a malformed id names nothing.
pub(crate) struct PathId<T>(pub T);

impl<T: From<uuid::Uuid>> FromRequestParts<AppState> for PathId<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| render::not_found())?;
        uuid::Uuid::parse_str(&raw).map(|id| PathId(T::from(id))).map_err(|_| render::not_found())
    }
}

/// A signed-in person allowed into the console.
pub(crate) struct Staff {
    pub visitor: Visitor,
    pub platform_admin: bool,
    /// The accounts where the person holds `users.read` (directly or by inheritance), with the
    /// person's role there.
    pub accounts: Vec<(Account, Role)>,
}

impl Staff {
    /// `visitor`, if the console is for them; else the 403 page.
    pub(crate) async fn of(state: &AppState, visitor: Visitor) -> Result<Self, Response> {
        let accounts =
            state.core.accounts_with(&visitor.actor, &Scope::USERS_READ).await.map_err(render::core_error)?;
        let platform_admin = visitor.actor.user.platform_admin;
        if accounts.is_empty() && !platform_admin {
            return Err(render::forbidden(
                "The console is for account owners and admins: ask an owner of your account for access.",
            ));
        }
        Ok(Self { visitor, platform_admin, accounts })
    }

    /// The page's chrome, in the person's theme.
    pub(crate) async fn chrome(&self, state: &AppState) -> Chrome {
        let preferences = state.core.config(&self.visitor.actor).await.unwrap_or_default();
        Chrome::of(state, &self.visitor, &preferences).await
    }

    pub(crate) fn nav(&self, current: &'static str) -> Nav {
        Nav { current, platform_admin: self.platform_admin }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        Staff::of(state, visitor).await
    }
}

/// The console's navigation, and which of its links is the current page.
pub(crate) struct Nav {
    pub current: &'static str,
    pub platform_admin: bool,
}

impl Nav {
    /// `aria-current` for the link named `name`.
    pub(crate) fn is(&self, name: &str) -> bool {
        self.current == name
    }
}

async fn home(_staff: Staff) -> Response {
    Redirect::to("/console/users").into_response()
}

/// What a service's refusal says on a console page, when it is not a page of its own (404, 5xx).
pub(crate) fn message_of(err: CoreError) -> Result<String, Response> {
    let outcome = crate::outcome::outcome_of("x", err)?;
    Ok(outcome.errors.into_iter().map(|(_, message)| message).collect::<Vec<_>>().join(" "))
}

/// An audit entry's changes as one line of JSON (nothing for none).
pub(crate) fn changes_text(changes: &serde_json::Value) -> String {
    if changes.as_object().is_some_and(serde_json::Map::is_empty) { String::new() } else { changes.to_string() }
}

/// A day typed in a date field (`YYYY-MM-DD`) as an RFC 3339 bound: the start of that UTC day,
/// or with `end` the start of the next one (so "until" includes the day).
pub(crate) fn day_bound(text: &str, end: bool) -> Option<String> {
    let date = time::Date::parse(text.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let at = if end { date.next_day()?.midnight() } else { date.midnight() };
    at.assume_utc().format(&time::format_description::well_known::Rfc3339).ok()
}
