//! Users: rows, look-ups and writes.

use roster_domain::UserId;
use roster_domain::user::User;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::{StoreError, StoreResult, Unique};
use crate::on_conn;
use crate::ts::Ts;

/// Columns of `users` in the order [`UserRow`] reads them (never the password hash).
pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.email_verified, u.name, u.first_name, \
    u.last_name, u.image, u.title, u.bio, u.timezone, u.locale, u.status, u.metadata, \
    u.mfa_enabled, u.platform_admin, u.created_at, u.updated_at, u.last_login_at, u.deleted_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    email_verified: bool,
    name: String,
    first_name: Option<String>,
    last_name: Option<String>,
    image: Option<String>,
    title: Option<String>,
    bio: Option<String>,
    timezone: String,
    locale: String,
    status: String,
    metadata: Json<serde_json::Value>,
    mfa_enabled: bool,
    platform_admin: bool,
    created_at: Ts,
    updated_at: Ts,
    last_login_at: Option<Ts>,
    deleted_at: Option<Ts>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let status = crate::named::stored(&row.status)?;
        Ok(User {
            id: UserId::from_uuid(row.id),
            email: row.email,
            email_verified: row.email_verified,
            name: row.name,
            first_name: row.first_name,
            last_name: row.last_name,
            image: row.image,
            title: row.title,
            bio: row.bio,
            timezone: row.timezone,
            locale: row.locale,
            status,
            metadata: row.metadata.0,
            mfa_enabled: row.mfa_enabled,
            platform_admin: row.platform_admin,
            created_at: row.created_at.get(),
            updated_at: row.updated_at.get(),
            last_login_at: row.last_login_at.map(Ts::get),
            deleted_at: row.deleted_at.map(Ts::get),
        })
    }
}

pub(crate) fn rows_to_users(rows: Vec<UserRow>) -> StoreResult<Vec<User>> {
    rows.into_iter().map(User::try_from).collect()
}

/// Insert a new user. A live user with the same normalised email → `Conflict("email")`.
pub async fn insert(exec: &mut impl Exec, user: &User, password_hash: Option<&str>) -> StoreResult<()> {
    let email_normalized = user.email.to_lowercase();
    let result = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO users (id, email, email_normalized, email_verified, password_hash, name, \
             first_name, last_name, image, title, bio, timezone, locale, status, metadata, \
             mfa_enabled, platform_admin, created_at, updated_at, last_login_at, deleted_at, \
             name_normalized) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22)",
        )
        .bind(user.id.as_uuid())
        .bind(&user.email)
        .bind(&email_normalized)
        .bind(user.email_verified)
        .bind(password_hash)
        .bind(&user.name)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.image)
        .bind(&user.title)
        .bind(&user.bio)
        .bind(&user.timezone)
        .bind(&user.locale)
        .bind(user.status.as_str())
        .bind(Json(&user.metadata))
        .bind(user.mfa_enabled)
        .bind(user.platform_admin)
        .bind(Ts::new(user.created_at))
        .bind(Ts::new(user.updated_at))
        .bind(user.last_login_at.map(Ts::new))
        .bind(user.deleted_at.map(Ts::new))
        .bind(user.name.to_lowercase())
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    });
    result.map_err(|e| StoreError::unique(e, Unique::UserEmail))?;
    Ok(())
}

/// A user by id, whatever its status.
pub async fn find(exec: &mut impl Exec, id: UserId) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")))
            .bind(id.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    row.map(User::try_from).transpose()
}

/// The live (not deleted) user with this normalised email, with its password hash.
pub async fn find_for_login(
    exec: &mut impl Exec,
    email_normalized: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: Option<String>,
    }
    let row: Option<Row> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u \
             WHERE u.email_normalized = $1 AND u.status <> 'deleted'"
        )))
        .bind(email_normalized)
        .fetch_optional(c)
        .await
    })?;
    row.map(|r| Ok((User::try_from(r.user)?, r.password_hash))).transpose()
}

/// Write every mutable profile field of `user` (and its status) back.
pub async fn update_profile(exec: &mut impl Exec, user: &User) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE users SET name = $2, first_name = $3, last_name = $4, image = $5, title = $6, \
             bio = $7, timezone = $8, locale = $9, metadata = $10, status = $11, updated_at = $12, \
             name_normalized = $13 WHERE id = $1",
        )
        .bind(user.id.as_uuid())
        .bind(&user.name)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.image)
        .bind(&user.title)
        .bind(&user.bio)
        .bind(&user.timezone)
        .bind(&user.locale)
        .bind(Json(&user.metadata))
        .bind(user.status.as_str())
        .bind(Ts::new(user.updated_at))
        .bind(user.name.to_lowercase())
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Mark a user deleted. With `purge`, personal data is erased and only an anonymous tombstone
/// (id, status, times) is left; the address is replaced so it can never match again.
pub async fn mark_deleted(exec: &mut impl Exec, id: UserId, at: Ts, purge: bool) -> StoreResult<()> {
    let sql = if purge {
        "UPDATE users SET status = 'deleted', deleted_at = $2, updated_at = $2, \
         email = $3, email_normalized = $3, password_hash = NULL, name = '', name_normalized = '', first_name = NULL, \
         last_name = NULL, image = NULL, title = NULL, bio = NULL, metadata = $4 WHERE id = $1"
    } else {
        "UPDATE users SET status = 'deleted', deleted_at = $2, updated_at = $2 WHERE id = $1"
    };
    let tombstone = format!("deleted-{}@invalid", id.as_uuid().simple());
    on_conn!(exec, |c| {
        let mut query = sqlx::query(sql).bind(id.as_uuid()).bind(at);
        if purge {
            query = query.bind(&tombstone).bind(Json(serde_json::json!({})));
        }
        query.execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn set_last_login(exec: &mut impl Exec, id: UserId, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn set_email_verified(exec: &mut impl Exec, id: UserId, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE users SET email_verified = TRUE, updated_at = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Number of users in any state (start-up creates the first platform admin only when zero).
pub async fn count_all(exec: &mut impl Exec) -> StoreResult<i64> {
    let n: i64 = on_conn!(exec, |c| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await)?;
    Ok(n)
}

pub async fn set_platform_admin(exec: &mut impl Exec, id: UserId, on: bool) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE users SET platform_admin = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(on)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Lock the user's row until the transaction ends, so a read-check-write sequence cannot
/// interleave with another one on the same user. On SQLite the transaction already holds the
/// database's write lock (`BEGIN IMMEDIATE`); PostgreSQL needs the row lock.
pub async fn lock(exec: &mut impl Exec, id: UserId) -> StoreResult<()> {
    if let crate::db::ConnRef::Postgres(c) = exec.conn() {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(id.as_uuid()).fetch_optional(c).await?;
    }
    Ok(())
}

/// Live platform admins after `after` in id order, at most `limit`: (id, name, email).
pub async fn platform_admins(
    exec: &mut impl Exec,
    after: Option<UserId>,
    limit: u32,
) -> StoreResult<Vec<(UserId, String, String)>> {
    let rows: Vec<(Uuid, String, String)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, name, email FROM users WHERE platform_admin AND status <> 'deleted' \
             AND ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(after.map(|u| u.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await
    })?;
    Ok(rows.into_iter().map(|(id, name, email)| (UserId::from_uuid(id), name, email)).collect())
}

/// The stored password hash of a live user (`None`: no password set, or no such user).
pub async fn password_hash(exec: &mut impl Exec, id: UserId) -> StoreResult<Option<String>> {
    let hash: Option<Option<String>> = on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND status <> 'deleted'")
            .bind(id.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    Ok(hash.flatten())
}

/// Replace a user's password hash.
pub async fn set_password_hash(exec: &mut impl Exec, id: UserId, hash: &str, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(hash)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Record whether the user signs in with a second factor.
pub async fn set_mfa_enabled(exec: &mut impl Exec, id: UserId, on: bool, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE users SET mfa_enabled = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(on)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
