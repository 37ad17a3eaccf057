//! Announcements: `/v1/announcements` for platform admins, and the caller's side,
//! `GET /v1/users/announcements` and `PUT /v1/users/{id}/announcement/{announcementId}`.

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::announcements::{AnnouncementChange, NewAnnouncement};
use roster_domain::{AnnouncementId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem, check_lengths};
use crate::extract::{Auth, Id, Ids, Json, Meta, Query};
use crate::query::PageQuery;
use crate::views::Page;
use crate::views::announcements::{AnnouncementView, AnswerStatus, AnswerView, MyAnnouncementView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_announcement, list_announcements))
        .routes(routes!(update_announcement, delete_announcement))
        .routes(routes!(my_announcements))
        .routes(routes!(answer_announcement))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAnnouncement {
    /// One line (it is also the subject of the mail).
    #[schema(min_length = 1, max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    title: String,
    /// Plain text; line breaks are kept.
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
    /// RFC 3339; default now.
    #[schema(format = DateTime)]
    starts_at: Option<String>,
    /// RFC 3339, later than `starts_at`; absent: no end.
    #[schema(format = DateTime)]
    ends_at: Option<String>,
    /// Only the members of this account and of its sub-accounts see it; absent: everyone.
    account_id: Option<Uuid>,
    /// Mail it to each recipient whose `notifications.email.product` is on (default false).
    notify: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateAnnouncement {
    #[schema(min_length = 1, max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    title: Option<String>,
    #[schema(min_length = 1, max_length = 10000)]
    body: Option<String>,
    #[schema(format = DateTime)]
    starts_at: Option<String>,
    /// `null` removes the end.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[schema(format = DateTime, value_type = Option<String>)]
    ends_at: Option<Option<String>>,
    /// `null` shows it to everyone.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[schema(value_type = Option<Uuid>)]
    account_id: Option<Option<Uuid>>,
}

#[derive(Debug, Serialize, ToSchema)]
struct MyAnnouncements {
    data: Vec<MyAnnouncementView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswerRequest {
    status: AnswerStatus,
    /// With `snoozed` only, and required then: RFC 3339, in the future.
    #[schema(format = DateTime)]
    snooze_until: Option<String>,
}

/// Publish an announcement.
///
/// Platform admins only (403 otherwise). Shown from `starts_at` (default now) until `ends_at`, to
/// everyone or to the members of `account_id` and of its sub-accounts (an unknown account → 422
/// `unknown_account`). With `notify: true`, each recipient whose `notifications.email.product`
/// is on gets it by email, through the notifications queue in batches.
#[utoipa::path(post, path = "/v1/announcements", tag = "announcements", request_body = CreateAnnouncement,
    responses((status = 201, body = AnnouncementView, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_announcement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<CreateAnnouncement>,
) -> ApiResult<Response> {
    check_lengths(&[("title", Some(&body.title), 200), ("body", Some(&body.body), 10_000)])?;
    let new = NewAnnouncement {
        title: body.title,
        body: body.body,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        account_id: body.account_id,
        notify: body.notify.unwrap_or(false),
    };
    let created = state.core.create_announcement(&actor, new, &meta).await?;
    let location = format!("/v1/announcements/{}", created.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(AnnouncementView::from(&created)))
        .into_response())
}

/// List announcements.
///
/// Platform admins only: every announcement, newest first.
#[utoipa::path(get, path = "/v1/announcements", tag = "announcements", params(PageQuery),
    responses((status = 200, body = Page<AnnouncementView>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_announcements(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<AnnouncementView>>> {
    let page = state.core.announcements(&actor, q.cursor.as_deref(), q.limit).await?;
    Ok(axum::Json(Page::new(page.items.iter().map(AnnouncementView::from).collect(), page.next_cursor)))
}

/// Change an announcement.
///
/// Platform admins only. What is given changes; `ends_at: null` removes the end and
/// `account_id: null` shows it to everyone. Mail already sent is not sent again.
#[utoipa::path(put, path = "/v1/announcements/{id}", tag = "announcements", params(("id" = Uuid, Path)),
    request_body = UpdateAnnouncement,
    responses((status = 200, body = AnnouncementView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_announcement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<AnnouncementId>,
    Json(body): Json<UpdateAnnouncement>,
) -> ApiResult<axum::Json<AnnouncementView>> {
    check_lengths(&[("title", body.title.as_deref(), 200), ("body", body.body.as_deref(), 10_000)])?;
    let change = AnnouncementChange {
        title: body.title,
        body: body.body,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        account_id: body.account_id,
    };
    let updated = state.core.update_announcement(&actor, id, change, &meta).await?;
    Ok(axum::Json(AnnouncementView::from(&updated)))
}

/// Delete an announcement.
///
/// Platform admins only; the users' answers go with it.
#[utoipa::path(delete, path = "/v1/announcements/{id}", tag = "announcements", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_announcement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<AnnouncementId>,
) -> ApiResult<StatusCode> {
    state.core.delete_announcement(&actor, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's announcements.
///
/// The active ones (started, not ended) for everyone or for one of the caller's accounts or an
/// account above them, newest first, with the caller's status: `new`, `seen`, or `snoozed` once
/// its snooze is over. Dismissed ones and those snoozed until later are left out.
#[utoipa::path(get, path = "/v1/users/announcements", tag = "users",
    responses((status = 200, body = MyAnnouncements), (status = 401, body = Problem)))]
async fn my_announcements(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<MyAnnouncements>> {
    let shown = state.core.my_announcements(&actor).await?;
    Ok(axum::Json(MyAnnouncements { data: shown.iter().map(MyAnnouncementView::from).collect() }))
}

/// Answer an announcement.
///
/// The caller's own status of one of its announcements (another user's → 403; an announcement
/// not for the caller → 404): `seen`, `dismissed` (hidden for good) or `snoozed` until
/// `snooze_until` (required then, in the future; with another status → 422).
#[utoipa::path(put, path = "/v1/users/{id}/announcement/{announcementId}", tag = "users",
    params(("id" = Uuid, Path), ("announcementId" = Uuid, Path)), request_body = AnswerRequest,
    responses((status = 200, body = AnswerView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn answer_announcement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Ids(user, announcement): Ids<UserId, AnnouncementId>,
    Json(body): Json<AnswerRequest>,
) -> ApiResult<axum::Json<AnswerView>> {
    let answer = state
        .core
        .answer_announcement(&actor, user, announcement, body.status.as_str(), body.snooze_until.as_deref())
        .await?;
    Ok(axum::Json(AnswerView::from(&answer)))
}
