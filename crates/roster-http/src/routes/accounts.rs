//! `/v1/accounts` (minimal until the accounts issue): the caller's accounts and one account.

use axum::extract::State;
use roster_domain::AccountId;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id};
use crate::views::{AccountView, Page};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_accounts)).routes(routes!(get_account))
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
/// it is a member of), each with the caller's role there.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts",
    responses((status = 200, body = Page<MyAccountView>), (status = 401, body = Problem)))]
async fn list_accounts(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<Page<MyAccountView>>> {
    let accounts = state.core.list_accounts(&actor).await?;
    let data = accounts
        .iter()
        .map(|(account, role)| MyAccountView { account: AccountView::from(account), role: role.as_str().to_owned() })
        .collect();
    Ok(axum::Json(Page::new(data, None)))
}

/// Get an account.
///
/// Needs `accounts.read` there.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
) -> ApiResult<axum::Json<AccountView>> {
    let account = state.core.get_account(&actor, id).await?;
    Ok(axum::Json(AccountView::from(&account)))
}
