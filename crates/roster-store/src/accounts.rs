//! Accounts (tenants) and their tree.

use roster_domain::AccountId;
use roster_domain::UserId;
use roster_domain::user::Account;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

const ACCOUNT_COLUMNS: &str = "a.id, a.name, a.parent_id, a.status, a.seats_used, a.created_at, a.updated_at";

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    status: String,
    seats_used: i64,
    created_at: Ts,
    updated_at: Ts,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Account {
            id: AccountId::from_uuid(row.id),
            name: row.name,
            parent_id: row.parent_id.map(AccountId::from_uuid),
            status: row.status,
            seats_used: row.seats_used,
            created_at: row.created_at.get(),
            updated_at: row.updated_at.get(),
        }
    }
}

pub async fn insert(exec: &mut impl Exec, account: &Account) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO accounts (id, name, parent_id, status, seats_used, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(account.id.as_uuid())
        .bind(&account.name)
        .bind(account.parent_id.map(|p| p.as_uuid()))
        .bind(&account.status)
        .bind(account.seats_used)
        .bind(Ts::new(account.created_at))
        .bind(Ts::new(account.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find(exec: &mut impl Exec, id: AccountId) -> StoreResult<Option<Account>> {
    let row: Option<AccountRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1")))
            .bind(id.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    Ok(row.map(Account::from))
}

/// Every account `user` belongs to, directly or through an ancestor, oldest first.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<Account>> {
    let rows: Vec<AccountRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE tree (id, depth) AS ( \
                 SELECT account_id, 0 FROM memberships WHERE user_id = $1 \
                 UNION SELECT a.id, tree.depth + 1 FROM accounts a JOIN tree ON a.parent_id = tree.id \
                 WHERE tree.depth < 32) \
             SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id IN (SELECT id FROM tree) \
             AND a.status <> 'deleted' ORDER BY a.id"
        )))
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows.into_iter().map(Account::from).collect())
}

/// Copy the kept count of live members of an account into `seats_used`.
pub async fn refresh_seats(exec: &mut impl Exec, id: AccountId, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE accounts SET updated_at = $2, seats_used = (SELECT COALESCE(SUM(n), 0) \
             FROM member_counts WHERE account_id = $1 AND user_status <> 'deleted') WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Lock the account's row until the transaction ends: owner counts and seat counts are then
/// computed without a concurrent change slipping between check and write (see `users::lock`).
pub async fn lock(exec: &mut impl Exec, id: AccountId) -> StoreResult<()> {
    if let crate::db::ConnRef::Postgres(c) = exec.conn() {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE").bind(id.as_uuid()).fetch_optional(c).await?;
    }
    Ok(())
}
