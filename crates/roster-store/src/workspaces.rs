//! Workspaces inside accounts and their members.

use roster_domain::workspace::{Workspace, WorkspaceMember, WorkspaceRole};
use roster_domain::{AccountId, UserId, WorkspaceId};
use uuid::Uuid;

use crate::db::Exec;
use crate::error::{StoreError, StoreResult, Unique};
use crate::on_conn;
use crate::ts::Ts;

const WORKSPACE_COLUMNS: &str = "w.id, w.account_id, w.name, w.created_at, w.updated_at";

#[derive(sqlx::FromRow)]
struct WorkspaceRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    created_at: Ts,
    updated_at: Ts,
}

impl From<WorkspaceRow> for Workspace {
    fn from(row: WorkspaceRow) -> Self {
        Workspace {
            id: WorkspaceId::from_uuid(row.id),
            account_id: AccountId::from_uuid(row.account_id),
            name: row.name,
            created_at: row.created_at.get(),
            updated_at: row.updated_at.get(),
        }
    }
}

pub async fn insert(exec: &mut impl Exec, w: &Workspace) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("INSERT INTO workspaces (id, account_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(w.id.as_uuid())
            .bind(w.account_id.as_uuid())
            .bind(&w.name)
            .bind(Ts::new(w.created_at))
            .bind(Ts::new(w.updated_at))
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find(exec: &mut impl Exec, id: WorkspaceId) -> StoreResult<Option<Workspace>> {
    let row: Option<WorkspaceRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.id = $1")))
            .bind(id.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    Ok(row.map(Workspace::from))
}

/// The workspaces of an account after `after`, in id order.
pub async fn of_account(
    exec: &mut impl Exec,
    account: AccountId,
    after: Option<WorkspaceId>,
    limit: u32,
) -> StoreResult<Vec<Workspace>> {
    let rows: Vec<WorkspaceRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.account_id = $1 AND ($2 IS NULL OR w.id > $2) \
             ORDER BY w.id LIMIT $3"
        )))
        .bind(account.as_uuid())
        .bind(after.map(|w| w.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await
    })?;
    Ok(rows.into_iter().map(Workspace::from).collect())
}

pub async fn rename(exec: &mut impl Exec, id: WorkspaceId, name: &str, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE workspaces SET name = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(name)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Delete a workspace and its memberships.
pub async fn delete(exec: &mut impl Exec, id: WorkspaceId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM workspaces WHERE id = $1")
            .bind(id.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Delete every workspace of an account and their memberships (the account was deleted).
pub async fn delete_all_of_account(exec: &mut impl Exec, account: AccountId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "DELETE FROM workspace_members WHERE workspace_id IN (SELECT id FROM workspaces WHERE account_id = $1)",
        )
        .bind(account.as_uuid())
        .execute(&mut *c)
        .await?;
        sqlx::query("DELETE FROM workspaces WHERE account_id = $1")
            .bind(account.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    workspace_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: Ts,
}

impl TryFrom<MemberRow> for WorkspaceMember {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, Self::Error> {
        Ok(WorkspaceMember {
            workspace_id: WorkspaceId::from_uuid(row.workspace_id),
            user_id: UserId::from_uuid(row.user_id),
            role: WorkspaceRole::parse(&row.role)
                .ok_or_else(|| StoreError::Corrupt(format!("workspace role {:?}", row.role)))?,
            created_at: row.created_at.get(),
        })
    }
}

/// A member with the user's name and email, as lists show it.
#[derive(Debug, Clone)]
pub struct NamedMember {
    pub member: WorkspaceMember,
    pub name: String,
    pub email: String,
}

/// Add a member; already one → `Conflict(Unique::WorkspaceMember)`.
pub async fn add_member(exec: &mut impl Exec, m: &WorkspaceMember) -> StoreResult<()> {
    let result = on_conn!(exec, |c| {
        sqlx::query("INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(m.workspace_id.as_uuid())
            .bind(m.user_id.as_uuid())
            .bind(m.role.as_str())
            .bind(Ts::new(m.created_at))
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    });
    result.map_err(|e| StoreError::unique(e, Unique::WorkspaceMember))?;
    Ok(())
}

/// Remove a member; whether there was one.
pub async fn remove_member(exec: &mut impl Exec, workspace: WorkspaceId, user: UserId) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace.as_uuid())
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// The live members of a workspace after `after`, in user order.
pub async fn members(
    exec: &mut impl Exec,
    workspace: WorkspaceId,
    after: Option<UserId>,
    limit: u32,
) -> StoreResult<Vec<NamedMember>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        m: MemberRow,
        name: String,
        email: String,
    }
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT wm.workspace_id, wm.user_id, wm.role, wm.created_at, u.name, u.email \
             FROM workspace_members wm JOIN users u ON u.id = wm.user_id \
             WHERE wm.workspace_id = $1 AND u.status <> 'deleted' AND ($2 IS NULL OR wm.user_id > $2) \
             ORDER BY wm.user_id LIMIT $3",
        )
        .bind(workspace.as_uuid())
        .bind(after.map(|u| u.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await
    })?;
    rows.into_iter()
        .map(|r| Ok(NamedMember { member: WorkspaceMember::try_from(r.m)?, name: r.name, email: r.email }))
        .collect()
}

/// The workspaces `user` is a member of, with the workspace, in workspace order.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<(Workspace, WorkspaceRole)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        w: WorkspaceRow,
        role: String,
    }
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WORKSPACE_COLUMNS}, wm.role FROM workspace_members wm JOIN workspaces w ON w.id = wm.workspace_id \
             WHERE wm.user_id = $1 ORDER BY w.id"
        )))
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    rows.into_iter()
        .map(|r| {
            let role = WorkspaceRole::parse(&r.role)
                .ok_or_else(|| StoreError::Corrupt(format!("workspace role {:?}", r.role)))?;
            Ok((Workspace::from(r.w), role))
        })
        .collect()
}
