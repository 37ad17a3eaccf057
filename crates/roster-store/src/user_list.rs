//! Filtered, sorted, keyset-paginated user lists and substring search.
//!
//! The SQL is assembled from whitelisted fragments only; every value is bound. Sorting is by
//! one key plus the id as tie-breaker, so a cursor `(key, id)` is a stable position under
//! concurrent inserts.

use roster_domain::AccountId;
use roster_domain::user::{User, UserStatus};
use uuid::Uuid;

use crate::db::{ConnRef, Exec};
use crate::error::StoreResult;
use crate::ts::Ts;
use crate::users::{USER_COLUMNS, UserRow, rows_to_users};

/// The fields a user list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Email,
    CreatedAt,
    LastLoginAt,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "name" => Self::Name,
            "email" => Self::Email,
            "created_at" => Self::CreatedAt,
            "last_login_at" => Self::LastLoginAt,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::CreatedAt => "created_at",
            Self::LastLoginAt => "last_login_at",
        }
    }

    /// The SQL expression sorted on. Never-logged-in users sort as the epoch, so the key is
    /// never NULL and keyset comparisons stay total.
    fn expr(self, sql: &mut Sql) -> String {
        match self {
            Self::Name => "u.name_normalized".to_owned(),
            Self::Email => "u.email_normalized".to_owned(),
            Self::CreatedAt => "u.created_at".to_owned(),
            Self::LastLoginAt => {
                let epoch = sql.bind(Arg::Ts(Ts::from_micros(0)));
                format!("COALESCE(u.last_login_at, {epoch})")
            }
        }
    }

    /// The position of `user` in this order, as stored in a cursor.
    pub fn position(self, user: &User) -> Position {
        let value = match self {
            Self::Name => KeyValue::Text(user.name.to_lowercase()),
            Self::Email => KeyValue::Text(user.email.to_lowercase()),
            Self::CreatedAt => KeyValue::Micros(Ts::new(user.created_at).micros()),
            Self::LastLoginAt => KeyValue::Micros(user.last_login_at.map_or(0, |t| Ts::new(t).micros())),
        };
        Position { value, id: user.id.as_uuid() }
    }
}

/// A sort key's value at some row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Micros(i64),
    Text(String),
}

/// Where a page ends: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    #[serde(rename = "v")]
    pub value: KeyValue,
    pub id: Uuid,
}

/// Which users a list may contain.
#[derive(Debug, Clone)]
pub enum Population {
    /// Members (direct memberships) of one account.
    Account(AccountId),
    /// Everybody (platform admins only).
    Everyone,
}

#[derive(Debug, Clone)]
pub struct UserFilter {
    pub population: Population,
    /// `None` leaves deleted users out.
    pub status: Option<UserStatus>,
    pub role: Option<String>,
    pub text: Option<String>,
    pub email_verified: Option<bool>,
    pub created_after: Option<Ts>,
    pub created_before: Option<Ts>,
}

#[derive(Debug, Clone)]
pub struct UserPage {
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<Position>,
    pub limit: u32,
}

/// A bound value of a dynamically built query.
enum Arg {
    Uuid(Uuid),
    Text(String),
    Ts(Ts),
    Bool(bool),
}

/// Bind every collected argument, in order, to a query of either engine.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::Uuid(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Ts(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
            };
        }
        q
    }};
}

struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}

fn build_where(sql: &mut Sql, filter: &UserFilter, sqlite: bool) {
    let mut clauses: Vec<String> = Vec::new();
    match &filter.population {
        Population::Account(account) => {
            let p = sql.bind(Arg::Uuid(account.as_uuid()));
            let role = filter.role.as_ref().map(|r| {
                let p = sql.bind(Arg::Text(r.clone()));
                format!(" AND m.role = {p}")
            });
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.account_id = {p}{})",
                role.unwrap_or_default()
            ));
        }
        Population::Everyone => {
            if let Some(role) = &filter.role {
                let p = sql.bind(Arg::Text(role.clone()));
                clauses.push(format!("EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = {p})"));
            }
        }
    }
    match filter.status {
        Some(status) => {
            let p = sql.bind(Arg::Text(status.as_str().to_owned()));
            clauses.push(format!("u.status = {p}"));
        }
        None => clauses.push("u.status <> 'deleted'".to_owned()),
    }
    if let Some(text) = filter.text.as_deref().map(str::to_lowercase).filter(|t| !t.is_empty()) {
        clauses.push(text_clause(sql, &text, sqlite));
    }
    if let Some(verified) = filter.email_verified {
        let p = sql.bind(Arg::Bool(verified));
        clauses.push(format!("u.email_verified = {p}"));
    }
    if let Some(after) = filter.created_after {
        let p = sql.bind(Arg::Ts(after));
        clauses.push(format!("u.created_at > {p}"));
    }
    if let Some(before) = filter.created_before {
        let p = sql.bind(Arg::Ts(before));
        clauses.push(format!("u.created_at < {p}"));
    }
    sql.text.push_str(" WHERE ");
    sql.text.push_str(&clauses.join(" AND "));
}

/// Case-insensitive substring match on name or email, served by an index on both engines:
/// FTS5 trigram on SQLite (for three characters or more; shorter needles scan), pg_trgm GIN on
/// PostgreSQL (which handles `LIKE '%x%'` directly).
fn text_clause(sql: &mut Sql, text: &str, sqlite: bool) -> String {
    if sqlite && text.chars().count() >= 3 {
        let fts = format!("\"{}\"", text.replace('"', "\"\""));
        let p = sql.bind(Arg::Text(fts));
        format!(
            "u.id IN (SELECT s.user_id FROM users_search_ids s WHERE s.search_rowid IN \
             (SELECT rowid FROM users_search WHERE users_search MATCH {p}))"
        )
    } else {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let p = sql.bind(Arg::Text(format!("%{escaped}%")));
        format!("(u.name_normalized LIKE {p} ESCAPE '\\' OR u.email_normalized LIKE {p} ESCAPE '\\')")
    }
}

/// One page of users (at most `page.limit`, plus one extra row telling whether more follow).
pub async fn list(exec: &mut impl Exec, filter: &UserFilter, page: &UserPage) -> StoreResult<(Vec<User>, bool)> {
    let sqlite = matches!(exec.conn(), ConnRef::Sqlite(_));
    let mut sql = Sql { text: format!("SELECT {USER_COLUMNS} FROM users u"), args: Vec::new() };
    build_where(&mut sql, filter, sqlite);
    let key = page.sort.expr(&mut sql);
    let (cmp, dir) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(after) = &page.after {
        let v = match &after.value {
            KeyValue::Micros(m) => sql.bind(Arg::Ts(Ts::from_micros(*m))),
            KeyValue::Text(t) => sql.bind(Arg::Text(t.clone())),
        };
        let id = sql.bind(Arg::Uuid(after.id));
        sql.text.push_str(&format!(" AND ({key}, u.id) {cmp} ({v}, {id})"));
    }
    sql.text.push_str(&format!(" ORDER BY {key} {dir}, u.id {dir} LIMIT {}", page.limit + 1));
    let mut users = rows_to_users(fetch_rows(exec, sql).await?)?;
    let more = users.len() > page.limit as usize;
    users.truncate(page.limit as usize);
    Ok((users, more))
}

/// How many users match `filter` (for `include_total`).
pub async fn count(exec: &mut impl Exec, filter: &UserFilter) -> StoreResult<i64> {
    let sqlite = matches!(exec.conn(), ConnRef::Sqlite(_));
    let mut sql = Sql { text: "SELECT COUNT(*) FROM users u".to_owned(), args: Vec::new() };
    build_where(&mut sql, filter, sqlite);
    let n: i64 = crate::on_conn!(exec, |c| {
        let q = bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.text)), sql.args);
        q.fetch_one(c).await
    })?;
    Ok(n)
}

async fn fetch_rows(exec: &mut impl Exec, sql: Sql) -> StoreResult<Vec<UserRow>> {
    let rows = crate::on_conn!(exec, |c| {
        let q = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text)), sql.args);
        q.fetch_all(c).await
    })?;
    Ok(rows)
}
