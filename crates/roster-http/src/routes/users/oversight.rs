//! An administrator's hold on another user's sign-in: the user's sessions (`GET`/`DELETE
//! /v1/users/{id}/sessions`) and two-factor authentication (`DELETE /v1/users/{id}/mfa`). Who
//! may: platform admins, and whoever holds `users.update` with a role at least the user's in
//! EVERY account the user belongs to; never the user itself (its own are under `/v1/auth`).

use axum::extract::State;
use axum::http::StatusCode;
use roster_domain::{SessionId, UserId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Meta, Query};
use crate::openapi::lazy::routes;
use crate::views::activity::{SessionList, SessionView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(user_sessions, end_user_sessions)).routes(routes!(reset_user_mfa))
}

/// List a user's sessions.
///
/// The user's live sessions (neither revoked nor expired), most recently used first. For
/// platform admins and whoever holds `users.update` with a role at least the user's in every
/// account the user belongs to (otherwise 403; a user the caller cannot see is 404). A user's
/// own sessions are at `/v1/auth/sessions` (403 here).
#[utoipa::path(get, path = "/v1/users/{id}/sessions", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = SessionList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn user_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
) -> ApiResult<axum::Json<SessionList>> {
    let sessions = state.core.user_sessions(&actor, id).await?;
    Ok(axum::Json(SessionList { data: sessions.into_iter().map(|s| SessionView::of(s, false)).collect() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct EndSessions {
    /// End only this session (one of the user's live ones, else 404); without it, every one.
    session_id: Option<Uuid>,
}

/// Sign a user out.
///
/// Ends one of the user's sessions (`session_id`) or all of them: the user's next request with
/// any of them is 401. Audited (`user.sessions_revoked`), and the user is told by email. Who
/// may: as for listing them.
#[utoipa::path(delete, path = "/v1/users/{id}/sessions", tag = "users", params(("id" = Uuid, Path), EndSessions),
    responses((status = 204, description = "Ended"), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn end_user_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<UserId>,
    Query(q): Query<EndSessions>,
) -> ApiResult<StatusCode> {
    let session = q.session_id.map(SessionId::from_uuid);
    state.core.end_user_sessions(&actor, id, session, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reset a user's two-factor authentication.
///
/// Turns the user's two-factor authentication off (its secret and recovery codes are deleted),
/// so that the user signs in with the password alone and may set it up again; off already →
/// 409 `conflict`. Audited (`user.mfa_reset`), and the user is told by email. Who may: as for
/// the user's sessions; one's own is turned off at `DELETE /v1/auth/mfa` with the password.
#[utoipa::path(delete, path = "/v1/users/{id}/mfa", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Turned off"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reset_user_mfa(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<UserId>,
) -> ApiResult<StatusCode> {
    state.core.reset_user_mfa(&actor, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
