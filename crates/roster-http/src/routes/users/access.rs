//! A user's access: `PUT /v1/users/{id}/scope`, `GET /v1/users/{id}/permissions`,
//! `GET /v1/users/{id}/associated`.

use crate::openapi::lazy::routes;
use axum::extract::State;
use roster_core::accounts::input::ScopeChange;
use roster_domain::permissions::Decision;
use roster_domain::{AccountId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, Json, Meta, Query};
use crate::views::{MembershipView, scope_names};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_scope))
        .routes(routes!(user_permissions))
        .routes(routes!(user_associated))
}

/// Change a member's role and scopes.
///
/// In `account_id` (default: the active account); the fields sent replace the membership's.
/// Needs `users.scope`. 403 on oneself, on an owner by a non-owner, and on a role or scope the
/// caller does not hold itself; 409 `last_owner` when the account would keep no owner; 422 for
/// an unknown role or scope. Takes effect on the member's very next request.
#[utoipa::path(put, path = "/v1/users/{id}/scope", tag = "users", params(("id" = Uuid, Path)), request_body = ScopeChange,
    responses((status = 200, body = MembershipView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "last_owner", body = Problem), (status = 422, body = Problem)))]
async fn update_scope(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
    Meta(meta): Meta,
    Json(body): Json<ScopeChange>,
) -> ApiResult<axum::Json<MembershipView>> {
    let membership = state.core.update_scope(&actor, id, body, &meta).await?;
    Ok(axum::Json(MembershipView::from(&membership)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PermissionsQuery {
    /// Default: the caller's active account.
    account_id: Option<Uuid>,
    /// A scope to decide, with the reason.
    #[param(value_type = Option<roster_core::openapi::ScopeName>)]
    check: Option<String>,
}

/// The decision on one scope.
#[derive(Debug, Serialize, ToSchema)]
struct CheckView {
    #[schema(value_type = roster_core::openapi::ScopeName)]
    scope: String,
    allowed: bool,
    /// What decided it: the role, a grant, a deny, a membership inherited from which account
    /// (name and id), or platform admin.
    because: String,
}

impl From<Decision> for CheckView {
    fn from(d: Decision) -> Self {
        Self { scope: d.scope, allowed: d.allowed, because: d.because }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct PermissionsView {
    user_id: Uuid,
    account_id: Uuid,
    /// The role that governs the user here (its own membership's or the nearest ancestor's);
    /// null without one. A platform admin without a membership shows `owner`.
    #[schema(value_type = Option<roster_core::openapi::Role>)]
    role: Option<String>,
    /// The account the governing membership is held in (an ancestor when inherited); null
    /// without one.
    membership_account_id: Option<Uuid>,
    platform_admin: bool,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    effective: Vec<String>,
    /// Only with `check`.
    check: Option<CheckView>,
}

/// A user's permissions in an account.
///
/// The role and effective scopes that govern the user in `account_id` (default: the active
/// account), and with `check` whether one scope is allowed and why. The user itself, or
/// `users.read` in the account.
#[utoipa::path(get, path = "/v1/users/{id}/permissions", tag = "users", params(("id" = Uuid, Path), PermissionsQuery),
    responses((status = 200, body = PermissionsView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn user_permissions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
    Query(q): Query<PermissionsQuery>,
) -> ApiResult<axum::Json<PermissionsView>> {
    let account = q.account_id.map(AccountId::from_uuid);
    let explained = state.core.user_permissions(&actor, id, account, q.check.as_deref()).await?;
    let perms = explained.perms.as_ref();
    Ok(axum::Json(PermissionsView {
        user_id: id.as_uuid(),
        account_id: explained.account_id.as_uuid(),
        role: perms.map(|p| p.role.as_str().to_owned()),
        membership_account_id: perms.and_then(|p| match &p.source {
            roster_domain::permissions::Source::Direct => Some(explained.account_id.as_uuid()),
            roster_domain::permissions::Source::Inherited { from_account, .. } => Some(*from_account),
            roster_domain::permissions::Source::PlatformAdmin => None,
        }),
        platform_admin: perms.is_some_and(|p| p.source == roster_domain::permissions::Source::PlatformAdmin),
        effective: perms.map(|p| scope_names(&p.effective())).unwrap_or_default(),
        check: explained.check.map(CheckView::from),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
struct AssociatedAccount {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    #[schema(value_type = roster_core::openapi::Role)]
    role: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct AssociatedWorkspace {
    id: Uuid,
    name: String,
    account_id: Uuid,
    #[schema(value_type = roster_core::openapi::WorkspaceRoleName)]
    role: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct AssociatedContact {
    id: Uuid,
    account_id: Uuid,
    name: String,
    #[schema(format = Email)]
    email: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct AssociatedView {
    accounts: Vec<AssociatedAccount>,
    workspaces: Vec<AssociatedWorkspace>,
    contacts: Vec<AssociatedContact>,
}

/// What a user is associated with.
///
/// Its accounts (own and inherited) with its role in each, its workspaces and its CRM
/// contacts — in the accounts the caller stands in (everything for the user itself and
/// platform admins). Visible as `GET /v1/users/{id}`.
#[utoipa::path(get, path = "/v1/users/{id}/associated", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = AssociatedView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn user_associated(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<UserId>,
) -> ApiResult<axum::Json<AssociatedView>> {
    let found = state.core.associated(&actor, id).await?;
    Ok(axum::Json(AssociatedView {
        accounts: found
            .accounts
            .iter()
            .map(|(a, role)| AssociatedAccount {
                id: a.id.as_uuid(),
                name: a.name.clone(),
                parent_id: a.parent_id.map(|p| p.as_uuid()),
                role: role.as_str().to_owned(),
            })
            .collect(),
        workspaces: found
            .workspaces
            .iter()
            .map(|(w, role)| AssociatedWorkspace {
                id: w.id.as_uuid(),
                name: w.name.clone(),
                account_id: w.account_id.as_uuid(),
                role: role.as_str().to_owned(),
            })
            .collect(),
        contacts: found
            .contacts
            .into_iter()
            .map(|c| AssociatedContact { id: c.id, account_id: c.account_id, name: c.name, email: c.email })
            .collect(),
    }))
}
