//! Schemas for the OpenAPI document (feature `openapi`): the words a field or parameter accepts,
//! as JSON Schema enums (`value_type = …` on the field). `Role`, `UserStatus`, `JobStatus`, `Queue` and
//! `PhoneLabel` are the domain's own enums; the others exist only for the document, and the HTTP layer's tests check that they
//! name the words the services parse (sort keys, queues).

use serde::Serialize;
use utoipa::ToSchema;

pub use roster_domain::job::{JobStatus, Queue};
pub use roster_domain::phone::PhoneLabel;
pub use roster_domain::role::Role;
pub use roster_domain::user::UserStatus;

/// The statuses a user may be given by `PUT /v1/users/{id}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum SettableStatus {
    Active,
    Suspended,
}

/// How a user list is ordered: a field, `-` in front for descending.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum UserSort {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "-email")]
    EmailDesc,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "last_login_at")]
    LastLoginAt,
    #[serde(rename = "-last_login_at")]
    LastLoginAtDesc,
}

/// A scope (API.md §4): a resource, `resource.action`, or `*` for everything.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum ScopeName {
    #[serde(rename = "*")]
    Everything,
    #[serde(rename = "users")]
    Users,
    #[serde(rename = "users.read")]
    UsersRead,
    #[serde(rename = "users.create")]
    UsersCreate,
    #[serde(rename = "users.update")]
    UsersUpdate,
    #[serde(rename = "users.delete")]
    UsersDelete,
    #[serde(rename = "users.scope")]
    UsersScope,
    #[serde(rename = "accounts")]
    Accounts,
    #[serde(rename = "accounts.read")]
    AccountsRead,
    #[serde(rename = "accounts.update")]
    AccountsUpdate,
    #[serde(rename = "accounts.create")]
    AccountsCreate,
    #[serde(rename = "accounts.delete")]
    AccountsDelete,
    #[serde(rename = "workspaces")]
    Workspaces,
    #[serde(rename = "workspaces.read")]
    WorkspacesRead,
    #[serde(rename = "contacts")]
    Contacts,
    #[serde(rename = "contacts.read")]
    ContactsRead,
    #[serde(rename = "analytics")]
    Analytics,
    #[serde(rename = "analytics.read")]
    AnalyticsRead,
    #[serde(rename = "calendars")]
    Calendars,
    #[serde(rename = "billing")]
    Billing,
    #[serde(rename = "announcements")]
    Announcements,
}

/// A member's part in a workspace.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceRoleName {
    Lead,
    Member,
}
