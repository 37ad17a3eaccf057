//! Server-wide secrets kept in the database, so every instance on one database shares them.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

/// The secret called `name`, created from `fresh` if no instance has created it yet. Safe when
/// several instances start at once: the first insert wins and everybody reads it back.
pub async fn get_or_create(exec: &mut impl Exec, name: &str, fresh: Vec<u8>, now: Ts) -> StoreResult<Vec<u8>> {
    let secret: Vec<u8> = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&fresh)
        .bind(now)
        .execute(&mut *c)
        .await?;
        sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = $1").bind(name).fetch_one(c).await
    })?;
    Ok(secret)
}
