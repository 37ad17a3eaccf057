//! `/v1/users`: handlers extract, call one service method, and map the result. A user's
//! access (scope, permissions, associations) has a file of its own.

mod access;
mod calendars;
mod config;
mod emails;
pub mod export;
mod oversight;
mod phones;
mod push_tokens;
mod recovery;

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::users::{CreateUser, SearchUsers, UpdateUser, etag};
use roster_domain::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Json, MaybeAuth, Meta, Query};
use crate::query::{PageQuery, UsersQuery};
use crate::views::activity::ActivityView;
use crate::views::{Page, UserView, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(search_users))
        .routes(routes!(profile))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(user_activity))
        .routes(routes!(user_analytics))
        .merge(access::router())
        .merge(recovery::router())
        .merge(push_tokens::router())
        .merge(emails::router())
        .merge(phones::router())
        .merge(config::router())
        .merge(calendars::router())
        .merge(export::router())
        .merge(oversight::router())
}

/// Create a user.
///
/// Anonymous: open sign-up (`ROSTER_SIGNUP=open`), which also creates an account with the user as
/// its owner. Signed in with `users.create`: adds the user to `account_id` (default: the active
/// account) with `role`; without a password the user is `invited` and gets an invitation email.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView, headers(("Location" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "email_taken", body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Meta(meta): Meta,
    Json(body): Json<CreateUser>,
) -> ApiResult<Response> {
    let user = state.core.create_user(actor.as_ref(), body, &meta).await?;
    let location = format!("/v1/users/{}", user.user.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(UserView::from(&user))).into_response())
}

/// List users.
///
/// The members of the active account (or `account_id`; platform admins may omit both for every
/// user), filtered, sorted and paginated with keyset cursors. Needs `users.read`. A filtered page
/// examines a bounded number of users: it may hold fewer than `limit` while `next_cursor` is set.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(UsersQuery),
    responses((status = 200, body = Page<UserView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<UsersQuery>,
) -> ApiResult<axum::Json<Page<UserView>>> {
    let account = q.account_id;
    let (filters, paging) = q.split(account);
    let list = state.core.list_users(&actor, filters, paging).await?;
    Ok(axum::Json(page(list)))
}

fn page(list: roster_core::users::UserList) -> Page<UserView> {
    Page {
        total: list.total.map(|t| t.n),
        total_exact: list.total.map(|t| t.exact),
        ..Page::new(list.users.iter().map(UserView::from).collect(), list.next_cursor)
    }
}

/// Search users.
///
/// `query` matches names and emails case-insensitively; `filters`, `sort` and paging as in the
/// list. Needs `users.read`.
#[utoipa::path(post, path = "/v1/users/search", tag = "users", request_body = SearchUsers,
    responses((status = 200, body = Page<UserView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn search_users(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<SearchUsers>,
) -> ApiResult<axum::Json<Page<UserView>>> {
    let list = state.core.search_users(&actor, body).await?;
    Ok(axum::Json(page(list)))
}

#[derive(Debug, Serialize, ToSchema)]
struct ProfileAccountView {
    account_id: Uuid,
    name: String,
    #[schema(value_type = roster_core::openapi::Role)]
    role: String,
    grant: Vec<String>,
    deny: Vec<String>,
    effective: Vec<String>,
}

/// The caller's user, accounts and preferences.
#[derive(Debug, Serialize, ToSchema)]
struct ProfileView {
    #[serde(flatten)]
    user: UserView,
    active_account_id: Option<Uuid>,
    accounts: Vec<ProfileAccountView>,
    #[schema(value_type = Object)]
    preferences: serde_json::Value,
}

/// The caller's profile.
///
/// The signed-in user with its active account, its memberships and its preferences.
#[utoipa::path(get, path = "/v1/users/profile", tag = "users",
    responses((status = 200, body = ProfileView), (status = 401, body = Problem)))]
async fn profile(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<ProfileView>> {
    let profile = state.core.profile(&actor).await?;
    Ok(axum::Json(ProfileView {
        user: UserView::from(&profile.user),
        active_account_id: profile.active_account_id.map(|a| a.as_uuid()),
        accounts: profile
            .accounts
            .into_iter()
            .map(|a| ProfileAccountView {
                account_id: a.account_id.as_uuid(),
                name: a.name,
                role: a.role.as_str().to_owned(),
                grant: a.grant,
                deny: a.deny,
                effective: a.effective,
            })
            .collect(),
        preferences: profile.preferences,
    }))
}

fn with_etag(user: &roster_domain::user::UserDetail) -> Response {
    let tag = etag(&user.user);
    let mut response = axum::Json(UserView::from(user)).into_response();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Get a user.
///
/// Visible to the user itself, to members with `users.read` in one of its accounts, and to
/// platform admins; 404 to everyone else.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn get_user(State(state): State<AppState>, Auth(actor): Auth, Id(id): Id<UserId>) -> ApiResult<Response> {
    let user = state.core.get_user(&actor, id).await?;
    Ok(with_etag(&user))
}

/// Update a user.
///
/// A partial update: only the members sent change. `If-Match` with the `ETag` of a read is
/// honoured (412 on mismatch). The user may change its own profile fields; `users.update` is
/// needed for others, in every account the user belongs to; `status` is never one's own.
#[utoipa::path(put, path = "/v1/users/{id}", tag = "users", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateUser,
    responses((status = 200, body = UserView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Json(body): Json<UpdateUser>,
) -> ApiResult<Response> {
    // An If-Match that is not even ASCII matches nothing (412), rather than being ignored.
    let if_match = headers.get(header::IF_MATCH).map(|v| v.to_str().unwrap_or(""));
    let user = state.core.update_user(&actor, id, body, if_match, &meta).await?;
    Ok(with_etag(&user))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// Accounts the user solely owns pass to this user.
    transfer_to: Option<Uuid>,
    /// Also erase personal data (self or platform admin).
    purge: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
struct DeletedView {
    id: Uuid,
    /// Always `deleted`.
    #[schema(value_type = String, pattern = "^deleted$")]
    status: &'static str,
    #[schema(format = DateTime)]
    deleted_at: String,
    transferred_to: Option<Uuid>,
}

/// Delete a user.
///
/// Status `deleted`, sessions revoked, email freed for a new sign-up; the record stays for the
/// audit trail. `transfer_to` hands over accounts the user solely owns (else 409 `last_owner`);
/// `purge=true` (self or platform admin) also erases personal data.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", params(("id" = Uuid, Path), DeleteQuery),
    responses((status = 200, body = DeletedView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "last_owner", body = Problem), (status = 422, body = Problem)))]
async fn delete_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
    Meta(meta): Meta,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<axum::Json<DeletedView>> {
    let deletion = state
        .core
        .delete_user(&actor, id, q.transfer_to.map(UserId::from_uuid), q.purge.unwrap_or(false), &meta)
        .await?;
    Ok(axum::Json(DeletedView {
        id: deletion.id.as_uuid(),
        status: "deleted",
        deleted_at: rfc3339(deletion.deleted_at),
        transferred_to: deletion.transferred_to.map(|u| u.as_uuid()),
    }))
}

/// A user's activity.
///
/// The user's audit trail, newest first (self, `users.read`, or platform admin).
#[utoipa::path(get, path = "/v1/users/{id}/activity", tag = "users", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<ActivityView>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn user_activity(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<ActivityView>>> {
    let page = state.core.user_activity(&actor, id, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(Page::new(page.entries.into_iter().map(ActivityView::from).collect(), page.next_cursor)))
}

/// Engagement aggregated by the analytics queue (whole UTC days, today included).
#[derive(Debug, Serialize, ToSchema)]
struct AnalyticsView {
    logins_7d: i64,
    logins_30d: i64,
    active_days_30d: i64,
    #[schema(format = DateTime)]
    last_active_at: Option<String>,
}

/// A user's engagement.
///
/// Logins and active days aggregated by the analytics queue (self, `users.read` in one of its
/// accounts, or platform admin).
#[utoipa::path(get, path = "/v1/users/{id}/analytics", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = AnalyticsView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn user_analytics(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
) -> ApiResult<axum::Json<AnalyticsView>> {
    let e = state.core.user_analytics(&actor, id).await?;
    Ok(axum::Json(AnalyticsView {
        logins_7d: e.logins_7d,
        logins_30d: e.logins_30d,
        active_days_30d: e.active_days_30d,
        last_active_at: e.last_active_at.map(rfc3339),
    }))
}
