//! Sessions: one row per bearer token, looked up by the token's hash on every request.

use roster_domain::user::User;
use roster_domain::{AccountId, SessionId, UserId};
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;
use crate::users::{USER_COLUMNS, UserRow};

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: Vec<u8>,
    pub active_account_id: Option<AccountId>,
    pub created_at: Ts,
    pub expires_at: Ts,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A live session with its user, as the authentication extractor needs it.
#[derive(Debug, Clone)]
pub struct SessionWithUser {
    pub id: SessionId,
    pub active_account_id: Option<AccountId>,
    pub last_seen_at: Ts,
    pub expires_at: Ts,
    pub user: User,
}

pub async fn insert(exec: &mut impl Exec, s: &NewSession) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, active_account_id, created_at, \
             last_seen_at, expires_at, ip, user_agent, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, NULL)",
        )
        .bind(s.id.as_uuid())
        .bind(s.user_id.as_uuid())
        .bind(&s.token_hash)
        .bind(s.active_account_id.map(|a| a.as_uuid()))
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The unrevoked session whose token hashes to `token_hash`, with its user. Expiry is checked
/// by the caller, which owns the clock and the idle rule.
pub async fn find_by_token(exec: &mut impl Exec, token_hash: &[u8]) -> StoreResult<Option<SessionWithUser>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        session_id: Uuid,
        active_account_id: Option<Uuid>,
        last_seen_at: Ts,
        expires_at: Ts,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let row: Option<Row> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.id AS session_id, s.active_account_id, s.last_seen_at, s.expires_at, {USER_COLUMNS} \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL"
        )))
        .bind(token_hash)
        .fetch_optional(c)
        .await
    })?;
    row.map(|r| {
        Ok(SessionWithUser {
            id: SessionId::from_uuid(r.session_id),
            active_account_id: r.active_account_id.map(AccountId::from_uuid),
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            user: User::try_from(r.user)?,
        })
    })
    .transpose()
}

/// Record activity. It moves no change mark (migration 0004 leaves `last_seen_at` out), so run it
/// on its own (`Db::write_conn`), not in a transaction, which would.
pub async fn touch(exec: &mut impl Exec, id: SessionId, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn revoke(exec: &mut impl Exec, id: SessionId, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Revoke every live session of a user (suspension, deletion, password change).
pub async fn revoke_all(exec: &mut impl Exec, user: UserId, at: Ts) -> StoreResult<u64> {
    let done = on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// Erase where a purged user signed in from.
pub async fn anonymize(exec: &mut impl Exec, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET ip = NULL, user_agent = NULL WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Make `account` the active account of session `id`.
pub async fn set_active_account(exec: &mut impl Exec, id: SessionId, account: AccountId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET active_account_id = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(account.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The distinct active accounts of `user`'s unrevoked sessions.
pub async fn active_accounts_of(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<AccountId>> {
    let ids: Vec<Uuid> = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT DISTINCT active_account_id FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND active_account_id IS NOT NULL",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(ids.into_iter().map(AccountId::from_uuid).collect())
}

/// Sessions active in `account` that may no longer act there — all of them, or only `user`'s —
/// fall back to another account of their user's (its oldest live membership), or to none.
pub async fn fall_back(exec: &mut impl Exec, account: AccountId, user: Option<UserId>) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE sessions SET active_account_id = ( \
                 SELECT m.account_id FROM memberships m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.user_id = sessions.user_id AND a.status <> 'deleted' AND m.account_id <> $1 \
                 ORDER BY m.created_at, m.account_id LIMIT 1) \
             WHERE active_account_id = $1 AND ($2 IS NULL OR user_id = $2) AND revoked_at IS NULL",
        )
        .bind(account.as_uuid())
        .bind(user.map(|u| u.as_uuid()))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// A live session as its user sees it (`GET /v1/auth/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: Ts,
    pub last_seen_at: Ts,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The user's sessions that are neither revoked nor past `expires_at` or the idle deadline
/// (`last_seen_at` after `idle_since`), most recently used first.
pub async fn live_of_user(
    exec: &mut impl Exec,
    user: UserId,
    now: Ts,
    idle_since: Ts,
) -> StoreResult<Vec<SessionInfo>> {
    let rows: Vec<SessionInfo> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3 \
             ORDER BY last_seen_at DESC, id DESC",
        )
        .bind(user.as_uuid())
        .bind(now)
        .bind(idle_since)
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}

/// Revoke session `id` if it is `user`'s and live; whether it was.
pub async fn revoke_own(exec: &mut impl Exec, user: UserId, id: SessionId, at: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// Revoke every live session of `user` but `keep`; how many.
pub async fn revoke_others(exec: &mut impl Exec, user: UserId, keep: SessionId, at: Ts) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL")
            .bind(user.as_uuid())
            .bind(keep.as_uuid())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// Delete sessions that ended before `before`: revoked then, past their absolute expiry then,
/// or last seen before `idle_before` (their idle deadline passed). At most `limit` per call.
pub async fn purge_ended(exec: &mut impl Exec, before: Ts, idle_before: Ts, limit: u32) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
             WHERE revoked_at < $1 OR expires_at < $1 OR last_seen_at < $2 LIMIT $3)",
        )
        .bind(before)
        .bind(idle_before)
        .bind(i64::from(limit))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// A session as the user's data export shows it: every one still stored, ended or not, without
/// its token's hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: Uuid,
    pub active_account_id: Option<Uuid>,
    pub created_at: Ts,
    pub last_seen_at: Ts,
    pub expires_at: Ts,
    pub revoked_at: Option<Ts>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Every stored session of the user, oldest first.
pub async fn all_of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<SessionRecord>> {
    let rows = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, active_account_id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent \
             FROM sessions WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}
