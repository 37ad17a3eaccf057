//! The audit trail: one append-only row per change, about one user.

use roster_domain::activity::Action;
use roster_domain::{AccountId, ActivityId, UserId};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::named::stored;
use crate::on_conn;
use crate::sql::{Arg, Sql};
use crate::ts::Ts;

#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    pub at: OffsetDateTime,
    /// The user the entry is about.
    pub user_id: UserId,
    /// Who did it (`None` for the system or an anonymous sign-up).
    pub actor_id: Option<UserId>,
    pub account_id: Option<AccountId>,
    pub action: Action,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub changes: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: Uuid,
    at: Ts,
    user_id: Uuid,
    actor_id: Option<Uuid>,
    account_id: Option<Uuid>,
    action: String,
    ip: Option<String>,
    user_agent: Option<String>,
    changes: Json<serde_json::Value>,
}

pub async fn insert(exec: &mut impl Exec, a: &Activity) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO activities (id, at, user_id, actor_id, account_id, action, ip, user_agent, changes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(a.id.as_uuid())
        .bind(Ts::new(a.at))
        .bind(a.user_id.as_uuid())
        .bind(a.actor_id.map(|u| u.as_uuid()))
        .bind(a.account_id.map(|u| u.as_uuid()))
        .bind(a.action.as_str())
        .bind(&a.ip)
        .bind(&a.user_agent)
        .bind(Json(&a.changes))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Entries about `user`, newest first, strictly older than `before` (an entry id; ids are
/// time-ordered UUID v7), at most `limit` + 1 so the caller knows whether more follow.
pub async fn of_user(
    exec: &mut impl Exec,
    user: UserId,
    before: Option<ActivityId>,
    limit: u32,
) -> StoreResult<Vec<Activity>> {
    let rows: Vec<ActivityRow> = on_conn!(exec, |c| {
        // With no cursor, start below the largest possible id.
        let before = before.map_or(Uuid::max(), |id| id.as_uuid());
        let q = sqlx::query_as(
            "SELECT id, at, user_id, actor_id, account_id, action, ip, user_agent, changes FROM activities \
             WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(user.as_uuid())
        .bind(before);
        q.bind(i64::from(limit) + 1).fetch_all(c).await
    })?;
    rows.into_iter().map(activity).collect()
}

fn activity(r: ActivityRow) -> StoreResult<Activity> {
    Ok(Activity {
        id: ActivityId::from_uuid(r.id),
        at: r.at.get(),
        user_id: UserId::from_uuid(r.user_id),
        actor_id: r.actor_id.map(UserId::from_uuid),
        account_id: r.account_id.map(AccountId::from_uuid),
        action: stored(&r.action)?,
        ip: r.ip,
        user_agent: r.user_agent,
        changes: r.changes.0,
    })
}

/// What the platform-wide audit search selects; every part is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub user: Option<UserId>,
    pub account: Option<AccountId>,
    pub action: Option<Action>,
    /// Entries at or after this time.
    pub from: Option<Ts>,
    /// Entries before this time.
    pub to: Option<Ts>,
}

/// Entries across every user that `filter` selects, newest first, strictly older than `before`,
/// at most `limit` + 1 so the caller knows whether more follow. Only the conditions asked for
/// are in the query, so each engine walks the index of the most selective one.
pub async fn search(
    exec: &mut impl Exec,
    filter: &AuditFilter,
    before: Option<ActivityId>,
    limit: u32,
) -> StoreResult<Vec<Activity>> {
    let mut sql = Sql::new(
        "SELECT id, at, user_id, actor_id, account_id, action, ip, user_agent, changes FROM activities WHERE id < ",
    );
    let before = sql.bind(Arg::Uuid(before.map_or(Uuid::max(), |id| id.as_uuid())));
    sql.push(&before);
    let conditions = [
        ("actor_id", filter.actor.map(|id| Arg::Uuid(id.as_uuid()))),
        ("user_id", filter.user.map(|id| Arg::Uuid(id.as_uuid()))),
        ("account_id", filter.account.map(|id| Arg::Uuid(id.as_uuid()))),
        ("action", filter.action.map(|a| Arg::Text(a.as_str().to_owned()))),
    ];
    for (column, value) in conditions {
        if let Some(value) = value {
            let holder = sql.bind(value);
            sql.push(&format!(" AND {column} = {holder}"));
        }
    }
    if let Some(from) = filter.from {
        let holder = sql.bind(Arg::Ts(from));
        sql.push(&format!(" AND at >= {holder}"));
    }
    if let Some(to) = filter.to {
        let holder = sql.bind(Arg::Ts(to));
        sql.push(&format!(" AND at < {holder}"));
    }
    let limit = sql.bind(Arg::Int(i64::from(limit) + 1));
    sql.push(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let rows: Vec<ActivityRow> = sql.fetch_all(exec).await?;
    rows.into_iter().map(activity).collect()
}

/// Erase the personal data in a purged user's audit trail: what was done and when stays (the
/// trail keeps its shape for the accounts' audit), while addresses, agents and changed values
/// (names, emails) go.
pub async fn anonymize(exec: &mut impl Exec, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE activities SET ip = NULL, user_agent = NULL, changes = $2 WHERE user_id = $1")
            .bind(user.as_uuid())
            .bind(Json(serde_json::json!({"redacted": true})))
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
