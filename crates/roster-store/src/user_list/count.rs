//! Totals (`include_total`): kept counts when only population, status and role narrow the
//! list; otherwise a bounded walk per branch, and an upper bound when the walk cannot finish.

use std::collections::HashMap;

use roster_domain::user::UserStatus;

use super::source::{Branch, TextPlan};
use super::sql::{Arg, Sql};
use super::walk::rare;
use super::{Budget, MIN_INDEXED_TERM, Population, Position, SortKey, UserFilter};
use crate::db::{ConnRef, Exec};
use crate::error::{StoreError, StoreResult};

/// How many users a list holds: exact, or (`exact == false`) at most `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub n: i64,
    pub exact: bool,
}

/// The kept counts of a population, per status and, for an account, per role.
async fn kept(exec: &mut impl Exec, population: &Population) -> StoreResult<Vec<(UserStatus, Option<String>, i64)>> {
    let sql = match population {
        Population::Account(account) => {
            let mut sql = Sql::new("SELECT user_status, role, n FROM member_counts WHERE account_id = ");
            let p = sql.bind(Arg::Uuid(account.as_uuid()));
            sql.push(&p);
            sql
        }
        Population::Everyone => {
            Sql::new("SELECT status, CAST(NULL AS TEXT), CAST(SUM(n) AS BIGINT) FROM user_counts GROUP BY status")
        }
    };
    sql.counts(exec)
        .await?
        .into_iter()
        .map(|(status, role, n)| {
            let status = UserStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?;
            Ok((status, role, n))
        })
        .collect()
}

/// Rows per status of the population (all roles), from the kept counts.
pub(super) async fn branch_sizes(exec: &mut impl Exec, filter: &UserFilter) -> StoreResult<HashMap<UserStatus, i64>> {
    let mut sizes = HashMap::new();
    for (status, _, n) in kept(exec, &filter.population).await? {
        *sizes.entry(status).or_insert(0) += n;
    }
    Ok(sizes)
}

/// How many users match `filter`.
pub async fn count(exec: &mut impl Exec, filter: &UserFilter, budget: Budget) -> StoreResult<Total> {
    let rows = kept(exec, &filter.population).await?;
    let statuses = filter.statuses();
    let size = |status: UserStatus, role: Option<&str>| -> i64 {
        rows.iter()
            .filter(|(s, r, _)| *s == status && role.is_none_or(|role| r.as_deref() == Some(role)))
            .map(|(_, _, n)| n)
            .sum()
    };
    let only_role = filter.role.is_some()
        && filter.term().is_none()
        && filter.email_verified.is_none()
        && filter.created_after.is_none()
        && filter.created_before.is_none();
    let role_counted = only_role && matches!(filter.population, Population::Account(_));
    if !filter.narrows() || role_counted {
        let n = statuses.iter().map(|&s| size(s, filter.role.as_deref())).sum();
        return Ok(Total { n, exact: true });
    }

    let sqlite = matches!(exec.conn(), ConnRef::Sqlite(_));
    if let Some(term) = filter.term().filter(|t| t.chars().count() >= MIN_INDEXED_TERM)
        && rare(exec, &term, sqlite, budget.candidates).await?
    {
        let mut sql = Sql::new("SELECT COUNT(*)");
        Branch::all(filter, statuses.clone()).push_from_where(&mut sql, Some(TextPlan::Candidates { sqlite }));
        return Ok(Total { n: sql.scalar(exec).await?, exact: true });
    }

    let live: Vec<UserStatus> = statuses.iter().copied().filter(|&s| size(s, None) > 0).collect();
    let share = budget.count / live.len().max(1) as i64;
    let mut total = Total { n: 0, exact: true };
    for &status in &live {
        let rows_here = size(status, None);
        if rows_here == 0 {
            continue;
        }
        let branch = Branch::new(filter, status);
        let mut sql = Sql::new("SELECT COUNT(*)");
        branch.push_from_where(&mut sql, Some(TextPlan::Compare));
        if rows_here > share {
            // Count within the first `share` rows (any order; creation time here).
            let Some(last) = last_examined(exec, &branch, share).await? else {
                continue;
            };
            let (key, id) = (branch.key(SortKey::CreatedAt), branch.id());
            let (v, i) = (sql.bind_key(&last.value), sql.bind(Arg::Uuid(last.id)));
            sql.push(&format!(" AND ({key}, {id}) <= ({v}, {i})"));
            let matched = sql.scalar(exec).await?;
            let role_cap = filter.role.as_deref().map_or(i64::MAX, |r| size(status, Some(r)));
            total.n += (matched + rows_here - share).min(role_cap);
            total.exact = false;
        } else {
            total.n += sql.scalar(exec).await?;
        }
    }
    Ok(total)
}

/// The `n`-th row of a branch in creation order.
async fn last_examined(exec: &mut impl Exec, branch: &Branch<'_>, n: i64) -> StoreResult<Option<Position>> {
    let (key, id) = (branch.key(SortKey::CreatedAt), branch.id());
    let mut sql = branch.select_bare_position(SortKey::CreatedAt);
    branch.push_from_where(&mut sql, None);
    sql.push(&format!(" ORDER BY {key} ASC, {id} ASC LIMIT 1 OFFSET {}", n - 1));
    Ok(sql.positions(exec, SortKey::CreatedAt).await?.pop())
}
