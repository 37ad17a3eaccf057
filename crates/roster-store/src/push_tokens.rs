//! Push-notification tokens (migration 0007): one owner per token; listed by user.

use roster_domain::UserId;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

/// A registered token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushToken {
    pub token: String,
    pub platform: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// Register `token` for `user` (created now, or refreshed if it was the user's already; moved
/// from another user if it was theirs). Returns the token as stored and its previous owner.
pub async fn upsert(exec: &mut impl Exec, user: UserId, t: &PushToken) -> StoreResult<(PushToken, Option<UserId>)> {
    let (stored, before): (PushToken, Option<Uuid>) = on_conn!(exec, |c| {
        let before: Option<Uuid> = sqlx::query_scalar("SELECT user_id FROM push_tokens WHERE token = $1")
            .bind(&t.token)
            .fetch_optional(&mut *c)
            .await?;
        sqlx::query_as::<_, PushToken>(
            "INSERT INTO push_tokens (token, user_id, platform, device_id, device_name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (token) DO UPDATE SET user_id = excluded.user_id, \
             platform = excluded.platform, device_id = excluded.device_id, device_name = excluded.device_name, \
             updated_at = excluded.updated_at, \
             created_at = CASE WHEN push_tokens.user_id = excluded.user_id THEN push_tokens.created_at \
             ELSE excluded.created_at END \
             RETURNING token, platform, device_id, device_name, created_at, updated_at",
        )
        .bind(&t.token)
        .bind(user.as_uuid())
        .bind(&t.platform)
        .bind(&t.device_id)
        .bind(&t.device_name)
        .bind(t.updated_at)
        .fetch_one(c)
        .await
        .map(|stored| (stored, before))
    })?;
    Ok((stored, before.map(UserId::from_uuid)))
}

/// Remove the user's token `token`; `false` if it is not theirs.
pub async fn delete(exec: &mut impl Exec, user: UserId, token: &str) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM push_tokens WHERE token = $1 AND user_id = $2")
            .bind(token)
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The user's tokens, oldest first.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<PushToken>> {
    let rows = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT token, platform, device_id, device_name, created_at, updated_at FROM push_tokens \
             WHERE user_id = $1 ORDER BY created_at, token",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}

/// Keep the user's `keep` most recently registered (or refreshed) tokens and remove the others;
/// how many went.
pub async fn keep_newest(exec: &mut impl Exec, user: UserId, keep: u32) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "DELETE FROM push_tokens WHERE user_id = $1 AND token NOT IN (SELECT token FROM push_tokens \
             WHERE user_id = $1 ORDER BY updated_at DESC, token DESC LIMIT $2)",
        )
        .bind(user.as_uuid())
        .bind(i64::from(keep))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// Remove every token of the user (deletion, suspension).
pub async fn delete_all(exec: &mut impl Exec, user: UserId) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM push_tokens WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// Remove `token` whoever has it (the push provider said it is gone).
pub async fn forget(exec: &mut impl Exec, token: &str) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM push_tokens WHERE token = $1").bind(token).execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
