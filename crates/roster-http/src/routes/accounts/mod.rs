//! `/v1/accounts`: accounts and their tree; members, "who can" and workspaces have files of
//! their own.

mod access;
mod members;
pub(crate) mod workspaces;

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::accounts::{NewAccount, RenameAccount, etag};
use roster_domain::AccountId;
use roster_domain::user::Account;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Json, Meta, Query};
use crate::query::PageQuery;
use crate::views::{AccountView, Page};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
        .routes(routes!(account_children))
        .merge(members::router())
        .merge(access::router())
        .merge(workspaces::router())
}

/// An `If-Match` header as text; one that is not even ASCII matches nothing (412).
pub(crate) fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).map(|v| v.to_str().unwrap_or(""))
}

/// A response with an `ETag`.
pub(crate) fn with_etag(tag: &str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Ok(value) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

fn account_response(account: &Account) -> Response {
    with_etag(&etag(account.id.as_uuid(), account.updated_at), axum::Json(AccountView::from(account)))
}

/// An account of the caller's, with the caller's role there.
#[derive(Debug, Serialize, ToSchema)]
struct MyAccountView {
    #[serde(flatten)]
    account: AccountView,
    /// The role that governs the caller here: its own membership's, or the nearest ancestor's.
    #[schema(value_type = roster_core::openapi::Role)]
    role: String,
}

/// List the caller's accounts.
///
/// The accounts the caller belongs to, directly or by inheritance (sub-accounts of an account
/// it is a member of), each with the caller's role there; in id order.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", params(PageQuery),
    responses((status = 200, body = Page<MyAccountView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn list_accounts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<MyAccountView>>> {
    let page = state.core.list_accounts(&actor, q.limit, q.cursor.as_deref()).await?;
    let data = page
        .items
        .iter()
        .map(|(account, role)| MyAccountView { account: AccountView::from(account), role: role.as_str().to_owned() })
        .collect();
    Ok(axum::Json(Page::new(data, page.next_cursor)))
}

/// Create an account.
///
/// A top-level account, owned by the caller; or, with `parent_id`, a sub-account (needs
/// `accounts.create` in the parent; members of the parent keep their roles there). Accounts
/// nest at most 8 levels deep (422 `too_deep`).
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = NewAccount,
    responses((status = 201, description = "Created", body = AccountView, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<NewAccount>,
) -> ApiResult<Response> {
    let account = state.core.create_account(&actor, body, &meta).await?;
    let location = format!("/v1/accounts/{}", account.id);
    let mut response = account_response(&account);
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Get an account.
///
/// Needs `accounts.read` there. Platform admins also see deleted accounts.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_account(State(state): State<AppState>, Auth(actor): Auth, Id(id): Id<AccountId>) -> ApiResult<Response> {
    let account = state.core.get_account(&actor, id).await?;
    Ok(account_response(&account))
}

/// Rename an account.
///
/// Needs `accounts.update`. `If-Match` with the `ETag` of a read is honoured (412 on mismatch).
#[utoipa::path(put, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = RenameAccount,
    responses((status = 200, body = AccountView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
async fn update_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Json(body): Json<RenameAccount>,
) -> ApiResult<Response> {
    let account = state.core.rename_account(&actor, id, body, if_match(&headers), &meta).await?;
    Ok(account_response(&account))
}

/// Delete an account.
///
/// Needs `accounts.delete`; refused (409 `conflict`) while it has sub-accounts that are not
/// deleted. Its members lose it, with their workspaces and CRM contacts there; sessions acting
/// in it fall back to another account of their user's. The record stays, with
/// `status: deleted`, and is returned.
#[utoipa::path(delete, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "conflict: live sub-accounts", body = Problem)))]
async fn delete_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Meta(meta): Meta,
) -> ApiResult<axum::Json<AccountView>> {
    let account = state.core.delete_account(&actor, id, &meta).await?;
    Ok(axum::Json(AccountView::from(&account)))
}

/// List sub-accounts.
///
/// The live sub-accounts of an account, in id order (`accounts.read`).
#[utoipa::path(get, path = "/v1/accounts/{id}/children", tag = "accounts", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<AccountView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn account_children(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<AccountView>>> {
    let page = state.core.account_children(&actor, id, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(Page::new(page.items.iter().map(AccountView::from).collect(), page.next_cursor)))
}
