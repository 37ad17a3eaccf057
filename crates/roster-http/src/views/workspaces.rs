//! Workspaces and their members.

use roster_core::accounts::workspaces::NamedMember;
use roster_domain::workspace::Workspace;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rfc3339;

/// A workspace inside an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Workspace> for WorkspaceView {
    fn from(w: &Workspace) -> Self {
        Self {
            id: w.id.as_uuid(),
            account_id: w.account_id.as_uuid(),
            name: w.name.clone(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// A member of a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceMemberView {
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[schema(format = Email)]
    pub email: String,
    #[schema(value_type = roster_core::openapi::WorkspaceRoleName)]
    pub role: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&NamedMember> for WorkspaceMemberView {
    fn from(m: &NamedMember) -> Self {
        Self {
            workspace_id: m.member.workspace_id.as_uuid(),
            user_id: m.member.user_id.as_uuid(),
            name: m.name.clone(),
            email: m.email.clone(),
            role: m.member.role.as_str().to_owned(),
            created_at: rfc3339(m.member.created_at),
        }
    }
}
