//! Workspaces inside an account and their members (API.md §6): `workspaces` to change them,
//! `workspaces.read` to see them, both in the workspace's account. Only members of the account
//! (own or inherited) join; every change is in the audit trail.

use roster_domain::activity::Action;
use roster_domain::scope::Scope;
use roster_domain::workspace::{Workspace, WorkspaceMember, WorkspaceRole};
use roster_domain::{AccountId, FieldErrors, UserId, WorkspaceId};
use roster_store::workspaces;
pub use roster_store::workspaces::NamedMember;
use roster_store::{Exec, Ts, memberships};
use serde_json::json;

use super::input::{AddWorkspaceMember, RenameAccount};
use super::{Page, etag, if_match};
use crate::error::{CoreError, CoreResult};
use crate::users::input as fields;
use crate::{Actor, Core, RequestMeta, access, activity};

/// The workspace `id` if the caller holds `wanted` in its account; 404 when it cannot see it.
/// Its account is locked first for a change (`workspaces`), so that membership changes of the
/// account and of the workspace take turns.
async fn workspace_with(exec: &mut impl Exec, actor: &Actor, id: WorkspaceId, wanted: &Scope) -> CoreResult<Workspace> {
    if *wanted == Scope::WORKSPACES
        && let Some(found) = workspaces::find(exec, id).await?
    {
        roster_store::accounts::lock(exec, found.account_id).await?;
    }
    let workspace = workspaces::find(exec, id).await?.ok_or(CoreError::NotFound)?;
    // Without even read access, the workspace is not there for the caller.
    access::require(exec, &actor.user, workspace.account_id, &Scope::WORKSPACES_READ).await?;
    access::require(exec, &actor.user, workspace.account_id, wanted).await?;
    Ok(workspace)
}

fn name(errors: &mut FieldErrors, raw: Option<&str>) -> Option<String> {
    fields::text(errors, "name", raw, true, fields::NAME_MAX)
}

impl Core {
    /// `POST /v1/accounts/:id/workspaces` (`workspaces`).
    pub async fn create_workspace(
        &self,
        actor: &Actor,
        account: AccountId,
        body: RenameAccount,
        meta: &RequestMeta,
    ) -> CoreResult<Workspace> {
        let mut errors = FieldErrors::new();
        let name = name(&mut errors, body.name.as_deref());
        let now = self.now();
        let mut tx = self.db.begin().await?;
        roster_store::accounts::lock(&mut tx, account).await?;
        access::require(&mut tx, &actor.user, account, &Scope::WORKSPACES).await?;
        super::live(&mut tx, account).await?;
        errors.into_result().map_err(CoreError::Validation)?;
        let name = name.ok_or_else(|| CoreError::Internal("validated name missing".into()))?;
        let workspace =
            Workspace { id: WorkspaceId::new(), account_id: account, name, created_at: now, updated_at: now };
        workspaces::insert(&mut tx, &workspace).await?;
        let changes = json!({"workspace_id": workspace.id, "name": workspace.name});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, Some(account), Action::WorkspaceCreated, changes)
            .await?;
        self.commit(tx).await?;
        Ok(workspace)
    }

    /// `GET /v1/accounts/:id/workspaces` (`workspaces.read`), in id order.
    pub async fn list_workspaces(
        &self,
        actor: &Actor,
        account: AccountId,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<Page<Workspace>> {
        let mut errors = FieldErrors::new();
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let mut conn = self.db.conn().await?;
        access::require(&mut conn, &actor.user, account, &Scope::WORKSPACES_READ).await?;
        let context = format!("workspaces:{account}");
        let after = self.cursor_id(&context, cursor)?.map(WorkspaceId::from_uuid);
        let found = workspaces::of_account(&mut conn, account, after, limit + 1).await?;
        Ok(self.id_page(&context, found, limit, |w| w.id.as_uuid()))
    }

    /// `GET /v1/workspaces/:id` (`workspaces.read`).
    pub async fn get_workspace(&self, actor: &Actor, id: WorkspaceId) -> CoreResult<Workspace> {
        let mut conn = self.db.conn().await?;
        workspace_with(&mut conn, actor, id, &Scope::WORKSPACES_READ).await
    }

    /// `PUT /v1/workspaces/:id {name}` (`workspaces`), honouring `If-Match`.
    pub async fn rename_workspace(
        &self,
        actor: &Actor,
        id: WorkspaceId,
        body: RenameAccount,
        if_match_header: Option<&str>,
        meta: &RequestMeta,
    ) -> CoreResult<Workspace> {
        let mut errors = FieldErrors::new();
        let name = name(&mut errors, body.name.as_deref());
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let current = workspace_with(&mut tx, actor, id, &Scope::WORKSPACES).await?;
        errors.into_result().map_err(CoreError::Validation)?;
        if_match(if_match_header, &etag(id.as_uuid(), current.updated_at))?;
        let name = name.ok_or_else(|| CoreError::Internal("validated name missing".into()))?;
        if name == current.name {
            return Ok(current);
        }
        workspaces::rename(&mut tx, id, &name, Ts::new(now)).await?;
        let changes = json!({"workspace_id": id, "name": {"from": current.name, "to": name}});
        let account = Some(current.account_id);
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, account, Action::WorkspaceUpdated, changes)
            .await?;
        let updated = workspaces::find(&mut tx, id).await?.ok_or(CoreError::NotFound)?;
        self.commit(tx).await?;
        Ok(updated)
    }

    /// `DELETE /v1/workspaces/:id` (`workspaces`): the workspace and its memberships go.
    pub async fn delete_workspace(&self, actor: &Actor, id: WorkspaceId, meta: &RequestMeta) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let workspace = workspace_with(&mut tx, actor, id, &Scope::WORKSPACES).await?;
        workspaces::delete(&mut tx, id).await?;
        let changes = json!({"workspace_id": id, "name": workspace.name});
        let account = Some(workspace.account_id);
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, account, Action::WorkspaceDeleted, changes)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// `GET /v1/workspaces/:id/members` (`workspaces.read`), in user order.
    pub async fn workspace_members(
        &self,
        actor: &Actor,
        id: WorkspaceId,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<Page<NamedMember>> {
        let mut errors = FieldErrors::new();
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let mut conn = self.db.conn().await?;
        workspace_with(&mut conn, actor, id, &Scope::WORKSPACES_READ).await?;
        let context = format!("workspace-members:{id}");
        let after = self.cursor_id(&context, cursor)?.map(UserId::from_uuid);
        let found = workspaces::members(&mut conn, id, after, limit + 1).await?;
        Ok(self.id_page(&context, found, limit, |m| m.member.user_id.as_uuid()))
    }

    /// `POST /v1/workspaces/:id/members` (`workspaces`): a member of the workspace's account
    /// (else 422 on `user_id`); a user the caller cannot see → 404; already there → 409.
    pub async fn add_workspace_member(
        &self,
        actor: &Actor,
        id: WorkspaceId,
        body: AddWorkspaceMember,
        meta: &RequestMeta,
    ) -> CoreResult<NamedMember> {
        let mut errors = FieldErrors::new();
        if body.user_id.is_none() {
            errors.add("user_id", "required", "is required");
        }
        let role = match body.role.as_deref() {
            None => WorkspaceRole::Member,
            Some(raw) => WorkspaceRole::parse(raw).unwrap_or_else(|| {
                errors.add("role", "invalid_role", "must be lead or member");
                WorkspaceRole::Member
            }),
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let workspace = workspace_with(&mut tx, actor, id, &Scope::WORKSPACES).await?;
        errors.into_result().map_err(CoreError::Validation)?;
        let user_id =
            UserId::from_uuid(body.user_id.ok_or_else(|| CoreError::Internal("validated user missing".into()))?);
        let user = access::visible_user(&mut tx, &actor.user, user_id).await?;
        if memberships::governing(&mut tx, user.id, workspace.account_id).await?.is_none() {
            return Err(CoreError::field("user_id", "not_a_member", "must be a member of the workspace's account"));
        }
        let member = WorkspaceMember { workspace_id: id, user_id: user.id, role, created_at: now };
        workspaces::add_member(&mut tx, &member).await?;
        let changes = json!({"workspace_id": id, "role": role.as_str()});
        let account = Some(workspace.account_id);
        activity::by(actor, meta, now).record(&mut tx, user.id, account, Action::WorkspaceMemberAdded, changes).await?;
        self.commit(tx).await?;
        Ok(NamedMember { member, name: user.name, email: user.email })
    }

    /// `DELETE /v1/workspaces/:id/members/:userId` (`workspaces`).
    pub async fn remove_workspace_member(
        &self,
        actor: &Actor,
        id: WorkspaceId,
        user: UserId,
        meta: &RequestMeta,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let workspace = workspace_with(&mut tx, actor, id, &Scope::WORKSPACES).await?;
        if !workspaces::remove_member(&mut tx, id, user).await? {
            return Err(CoreError::NotFound);
        }
        let changes = json!({"workspace_id": id});
        let account = Some(workspace.account_id);
        activity::by(actor, meta, now).record(&mut tx, user, account, Action::WorkspaceMemberRemoved, changes).await?;
        self.commit(tx).await?;
        Ok(())
    }
}
