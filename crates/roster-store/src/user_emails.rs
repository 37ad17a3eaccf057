//! Every address of every live user (migration 0008): the login address, kept here by triggers
//! on `users`, and the secondary ones. One unique index over all of them makes an address
//! belong to one live user only, whichever of its addresses it is.

use roster_domain::UserId;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::{StoreError, StoreResult, Unique};
use crate::on_conn;
use crate::ts::Ts;

/// One address of a user. `address_key` is the address lowercased (what uniqueness and login
/// compare).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserEmail {
    pub address: String,
    pub address_key: String,
    pub verified: bool,
    pub is_primary: bool,
    pub becomes_primary: bool,
    pub created_at: Ts,
}

const COLUMNS: &str = "address, address_key, verified, is_primary, becomes_primary, created_at";

/// The user's addresses: the login address first, then the others by age.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<UserEmail>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM user_emails WHERE user_id = $1 ORDER BY is_primary DESC, created_at, address_key"
    );
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_uuid()).fetch_all(c).await
    })?)
}

/// The addresses of each of `users` (a page of a list: at most 100), each user's in the order
/// of [`of_user`].
pub async fn of_users(exec: &mut impl Exec, users: &[UserId]) -> StoreResult<Vec<(UserId, UserEmail)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=users.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT user_id, {COLUMNS} FROM user_emails WHERE user_id IN ({}) \
         ORDER BY user_id, is_primary DESC, created_at, address_key",
        marks.join(", ")
    );
    let rows: Vec<(Uuid, String, String, bool, bool, bool, Ts)> = on_conn!(exec, |c| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
        for user in users {
            query = query.bind(user.as_uuid());
        }
        query.fetch_all(c).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(user, address, address_key, verified, is_primary, becomes_primary, created_at)| {
            let email = UserEmail { address, address_key, verified, is_primary, becomes_primary, created_at };
            (UserId::from_uuid(user), email)
        })
        .collect())
}

/// The user who holds the address with this key — as its sign-in address or a confirmed one —
/// and how. An address others merely added and have not confirmed is held by nobody (migration
/// 0016): it is no answer here.
pub async fn holder(exec: &mut impl Exec, address_key: &str) -> StoreResult<Option<(UserId, UserEmail)>> {
    let sql = format!("SELECT user_id, {COLUMNS} FROM user_emails WHERE address_key = $1 AND (is_primary OR verified)");
    let row: Option<(Uuid, String, String, bool, bool, bool, Ts)> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(address_key).fetch_optional(c).await
    })?;
    Ok(row.map(|(user, address, address_key, verified, is_primary, becomes_primary, created_at)| {
        (UserId::from_uuid(user), UserEmail { address, address_key, verified, is_primary, becomes_primary, created_at })
    }))
}

/// The user's own address with this key, however it stands.
pub async fn own(exec: &mut impl Exec, user: UserId, address_key: &str) -> StoreResult<Option<UserEmail>> {
    let sql = format!("SELECT {COLUMNS} FROM user_emails WHERE address_key = $1 AND user_id = $2");
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(address_key).bind(user.as_uuid()).fetch_optional(c).await
    })?)
}

/// How many addresses the user has, the login address included.
pub async fn count(exec: &mut impl Exec, user: UserId) -> StoreResult<i64> {
    Ok(on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM user_emails WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_one(c)
            .await
    })?)
}

/// Add a secondary address to the user, waiting for confirmation. Other users' pending claims
/// on the same address stay (the first to confirm wins); an address a live user holds →
/// `Conflict(UserEmail)`.
pub async fn add(exec: &mut impl Exec, user: UserId, email: &UserEmail) -> StoreResult<()> {
    let result = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO user_emails (user_id, address, address_key, verified, is_primary, becomes_primary, \
             created_at) VALUES ($1, $2, $3, $4, FALSE, $5, $6)",
        )
        .bind(user.as_uuid())
        .bind(&email.address)
        .bind(&email.address_key)
        .bind(email.verified)
        .bind(email.becomes_primary)
        .bind(email.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    });
    result.map_err(|e| StoreError::unique(e, Unique::UserEmail))?;
    Ok(())
}

/// The user's unconfirmed secondary address `address_key` added again at `at`: whether it is to
/// replace the login address once confirmed, and its time (from which it expires, see
/// [`expire_unconfirmed`]) moved to `at`. `false` if the user has no such secondary address.
pub async fn readd(exec: &mut impl Exec, user: UserId, address_key: &str, on: bool, at: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE user_emails SET becomes_primary = $3, created_at = $4 \
             WHERE user_id = $1 AND address_key = $2 AND NOT is_primary",
        )
        .bind(user.as_uuid())
        .bind(address_key)
        .bind(on)
        .bind(at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Mark the user's unverified secondary address verified and return it; `None` if the user has
/// no such address waiting for confirmation. Every other user's pending claim on it is dropped
/// (migration 0016); if another user holds it meanwhile (it signed up with it, or confirmed it
/// first) → `Conflict(UserEmail)`.
pub async fn confirm(exec: &mut impl Exec, user: UserId, address_key: &str) -> StoreResult<Option<UserEmail>> {
    let sql = format!(
        "UPDATE user_emails SET verified = TRUE WHERE user_id = $1 AND address_key = $2 AND NOT verified \
         AND NOT is_primary RETURNING {COLUMNS}"
    );
    let result = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_uuid()).bind(address_key).fetch_optional(c).await
    });
    result.map_err(|e| StoreError::unique(e, Unique::UserEmail))
}

/// Make the user's verified secondary address `address_key` the login address (`users.email`
/// follows); the former login address stays as a verified-or-not secondary one. `false` if the
/// user has no such verified address.
pub async fn make_primary(exec: &mut impl Exec, user: UserId, address_key: &str, at: Ts) -> StoreResult<bool> {
    let address: Option<String> = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT address FROM user_emails WHERE user_id = $1 AND address_key = $2 AND verified AND NOT is_primary",
        )
        .bind(user.as_uuid())
        .bind(address_key)
        .fetch_optional(c)
        .await
    })?;
    let Some(address) = address else { return Ok(false) };
    on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE user_emails SET is_primary = (address_key = $2), becomes_primary = FALSE WHERE user_id = $1",
        )
        .bind(user.as_uuid())
        .bind(address_key)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "UPDATE users SET email = $2, email_normalized = $3, email_verified = TRUE, updated_at = $4 WHERE id = $1",
        )
        .bind(user.as_uuid())
        .bind(&address)
        .bind(address_key)
        .bind(at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })
    .map_err(|e| StoreError::unique(e, Unique::UserEmail))?;
    Ok(true)
}

/// Remove the user's secondary addresses never confirmed; the addresses, oldest first.
pub async fn remove_pending(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<String>> {
    let gone: Vec<(Ts, String)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "DELETE FROM user_emails WHERE user_id = $1 AND NOT verified AND NOT is_primary \
             RETURNING created_at, address",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    let mut gone = gone;
    gone.sort();
    Ok(gone.into_iter().map(|(_, address)| address).collect())
}

/// What [`remove`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// The address is the user's login address: it stays.
    Primary,
    /// The user has no such address.
    NotFound,
}

/// Remove the user's secondary address `address_key`.
pub async fn remove(exec: &mut impl Exec, user: UserId, address_key: &str) -> StoreResult<Removal> {
    let primary: Option<bool> = on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT is_primary FROM user_emails WHERE user_id = $1 AND address_key = $2")
            .bind(user.as_uuid())
            .bind(address_key)
            .fetch_optional(&mut *c)
            .await
    })?;
    match primary {
        None => Ok(Removal::NotFound),
        Some(true) => Ok(Removal::Primary),
        Some(false) => {
            on_conn!(exec, |c| {
                sqlx::query("DELETE FROM user_emails WHERE user_id = $1 AND address_key = $2")
                    .bind(user.as_uuid())
                    .bind(address_key)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            Ok(Removal::Removed)
        }
    }
}

/// Release up to `limit` secondary addresses that were never confirmed and were last added
/// before `before` (their link has expired): an address typed by someone who does not hold it
/// must not keep its owner from signing up with it. How many were released.
pub async fn expire_unconfirmed(exec: &mut impl Exec, before: Ts, limit: u32) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "DELETE FROM user_emails WHERE seq IN (SELECT seq FROM user_emails \
             WHERE verified = FALSE AND is_primary = FALSE AND created_at < $1 ORDER BY created_at LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n)
}
