//! A user's second factor: the encrypted TOTP seed (migration 0006) and the hashed recovery
//! codes. Encryption and code checks live in the core; this module only keeps the bytes.

use roster_domain::UserId;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

/// A user's TOTP row: `enabled_at` is `None` while enrolment waits for its first code.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Totp {
    pub seed: Vec<u8>,
    pub enabled_at: Option<Ts>,
    pub last_step: i64,
}

/// Start (or restart) an enrolment with `seed`. Refused — `false` — while MFA is on: a second
/// enrolment must not replace a working seed before the user proves the new one.
pub async fn put_pending(exec: &mut impl Exec, user: UserId, seed: &[u8], now: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO user_mfa (user_id, seed, enabled_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3) \
             ON CONFLICT (user_id) DO UPDATE SET seed = excluded.seed, created_at = excluded.created_at, \
             last_step = 0 WHERE user_mfa.enabled_at IS NULL",
        )
        .bind(user.as_uuid())
        .bind(seed)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn get(exec: &mut impl Exec, user: UserId) -> StoreResult<Option<Totp>> {
    let row = on_conn!(exec, |c| {
        sqlx::query_as("SELECT seed, enabled_at, last_step FROM user_mfa WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    Ok(row)
}

/// When the user's MFA was turned on; `None` while it is off or only pending. Reads no seed
/// (the data export shows this and nothing else of the row).
pub async fn enabled_at(exec: &mut impl Exec, user: UserId) -> StoreResult<Option<Ts>> {
    let at: Option<Option<Ts>> = on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT enabled_at FROM user_mfa WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    Ok(at.flatten())
}

/// Turn MFA on with the step of the code that proved the seed. `false` if it was already on (or
/// there is no pending enrolment).
pub async fn enable(exec: &mut impl Exec, user: UserId, step: i64, now: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("UPDATE user_mfa SET enabled_at = $2, last_step = $3 WHERE user_id = $1 AND enabled_at IS NULL")
            .bind(user.as_uuid())
            .bind(now)
            .bind(step)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Accept time step `step` for `user` if no later or equal step was accepted before: one
/// conditional UPDATE, so a code replayed on another instance at the same moment is refused.
pub async fn use_step(exec: &mut impl Exec, user: UserId, step: i64) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE user_mfa SET last_step = $2 WHERE user_id = $1 AND last_step < $2 AND enabled_at IS NOT NULL",
        )
        .bind(user.as_uuid())
        .bind(step)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Remove the seed and every recovery code.
pub async fn remove(exec: &mut impl Exec, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM user_mfa WHERE user_id = $1").bind(user.as_uuid()).execute(&mut *c).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Replace the user's recovery codes with these hashes (the old ones are void).
pub async fn replace_recovery_codes(exec: &mut impl Exec, user: UserId, hashes: &[Vec<u8>]) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.as_uuid()).execute(&mut *c).await?;
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                .bind(user.as_uuid())
                .bind(hash)
                .execute(&mut *c)
                .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// Spend the unused recovery code with this hash; `false` if there is none.
pub async fn use_recovery_code(exec: &mut impl Exec, user: UserId, hash: &[u8], now: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")
            .bind(user.as_uuid())
            .bind(hash)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
