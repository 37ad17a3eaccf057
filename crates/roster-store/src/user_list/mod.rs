//! Filtered, sorted, keyset-paginated user lists and substring search, flat at a million users.
//!
//! Every list is one or more *branches* (one per status: a default list is the invited, active
//! and suspended users), each walked in list order through an index on (population, status,
//! sort key, id) (migration 0003), and merged. Sorting is by one key plus the id as
//! tie-breaker, so a cursor `(key, id)` is a stable position under concurrent inserts.
//!
//! What a request costs does not grow with the population:
//! - unfiltered, a page reads `limit + 1` index entries per branch;
//! - on SQLite, a text term of three characters or more for which the search index holds at
//!   most `Budget::candidates` matches is served from those matches (exact, complete pages);
//! - a term written like a phone number, in a list sorted by creation time that is longer than
//!   a walk's budget, is served from its matches sorted by themselves when they are at most
//!   `Budget::ordered` (the suffixes of numbers carry their owner's creation time): exact,
//!   complete pages wherever the matches lie, for the cost of sorting them;
//! - any other filtered list is walked in its order, examining at most `Budget::walk` entries
//!   past the cursor (shared by its branches in proportion to their sizes). A common match
//!   fills the page long before;
//! - when the walk comes back short and the text term has three characters or more, the page
//!   is made again from the search index's matches if they are at most `Budget::fallback`
//!   (a rare term, or matches further down the list than the walk looked: exact, complete
//!   pages, so a page with matches ahead is never empty), and an empty page of a term more
//!   common than that walks sixteen budgets further. Without an indexed term (filters alone,
//!   or one or two characters) a page may still come back short, and its cursor is the last
//!   examined position: `next_cursor` with fewer than `limit` items means "more may follow",
//!   never "the end";
//! - totals come from counts kept per account, status and role; a filtered total examines at
//!   most `Budget::count` entries (shared by its branches) and otherwise says it is an upper
//!   bound: the matches found plus every entry not examined.

mod count;
mod export;
mod ordered;
mod source;
mod sql;
mod walk;

use roster_domain::AccountId;
use roster_domain::user::UserStatus;
use uuid::Uuid;

pub use count::{Total, count};
pub use export::export;
pub use walk::{ListPage, list};

use crate::ts::Ts;

/// How much one request may examine. The service uses [`Budget::DEFAULT`]; tests shrink it to
/// reach every plan with a few rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Index entries a filtered page examines before it answers (shared by its statuses).
    pub walk: i64,
    /// Index entries a filtered total examines before it settles for an upper bound (shared
    /// by its statuses).
    pub count: i64,
    /// A term with at most this many search-index matches is served from them at once on
    /// SQLite (whose index streams its matches), and counted from them by a filtered total.
    pub candidates: i64,
    /// A walk that comes back short of a page is done again from the index's matches when
    /// they are at most this many (the matches lay further down the list than it looked).
    pub fallback: i64,
    /// A term written like a phone number with at most this many matches, in a list sorted by
    /// creation time and longer than `walk`, is served from its matches sorted by themselves
    /// (the suffixes of numbers hold their owner's creation time): exact, complete pages at
    /// the cost of sorting the matches, wherever in the list they lie.
    pub ordered: i64,
}

impl Budget {
    pub const DEFAULT: Self = Self { walk: 6_000, count: 30_000, candidates: 2_000, fallback: 50_000, ordered: 20_000 };
    /// An export's batches: a thousand users each, walked in order until the batch is full or
    /// the list ends, with no bound (every row is read once over the whole export, where a
    /// bounded walk would read the rows past each batch's end again to find where to stop).
    pub const EXPORT: Self = Self { walk: i64::MAX, count: 30_000, candidates: 2_000, fallback: 0, ordered: 20_000 };
}

impl Default for Budget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Shorter terms have no index (trigrams): they are only compared while walking.
pub const MIN_INDEXED_TERM: usize = 3;

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

    /// Whether the key is text (name, email) rather than a time.
    pub fn is_text(self) -> bool {
        matches!(self, Self::Name | Self::Email)
    }
}

/// A sort key's value at some row.
/// Ordered as the list is: values of one key are all of one variant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
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
    /// The row's role in the listed account, read along with it (an export lists it without
    /// a look-up); not part of where the page ends, never in a cursor.
    #[serde(skip)]
    pub role: Option<String>,
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
    /// A substring of the name or email, compared case-insensitively.
    pub text: Option<String>,
    pub email_verified: Option<bool>,
    pub created_after: Option<Ts>,
    pub created_before: Option<Ts>,
}

impl UserFilter {
    /// Everybody in `population` but deleted users, nothing else narrowing.
    pub fn of(population: Population) -> Self {
        Self {
            population,
            status: None,
            role: None,
            text: None,
            email_verified: None,
            created_after: None,
            created_before: None,
        }
    }

    /// The text term, lowercased as the keys are, if any.
    pub(crate) fn term(&self) -> Option<String> {
        self.text.as_deref().map(str::to_lowercase).filter(|t| !t.is_empty())
    }

    /// Whether anything beyond population and status narrows the list.
    pub(crate) fn narrows(&self) -> bool {
        self.role.is_some()
            || self.term().is_some()
            || self.email_verified.is_some()
            || self.created_after.is_some()
            || self.created_before.is_some()
    }

    /// The branches of this list: the status asked for, or every status but deleted.
    pub(crate) fn statuses(&self) -> Vec<UserStatus> {
        match self.status {
            Some(status) => vec![status],
            None => vec![UserStatus::Invited, UserStatus::Active, UserStatus::Suspended],
        }
    }
}

#[derive(Debug, Clone)]
pub struct UserPage {
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<Position>,
    pub limit: u32,
    pub budget: Budget,
}
