//! `/v1/accounts/{id}/workspaces` and `/v1/workspaces`: workspaces and their members.

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::accounts::etag;
use roster_core::accounts::input::{AddWorkspaceMember, RenameAccount};
use roster_domain::workspace::Workspace;
use roster_domain::{AccountId, UserId, WorkspaceId};
use utoipa_axum::router::OpenApiRouter;

use super::{if_match, with_etag};
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Ids, Json, Meta, Query};
use crate::query::PageQuery;
use crate::views::Page;
use crate::views::workspaces::{WorkspaceMemberView, WorkspaceView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workspaces, create_workspace))
        .routes(routes!(get_workspace, update_workspace, delete_workspace))
        .routes(routes!(list_workspace_members, add_workspace_member))
        .routes(routes!(remove_workspace_member))
}

fn workspace_response(w: &Workspace) -> Response {
    with_etag(&etag(w.id.as_uuid(), w.updated_at), axum::Json(WorkspaceView::from(w)))
}

/// Create a workspace.
///
/// Inside the account (`workspaces`).
#[utoipa::path(post, path = "/v1/accounts/{id}/workspaces", tag = "workspaces", params(("id" = Uuid, Path)),
    request_body = RenameAccount,
    responses((status = 201, description = "Created", body = WorkspaceView, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_workspace(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Meta(meta): Meta,
    Json(body): Json<RenameAccount>,
) -> ApiResult<Response> {
    let workspace = state.core.create_workspace(&actor, id, body, &meta).await?;
    let mut response = workspace_response(&workspace);
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(value) = header::HeaderValue::from_str(&format!("/v1/workspaces/{}", workspace.id)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// List an account's workspaces.
///
/// In id order (`workspaces.read`).
#[utoipa::path(get, path = "/v1/accounts/{id}/workspaces", tag = "workspaces", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<WorkspaceView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_workspaces(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<WorkspaceView>>> {
    let page = state.core.list_workspaces(&actor, id, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(Page::new(page.items.iter().map(WorkspaceView::from).collect(), page.next_cursor)))
}

/// Get a workspace.
///
/// Needs `workspaces.read` in its account.
#[utoipa::path(get, path = "/v1/workspaces/{id}", tag = "workspaces", params(("id" = Uuid, Path)),
    responses((status = 200, body = WorkspaceView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_workspace(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<WorkspaceId>,
) -> ApiResult<Response> {
    let workspace = state.core.get_workspace(&actor, id).await?;
    Ok(workspace_response(&workspace))
}

/// Rename a workspace.
///
/// Needs `workspaces` in its account; `If-Match` honoured (412 on mismatch).
#[utoipa::path(put, path = "/v1/workspaces/{id}", tag = "workspaces", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = RenameAccount,
    responses((status = 200, body = WorkspaceView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
async fn update_workspace(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<WorkspaceId>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Json(body): Json<RenameAccount>,
) -> ApiResult<Response> {
    let workspace = state.core.rename_workspace(&actor, id, body, if_match(&headers), &meta).await?;
    Ok(workspace_response(&workspace))
}

/// Delete a workspace.
///
/// With its memberships (`workspaces` in its account).
#[utoipa::path(delete, path = "/v1/workspaces/{id}", tag = "workspaces", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_workspace(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<WorkspaceId>,
    Meta(meta): Meta,
) -> ApiResult<StatusCode> {
    state.core.delete_workspace(&actor, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a workspace's members.
///
/// In user id order (`workspaces.read` in its account).
#[utoipa::path(get, path = "/v1/workspaces/{id}/members", tag = "workspaces", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<WorkspaceMemberView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_workspace_members(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<WorkspaceId>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<WorkspaceMemberView>>> {
    let page = state.core.workspace_members(&actor, id, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(Page::new(page.items.iter().map(WorkspaceMemberView::from).collect(), page.next_cursor)))
}

/// Add a workspace member.
///
/// Only members of the workspace's account (else 422 on `user_id`); a user the caller cannot
/// see → 404; already a member → 409 `conflict`. Needs `workspaces`.
#[utoipa::path(post, path = "/v1/workspaces/{id}/members", tag = "workspaces", params(("id" = Uuid, Path)),
    request_body = AddWorkspaceMember,
    responses((status = 201, description = "Created", body = WorkspaceMemberView), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "conflict: already a member", body = Problem),
        (status = 422, body = Problem)))]
async fn add_workspace_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<WorkspaceId>,
    Meta(meta): Meta,
    Json(body): Json<AddWorkspaceMember>,
) -> ApiResult<Response> {
    let member = state.core.add_workspace_member(&actor, id, body, &meta).await?;
    Ok((StatusCode::CREATED, axum::Json(WorkspaceMemberView::from(&member))).into_response())
}

/// Remove a workspace member.
///
/// Needs `workspaces` in the workspace's account; not a member → 404.
#[utoipa::path(delete, path = "/v1/workspaces/{id}/members/{userId}", tag = "workspaces",
    params(("id" = Uuid, Path), ("userId" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_workspace_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Ids(id, user): Ids<WorkspaceId, UserId>,
    Meta(meta): Meta,
) -> ApiResult<StatusCode> {
    state.core.remove_workspace_member(&actor, id, user, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
