//! A query assembled from whitelisted fragments, every value bound (`$1`, `$2`, … on both
//! engines), and the helpers that run one.

use roster_domain::user::User;
use uuid::Uuid;

use super::{KeyValue, Position, SortKey};
use crate::db::Exec;
use crate::error::StoreResult;
use crate::sql::bind_all;
pub(crate) use crate::sql::{Arg, Sql};
use crate::ts::Ts;
use crate::users::{USER_COLUMNS, UserRow, rows_to_users};

impl Sql {
    /// Bind a sort key's value.
    pub fn bind_key(&mut self, value: &KeyValue) -> String {
        match value {
            KeyValue::Micros(m) => self.bind(Arg::Ts(Ts::from_micros(*m))),
            KeyValue::Text(t) => self.bind(Arg::Text(t.clone())),
        }
    }

    /// Rows of `(status, role, n)` or `(status, NULL, n)`.
    pub async fn counts(self, exec: &mut impl Exec) -> StoreResult<Vec<(String, Option<String>, i64)>> {
        let rows = crate::on_conn!(exec, |c| {
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(self.text)), self.args).fetch_all(c).await
        })?;
        Ok(rows)
    }

    /// Rows of `(id, sort key, role)`, as positions in `sort`'s order.
    pub async fn positions(self, exec: &mut impl Exec, sort: SortKey) -> StoreResult<Vec<Position>> {
        if sort.is_text() {
            let rows: Vec<(Uuid, String, Option<String>)> = crate::on_conn!(exec, |c| {
                bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(self.text)), self.args).fetch_all(c).await
            })?;
            Ok(rows.into_iter().map(|(id, t, role)| Position { value: KeyValue::Text(t), id, role }).collect())
        } else {
            let rows: Vec<(Uuid, Ts, Option<String>)> = crate::on_conn!(exec, |c| {
                bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(self.text)), self.args).fetch_all(c).await
            })?;
            Ok(rows
                .into_iter()
                .map(|(id, t, role)| Position { value: KeyValue::Micros(t.micros()), id, role })
                .collect())
        }
    }
}

/// The users with these ids, in the order of `ids` (ids without a row are skipped).
pub(super) async fn users_in_order(exec: &mut impl Exec, ids: &[Uuid]) -> StoreResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id IN ("));
    let holders: Vec<String> = ids.iter().map(|id| sql.bind(Arg::Uuid(*id))).collect();
    sql.push(&holders.join(", "));
    sql.push(")");
    let rows: Vec<UserRow> = crate::on_conn!(exec, |c| {
        bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text)), sql.args).fetch_all(c).await
    })?;
    let mut users = rows_to_users(rows)?;
    let rank: std::collections::HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    users.sort_by_key(|u| rank.get(&u.id.as_uuid()).copied().unwrap_or(usize::MAX));
    Ok(users)
}
