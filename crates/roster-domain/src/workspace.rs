//! Workspaces: groups of an account's members working on something together (the seed's
//! "workspaces"). A workspace belongs to one account; only that account's members join it.

use time::OffsetDateTime;

use crate::{AccountId, UserId, WorkspaceId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub account_id: AccountId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A member's part in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkspaceRole {
    Lead,
    Member,
}

impl WorkspaceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceRole::Lead => "lead",
            WorkspaceRole::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<WorkspaceRole> {
        match raw {
            "lead" => Some(WorkspaceRole::Lead),
            "member" => Some(WorkspaceRole::Member),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceMember {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub role: WorkspaceRole,
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_what_they_write_and_nothing_else() {
        for role in [WorkspaceRole::Lead, WorkspaceRole::Member] {
            assert_eq!(WorkspaceRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(WorkspaceRole::parse("owner"), None);
        assert_eq!(WorkspaceRole::parse("Lead"), None);
    }
}
