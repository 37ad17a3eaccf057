//! Login attempts and the password lock (migration 0006): the user's login history, and the
//! counts behind the brute-force limits, kept in the database so that they hold on every
//! instance. The windows are read with one indexed probe each ("the Nth most recent counted
//! failure"), so a check costs the same however long an attack has run.
//!
//! An attempt is recorded before its secret is checked, as a counted failure marked
//! [`PENDING`], in a transaction that first takes [`serialize`]'s locks on whom it counts for:
//! the count and the decision are one step, and a hundred attempts at once see each other
//! instead of all passing a check that none of them has been counted in yet. Once the secret is
//! checked, [`settle`] writes what happened.

use roster_domain::UserId;
use roster_domain::login::AttemptReason;
use uuid::Uuid;

use sha2::{Digest, Sha256};

use crate::db::{ConnRef, Exec};
use crate::error::StoreResult;
use crate::named::stored;
use crate::on_conn;
use crate::ts::Ts;

/// Which factor an attempt tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Password,
    Mfa,
}

impl Factor {
    fn as_str(self) -> &'static str {
        match self {
            Factor::Password => "password",
            Factor::Mfa => "mfa",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub at: Ts,
    /// SHA-256 of the normalised email typed in (known or not).
    pub email_key: &'a [u8],
    pub user_id: Option<UserId>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub factor: Factor,
    pub success: bool,
    /// A failure that counts against the limits (a refused attempt over a limit does not).
    pub counted: bool,
    pub reason: Option<AttemptReason>,
}

/// The reason an attempt carries while its secret is being checked (a counted failure until
/// then: an attempt whose process died half-way counts against its limits).
pub const PENDING: AttemptReason = AttemptReason::Pending;

/// Record an attempt; its id.
pub async fn record(exec: &mut impl Exec, a: &NewAttempt<'_>) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO login_attempts (id, at, email_key, user_id, ip, user_agent, factor, success, counted, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(a.at)
        .bind(a.email_key)
        .bind(a.user_id.map(|u| u.as_uuid()))
        .bind(a.ip)
        .bind(a.user_agent)
        .bind(a.factor.as_str())
        .bind(a.success)
        .bind(a.counted)
        .bind(a.reason.map(AttemptReason::as_str))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(id)
}

/// Write how the [`PENDING`] attempt `id` ended.
pub async fn settle(
    exec: &mut impl Exec,
    id: Uuid,
    success: bool,
    counted: bool,
    reason: Option<AttemptReason>,
) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE login_attempts SET success = $2, counted = $3, reason = $4 WHERE id = $1")
            .bind(id)
            .bind(success)
            .bind(counted)
            .bind(reason.map(AttemptReason::as_str))
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Forget the [`PENDING`] attempt `id` (a password confirmed by a signed-in user, which is no
/// sign-in and stays out of the history).
pub async fn withdraw(exec: &mut impl Exec, id: Uuid) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM login_attempts WHERE id = $1").bind(id).execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Whose counted failures a limit counts.
#[derive(Debug, Clone, Copy)]
pub enum Counted<'a> {
    /// Failed passwords for one email, known or not (wrong codes are counted per user).
    Email(&'a [u8]),
    /// Failed logins and codes from one client address.
    Ip(&'a str),
    /// Wrong MFA codes of one user, across all its `mfa_token`s.
    Mfa(UserId),
}

impl Counted<'_> {
    /// The key of the advisory lock that [`serialize`] takes for it on PostgreSQL: 63 bits of a
    /// SHA-256 of what it counts, in a space of its own.
    fn lock_key(self) -> i64 {
        let mut hash = Sha256::new();
        match self {
            Counted::Email(key) => hash.update([b"login-email:".as_slice(), key].concat()),
            Counted::Ip(ip) => hash.update([b"login-ip:".as_slice(), ip.as_bytes()].concat()),
            Counted::Mfa(user) => hash.update([b"login-mfa:".as_slice(), user.as_uuid().as_bytes()].concat()),
        }
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

/// Take, until the end of the transaction, the locks that make the counting and deciding of an
/// attempt for `who` one step. SQLite needs none: a write transaction there holds the database's
/// one write lock from its first statement (`BEGIN IMMEDIATE`). On PostgreSQL, an advisory
/// transaction lock per key, taken in key order so that two attempts never wait on each other in
/// a circle.
pub async fn serialize(exec: &mut impl Exec, who: &[Counted<'_>]) -> StoreResult<()> {
    let ConnRef::Postgres(c) = exec.conn() else { return Ok(()) };
    let mut keys: Vec<i64> = who.iter().map(|w| w.lock_key()).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(&mut *c).await?;
    }
    Ok(())
}

/// The time of the `nth` most recent counted failure after `since` (1-based), if there are that
/// many: the limit is reached when there is one, and it lifts when that failure leaves the window.
pub async fn nth_failure(exec: &mut impl Exec, who: Counted<'_>, since: Ts, nth: u32) -> StoreResult<Option<Ts>> {
    let offset = i64::from(nth.max(1) - 1);
    let at: Option<Ts> = on_conn!(exec, |c| {
        match who {
            Counted::Email(key) => sqlx::query_scalar(
                "SELECT at FROM login_attempts WHERE email_key = $1 AND counted AND factor = 'password' AND at > $2 \
                 ORDER BY at DESC LIMIT 1 OFFSET $3",
            )
            .bind(key),
            Counted::Ip(ip) => sqlx::query_scalar(
                "SELECT at FROM login_attempts WHERE ip = $1 AND counted AND at > $2 \
                 ORDER BY at DESC LIMIT 1 OFFSET $3",
            )
            .bind(ip),
            Counted::Mfa(user) => sqlx::query_scalar(
                "SELECT at FROM login_attempts WHERE user_id = $1 AND counted AND factor = 'mfa' AND at > $2 \
                 ORDER BY at DESC LIMIT 1 OFFSET $3",
            )
            .bind(user.as_uuid()),
        }
        .bind(since)
        .bind(offset)
        .fetch_optional(c)
        .await
    })?;
    Ok(at)
}

/// How many wrong codes of `user` after `since` are settled (not [`PENDING`]): the limit engages
/// on the one that makes it reach the limit, once.
pub async fn settled_mfa_failures(exec: &mut impl Exec, user: UserId, since: Ts) -> StoreResult<i64> {
    let n: i64 = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM login_attempts WHERE user_id = $1 AND counted AND factor = 'mfa' \
             AND at > $2 AND reason <> $3",
        )
        .bind(user.as_uuid())
        .bind(since)
        .bind(PENDING.as_str())
        .fetch_one(c)
        .await
    })?;
    Ok(n)
}

/// Whether `user` signed in successfully from this user agent and address since `since`.
pub async fn seen_before(
    exec: &mut impl Exec,
    user: UserId,
    user_agent: Option<&str>,
    ip: Option<&str>,
    since: Ts,
) -> StoreResult<bool> {
    let found: Option<i64> = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM login_attempts WHERE user_id = $1 AND success \
             AND user_agent IS NOT DISTINCT FROM $2 AND ip IS NOT DISTINCT FROM $3 AND at > $4 LIMIT 1",
        )
        .bind(user.as_uuid())
        .bind(user_agent)
        .bind(ip)
        .bind(since)
        .fetch_optional(c)
        .await
    })?;
    Ok(found.is_some())
}

/// One attempt as its user sees it (`GET /v1/auth/login-history`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: Uuid,
    pub at: Ts,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub success: bool,
    pub reason: Option<AttemptReason>,
}

/// A page of the user's attempts, newest first: those with an id below `before`.
pub async fn history(
    exec: &mut impl Exec,
    user: UserId,
    before: Option<Uuid>,
    limit: u32,
) -> StoreResult<Vec<Attempt>> {
    type Row = (Uuid, Ts, Option<String>, Option<String>, bool, Option<String>);
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, at, ip, user_agent, success, reason FROM login_attempts \
             WHERE user_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(user.as_uuid())
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await
    })?;
    rows.into_iter()
        .map(|(id, at, ip, user_agent, success, reason)| {
            let reason = reason.as_deref().map(stored).transpose()?;
            Ok(Attempt { id, at, ip, user_agent, success, reason })
        })
        .collect()
}

/// When the user's successful sign-ins since `since` happened (at most 10 000, the newest).
pub async fn successes_since(exec: &mut impl Exec, user: UserId, since: Ts) -> StoreResult<Vec<Ts>> {
    let rows: Vec<Ts> = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT at FROM login_attempts WHERE user_id = $1 AND success AND at >= $2 ORDER BY id DESC LIMIT 10000",
        )
        .bind(user.as_uuid())
        .bind(since)
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}

/// Forget attempts older than `before` (they are kept 90 days).
pub async fn sweep(exec: &mut impl Exec, before: Ts) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(before).execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(n)
}

/// Erase where a purged user signed in from.
pub async fn anonymize(exec: &mut impl Exec, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE login_attempts SET ip = NULL, user_agent = NULL WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Count one more consecutive failure for `email_key`; at `lock_at` the password locks. Returns
/// `true` exactly once per lock: for the failure that locked it (so one mail goes out).
pub async fn count_failure(exec: &mut impl Exec, email_key: &[u8], lock_at: i64, now: Ts) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO login_locks (email_key, consecutive, locked_at) VALUES ($1, 1, NULL) \
             ON CONFLICT (email_key) DO UPDATE SET consecutive = login_locks.consecutive + 1",
        )
        .bind(email_key)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "UPDATE login_locks SET locked_at = $3 WHERE email_key = $1 AND consecutive >= $2 AND locked_at IS NULL",
        )
        .bind(email_key)
        .bind(lock_at)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// How the attempts for one email stand: whether its password is locked, and since when its
/// failures count (a completed recovery starts them afresh).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockState {
    pub locked: bool,
    pub cleared_at: Option<Ts>,
}

pub async fn lock_state(exec: &mut impl Exec, email_key: &[u8]) -> StoreResult<LockState> {
    let row: Option<(Option<Ts>, Option<Ts>)> = on_conn!(exec, |c| {
        sqlx::query_as("SELECT locked_at, cleared_at FROM login_locks WHERE email_key = $1")
            .bind(email_key)
            .fetch_optional(c)
            .await
    })?;
    Ok(row.map(|(locked_at, cleared_at)| LockState { locked: locked_at.is_some(), cleared_at }).unwrap_or_default())
}

/// Start counting the failures in a row afresh (a successful login).
pub async fn clear(exec: &mut impl Exec, email_key: &[u8]) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE login_locks SET consecutive = 0 WHERE email_key = $1")
            .bind(email_key)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A completed recovery: the lock lifts, the failures in a row start from zero, and every
/// failure counted for this email before `now` stops counting in its windows.
pub async fn reset(exec: &mut impl Exec, email_key: &[u8], now: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO login_locks (email_key, consecutive, locked_at, cleared_at) VALUES ($1, 0, NULL, $2) \
             ON CONFLICT (email_key) DO UPDATE SET consecutive = 0, locked_at = NULL, cleared_at = excluded.cleared_at",
        )
        .bind(email_key)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Forget the lock rows that say nothing any more: no failure in a row, no lock, and no recovery
/// since `before` (the start of the current window).
pub async fn sweep_locks(exec: &mut impl Exec, before: Ts) -> StoreResult<u64> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "DELETE FROM login_locks WHERE consecutive = 0 AND locked_at IS NULL \
             AND (cleared_at IS NULL OR cleared_at < $1)",
        )
        .bind(before)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n)
}
