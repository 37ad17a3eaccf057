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
use crate::db::Exec;
use crate::error::StoreResult;
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
    let mut sql = Sql::new(format!(
        "SELECT u.id, u.name, u.email, u.status, u.email_verified, \
         (SELECT ph.number FROM user_phones ph WHERE ph.user_id = u.id ORDER BY {order} LIMIT 1) AS phone, \
         u.mfa_enabled, u.created_at, u.last_login_at FROM users u",
        order = crate::user_phones::ORDER,
    ));
    let marks: Vec<String> = ids.iter().map(|id| sql.bind(Arg::Uuid(*id))).collect();
    sql.push(&format!(" WHERE u.id IN ({})", marks.join(", ")));
    let rows: Vec<Row> = sql.fetch_all(exec).await?;
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
