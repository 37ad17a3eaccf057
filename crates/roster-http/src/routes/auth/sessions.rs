//! The caller's sessions (`/v1/auth/sessions`) and password (`POST /v1/auth/password`).

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::StatusCode;
use roster_domain::SessionId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Json, Meta, Query};
use crate::query::PageQuery;
use crate::views::Page;
use crate::views::activity::{AttemptView, SessionList, SessionView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, revoke_other_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(change_password))
        .routes(routes!(login_history))
}

/// The caller's login history.
///
/// Every login attempt for the caller's email — successes and failures, with the reason — newest
/// first, kept 90 days. So that an attack cannot fill it, attempts refused while the password is
/// locked, or because their client address is over its own limit, are answered without being
/// written (the lock itself is mailed to the user).
#[utoipa::path(get, path = "/v1/auth/login-history", tag = "auth", params(PageQuery),
    responses((status = 200, body = Page<AttemptView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn login_history(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<AttemptView>>> {
    let page = state.core.login_history(&actor, q.limit, q.cursor.as_deref()).await?;
    let data = page.items.into_iter().map(AttemptView::from).collect();
    Ok(axum::Json(Page::new(data, page.next_cursor)))
}

/// List the caller's sessions.
///
/// Every session of the caller that is neither revoked nor expired, most recently used first
/// (`last_seen_at` is updated at most once a minute).
#[utoipa::path(get, path = "/v1/auth/sessions", tag = "auth",
    responses((status = 200, body = SessionList), (status = 401, body = Problem)))]
async fn list_sessions(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<SessionList>> {
    let sessions = state.core.list_sessions(&actor).await?;
    Ok(axum::Json(SessionList { data: sessions.into_iter().map(|(s, current)| SessionView::of(s, current)).collect() }))
}

/// Revoke one session.
///
/// One of the caller's sessions (the current one too: that signs out); another user's or an
/// unknown one → 404.
#[utoipa::path(delete, path = "/v1/auth/sessions/{id}", tag = "auth", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn revoke_session(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<SessionId>,
) -> ApiResult<StatusCode> {
    state.core.revoke_session(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke every other session.
///
/// Signs the caller out everywhere but here.
#[utoipa::path(delete, path = "/v1/auth/sessions", tag = "auth",
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem)))]
async fn revoke_other_sessions(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    state.core.revoke_other_sessions(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// No `Debug`: it holds passwords.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    #[schema(max_length = 1024)]
    current_password: String,
    /// The password policy of API.md §7 (422 on `new_password`: `too_short`, `too_long`,
    /// `too_common`, `too_similar`).
    #[schema(max_length = 128)]
    new_password: String,
}

/// Change the password.
///
/// The current password proves it is the user (wrong → 403 `forbidden`). Every other session
/// is revoked, and the user gets the "password changed" notice by email.
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "Changed"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 429, description = "too_many_attempts", body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<ChangePassword>,
) -> ApiResult<StatusCode> {
    state.core.change_password(&actor, &body.current_password, &body.new_password, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
