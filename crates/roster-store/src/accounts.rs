//! Accounts (tenants) and their tree.

use roster_domain::AccountId;
use roster_domain::UserId;
use roster_domain::role::Role;
use roster_domain::user::Account;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::{StoreError, StoreResult};
use crate::named::stored;
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

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(row: AccountRow) -> StoreResult<Self> {
        Ok(Account {
            id: AccountId::from_uuid(row.id),
            name: row.name,
            parent_id: row.parent_id.map(AccountId::from_uuid),
            status: stored(&row.status)?,
            seats_used: row.seats_used,
            created_at: row.created_at.get(),
            updated_at: row.updated_at.get(),
        })
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
        .bind(account.status.as_str())
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
    row.map(Account::try_from).transpose()
}

/// Every live account `user` belongs to, directly or through an ancestor, oldest first, with
/// the role that governs the user there: its own membership's, or else that of the nearest
/// ancestor it is a member of (as `memberships::governing` finds it).
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<(Account, Role)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        account: AccountRow,
        role: String,
    }
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE tree (id, role, depth) AS ( \
                 SELECT account_id, role, 0 FROM memberships WHERE user_id = $1 \
                 UNION ALL SELECT a.id, tree.role, tree.depth + 1 FROM accounts a \
                 JOIN tree ON a.parent_id = tree.id WHERE tree.depth < 32), \
             nearest AS (SELECT id, role, ROW_NUMBER() OVER (PARTITION BY id ORDER BY depth) AS n FROM tree) \
             SELECT {ACCOUNT_COLUMNS}, nearest.role FROM accounts a JOIN nearest ON nearest.id = a.id \
             WHERE nearest.n = 1 AND a.status <> 'deleted' ORDER BY a.id"
        )))
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    rows.into_iter().map(|r| Ok((Account::try_from(r.account)?, crate::memberships::stored_role(&r.role)?))).collect()
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

/// How many levels the tree has down to `id`, counting it and every ancestor (a top-level
/// account is level 1); 0 when it does not exist.
pub async fn level(exec: &mut impl Exec, id: AccountId) -> StoreResult<i64> {
    let n: i64 = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "WITH RECURSIVE up (id, parent_id, depth) AS ( \
                 SELECT id, parent_id, 1 FROM accounts WHERE id = $1 \
                 UNION ALL SELECT a.id, a.parent_id, up.depth + 1 FROM accounts a \
                 JOIN up ON a.id = up.parent_id WHERE up.depth < 64) \
             SELECT CAST(COUNT(*) AS BIGINT) FROM up",
        )
        .bind(id.as_uuid())
        .fetch_one(c)
        .await
    })?;
    Ok(n)
}

/// The live sub-accounts of `parent` after `after` (an id), in id order, at most `limit`.
pub async fn children(
    exec: &mut impl Exec,
    parent: AccountId,
    after: Option<AccountId>,
    limit: u32,
) -> StoreResult<Vec<Account>> {
    let rows: Vec<AccountRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.parent_id = $1 AND ($2 IS NULL OR a.id > $2) \
             AND a.status <> 'deleted' ORDER BY a.id LIMIT $3"
        )))
        .bind(parent.as_uuid())
        .bind(after.map(|a| a.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await
    })?;
    rows.into_iter().map(Account::try_from).collect()
}

/// Whether `id` has a sub-account that is not deleted.
pub async fn has_live_children(exec: &mut impl Exec, id: AccountId) -> StoreResult<bool> {
    let n: i64 = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM accounts \
             WHERE parent_id = $1 AND status <> 'deleted' LIMIT 1) AS live",
        )
        .bind(id.as_uuid())
        .fetch_one(c)
        .await
    })?;
    Ok(n > 0)
}

/// Rename an account.
pub async fn rename(exec: &mut impl Exec, id: AccountId, name: &str, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE accounts SET name = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(name)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Mark an account deleted (the row stays for the audit trail) with no seats.
pub async fn mark_deleted(exec: &mut impl Exec, id: AccountId, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE accounts SET status = 'deleted', seats_used = 0, updated_at = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The accounts from `id` up to its top-level ancestor, nearest first, with their names.
pub async fn path_up(exec: &mut impl Exec, id: AccountId) -> StoreResult<Vec<(AccountId, String)>> {
    let rows: Vec<(Uuid, String)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "WITH RECURSIVE up (id, name, parent_id, depth) AS ( \
                 SELECT id, name, parent_id, 0 FROM accounts WHERE id = $1 \
                 UNION ALL SELECT a.id, a.name, a.parent_id, up.depth + 1 FROM accounts a \
                 JOIN up ON a.id = up.parent_id WHERE up.depth < 32) \
             SELECT id, name FROM up ORDER BY depth",
        )
        .bind(id.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows.into_iter().map(|(id, name)| (AccountId::from_uuid(id), name)).collect())
}
