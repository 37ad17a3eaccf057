//! `GET /v1/users/{id}/export`: everything stored about a user, as one JSON document to save
//! (GDPR Art. 15 and 20). Its parts are the views the API shows elsewhere, so the document
//! reads like the API; its shape is [`UserExport`].

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use roster_domain::UserId;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Meta};
use crate::views::export::UserExport;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_user))
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
