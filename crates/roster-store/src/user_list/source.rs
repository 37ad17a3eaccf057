//! Where a list is walked: the membership rows of one account, or the users table itself (for
//! everyone), with the column that holds each sort key and filter there. Both are walked the
//! same way, through an index on (population, status, sort key, id) (migration 0003).

use roster_domain::user::UserStatus;

use super::sql::{Arg, Sql};
use super::{Population, SortKey, UserFilter};

pub(super) struct Source {
    from: &'static str,
    pub id: &'static str,
    status: &'static str,
    name: &'static str,
    email: &'static str,
    created: &'static str,
    last_login: &'static str,
    verified: &'static str,
    /// The user's other addresses and the digits of its numbers (migration 0010).
    contact_emails: &'static str,
    contact_phones: &'static str,
    /// The role filter as SQL, with `{}` for the bound role.
    role: &'static str,
    /// The row's role in the listed account, as read along with its position.
    role_value: &'static str,
}

const MEMBERS: Source = Source {
    from: "memberships m",
    id: "m.user_id",
    status: "m.user_status",
    name: "m.name_key",
    email: "m.email_key",
    created: "m.user_created_at",
    last_login: "m.last_login_key",
    verified: "m.email_verified",
    contact_emails: "m.contact_emails",
    contact_phones: "m.contact_phones",
    role: "m.role = {}",
    role_value: "m.role",
};

const EVERYONE: Source = Source {
    from: "users m",
    id: "m.id",
    status: "m.status",
    name: "m.name_normalized",
    email: "m.email_normalized",
    created: "m.created_at",
    last_login: "m.last_login_key",
    verified: "m.email_verified",
    contact_emails: "m.contact_emails",
    contact_phones: "m.contact_phones",
    role: "EXISTS (SELECT 1 FROM memberships r WHERE r.user_id = m.id AND r.role = {})",
    role_value: "CAST(NULL AS TEXT)",
};

/// How the text filter is applied to a walked row.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TextPlan {
    /// Compare the row's name and email keys (walking in list order).
    Compare,
    /// Only rows among the search index's matches (few, by the time this is chosen), still
    /// compared so that both plans answer alike. `sqlite` keeps SQLite's planner off the list
    /// indexes, so that it starts from the matches.
    Candidates { sqlite: bool },
}

/// One status of one population: the unit walked in order. (The search index's matches, few by
/// construction, are read for every status of the list at once: [`Branch::all`].)
pub(super) struct Branch<'a> {
    pub filter: &'a UserFilter,
    statuses: Vec<UserStatus>,
    source: &'static Source,
}

impl<'a> Branch<'a> {
    pub fn new(filter: &'a UserFilter, status: UserStatus) -> Self {
        Self::all(filter, vec![status])
    }

    /// The rows of every one of `statuses` (not walkable in one index order: for candidates).
    pub fn all(filter: &'a UserFilter, statuses: Vec<UserStatus>) -> Self {
        let source = match filter.population {
            Population::Account(_) => &MEMBERS,
            Population::Everyone => &EVERYONE,
        };
        Self { filter, statuses, source }
    }

    /// The one status of a walked branch.
    pub fn status(&self) -> Option<UserStatus> {
        match self.statuses.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    pub fn id(&self) -> &'static str {
        self.source.id
    }

    /// `SELECT id, key, role`: a row's position in `sort`'s order, as [`Sql::positions`] reads it.
    pub fn select_position(&self, sort: SortKey) -> Sql {
        Sql::new(format!("SELECT {}, {}, {}", self.source.id, self.key(sort), self.source.role_value))
    }

    /// `SELECT id, key, NULL`: a position without its role, read from the list's index alone
    /// (a walk that only counts or skips rows reads no table row for them).
    pub fn select_bare_position(&self, sort: SortKey) -> Sql {
        Sql::new(format!("SELECT {}, {}, CAST(NULL AS TEXT)", self.source.id, self.key(sort)))
    }

    pub fn key(&self, sort: SortKey) -> &'static str {
        match sort {
            SortKey::Name => self.source.name,
            SortKey::Email => self.source.email,
            SortKey::CreatedAt => self.source.created,
            SortKey::LastLoginAt => self.source.last_login,
        }
    }

    /// ` FROM … WHERE population AND status`, and with `filters` every other filter too.
    pub fn push_from_where(&self, sql: &mut Sql, filters: Option<TextPlan>) {
        sql.push(&format!(" FROM {}", self.source.from));
        self.push_where(sql, filters);
    }

    /// The rows of the derived table `c` (ids in `c.user_id`) that the caller has just pushed,
    /// each checked against every filter, read in `c`'s order: one look-up per row of `c`,
    /// whatever the planner guesses of `c`'s size. On SQLite `CROSS JOIN` keeps `c` the outer
    /// loop. On PostgreSQL a lateral subquery behind `OFFSET 0` (which keeps it from being
    /// merged into a join): a prepared statement's generic plan cannot see how few rows `c`
    /// holds, and a join left to it may hash every member of the account instead.
    pub fn push_join_where(&self, sql: &mut Sql, sqlite: bool) {
        if sqlite {
            sql.push(&format!(" CROSS JOIN {} ON {} = c.user_id", self.source.from, self.source.id));
            self.push_where(sql, Some(TextPlan::Compare));
        } else {
            sql.push(&format!(" CROSS JOIN LATERAL (SELECT m.* FROM {}", self.source.from));
            self.push_where(sql, Some(TextPlan::Compare));
            sql.push(&format!(" AND {} = c.user_id OFFSET 0) AS m", self.source.id));
        }
    }

    /// ` WHERE population AND status`, and with `filters` every other filter too.
    fn push_where(&self, sql: &mut Sql, filters: Option<TextPlan>) {
        let unindexed = if filters == Some(TextPlan::Candidates { sqlite: true }) { "+" } else { "" };
        let marks: Vec<String> = self.statuses.iter().map(|s| sql.bind(Arg::Text(s.as_str().to_owned()))).collect();
        sql.push(&format!(" WHERE {unindexed}{} IN ({})", self.source.status, marks.join(", ")));
        if let Population::Account(account) = self.filter.population {
            let p = sql.bind(Arg::Uuid(account.as_uuid()));
            sql.push(&format!(" AND {unindexed}m.account_id = {p}"));
        }
        let Some(plan) = filters else { return };
        let f = self.filter;
        if let Some(role) = &f.role {
            let p = sql.bind(Arg::Text(role.clone()));
            sql.push(&format!(" AND {}", self.source.role.replace("{}", &p)));
        }
        if let Some(verified) = f.email_verified {
            let p = sql.bind(Arg::Bool(verified));
            sql.push(&format!(" AND {} = {p}", self.source.verified));
        }
        if let Some(after) = f.created_after {
            let p = sql.bind(Arg::Ts(after));
            sql.push(&format!(" AND {} > {p}", self.source.created));
        }
        if let Some(before) = f.created_before {
            let p = sql.bind(Arg::Ts(before));
            sql.push(&format!(" AND {} < {p}", self.source.created));
        }
        if let Some(text) = f.term() {
            let p = sql.bind(Arg::Text(format!("%{}%", like_escape(&text))));
            // The row's own copies (migration 0010): a walked row is compared without a look-up.
            // Each is compared as an expression (`|| ''`), never through a trigram index: these
            // comparisons check the rows a plan reads, they do not choose them (PostgreSQL
            // would otherwise read every match of a common term to sort them, where the walk
            // stops at a page).
            sql.push(&format!(
                " AND (({name} || '') LIKE {p} ESCAPE '\\' OR ({email} || '') LIKE {p} ESCAPE '\\' \
                 OR {emails} LIKE {p} ESCAPE '\\'",
                name = self.source.name,
                email = self.source.email,
                emails = self.source.contact_emails,
            ));
            if let Some(digits) = phone_digits(&text) {
                let d = sql.bind(Arg::Text(format!("%{digits}%")));
                sql.push(&format!(" OR {} LIKE {d}", self.source.contact_phones));
            }
            sql.push(")");
            if let TextPlan::Candidates { sqlite } = plan {
                sql.push(&format!(" AND {} IN (", self.source.id));
                candidates(sql, &text, sqlite);
                sql.push(")");
            }
        }
    }
}

/// `text` as a LIKE pattern matching itself only.
pub(super) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The digits of a term written like a phone number (digits with the spaces, dots, dashes,
/// brackets and `+` people write numbers with), when it has at least three: numbers are matched
/// by the digits of their E.164 form.
pub(super) fn phone_digits(text: &str) -> Option<String> {
    if !text.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')' | '+')) {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= super::MIN_INDEXED_TERM).then_some(digits)
}

/// The ids the search indexes hold for `text` (three characters or more): names and sign-in
/// addresses and every address through trigrams, phone numbers by a run of their digits through
/// the suffixes of their digits. A user may come more than once.
pub(super) fn candidates(sql: &mut Sql, text: &str, sqlite: bool) {
    names_and_addresses(sql, text, sqlite);
    if let Some(digits) = phone_digits(text) {
        sql.push(" UNION ALL ");
        phone_suffixes(sql, "s.user_id", &digits);
    }
}

/// `SELECT user_id, created_at` for each number containing `digits` (those of `text`), its
/// owner and the owner's creation time as the suffixes hold them, and with `named` for each
/// user whose name or address contains `text`, read by id. A user may come more than once.
pub(super) fn candidates_with_creation(sql: &mut Sql, (text, digits): (&str, &str), sqlite: bool, named: bool) {
    if named {
        sql.push("SELECT u.id AS user_id, u.created_at AS created_at FROM users u WHERE u.id IN (");
        names_and_addresses(sql, text, sqlite);
        sql.push(") UNION ALL ");
    }
    phone_suffixes(sql, "s.user_id, s.user_created_at AS created_at", digits);
}

/// The ids whose names, sign-in addresses or other addresses contain `text`: through trigrams
/// (FTS5 on SQLite, pg_trgm GIN indexes on PostgreSQL, which read `LIKE '%x%'` directly).
fn names_and_addresses(sql: &mut Sql, text: &str, sqlite: bool) {
    if sqlite {
        let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
        let p = sql.bind(Arg::Text(quoted(text)));
        sql.push(&format!(
            "SELECT s.user_id FROM users_search_ids s WHERE s.search_rowid IN \
             (SELECT rowid FROM users_search WHERE users_search MATCH {p}) \
             UNION ALL SELECT e.user_id FROM user_emails e WHERE e.seq IN \
             (SELECT rowid FROM user_emails_search WHERE user_emails_search MATCH {p})"
        ));
    } else {
        let p = sql.bind(Arg::Text(format!("%{}%", like_escape(text))));
        sql.push(&format!(
            "SELECT c.id FROM users c WHERE c.name_normalized LIKE {p} ESCAPE '\\' \
             OR c.email_normalized LIKE {p} ESCAPE '\\' \
             UNION ALL SELECT e.user_id FROM user_emails e WHERE e.address_key LIKE {p} ESCAPE '\\'"
        ));
    }
}

/// `SELECT what` for each number whose digits contain `digits`: those with a suffix that
/// starts with them (`:` is the character after `9`), read from the suffixes' index alone (it
/// holds each number's owner and the owner's creation time, migration 0019).
fn phone_suffixes(sql: &mut Sql, what: &str, digits: &str) {
    let from = sql.bind(Arg::Text(digits.to_owned()));
    let to = sql.bind(Arg::Text(format!("{digits}:")));
    sql.push(&format!("SELECT {what} FROM phone_suffixes s WHERE s.suffix >= {from} AND s.suffix < {to}"));
}

/// How many entries the search indexes hold for `text`, counting no further than `cap + 1`
/// (a user may count more than once). Read from the indexes alone, so that a common term stops
/// at the cap instead of collecting every match first.
pub(super) fn candidate_count(text: &str, sqlite: bool, cap: i64) -> Sql {
    let mut sql = Sql::new("SELECT COUNT(*) FROM (");
    name_and_address_entries(&mut sql, text, sqlite);
    if let Some(digits) = phone_digits(text) {
        sql.push(" UNION ALL ");
        phone_suffixes(&mut sql, "1", &digits);
    }
    sql.push(&format!(" LIMIT {}) AS c", cap + 1));
    sql
}

/// `SELECT names, numbers`: how many entries the name and address indexes hold for `text`, and
/// how many numbers contain `digits` (those of `text`), each counted no further than `cap + 1`.
pub(super) fn candidate_counts((text, digits): (&str, &str), sqlite: bool, cap: i64) -> Sql {
    let mut sql = Sql::new("SELECT (SELECT COUNT(*) FROM (");
    name_and_address_entries(&mut sql, text, sqlite);
    sql.push(&format!(" LIMIT {}) AS n), (SELECT COUNT(*) FROM (", cap + 1));
    phone_suffixes(&mut sql, "1", digits);
    sql.push(&format!(" LIMIT {}) AS p)", cap + 1));
    sql
}

/// `SELECT 1` per entry the name and address indexes hold for `text`.
fn name_and_address_entries(sql: &mut Sql, text: &str, sqlite: bool) {
    if sqlite {
        let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
        let p = sql.bind(Arg::Text(quoted(text)));
        sql.push(&format!(
            "SELECT 1 FROM users_search WHERE users_search MATCH {p} \
             UNION ALL SELECT 1 FROM user_emails_search WHERE user_emails_search MATCH {p}"
        ));
    } else {
        let p = sql.bind(Arg::Text(format!("%{}%", like_escape(text))));
        sql.push(&format!(
            "SELECT 1 FROM users c WHERE c.name_normalized LIKE {p} ESCAPE '\\' \
             OR c.email_normalized LIKE {p} ESCAPE '\\' \
             UNION ALL SELECT 1 FROM user_emails e WHERE e.address_key LIKE {p} ESCAPE '\\'"
        ));
    }
}
