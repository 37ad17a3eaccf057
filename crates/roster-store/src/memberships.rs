//! Memberships: a user's role and scope overrides in one account.

use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::Membership;
use roster_domain::{AccountId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::{StoreError, StoreResult, Unique};
use crate::on_conn;
use crate::ts::Ts;

#[derive(sqlx::FromRow)]
struct MembershipRow {
    user_id: Uuid,
    account_id: Uuid,
    role: String,
    grants: Json<Vec<String>>,
    denies: Json<Vec<String>>,
    created_at: Ts,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;

    fn try_from(row: MembershipRow) -> Result<Self, Self::Error> {
        let role = stored_role(&row.role)?;
        let scopes = |list: Vec<String>| {
            list.iter()
                .map(|s| Scope::parse(s).map_err(|_| StoreError::Corrupt(format!("scope {s:?}"))))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Membership {
            user_id: UserId::from_uuid(row.user_id),
            account_id: AccountId::from_uuid(row.account_id),
            role,
            grant: scopes(row.grants.0)?,
            deny: scopes(row.denies.0)?,
            created_at: row.created_at.get(),
        })
    }
}

/// A role as stored; anything else is corrupt data.
pub(crate) fn stored_role(raw: &str) -> StoreResult<Role> {
    Role::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("role {raw:?}")))
}

fn names(scopes: &[Scope]) -> Vec<String> {
    scopes.iter().map(|s| s.as_str().to_owned()).collect()
}

/// Add a membership; an existing one for the same pair → `Conflict(Unique::Membership)`. The user's
/// list keys are copied beside it (migration 0003; a trigger keeps them following the user).
pub async fn insert(exec: &mut impl Exec, m: &Membership) -> StoreResult<()> {
    let result = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO memberships (user_id, account_id, role, grants, denies, created_at, \
             user_status, name_key, email_key, email_verified, user_created_at, last_login_key, contact_emails, \
             contact_phones) \
             SELECT $1, $2, $3, $4, $5, $6, u.status, u.name_normalized, u.email_normalized, \
             u.email_verified, u.created_at, u.last_login_key, u.contact_emails, u.contact_phones \
             FROM users u WHERE u.id = $1",
        )
        .bind(m.user_id.as_uuid())
        .bind(m.account_id.as_uuid())
        .bind(m.role.as_str())
        .bind(Json(names(&m.grant)))
        .bind(Json(names(&m.deny)))
        .bind(Ts::new(m.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    });
    result.map_err(|e| StoreError::unique(e, Unique::Membership))?;
    Ok(())
}

pub async fn set_role(exec: &mut impl Exec, user: UserId, account: AccountId, role: Role) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE memberships SET role = $3 WHERE user_id = $1 AND account_id = $2")
            .bind(user.as_uuid())
            .bind(account.as_uuid())
            .bind(role.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The user's own memberships, with each account's name, oldest first.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<(Membership, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        m: MembershipRow,
        account_name: String,
    }
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at, \
             a.name AS account_name FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.user_id = $1 AND a.status <> 'deleted' ORDER BY m.created_at, m.account_id",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    rows.into_iter().map(|r| Ok((Membership::try_from(r.m)?, r.account_name))).collect()
}

/// The membership that governs `user` in `account`: its own there, or else the nearest one on
/// the way up the account tree. Returns it with the account it is held in.
pub async fn governing(exec: &mut impl Exec, user: UserId, account: AccountId) -> StoreResult<Option<Membership>> {
    let row: Option<MembershipRow> = on_conn!(exec, |c| {
        sqlx::query_as(
            "WITH RECURSIVE up (id, parent_id, depth) AS ( \
                 SELECT id, parent_id, 0 FROM accounts WHERE id = $2 AND status <> 'deleted' \
                 UNION ALL SELECT a.id, a.parent_id, up.depth + 1 FROM accounts a \
                 JOIN up ON a.id = up.parent_id WHERE up.depth < 32) \
             SELECT m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at \
             FROM memberships m JOIN up ON m.account_id = up.id WHERE m.user_id = $1 \
             ORDER BY up.depth LIMIT 1",
        )
        .bind(user.as_uuid())
        .bind(account.as_uuid())
        .fetch_optional(c)
        .await
    })?;
    row.map(Membership::try_from).transpose()
}

/// For each live account `target` belongs to (oldest membership first): the target's
/// membership there, and the membership that governs `caller` there (as [`governing`] finds
/// it), in one query — what "may the caller see or change this user" needs, without a query
/// per account.
pub async fn governing_in_accounts_of(
    exec: &mut impl Exec,
    caller: UserId,
    target: UserId,
) -> StoreResult<Vec<(Membership, Option<Membership>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        theirs: MembershipRow,
        c_user_id: Option<Uuid>,
        c_account_id: Option<Uuid>,
        c_role: Option<String>,
        c_grants: Option<Json<Vec<String>>>,
        c_denies: Option<Json<Vec<String>>>,
        c_created_at: Option<Ts>,
    }
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(
            "WITH RECURSIVE theirs AS ( \
                 SELECT m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at \
                 FROM memberships m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.user_id = $2 AND a.status <> 'deleted'), \
             up (base, id, parent_id, depth) AS ( \
                 SELECT a.id, a.id, a.parent_id, 0 FROM accounts a JOIN theirs t ON t.account_id = a.id \
                 UNION ALL SELECT up.base, a.id, a.parent_id, up.depth + 1 FROM accounts a \
                 JOIN up ON a.id = up.parent_id WHERE up.depth < 32), \
             ours AS ( \
                 SELECT up.base, m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at, \
                 ROW_NUMBER() OVER (PARTITION BY up.base ORDER BY up.depth) AS nearest \
                 FROM up JOIN memberships m ON m.account_id = up.id AND m.user_id = $1) \
             SELECT t.user_id, t.account_id, t.role, t.grants, t.denies, t.created_at, \
             o.user_id AS c_user_id, o.account_id AS c_account_id, o.role AS c_role, \
             o.grants AS c_grants, o.denies AS c_denies, o.created_at AS c_created_at \
             FROM theirs t LEFT JOIN ours o ON o.base = t.account_id AND o.nearest = 1 \
             ORDER BY t.created_at, t.account_id",
        )
        .bind(caller.as_uuid())
        .bind(target.as_uuid())
        .fetch_all(c)
        .await
    })?;
    rows.into_iter()
        .map(|r| {
            let ours = match (r.c_user_id, r.c_account_id, r.c_role, r.c_grants, r.c_denies, r.c_created_at) {
                (Some(user_id), Some(account_id), Some(role), Some(grants), Some(denies), Some(created_at)) => {
                    Some(Membership::try_from(MembershipRow { user_id, account_id, role, grants, denies, created_at })?)
                }
                _ => None,
            };
            Ok((Membership::try_from(r.theirs)?, ours))
        })
        .collect()
}

/// Owners of an account other than `except` who can still run it: active users, holding the
/// role whole (no deny). "An account always keeps an owner" (API.md §4) counts these: a
/// suspended or invited owner, or one denied `*`, is no owner to fall back on. Read through
/// (account, role, user): the owners, not the members.
pub async fn other_owners(exec: &mut impl Exec, account: AccountId, except: UserId) -> StoreResult<i64> {
    let n: i64 = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE account_id = $1 AND role = 'owner' \
             AND user_id <> $2 AND user_status = 'active' AND denies = '[]'",
        )
        .bind(account.as_uuid())
        .bind(except.as_uuid())
        .fetch_one(c)
        .await
    })?;
    Ok(n)
}

const MEMBERSHIP_COLUMNS: &str = "m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at";

/// The user's own membership in `account` (not one inherited from an ancestor).
pub async fn find(exec: &mut impl Exec, user: UserId, account: AccountId) -> StoreResult<Option<Membership>> {
    let row: Option<MembershipRow> = on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.user_id = $1 AND m.account_id = $2"
        )))
        .bind(user.as_uuid())
        .bind(account.as_uuid())
        .fetch_optional(c)
        .await
    })?;
    row.map(Membership::try_from).transpose()
}

/// Write a membership's role, grants and denies.
pub async fn update(exec: &mut impl Exec, m: &Membership) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE memberships SET role = $3, grants = $4, denies = $5 WHERE user_id = $1 AND account_id = $2")
            .bind(m.user_id.as_uuid())
            .bind(m.account_id.as_uuid())
            .bind(m.role.as_str())
            .bind(Json(names(&m.grant)))
            .bind(Json(names(&m.deny)))
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Remove one membership; whether there was one.
pub async fn delete(exec: &mut impl Exec, user: UserId, account: AccountId) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND account_id = $2")
            .bind(user.as_uuid())
            .bind(account.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// Remove every membership of an account, returning whose they were.
pub async fn delete_all_of_account(exec: &mut impl Exec, account: AccountId) -> StoreResult<Vec<UserId>> {
    let ids: Vec<Uuid> = on_conn!(exec, |c| {
        sqlx::query_scalar("DELETE FROM memberships WHERE account_id = $1 RETURNING user_id")
            .bind(account.as_uuid())
            .fetch_all(c)
            .await
    })?;
    Ok(ids.into_iter().map(UserId::from_uuid).collect())
}

/// The memberships in `account` of the users `users` (a page of a member list), any order.
pub async fn in_account_of(exec: &mut impl Exec, account: AccountId, users: &[UserId]) -> StoreResult<Vec<Membership>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    // One placeholder per user: a page holds at most 100.
    let marks: Vec<String> = (0..users.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.account_id = $1 AND m.user_id IN ({})",
        marks.join(", ")
    );
    let rows: Vec<MembershipRow> = on_conn!(exec, |c| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(account.as_uuid());
        for user in users {
            query = query.bind(user.as_uuid());
        }
        query.fetch_all(c).await
    })?;
    rows.into_iter().map(Membership::try_from).collect()
}

/// The live users with their own membership in `account` whose role is one of `roles`, in id
/// order: whom a notice to "the account's owners and admins" goes to.
pub async fn with_roles(exec: &mut impl Exec, account: AccountId, roles: &[Role]) -> StoreResult<Vec<UserId>> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let ids: Vec<Uuid> = on_conn!(exec, |c| {
        sqlx::query_scalar(
            "SELECT m.user_id FROM memberships m WHERE m.account_id = $1 AND m.user_status = 'active' \
             AND m.role IN ($2, $3, $4, $5) ORDER BY m.user_id",
        )
        .bind(account.as_uuid())
        .bind(names.first().copied().unwrap_or(""))
        .bind(names.get(1).copied().unwrap_or(""))
        .bind(names.get(2).copied().unwrap_or(""))
        .bind(names.get(3).copied().unwrap_or(""))
        .fetch_all(c)
        .await
    })?;
    Ok(ids.into_iter().map(UserId::from_uuid).collect())
}

/// A membership that may give its user a scope in an account: the user's own there, or the
/// nearest one on the way up (`depth` steps above the account), with the user's name and email.
#[derive(Debug, Clone)]
pub struct Holder {
    pub membership: Membership,
    pub depth: i64,
    pub name: String,
    pub email: String,
    pub platform_admin: bool,
}

/// "Who can" in `account`, a page at a time in user order after `after`: the governing
/// membership of every active user (suspended and invited users act on nothing) whose role is one of `roles` or who has any grant (the caller
/// decides from grants and denies whether the scope is really held). Two index walks per
/// account on the way up — (account, role, user) for the roles, the partial index of
/// memberships with grants for the rest — joined by UNION (an OR would read every member).
pub async fn holders(
    exec: &mut impl Exec,
    account: AccountId,
    roles: &[Role],
    after: Option<UserId>,
    limit: u32,
) -> StoreResult<Vec<Holder>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        m: MembershipRow,
        depth: i64,
        name: String,
        email: String,
        platform_admin: bool,
    }
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let role = |i: usize| names.get(i).copied().unwrap_or("");
    let rows: Vec<Row> = on_conn!(exec, |c| {
        sqlx::query_as(
            "WITH RECURSIVE up (id, parent_id, depth) AS ( \
                 SELECT id, parent_id, 0 FROM accounts WHERE id = $1 \
                 UNION ALL SELECT a.id, a.parent_id, up.depth + 1 FROM accounts a \
                 JOIN up ON a.id = up.parent_id WHERE up.depth < 32), \
             cand AS ( \
                 SELECT m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at, up.depth \
                 FROM up JOIN memberships m ON m.account_id = up.id \
                 WHERE m.role IN ($3, $4, $5, $6) AND m.user_status = 'active' AND ($2 IS NULL OR m.user_id > $2) \
                 UNION \
                 SELECT m.user_id, m.account_id, m.role, m.grants, m.denies, m.created_at, up.depth \
                 FROM up JOIN memberships m ON m.account_id = up.id \
                 WHERE m.grants <> '[]' AND m.user_status = 'active' AND ($2 IS NULL OR m.user_id > $2)) \
             SELECT c.user_id, c.account_id, c.role, c.grants, c.denies, c.created_at, \
             CAST(c.depth AS BIGINT) AS depth, u.name, u.email, u.platform_admin \
             FROM cand c JOIN users u ON u.id = c.user_id \
             WHERE NOT EXISTS (SELECT 1 FROM memberships n JOIN up ON n.account_id = up.id \
                 WHERE n.user_id = c.user_id AND up.depth < c.depth) \
             ORDER BY c.user_id LIMIT $7",
        )
        .bind(account.as_uuid())
        .bind(after.map(|u| u.as_uuid()))
        .bind(role(0))
        .bind(role(1))
        .bind(role(2))
        .bind(role(3))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await
    })?;
    rows.into_iter()
        .map(|r| {
            Ok(Holder {
                membership: Membership::try_from(r.m)?,
                depth: r.depth,
                name: r.name,
                email: r.email,
                platform_admin: r.platform_admin,
            })
        })
        .collect()
}
