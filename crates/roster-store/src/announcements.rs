//! Announcements and each user's answer to them (migration 0011). The audience of an
//! announcement with an account is the members of that account and of its sub-accounts: a user
//! sees it when one of its accounts is that account or lies below it.

use roster_domain::{AnnouncementId, UserId};
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Announcement {
    #[sqlx(try_from = "Uuid")]
    pub id: AnnouncementId,
    pub title: String,
    pub body: String,
    pub starts_at: Ts,
    pub ends_at: Option<Ts>,
    pub account_id: Option<Uuid>,
    pub notify: bool,
    pub created_by: Option<Uuid>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// An active announcement as one user sees it: with its answer, if any.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Shown {
    #[sqlx(flatten)]
    pub announcement: Announcement,
    pub status: Option<String>,
    pub snooze_until: Option<Ts>,
}

/// One user's answer to one announcement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Answer {
    #[sqlx(try_from = "Uuid")]
    pub announcement_id: AnnouncementId,
    pub status: String,
    pub snooze_until: Option<Ts>,
    pub updated_at: Ts,
}

/// `mine`: the accounts of user `$1` and every account above them (its audiences).
const MINE: &str = "WITH RECURSIVE mine (id, parent_id, depth) AS ( \
    SELECT a.id, a.parent_id, 0 FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = $1 \
    UNION ALL SELECT a.id, a.parent_id, mine.depth + 1 FROM accounts a JOIN mine ON a.id = mine.parent_id \
    WHERE mine.depth < 32)";

const COLUMNS: &str = "an.id, an.title, an.body, an.starts_at, an.ends_at, an.account_id, an.notify, an.created_by, an.created_at, an.updated_at";

/// Insert `a`, or write every field of the announcement with its id but its creation.
pub async fn save(exec: &mut impl Exec, a: &Announcement) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO announcements (id, title, body, starts_at, ends_at, account_id, notify, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, \
             starts_at = excluded.starts_at, ends_at = excluded.ends_at, account_id = excluded.account_id, \
             notify = excluded.notify, updated_at = excluded.updated_at",
        )
        .bind(a.id.as_uuid())
        .bind(&a.title)
        .bind(&a.body)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(a.account_id)
        .bind(a.notify)
        .bind(a.created_by)
        .bind(a.created_at)
        .bind(a.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find(exec: &mut impl Exec, id: AnnouncementId) -> StoreResult<Option<Announcement>> {
    let sql = format!("SELECT {COLUMNS} FROM announcements an WHERE an.id = $1");
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id.as_uuid()).fetch_optional(c).await
    })?)
}

/// Remove an announcement and every answer to it; `false` if there is none.
pub async fn delete(exec: &mut impl Exec, id: AnnouncementId) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM announcement_statuses WHERE announcement_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM announcements WHERE id = $1")
            .bind(id.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Every announcement, newest first (by id, which grows with time), `limit` after `before`.
pub async fn page(exec: &mut impl Exec, before: Option<AnnouncementId>, limit: i64) -> StoreResult<Vec<Announcement>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM announcements an WHERE ($1 IS NULL OR an.id < $1) ORDER BY an.id DESC LIMIT {limit}"
    );
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(before.map(|id| id.as_uuid())).fetch_all(c).await
    })?)
}

/// The announcements active at `now` for `user` (its audience, neither dismissed nor snoozed
/// past `now`), newest start first, at most 100.
pub async fn active_for(exec: &mut impl Exec, user: UserId, now: Ts) -> StoreResult<Vec<Shown>> {
    let sql = format!(
        "{MINE} SELECT {COLUMNS}, s.status, s.snooze_until FROM announcements an \
         LEFT JOIN announcement_statuses s ON s.announcement_id = an.id AND s.user_id = $1 \
         WHERE an.starts_at <= $2 AND (an.ends_at IS NULL OR an.ends_at > $2) \
         AND (an.account_id IS NULL OR an.account_id IN (SELECT id FROM mine)) \
         AND (s.status IS NULL OR s.status = 'seen' OR (s.status = 'snoozed' AND s.snooze_until <= $2)) \
         ORDER BY an.starts_at DESC, an.id DESC LIMIT 100"
    );
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_uuid()).bind(now).fetch_all(c).await
    })?)
}

/// Whether `user` is in the audience of an announcement for `account` (`None`: everyone).
pub async fn in_audience(exec: &mut impl Exec, user: UserId, account: Option<Uuid>) -> StoreResult<bool> {
    let Some(account) = account else { return Ok(true) };
    let sql = format!("{MINE} SELECT CAST(1 AS BIGINT) FROM mine WHERE id = $2 LIMIT 1");
    let found: Option<i64> = on_conn!(exec, |c| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_uuid()).bind(account).fetch_optional(c).await
    })?;
    Ok(found.is_some())
}

/// Record `user`'s answer to an announcement (replacing an earlier one).
pub async fn answer(exec: &mut impl Exec, user: UserId, a: &Answer) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO announcement_statuses (announcement_id, user_id, status, snooze_until, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (announcement_id, user_id) DO UPDATE SET \
             status = excluded.status, snooze_until = excluded.snooze_until, updated_at = excluded.updated_at",
        )
        .bind(a.announcement_id.as_uuid())
        .bind(user.as_uuid())
        .bind(&a.status)
        .bind(a.snooze_until)
        .bind(a.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Every answer of a user (its data export).
pub async fn answers_of(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<Answer>> {
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT announcement_id, status, snooze_until, updated_at FROM announcement_statuses \
             WHERE user_id = $1 ORDER BY updated_at, announcement_id",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?)
}

/// The next `limit` recipients of an announcement for `account` (`None`: everyone) after user
/// `after`, by id: active users, members of the account or of an account below it.
pub async fn recipients(
    exec: &mut impl Exec,
    account: Option<Uuid>,
    after: Uuid,
    limit: i64,
) -> StoreResult<Vec<UserId>> {
    let ids: Vec<Uuid> = on_conn!(exec, |c| {
        match account {
            None => {
                let sql = format!("SELECT id FROM users WHERE status = 'active' AND id > $1 ORDER BY id LIMIT {limit}");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(c).await
            }
            Some(account) => {
                let sql = format!(
                    "WITH RECURSIVE tree (id, depth) AS ( \
                         SELECT id, 0 FROM accounts WHERE id = $1 \
                         UNION ALL SELECT a.id, tree.depth + 1 FROM accounts a JOIN tree ON a.parent_id = tree.id \
                         WHERE tree.depth < 32) \
                     SELECT DISTINCT m.user_id FROM memberships m WHERE m.account_id IN (SELECT id FROM tree) \
                     AND m.user_status = 'active' AND m.user_id > $2 ORDER BY m.user_id LIMIT {limit}"
                );
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(account).bind(after).fetch_all(c).await
            }
        }
    })?;
    Ok(ids.into_iter().map(UserId::from_uuid).collect())
}
