//! Per-user engagement: an analytics record and daily activity recomputed from the audit trail.

use roster_domain::UserId;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

pub async fn init(exec: &mut impl Exec, user: UserId, now: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO user_analytics (user_id, initialized_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.as_uuid())
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Recompute `user`'s row for the UTC day `[start, end)` named `day` (YYYY-MM-DD) from the
/// audit trail: running it twice gives the same row, so at-least-once delivery cannot inflate
/// the counts.
pub async fn recompute_day(exec: &mut impl Exec, user: UserId, day: &str, start: Ts, end: Ts) -> StoreResult<()> {
    let (logins, events, last): (i64, i64, Option<Ts>) = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN action = 'user.login' THEN 1 ELSE 0 END), 0), COUNT(*), MAX(at) \
             FROM activities WHERE user_id = $1 AND at >= $2 AND at < $3",
        )
        .bind(user.as_uuid())
        .bind(start)
        .bind(end)
        .fetch_one(&mut *c)
        .await
    })?;
    let Some(last) = last else {
        return Ok(());
    };
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO user_activity_daily (user_id, day, logins, events, last_active_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, day) DO UPDATE SET logins = excluded.logins, events = excluded.events, \
             last_active_at = excluded.last_active_at",
        )
        .bind(user.as_uuid())
        .bind(day)
        .bind(i32::try_from(logins).unwrap_or(i32::MAX))
        .bind(i32::try_from(events).unwrap_or(i32::MAX))
        .bind(last)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Engagement over the days from `since_7` / `since_30` (YYYY-MM-DD, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub logins_7d: i64,
    pub logins_30d: i64,
    pub active_days_30d: i64,
    pub last_active_at: Option<Ts>,
}

pub async fn summary(exec: &mut impl Exec, user: UserId, since_7: &str, since_30: &str) -> StoreResult<Summary> {
    let (logins_7d, logins_30d, active_days_30d): (i64, i64, i64) = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN day >= $2 THEN logins ELSE 0 END), 0), COALESCE(SUM(logins), 0), \
             COUNT(*) FROM user_activity_daily WHERE user_id = $1 AND day >= $3",
        )
        .bind(user.as_uuid())
        .bind(since_7)
        .bind(since_30)
        .fetch_one(&mut *c)
        .await
    })?;
    let last_active_at: Option<Ts> = on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT MAX(last_active_at) FROM user_activity_daily WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_one(c)
            .await
    })?;
    Ok(Summary { logins_7d, logins_30d, active_days_30d, last_active_at })
}

/// One UTC day of a user's activity.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Day {
    pub day: String,
    pub logins: i64,
    pub events: i64,
    pub last_active_at: Ts,
}

/// Every day of activity stored for the user, oldest first (the data export).
pub async fn days_of(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<Day>> {
    let rows = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT day, CAST(logins AS BIGINT) AS logins, CAST(events AS BIGINT) AS events, last_active_at \
             FROM user_activity_daily WHERE user_id = $1 ORDER BY day",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}
