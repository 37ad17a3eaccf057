//! Value types that exist only to make the OpenAPI document exact (feature `openapi`): the words
//! a field or parameter accepts, as JSON Schema enums (`value_type = …` on the field). The
//! services parse the same words in the domain (`Role`, `UserStatus`, sort keys); the HTTP
//! layer's tests check that both agree.

use serde::Serialize;
use utoipa::ToSchema;

/// A built-in role.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Owner,
}

/// A user's status.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Invited,
    Active,
    Suspended,
    Deleted,
}

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

/// A background job's status.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Dead,
}

/// A background queue.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum QueueName {
    Onboarding,
    Notifications,
    Analytics,
    Sync,
}
