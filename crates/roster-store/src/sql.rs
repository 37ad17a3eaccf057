//! A query assembled from whitelisted fragments with every value bound (`$1`, `$2`, … on both
//! engines): the lists whose filters are optional (the user list, the audit search) name only the
//! conditions asked for, so each engine plans them on the index that fits.

use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::ts::Ts;

/// A bound value of a dynamically built query.
pub(crate) enum Arg {
    Uuid(Uuid),
    Text(String),
    Ts(Ts),
    Bool(bool),
    Int(i64),
}

/// Bind every collected argument, in order, to a query of either engine.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::sql::Arg::Uuid(v) => q.bind(v),
                $crate::sql::Arg::Text(v) => q.bind(v),
                $crate::sql::Arg::Ts(v) => q.bind(v),
                $crate::sql::Arg::Bool(v) => q.bind(v),
                $crate::sql::Arg::Int(v) => q.bind(v),
            };
        }
        q
    }};
}

pub(crate) use bind_all;

#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub(crate) args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), args: Vec::new() }
    }

    /// Bind `arg` and return its placeholder.
    pub fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub fn push(&mut self, fragment: &str) {
        self.text.push_str(fragment);
    }

    /// Every row, read as `T`.
    pub async fn fetch_all<T>(self, exec: &mut impl Exec) -> StoreResult<Vec<T>>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let rows = crate::on_conn!(exec, |c| {
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(self.text)), self.args).fetch_all(c).await
        })?;
        Ok(rows)
    }

    pub async fn scalar(self, exec: &mut impl Exec) -> StoreResult<i64> {
        let n: i64 = crate::on_conn!(exec, |c| {
            bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(self.text)), self.args).fetch_one(c).await
        })?;
        Ok(n)
    }
}
