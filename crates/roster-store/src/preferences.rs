//! Per-user preferences, stored as one JSON document (defaults are filled in by the service).

use roster_domain::UserId;
use sqlx::types::Json;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

pub async fn upsert(exec: &mut impl Exec, user: UserId, config: &serde_json::Value, at: Ts) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO preferences (user_id, config, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
        )
        .bind(user.as_uuid())
        .bind(Json(config))
        .bind(at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn get(exec: &mut impl Exec, user: UserId) -> StoreResult<Option<serde_json::Value>> {
    let row: Option<Json<serde_json::Value>> = on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT config FROM preferences WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_optional(c)
            .await
    })?;
    Ok(row.map(|j| j.0))
}

pub async fn delete(exec: &mut impl Exec, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM preferences WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
