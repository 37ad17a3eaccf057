//! A page in creation order made from a term's matches sorted by themselves.
//!
//! Walking the list in order finds a term's matches at the cost of every row before them: fine
//! when they are spread through the list, tens of milliseconds when thousands of them sit
//! together far down it (numbers handed out in a block, users imported together). Collecting
//! them and sorting by each user's row costs a look-up per match instead. The suffixes of phone
//! numbers carry each owner's creation time (migration 0019), so for the lists' default order
//! the matches are sorted from the index alone, and rows are read only for the matches taken in
//! that order until the page is full: a few milliseconds for ten thousand matches wherever they
//! lie.

use roster_domain::user::UserStatus;

use super::source::{Branch, candidate_counts, candidates_with_creation};
use super::sql::Arg;
use super::{Position, SortKey, UserFilter, UserPage};
use crate::db::Exec;
use crate::error::StoreResult;

/// No bound: a derived table with a `LIMIT` is read as it is ordered (neither engine moves its
/// `ORDER BY` out, nor the join's conditions into it).
const UNBOUNDED: i64 = 1_000_000_000;

/// A term written like a number, as a page in creation order sorts its matches.
pub(super) struct Term<'a> {
    pub text: &'a str,
    /// The term's digits, as the numbers' suffixes are searched by.
    pub digits: &'a str,
    /// Whether names or addresses match too (numbers' matches are sorted from their index
    /// alone; the others are read by id, a cost paid only when there are some).
    pub named: bool,
}

/// The matches of `(text, digits)` a page in creation order would sort, when they are at most
/// `cap`: `Some(named)`, `named` when names or addresses are among them.
pub(super) async fn few_enough(
    exec: &mut impl Exec,
    term: (&str, &str),
    sqlite: bool,
    cap: i64,
) -> StoreResult<Option<bool>> {
    let counts: Vec<(i64, i64)> = candidate_counts(term, sqlite, cap).fetch_all(exec).await?;
    let (named, numbers) = counts.first().copied().unwrap_or_default();
    Ok((named + numbers <= cap).then_some(named > 0))
}

/// The page of `filter` (whose term is `term`) sorted by creation time, from the term's
/// matches. Exact and complete: the next page starts after the last row, and there is none
/// when fewer than a page remain.
pub(super) async fn page_in_creation_order(
    exec: &mut impl Exec,
    filter: &UserFilter,
    term: Term<'_>,
    page: &UserPage,
    statuses: &[UserStatus],
    sqlite: bool,
) -> StoreResult<(Vec<Position>, Option<Position>)> {
    if statuses.is_empty() {
        return Ok((Vec::new(), None));
    }
    let branch = Branch::all(filter, statuses.to_vec());
    let dir = if page.descending { "DESC" } else { "ASC" };
    let mut sql = branch.select_position(SortKey::CreatedAt);
    // The matches past the cursor, each user once, sorted by (creation time, id) as the list is.
    sql.push(" FROM (SELECT c.user_id, c.created_at FROM (");
    candidates_with_creation(&mut sql, (term.text, term.digits), sqlite, term.named);
    sql.push(") AS c");
    if let Some(after) = &page.after {
        let (v, i) = (sql.bind_key(&after.value), sql.bind(Arg::Uuid(after.id)));
        let cmp = if page.descending { "<" } else { ">" };
        sql.push(&format!(" WHERE (c.created_at, c.user_id) {cmp} ({v}, {i})"));
    }
    sql.push(&format!(
        " GROUP BY c.created_at, c.user_id ORDER BY c.created_at {dir}, c.user_id {dir} LIMIT {UNBOUNDED}) AS c"
    ));
    // Each match's row, in that order, until the page is full. PostgreSQL knows the join keeps
    // the order and sorts nothing again; SQLite reads the sorted matches as its outer loop
    // (`CROSS JOIN`), where an `ORDER BY` would sort every joined row before the first is kept.
    branch.push_join_where(&mut sql, sqlite);
    if !sqlite {
        sql.push(&format!(" ORDER BY c.created_at {dir}, c.user_id {dir}"));
    }
    let limit = page.limit as usize;
    sql.push(&format!(" LIMIT {}", limit + 1));
    let mut hits = sql.positions(exec, SortKey::CreatedAt).await?;
    if hits.len() > limit {
        hits.truncate(limit);
        let next = hits.last().cloned();
        return Ok((hits, next));
    }
    Ok((hits, None))
}
