//! `/v1/accounts/{id}/members`: an account's memberships.

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::accounts::input::AddMember;
use roster_domain::{AccountId, UserId};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Ids, Json, Meta, Query};
use crate::query::MembersQuery;
use crate::views::Page;
use crate::views::members::MemberView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_members, add_member)).routes(routes!(remove_member))
}

/// List an account's members.
///
/// The users with their own membership in the account (`users.read`), each with its role and
/// scopes there; filtered, sorted and paginated as `GET /v1/users`.
#[utoipa::path(get, path = "/v1/accounts/{id}/members", tag = "accounts", params(("id" = Uuid, Path), MembersQuery),
    responses((status = 200, body = Page<MemberView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_members(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<axum::Json<Page<MemberView>>> {
    let (filters, paging) = q.split(None);
    let list = state.core.list_members(&actor, id, filters, paging).await?;
    Ok(axum::Json(Page {
        total: list.total.map(|t| t.n),
        total_exact: list.total.map(|t| t.exact),
        ..Page::new(list.members.iter().map(|(u, m)| MemberView::new(u, m)).collect(), list.next_cursor)
    }))
}

/// Add a member.
///
/// `user_id` or `email`: an existing user becomes a member (the multi-account case; it is told
/// by email), a new address is invited (the invitation email of `POST /v1/users`). Needs
/// `users.create`; the role and grants are never above the caller's own there (403). Already a
/// member → 409 `conflict`.
#[utoipa::path(post, path = "/v1/accounts/{id}/members", tag = "accounts", params(("id" = Uuid, Path)),
    request_body = AddMember,
    responses((status = 201, description = "Created", body = MemberView, headers(("Location" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "conflict: already a member", body = Problem), (status = 422, body = Problem)))]
async fn add_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Meta(meta): Meta,
    Json(body): Json<AddMember>,
) -> ApiResult<Response> {
    let added = state.core.add_member(&actor, id, body, &meta).await?;
    let location = format!("/v1/accounts/{id}/members/{}", added.membership.user_id);
    let view = MemberView::new(&added.user, &added.membership);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(view)).into_response())
}

/// Remove a member.
///
/// Needs `users.delete` (or is the member itself leaving); an owner is removed only by an
/// owner, never the last one (409 `last_owner`). The user's sessions lose the account at once,
/// with its workspaces there and its CRM contact.
#[utoipa::path(delete, path = "/v1/accounts/{id}/members/{userId}", tag = "accounts",
    params(("id" = Uuid, Path), ("userId" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "last_owner", body = Problem)))]
async fn remove_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Ids(id, user): Ids<AccountId, UserId>,
    Meta(meta): Meta,
) -> ApiResult<StatusCode> {
    state.core.remove_member(&actor, id, user, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
