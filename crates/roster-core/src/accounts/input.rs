//! Request bodies of the accounts API and the checks they share (roles, scope lists).
//!
//! Required fields are `Option` at the serde level so that a missing one is reported together
//! with every other problem (422 with all field errors at once).

use roster_domain::FieldErrors;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use serde::Deserialize;
use uuid::Uuid;

/// `POST /v1/accounts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Required, 1–200 characters after trimming.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false, value_type = String, min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// Makes it a sub-account of this account (`accounts.create` needed there). Accounts nest
    /// at most 8 levels deep (a top-level account and 7 below it): deeper → 422 `too_deep`.
    pub parent_id: Option<Uuid>,
}

/// `PUT /v1/accounts/:id` and `PUT /v1/workspaces/:id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameAccount {
    /// Required, 1–200 characters after trimming.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false, value_type = String, min_length = 1, max_length = 200))]
    pub name: Option<String>,
}

/// `POST /v1/accounts/:id/members`: `user_id` or `email`, not both.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// An existing user the caller can see (else 404).
    pub user_id: Option<Uuid>,
    /// An existing user's address (associated), or a new one (invited by email).
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    /// Default `member`; never above the caller's own role here (403).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Role>))]
    pub role: Option<String>,
    /// Scopes added to the role's; only scopes the caller holds here (403).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::ScopeName>>, max_items = 32))]
    pub grant: Option<Vec<String>>,
    /// Scopes taken away (deny wins over role and grants).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::ScopeName>>, max_items = 32))]
    pub deny: Option<Vec<String>>,
}

/// `PUT /v1/users/:id/scope`: the fields sent replace the membership's; the others stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScopeChange {
    /// Default: the caller's active account.
    pub account_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Role>))]
    pub role: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::ScopeName>>, max_items = 32))]
    pub grant: Option<Vec<String>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::ScopeName>>, max_items = 32))]
    pub deny: Option<Vec<String>>,
}

/// `POST /v1/workspaces/:id/members`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddWorkspaceMember {
    /// Required: a member of the workspace's account (else 422); a user the caller cannot see
    /// → 404.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false, value_type = Uuid))]
    pub user_id: Option<Uuid>,
    /// `lead` or `member` (default).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::WorkspaceRoleName>))]
    pub role: Option<String>,
}

/// Most scopes one list may name (there are fewer known scopes than this).
const MAX_SCOPES: usize = 32;

/// A role field: `None` when absent or invalid (the problem is recorded).
pub(crate) fn role(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<Role> {
    let raw = raw?;
    let role = Role::parse(raw);
    if role.is_none() {
        errors.add(field, "invalid_role", "must be one of viewer, member, admin, owner");
    }
    role
}

/// A list of scopes, deduplicated in the order given; unknown ones are recorded.
pub(crate) fn scopes(errors: &mut FieldErrors, field: &str, raw: Option<&[String]>) -> Option<Vec<Scope>> {
    let raw = raw?;
    if raw.len() > MAX_SCOPES {
        errors.add(field, "too_many", format!("must name at most {MAX_SCOPES} scopes"));
        return None;
    }
    let mut out: Vec<Scope> = Vec::new();
    let mut ok = true;
    for (i, name) in raw.iter().enumerate() {
        match Scope::parse(name) {
            Ok(scope) if !out.contains(&scope) => out.push(scope),
            Ok(_) => {}
            Err(_) => {
                ok = false;
                errors.add(format!("{field}.{i}"), "unknown_scope", format!("{name:?} is not a known scope"));
            }
        }
    }
    ok.then_some(out)
}
