//! One page of a list: each branch walked in list order from the cursor, the branches merged.

use std::cmp::Ordering;
use std::collections::HashMap;

use roster_domain::user::{User, UserStatus};

use super::count::branch_sizes;
use super::ordered::{Term, few_enough, page_in_creation_order};
use super::source::{Branch, TextPlan, candidate_count, phone_digits};
use super::sql::{Sql, users_in_order};
use super::{MIN_INDEXED_TERM, Position, SortKey, UserFilter, UserPage};
use crate::db::{ConnRef, Exec};
use crate::error::StoreResult;

/// A page: the users, and where the next one starts (`None` on the last page).
#[derive(Debug)]
pub struct ListPage {
    pub users: Vec<User>,
    pub next: Option<Position>,
}

/// What one branch gave: its first matches past the cursor (at most `limit + 1`), and, when the
/// budget ran out before the page filled, the last position it examined.
struct BranchPage {
    hits: Vec<Position>,
    frontier: Option<Position>,
}

/// One page of users matching `filter`, in `page`'s order.
pub async fn list(exec: &mut impl Exec, filter: &UserFilter, page: &UserPage) -> StoreResult<ListPage> {
    let (hits, next) = positions(exec, filter, page).await?;
    let ids: Vec<_> = hits.iter().map(|p| p.id).collect();
    Ok(ListPage { users: users_in_order(exec, &ids).await?, next })
}

/// Where the users of one page stand in the list, and where the next page starts.
pub(super) async fn positions(
    exec: &mut impl Exec,
    filter: &UserFilter,
    page: &UserPage,
) -> StoreResult<(Vec<Position>, Option<Position>)> {
    let sqlite = matches!(exec.conn(), ConnRef::Sqlite(_));
    let sizes = branch_sizes(exec, filter).await?;
    let statuses: Vec<UserStatus> =
        filter.statuses().into_iter().filter(|s| sizes.get(s).copied().unwrap_or(0) > 0).collect();

    // A term the search index holds few matches for is served from those matches (exact,
    // complete pages); any other list is walked in its order.
    // Which comes first, the search index or the walk, follows what each engine's index costs.
    // SQLite's FTS5 streams a term's matches, so counting a few of them is cheap whatever the
    // term: a rare term is served from its matches at once. PostgreSQL's trigram GIN index
    // builds every match of a term before the first is read (a common term costs tens of
    // milliseconds to count): the list is walked first, and a term with matches nearby fills
    // its page without touching the index.
    let term = filter.term().filter(|t| t.chars().count() >= MIN_INDEXED_TERM);
    // Numbers in a list sorted by creation time: their matches sorted by themselves, unless
    // the list is short enough to walk whole or the matches too many to sort.
    if let Some(term) = &term
        && page.sort == SortKey::CreatedAt
        && let Some(digits) = phone_digits(term)
        && statuses.iter().map(|s| sizes.get(s).copied().unwrap_or(0)).sum::<i64>() > page.budget.walk
        && let Some(named) = few_enough(exec, (term, &digits), sqlite, page.budget.ordered).await?
    {
        let term = Term { text: term, digits: &digits, named };
        return page_in_creation_order(exec, filter, term, page, &statuses, sqlite).await;
    }
    let candidates = TextPlan::Candidates { sqlite };
    let plan = match &term {
        Some(term)
            if sqlite
                && candidate_total(exec, term, sqlite, page.budget.candidates).await? <= page.budget.candidates =>
        {
            candidates
        }
        _ => TextPlan::Compare,
    };
    let found = page_of(exec, filter, page, &statuses, &sizes, plan, page.budget.walk).await?;
    // A page with matches ahead of it is never empty, nor cut short while the index can say
    // where they are: when the walk ran out of budget first (a rare term, or matches further
    // down the list than it looked), the page is made from the index's matches, collected and
    // sorted — or, for a term too common to collect, from a walk that may look much further.
    let short = found.0.len() < page.limit as usize && found.1.is_some();
    let found = match &term {
        Some(term) if short && plan == TextPlan::Compare => {
            if candidate_total(exec, term, sqlite, page.budget.fallback).await? <= page.budget.fallback {
                page_of(exec, filter, page, &statuses, &sizes, candidates, 0).await?
            } else if found.0.is_empty() {
                let far = page.budget.walk.saturating_mul(FAR_WALK);
                page_of(exec, filter, page, &statuses, &sizes, TextPlan::Compare, far).await?
            } else {
                found
            }
        }
        _ => found,
    };
    Ok(found)
}

/// How many budgets a last walk may look through for a common term whose matches lie far.
const FAR_WALK: i64 = 16;

/// The hits of one page under `plan` and where the next page starts, `walk` entries examined
/// at most (shared by the branches) when the plan walks.
async fn page_of(
    exec: &mut impl Exec,
    filter: &UserFilter,
    page: &UserPage,
    statuses: &[UserStatus],
    sizes: &HashMap<UserStatus, i64>,
    plan: TextPlan,
    walk_budget: i64,
) -> StoreResult<(Vec<Position>, Option<Position>)> {
    // The budget is the request's: its branches share it in proportion to their sizes, so that
    // each stops at about the same place in the list (an even split would stop the largest
    // branch first and cut the page there, with the smaller ones' budget unused). The index's
    // matches are read once, for every status together (they need no walk in order).
    let branches: Vec<Branch<'_>> = match plan {
        TextPlan::Candidates { .. } if !statuses.is_empty() => vec![Branch::all(filter, statuses.to_vec())],
        _ => statuses.iter().map(|&status| Branch::new(filter, status)).collect(),
    };
    // The largest branch is walked first: once one branch fills the page, the others are read
    // only up to its last row (nothing of theirs past it can be on the page), so a small branch
    // is never read far past where the page ends.
    let size = |branch: &Branch<'_>| branch.status().and_then(|s| sizes.get(&s)).copied().unwrap_or(0).max(1);
    let mut branches = branches;
    branches.sort_by_key(|b| std::cmp::Reverse(size(b)));
    let everyone: i64 = branches.iter().map(size).sum();
    let mut pages: Vec<BranchPage> = Vec::with_capacity(branches.len());
    let mut bound: Option<Position> = None;
    for branch in &branches {
        let share = i128::from(walk_budget) * i128::from(size(branch)) / i128::from(everyone.max(1));
        let share = i64::try_from(share).unwrap_or(i64::MAX);
        let found = walk(exec, branch, page, share, sizes, plan, bound.as_ref()).await?;
        let limit = page.limit as usize;
        if found.hits.len() > limit
            && let Some(last) = limit.checked_sub(1).and_then(|i| found.hits.get(i))
        {
            bound = Some(earlier(bound, last.clone(), page.descending));
        }
        pages.push(found);
    }
    Ok(merge(pages, page))
}

/// The earlier of `bound` and `p` in the list's order.
fn earlier(bound: Option<Position>, p: Position, descending: bool) -> Position {
    match bound {
        Some(b) if cmp(&b, &p, descending) != Ordering::Greater => b,
        _ => p,
    }
}

/// How many entries the search indexes hold for `term`, counted up to `cap + 1` at most.
pub(super) async fn candidate_total(exec: &mut impl Exec, term: &str, sqlite: bool, cap: i64) -> StoreResult<i64> {
    candidate_count(term, sqlite, cap).scalar(exec).await
}

/// Whether the search index holds at most `cap` matches for `term` (it counts no further).
pub(super) async fn rare(exec: &mut impl Exec, term: &str, sqlite: bool, cap: i64) -> StoreResult<bool> {
    Ok(candidate_total(exec, term, sqlite, cap).await? <= cap)
}

/// Walk one branch from the cursor, examining at most `share` entries and nothing past
/// `bound` (where another branch filled the page). `sizes` tells which branches are small
/// enough to need no budget; candidates need none either (they are few by construction).
async fn walk(
    exec: &mut impl Exec,
    branch: &Branch<'_>,
    page: &UserPage,
    share: i64,
    sizes: &HashMap<UserStatus, i64>,
    plan: TextPlan,
    bound: Option<&Position>,
) -> StoreResult<BranchPage> {
    // Never fewer than a page: a list that every row matches fills its pages.
    let examined = share.max(i64::from(page.limit) + 1);
    let budgeted = plan == TextPlan::Compare
        && branch.filter.narrows()
        && branch.status().and_then(|s| sizes.get(&s)).copied().unwrap_or(i64::MAX) > examined;
    let frontier = if budgeted { nth_position(exec, branch, page, examined).await? } else { None };
    // The budget's end counts only when it comes before the bound: up to the bound the branch
    // is read whole.
    let frontier = frontier.filter(|f| bound.is_none_or(|b| cmp(f, b, page.descending) == Ordering::Less));
    let end = frontier.as_ref().or(bound);

    let key = branch.key(page.sort);
    let id = branch.id();
    let mut sql = branch.select_position(page.sort);
    branch.push_from_where(&mut sql, Some(plan));
    after(&mut sql, branch, page);
    if let Some(f) = end {
        let (v, i) = (sql.bind_key(&f.value), sql.bind(super::sql::Arg::Uuid(f.id)));
        let cmp = if page.descending { ">=" } else { "<=" };
        sql.push(&format!(" AND ({key}, {id}) {cmp} ({v}, {i})"));
    }
    order(&mut sql, branch, page, i64::from(page.limit) + 1, 0);
    let hits = sql.positions(exec, page.sort).await?;
    let frontier = frontier.filter(|_| hits.len() <= page.limit as usize);
    Ok(BranchPage { hits, frontier })
}

/// The position of the `n`-th row past the cursor in a branch without its filters (an
/// index-only walk), or `None` when fewer remain.
async fn nth_position(
    exec: &mut impl Exec,
    branch: &Branch<'_>,
    page: &UserPage,
    n: i64,
) -> StoreResult<Option<Position>> {
    let mut sql = branch.select_bare_position(page.sort);
    branch.push_from_where(&mut sql, None);
    after(&mut sql, branch, page);
    order(&mut sql, branch, page, 1, n - 1);
    Ok(sql.positions(exec, page.sort).await?.pop())
}

/// ` AND (key, id) > cursor` (or `<` descending).
fn after(sql: &mut Sql, branch: &Branch<'_>, page: &UserPage) {
    if let Some(after) = &page.after {
        let (key, id) = (branch.key(page.sort), branch.id());
        let v = sql.bind_key(&after.value);
        let i = sql.bind(super::sql::Arg::Uuid(after.id));
        let cmp = if page.descending { "<" } else { ">" };
        sql.push(&format!(" AND ({key}, {id}) {cmp} ({v}, {i})"));
    }
}

fn order(sql: &mut Sql, branch: &Branch<'_>, page: &UserPage, limit: i64, offset: i64) {
    let dir = if page.descending { "DESC" } else { "ASC" };
    sql.push(&format!(" ORDER BY {} {dir}, {} {dir} LIMIT {limit}", branch.key(page.sort), branch.id()));
    if offset > 0 {
        sql.push(&format!(" OFFSET {offset}"));
    }
}

/// `a` before `b` in the list's order.
fn cmp(a: &Position, b: &Position, descending: bool) -> Ordering {
    let o = a.value.cmp(&b.value).then(a.id.cmp(&b.id));
    if descending { o.reverse() } else { o }
}

/// Merge branch pages: the first `limit` hits that lie before every branch's frontier, and the
/// position the next page starts after.
fn merge(pages: Vec<BranchPage>, page: &UserPage) -> (Vec<Position>, Option<Position>) {
    let limit = page.limit as usize;
    let frontier = pages.iter().filter_map(|p| p.frontier.clone()).min_by(|a, b| cmp(a, b, page.descending));
    let mut hits: Vec<Position> = pages.into_iter().flat_map(|p| p.hits).collect();
    hits.sort_by(|a, b| cmp(a, b, page.descending));
    if let Some(f) = &frontier {
        hits.retain(|h| cmp(h, f, page.descending) != Ordering::Greater);
    }
    if hits.len() > limit {
        hits.truncate(limit);
        let next = hits.last().cloned();
        return (hits, next);
    }
    (hits, frontier)
}
