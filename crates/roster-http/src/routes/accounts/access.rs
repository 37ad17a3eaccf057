//! `GET /v1/accounts/{id}/access`: who holds a scope in an account, and why.

use crate::openapi::lazy::routes;
use axum::extract::State;
use roster_domain::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(account_access))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AccessQuery {
    /// Required: the scope asked about.
    #[param(required = true, value_type = roster_core::openapi::ScopeName)]
    scope: Option<String>,
    /// List platform admins too (they hold every scope everywhere).
    include_platform_admins: Option<bool>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, with the same scope (else 400).
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct HolderView {
    user_id: Uuid,
    name: String,
    #[schema(format = Email)]
    email: String,
    /// The role of the membership that governs the user here (its own, or the nearest
    /// ancestor's); null for a platform admin without one.
    #[schema(value_type = Option<roster_core::openapi::Role>)]
    role: Option<String>,
    /// What decided it: the role, a grant, a membership inherited from which account (name
    /// and id), or platform admin.
    because: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct AccessView {
    #[schema(value_type = roster_core::openapi::ScopeName)]
    scope: String,
    account_id: Uuid,
    data: Vec<HolderView>,
    /// Where the next page starts; null on the last page. A page may hold fewer than `limit`
    /// (members whose role holds the scope but who are denied it are skipped) while this is set.
    next_cursor: Option<String>,
}

/// Who holds a scope.
///
/// Every user who holds `scope` in the account, directly or by a membership inherited from an
/// ancestor, with the reason; in user id order. Platform admins only with
/// `include_platform_admins=true`. Needs `users.read`.
#[utoipa::path(get, path = "/v1/accounts/{id}/access", tag = "accounts", params(("id" = Uuid, Path), AccessQuery),
    responses((status = 200, body = AccessView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn account_access(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<AccountId>,
    Query(q): Query<AccessQuery>,
) -> ApiResult<axum::Json<AccessView>> {
    let include = q.include_platform_admins.unwrap_or(false);
    let page = state.core.who_can(&actor, id, q.scope.as_deref(), include, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(AccessView {
        scope: q.scope.unwrap_or_default(),
        account_id: id.as_uuid(),
        data: page
            .items
            .into_iter()
            .map(|h| HolderView {
                user_id: h.user_id.as_uuid(),
                name: h.name,
                email: h.email,
                role: h.role.map(|r| r.as_str().to_owned()),
                because: h.because,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
