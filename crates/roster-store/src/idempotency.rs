//! Stored responses of POST requests made with an `Idempotency-Key` (kept 24 hours).

use sqlx::types::Json;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

/// What is on record for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// A request with this key is being processed right now.
    InFlight {
        request_hash: Vec<u8>,
    },
    Done {
        request_hash: Vec<u8>,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: Vec<u8>,
    response_status: Option<i32>,
    response_body: Option<Vec<u8>>,
    response_headers: Option<Json<Vec<(String, String)>>>,
}

/// Claim `key` for `caller`: `Ok(None)` if this request now owns it, else what is on record.
/// Records older than `expired_before` are replaced, and so are claims still without a response
/// after `abandoned_before` (their request died: a crash, a panic, a dropped connection).
pub async fn claim(
    exec: &mut impl Exec,
    caller: &str,
    key: &str,
    request_hash: &[u8],
    now: Ts,
    expired_before: Ts,
    abandoned_before: Ts,
) -> StoreResult<Option<Recorded>> {
    let inserted = on_conn!(exec, |c| {
        sqlx::query(
            "DELETE FROM idempotency WHERE caller = $1 AND key = $2 \
             AND (created_at < $3 OR (response_status IS NULL AND created_at < $4))",
        )
        .bind(caller)
        .bind(key)
        .bind(expired_before)
        .bind(abandoned_before)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "INSERT INTO idempotency (caller, key, request_hash, response_status, response_body, \
             response_headers, created_at) VALUES ($1, $2, $3, NULL, NULL, NULL, $4) \
             ON CONFLICT (caller, key) DO NOTHING",
        )
        .bind(caller)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if inserted == 1 {
        return Ok(None);
    }
    let row: Row = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT request_hash, response_status, response_body, response_headers FROM idempotency \
             WHERE caller = $1 AND key = $2",
        )
        .bind(caller)
        .bind(key)
        .fetch_one(c)
        .await
    })?;
    Ok(Some(match (row.response_status, row.response_body) {
        (Some(status), Some(body)) => Recorded::Done {
            request_hash: row.request_hash,
            status: u16::try_from(status).unwrap_or(500),
            headers: row.response_headers.map(|h| h.0).unwrap_or_default(),
            body,
        },
        _ => Recorded::InFlight { request_hash: row.request_hash },
    }))
}

pub async fn complete(
    exec: &mut impl Exec,
    caller: &str,
    key: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE idempotency SET response_status = $3, response_headers = $4, response_body = $5 \
             WHERE caller = $1 AND key = $2",
        )
        .bind(caller)
        .bind(key)
        .bind(i32::from(status))
        .bind(Json(headers))
        .bind(body)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Forget a claim whose request failed in a way worth retrying (a 5xx).
pub async fn release(exec: &mut impl Exec, caller: &str, key: &str) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM idempotency WHERE caller = $1 AND key = $2 AND response_status IS NULL")
            .bind(caller)
            .bind(key)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Delete every record older than `before` (the stored responses hold personal data: they are
/// not kept past their 24 hours). Returns how many went.
pub async fn purge_expired(exec: &mut impl Exec, before: Ts) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(before)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// Forget every record of one caller (a purged user).
pub async fn forget_caller(exec: &mut impl Exec, caller: &str) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM idempotency WHERE caller = $1")
            .bind(caller)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
