//! An export's rows: the columns a spreadsheet of users holds, read for a batch of the list in
//! one query (the user and its primary number; its role in the listed account comes with its
//! position, read by the walk from the membership row) rather than as whole users with every
//! address and number, which costs a query per table.

use roster_domain::UserId;
use roster_domain::user::ListedUser;
use uuid::Uuid;

use super::sql::{Arg, Sql};
use super::walk::positions;
use super::{Position, UserFilter, UserPage};
use crate::db::{ConnRef, Exec};
use crate::error::{StoreError, StoreResult};
use crate::ts::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    email: String,
    status: String,
    email_verified: bool,
    phone: Option<String>,
    mfa_enabled: bool,
    created_at: Ts,
    last_login_at: Option<Ts>,
}

/// Ids per query. A PostgreSQL message over 16 KB leaves the client in two writes, and the
/// second waits for the server's delayed acknowledgement of the first (40 ms: the driver does
/// not turn Nagle's algorithm off); 500 ids keep the message under that.
const CHUNK: usize = 500;

/// A page of `filter`'s list, as [`super::list`] selects it, in export rows.
pub async fn export(
    exec: &mut impl Exec,
    filter: &UserFilter,
    page: &UserPage,
) -> StoreResult<(Vec<ListedUser>, Option<Position>)> {
    let (hits, next) = positions(exec, filter, page).await?;
    let ids: Vec<Uuid> = hits.iter().map(|p| p.id).collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(rows_of(exec, chunk).await?);
    }
    // In the list's order, each with the role its position was read with.
    let mut by_id: std::collections::HashMap<Uuid, ListedUser> =
        rows.into_iter().map(|r| (r.id.as_uuid(), r)).collect();
    let mut rows = Vec::with_capacity(hits.len());
    for hit in hits {
        if let Some(mut row) = by_id.remove(&hit.id) {
            row.role = hit.role.as_deref().map(crate::memberships::stored_role).transpose()?;
            rows.push(row);
        }
    }
    Ok((rows, next))
}

/// The users with these ids (no role: it comes with their positions).
async fn rows_of(exec: &mut impl Exec, ids: &[Uuid]) -> StoreResult<Vec<ListedUser>> {
    let sqlite = matches!(exec.conn(), ConnRef::Sqlite(_));
    let phone = format!(
        "(SELECT ph.number FROM user_phones ph WHERE ph.user_id = u.id ORDER BY {} LIMIT 1)",
        crate::user_phones::ORDER
    );
    // On SQLite the rows come back as one JSON array: each row handed from SQLite's thread to
    // the caller's wakes it (a system call and a switch per row on a busy machine), which cost
    // as much as reading the rows.
    let mut sql = Sql::new(if sqlite {
        format!(
            "SELECT json_group_array(json_array(hex(u.id), u.name, u.email, u.status, u.email_verified, {phone}, \
             u.mfa_enabled, u.created_at, u.last_login_at)) FROM users u"
        )
    } else {
        format!(
            "SELECT u.id, u.name, u.email, u.status, u.email_verified, {phone} AS phone, u.mfa_enabled, \
             u.created_at, u.last_login_at FROM users u"
        )
    });
    let marks: Vec<String> = ids.iter().map(|id| sql.bind(Arg::Uuid(*id))).collect();
    sql.push(&format!(" WHERE u.id IN ({})", marks.join(", ")));
    let rows: Vec<Row> = if sqlite {
        let json: Vec<(String,)> = sql.fetch_all(exec).await?;
        let json = json.first().map_or("[]", |(j,)| j.as_str());
        serde_json::from_str::<Vec<JsonRow>>(json)
            .map_err(|e| StoreError::Corrupt(format!("an export's rows: {e}")))?
            .into_iter()
            .map(JsonRow::row)
            .collect::<StoreResult<_>>()?
    } else {
        sql.fetch_all(exec).await?
    };
    rows.into_iter()
        .map(|r| {
            Ok(ListedUser {
                id: UserId::from_uuid(r.id),
                name: r.name,
                email: r.email,
                status: crate::named::stored(&r.status)?,
                role: None,
                email_verified: r.email_verified,
                phone: r.phone,
                mfa_enabled: r.mfa_enabled,
                created_at: r.created_at.get(),
                last_login_at: r.last_login_at.map(Ts::get),
            })
        })
        .collect()
}

/// A row as SQLite's `json_array` writes it: the id in hex, booleans as 0 or 1, times in
/// microseconds.
#[derive(serde::Deserialize)]
struct JsonRow(String, String, String, String, u8, Option<String>, u8, i64, Option<i64>);

impl JsonRow {
    fn row(self) -> StoreResult<Row> {
        let JsonRow(id, name, email, status, email_verified, phone, mfa_enabled, created_at, last_login_at) = self;
        Ok(Row {
            id: Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(format!("a user id: {e}")))?,
            name,
            email,
            status,
            email_verified: email_verified != 0,
            phone,
            mfa_enabled: mfa_enabled != 0,
            created_at: Ts::from_micros(created_at),
            last_login_at: last_login_at.map(Ts::from_micros),
        })
    }
}
