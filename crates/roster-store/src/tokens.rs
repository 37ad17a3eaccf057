//! Single-use, purpose-bound tokens. Only the SHA-256 of a token is stored.

use roster_domain::UserId;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: Uuid,
    pub user_id: UserId,
    pub purpose: &'static str,
    pub token_hash: Vec<u8>,
    pub data: serde_json::Value,
    pub created_at: Ts,
    pub expires_at: Ts,
}

/// Store a token, voiding every unused older token of the same user and purpose (API.md §8).
pub async fn replace(exec: &mut impl Exec, t: &NewToken) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
            .bind(t.user_id.as_uuid())
            .bind(t.purpose)
            .bind(t.created_at)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO tokens (id, user_id, purpose, token_hash, data, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(t.id)
        .bind(t.user_id.as_uuid())
        .bind(t.purpose)
        .bind(&t.token_hash)
        .bind(Json(&t.data))
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A redeemed token: whose it was and what it carried.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub user_id: UserId,
    pub data: serde_json::Value,
}

/// Mark the unused, unexpired token of `purpose` with this hash as used, and return it. A single
/// conditional UPDATE, so two concurrent redemptions cannot both succeed.
pub async fn redeem(exec: &mut impl Exec, purpose: &str, token_hash: &[u8], now: Ts) -> StoreResult<Option<Redeemed>> {
    let row: Option<(Uuid, Json<serde_json::Value>)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "UPDATE tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3 RETURNING user_id, data",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(now)
        .fetch_optional(c)
        .await
    })?;
    Ok(row.map(|(user, data)| Redeemed { user_id: UserId::from_uuid(user), data: data.0 }))
}

/// Void every unused token of a user (on deletion).
pub async fn void_all(exec: &mut impl Exec, user: UserId, now: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
            .bind(user.as_uuid())
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Give the unused, unexpired token `id` a new hash (the token being delivered now) and return
/// its owner and data. The worker that sends a message mints the token at that moment, so the
/// token in clear exists only in the message; a retried send voids the previous link.
pub async fn rotate(exec: &mut impl Exec, id: Uuid, token_hash: &[u8], now: Ts) -> StoreResult<Option<Redeemed>> {
    let row: Option<(Uuid, Json<serde_json::Value>)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "UPDATE tokens SET token_hash = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $3 \
             RETURNING user_id, data",
        )
        .bind(id)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await
    })?;
    Ok(row.map(|(user, data)| Redeemed { user_id: UserId::from_uuid(user), data: data.0 }))
}

/// A token that is still good, read without spending it (a code is checked against it first).
#[derive(Debug, Clone)]
pub struct Live {
    pub id: Uuid,
    pub user_id: UserId,
    pub data: serde_json::Value,
    pub attempts: i64,
}

/// The unused, unexpired token of `purpose` with this hash.
pub async fn find_live(exec: &mut impl Exec, purpose: &str, token_hash: &[u8], now: Ts) -> StoreResult<Option<Live>> {
    let row: Option<(Uuid, Uuid, Json<serde_json::Value>, i64)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, user_id, data, attempts FROM tokens WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(now)
        .fetch_optional(c)
        .await
    })?;
    Ok(row.map(|(id, user, data, attempts)| Live { id, user_id: UserId::from_uuid(user), data: data.0, attempts }))
}

/// Spend the live token `id`; `false` if it was spent or voided meanwhile (two requests with
/// the same token: one wins).
pub async fn spend(exec: &mut impl Exec, id: Uuid, now: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("UPDATE tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Count a wrong code against token `id`; at `max` wrong codes the token is void. Returns the
/// count.
pub async fn count_wrong_code(exec: &mut impl Exec, id: Uuid, max: i64, now: Ts) -> StoreResult<i64> {
    let attempts: Option<i64> = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "UPDATE tokens SET attempts = attempts + 1, \
             used_at = CASE WHEN attempts + 1 >= $2 THEN $3 ELSE used_at END \
             WHERE id = $1 RETURNING attempts",
        )
        .bind(id)
        .bind(max)
        .bind(now)
        .fetch_optional(c)
        .await
    })?;
    Ok(attempts.unwrap_or(max))
}

/// How many tokens of `purpose` whose data names `address` the user was issued after `since`,
/// and when the oldest and the newest of them were (limits on mailing one address).
pub async fn issued_for(
    exec: &mut impl Exec,
    user: UserId,
    purpose: &str,
    address: &str,
    since: Ts,
) -> StoreResult<(i64, Option<Ts>, Option<Ts>)> {
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), MIN(created_at), MAX(created_at) FROM tokens \
             WHERE user_id = $1 AND purpose = $2 AND data ->> 'address' = $3 AND created_at > $4",
        )
        .bind(user.as_uuid())
        .bind(purpose)
        .bind(address)
        .bind(since)
        .fetch_one(c)
        .await
    })?)
}
