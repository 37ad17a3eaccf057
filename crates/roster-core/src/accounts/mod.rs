//! Accounts (tenants) and their tree: create, rename, delete, list, switch (API.md §6).
//!
//! Members, scopes and workspaces have files of their own; every write here takes its
//! [`access::Granted`] proof first and changes the tree in one transaction with its audit entry
//! and its event.

pub mod access_list;
pub mod input;
pub(crate) mod joining;
pub mod members;
pub mod scope;
pub mod workspaces;

use roster_domain::activity::Action;
use roster_domain::permissions::Permissions;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::Account;
use roster_domain::user::AccountStatus;
use roster_domain::{AccountId, FieldErrors};
use roster_store::{Ts, Tx, accounts, crm, memberships, sessions, workspaces as workspace_store};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

pub use crate::paging::Page;

pub use input::{NewAccount, RenameAccount};

use crate::accounts::joining::{Joining, join_account, new_account};
use crate::error::{Clash, CoreError, CoreResult};
use crate::users::input as fields;
use crate::{Actor, Core, RequestMeta, access, activity, jobs};

/// How deep the tree goes: a top-level account and 7 levels of sub-accounts below it.
pub const MAX_LEVELS: i64 = 8;

/// The strong `ETag` of an account (or any record with an id and an `updated_at`).
pub fn etag(id: Uuid, updated_at: OffsetDateTime) -> String {
    format!("\"{}-{}\"", id.simple(), Ts::new(updated_at).micros())
}

/// Whether an `If-Match` header names `current` (or `*`); weak tags never match (RFC 9110).
pub(crate) fn if_match(header: Option<&str>, current: &str) -> CoreResult<()> {
    match header {
        Some(header) if !header.split(',').map(str::trim).any(|tag| tag == "*" || tag == current) => {
            Err(CoreError::PreconditionFailed)
        }
        _ => Ok(()),
    }
}

/// The account if it exists and is not deleted (deleted accounts are gone for every write).
async fn live(tx: &mut Tx, id: AccountId) -> CoreResult<Account> {
    accounts::find(tx, id).await?.filter(|a| a.status != AccountStatus::Deleted).ok_or(CoreError::NotFound)
}

impl Core {
    /// `GET /v1/accounts`: every account the caller belongs to, directly or by inheritance, with
    /// the caller's role there, in id order, a page at a time. (One recursive query reads them
    /// all — a person belongs to a handful — and the page is cut from it.)
    pub async fn list_accounts(
        &self,
        actor: &Actor,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<Page<(Account, Role)>> {
        let mut errors = FieldErrors::new();
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let context = format!("accounts-of:{}", actor.user.id);
        let after: Option<uuid::Uuid> = self.cursor_id(&context, cursor)?;
        let mut conn = self.db.conn().await?;
        let all = accounts::of_user(&mut conn, actor.user.id).await?;
        let page: Vec<(Account, Role)> = all
            .into_iter()
            .filter(|(a, _)| after.is_none_or(|after| a.id.as_uuid() > after))
            .take(usize::try_from(limit).unwrap_or(usize::MAX) + 1)
            .collect();
        Ok(self.id_page(&context, page, limit, |(a, _)| a.id.as_uuid()))
    }

    /// The caller's own permissions in `account` (`None`: no standing there), so that a page
    /// shows only the buttons whose services would accept this caller.
    pub async fn my_permissions(&self, actor: &Actor, account: AccountId) -> CoreResult<Option<Permissions>> {
        let mut conn = self.db.conn().await?;
        access::permissions(&mut conn, &actor.user, account).await
    }

    /// The accounts the caller belongs to (directly or by inheritance) where it holds `wanted`,
    /// with its role there, in id order (a platform admin's own accounts are not all accounts).
    pub async fn accounts_with(&self, actor: &Actor, wanted: &Scope) -> CoreResult<Vec<(Account, Role)>> {
        let mut conn = self.db.conn().await?;
        let mut found = Vec::new();
        for (account, role) in accounts::of_user(&mut conn, actor.user.id).await? {
            if access::permissions(&mut conn, &actor.user, account.id).await?.is_some_and(|p| p.allows(wanted)) {
                found.push((account, role));
            }
        }
        Ok(found)
    }

    /// `GET /v1/accounts/:id`: needs `accounts.read` there. Platform admins also see deleted
    /// accounts (`status: deleted`); for everyone else they are gone.
    pub async fn get_account(&self, actor: &Actor, id: AccountId) -> CoreResult<Account> {
        let mut conn = self.db.conn().await?;
        access::require(&mut conn, &actor.user, id, &Scope::ACCOUNTS_READ).await?;
        accounts::find(&mut conn, id).await?.ok_or(CoreError::NotFound)
    }

    /// `POST /v1/accounts`: a top-level account owned by the caller, or a sub-account of one
    /// where the caller holds `accounts.create` (members of the parent keep their roles there
    /// by inheritance).
    pub async fn create_account(&self, actor: &Actor, input: NewAccount, meta: &RequestMeta) -> CoreResult<Account> {
        let mut errors = FieldErrors::new();
        let name = fields::text(&mut errors, "name", input.name.as_deref(), true, fields::NAME_MAX);
        errors.into_result().map_err(CoreError::Validation)?;
        let name = name.ok_or_else(|| CoreError::Internal("validated name missing".into()))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut account = new_account(name, now);
        if let Some(parent) = input.parent_id.map(AccountId::from_uuid) {
            // Locked first: the parent cannot be deleted between the checks and the insert.
            accounts::lock(&mut tx, parent).await?;
            access::require(&mut tx, &actor.user, parent, &Scope::ACCOUNTS_CREATE).await?;
            live(&mut tx, parent).await?;
            if accounts::level(&mut tx, parent).await? >= MAX_LEVELS {
                return Err(CoreError::field(
                    "parent_id",
                    "too_deep",
                    format!("accounts nest at most {MAX_LEVELS} levels deep"),
                ));
            }
            account.parent_id = Some(parent);
            accounts::insert(&mut tx, &account).await?;
        } else {
            accounts::insert(&mut tx, &account).await?;
            join_account(&mut tx, actor.user.id, Joining::Founder(account.id), now).await?;
        }
        let data = json!({"id": account.id, "name": account.name, "parent_id": account.parent_id});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, Some(account.id), Action::AccountCreated, data.clone())
            .await?;
        jobs::events::record(&mut tx, "account.created", actor.user.id, data, now).await?;
        let account = live(&mut tx, account.id).await?;
        self.commit(tx).await?;
        Ok(account)
    }

    /// `PUT /v1/accounts/:id`: rename (`accounts.update`), honouring `If-Match`.
    pub async fn rename_account(
        &self,
        actor: &Actor,
        id: AccountId,
        input: RenameAccount,
        if_match_header: Option<&str>,
        meta: &RequestMeta,
    ) -> CoreResult<Account> {
        let mut errors = FieldErrors::new();
        let name = fields::text(&mut errors, "name", input.name.as_deref(), true, fields::NAME_MAX);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, id).await?;
        access::require(&mut tx, &actor.user, id, &Scope::ACCOUNTS_UPDATE).await?;
        let current = live(&mut tx, id).await?;
        errors.into_result().map_err(CoreError::Validation)?;
        if_match(if_match_header, &etag(current.id.as_uuid(), current.updated_at))?;
        let name = name.ok_or_else(|| CoreError::Internal("validated name missing".into()))?;
        if name == current.name {
            return Ok(current);
        }
        accounts::rename(&mut tx, id, &name, Ts::new(now)).await?;
        let changes = json!({"name": {"from": current.name, "to": name}});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, Some(id), Action::AccountUpdated, changes)
            .await?;
        let data = json!({"id": id, "name": name, "parent_id": current.parent_id});
        jobs::events::record(&mut tx, "account.updated", actor.user.id, data, now).await?;
        let account = live(&mut tx, id).await?;
        self.commit(tx).await?;
        Ok(account)
    }

    /// `DELETE /v1/accounts/:id` (`accounts.delete`): refused while a sub-account lives. Every
    /// member loses the account (and their workspaces and CRM contacts in it); sessions acting
    /// in it fall back to another account of their user's. The row stays, `status: deleted`.
    pub async fn delete_account(&self, actor: &Actor, id: AccountId, meta: &RequestMeta) -> CoreResult<Account> {
        let now = self.now();
        let at = Ts::new(now);
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, id).await?;
        access::require(&mut tx, &actor.user, id, &Scope::ACCOUNTS_DELETE).await?;
        let account = live(&mut tx, id).await?;
        if accounts::has_live_children(&mut tx, id).await? {
            return Err(CoreError::Conflict(Clash::LiveSubAccounts));
        }
        workspace_store::delete_all_of_account(&mut tx, id).await?;
        crm::remove_account(&mut tx, id).await?;
        let members = memberships::delete_all_of_account(&mut tx, id).await?;
        accounts::mark_deleted(&mut tx, id, at).await?;
        sessions::fall_back(&mut tx, id, None).await?;
        let changes = json!({"name": account.name, "members_removed": members.len()});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, Some(id), Action::AccountDeleted, changes)
            .await?;
        let data = json!({"id": id, "name": account.name, "parent_id": account.parent_id, "members": members});
        jobs::events::record(&mut tx, "account.deleted", actor.user.id, data, now).await?;
        let account = accounts::find(&mut tx, id).await?.ok_or(CoreError::NotFound)?;
        self.commit(tx).await?;
        Ok(account)
    }

    /// `GET /v1/accounts/:id/children` (`accounts.read`): live sub-accounts in id order.
    pub async fn account_children(
        &self,
        actor: &Actor,
        id: AccountId,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<Page<Account>> {
        let mut errors = FieldErrors::new();
        let limit = crate::paging::page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let mut conn = self.db.conn().await?;
        access::require(&mut conn, &actor.user, id, &Scope::ACCOUNTS_READ).await?;
        let context = format!("children:{id}");
        let after = self.cursor_id(&context, cursor)?.map(AccountId::from_uuid);
        let found = accounts::children(&mut conn, id, after, limit + 1).await?;
        Ok(self.id_page(&context, found, limit, |a| a.id.as_uuid()))
    }

    /// `POST /v1/auth/switch-account`: make an account of the caller's (direct or inherited)
    /// the session's active one.
    pub async fn switch_account(&self, actor: &Actor, id: AccountId) -> CoreResult<(AccountId, Permissions)> {
        let mut tx = self.db.begin().await?;
        // Locked first: a deletion of the account (which moves its sessions elsewhere) runs
        // before or after this switch, never between.
        accounts::lock(&mut tx, id).await?;
        let perms = access::permissions(&mut tx, &actor.user, id).await?.ok_or(CoreError::NotFound)?;
        live(&mut tx, id).await?;
        sessions::set_active_account(&mut tx, actor.session_id, id).await?;
        self.commit(tx).await?;
        Ok((id, perms))
    }
}
