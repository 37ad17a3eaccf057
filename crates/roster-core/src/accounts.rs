//! Accounts, minimal for now: the caller's accounts and one account.

use roster_domain::AccountId;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::Account;
use roster_store::accounts;

use crate::error::{CoreError, CoreResult};
use crate::{Actor, Core, access};

impl Core {
    /// `GET /v1/accounts`: every account the caller belongs to, directly or by inheritance, with
    /// the caller's role there.
    pub async fn list_accounts(&self, actor: &Actor) -> CoreResult<Vec<(Account, Role)>> {
        let mut conn = self.db.conn().await?;
        Ok(accounts::of_user(&mut conn, actor.user.id).await?)
    }

    /// `GET /v1/accounts/:id`: needs `accounts.read` there.
    pub async fn get_account(&self, actor: &Actor, id: AccountId) -> CoreResult<Account> {
        let mut conn = self.db.conn().await?;
        access::require(&mut conn, &actor.user, id, &Scope::ACCOUNTS_READ).await?;
        accounts::find(&mut conn, id).await?.ok_or(CoreError::NotFound)
    }
}
