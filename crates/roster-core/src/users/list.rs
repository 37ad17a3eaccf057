//! `GET /v1/users` and `POST /v1/users/search`: filtered, sorted, cursor-paginated lists.

use roster_domain::scope::Scope;
use roster_domain::user::{UserDetail, UserStatus};
use roster_domain::{AccountId, FieldErrors};
use roster_store::user_list::{self, Budget, Population, Position, SortKey, Total, UserFilter, UserPage};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::paging::time_filter;
use crate::{Actor, Core, access};

pub use crate::paging::{DEFAULT_LIMIT, MAX_LIMIT, page_limit};

/// The filters shared by the list and the search (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserFilters {
    /// Another account than the active one (platform admins may omit both for everyone).
    pub account_id: Option<Uuid>,
    /// `invited`, `active`, `suspended` or `deleted` (deleted users appear only when asked).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::UserStatus>))]
    pub status: Option<String>,
    /// `viewer`, `member`, `admin` or `owner`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Role>))]
    pub role: Option<String>,
    /// Case-insensitive substring of the name or of any of the user's email addresses; written
    /// like a phone number (digits, spaces, `+ - . ( )`, three digits or more), it also matches
    /// the digits of the user's numbers in E.164 (`4155550142` finds `+14155550142`).
    pub q: Option<String>,
    pub email_verified: Option<bool>,
    /// RFC 3339.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub created_after: Option<String>,
    /// RFC 3339.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub created_before: Option<String>,
}

/// Sorting and paging.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    /// `name`, `email`, `created_at` or `last_login_at`, `-` in front for descending.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub include_total: bool,
}

/// Users per batch of an export: an export reads every page, so its batches are large (`limit`
/// is not read), for the rows to stream at the speed of the store rather than of page requests.
pub const EXPORT_BATCH: u32 = 1_000;

/// A checked list request (see `Core::open_list`).
struct OpenList {
    filter: UserFilter,
    page: UserPage,
    context: String,
}

/// A batch of [`Core::export_users`].
pub struct ExportBatch {
    pub rows: Vec<roster_domain::user::ListedUser>,
    pub next_cursor: Option<String>,
}

pub struct UserList {
    pub users: Vec<UserDetail>,
    pub next_cursor: Option<String>,
    pub total: Option<Total>,
}

/// Which list of users a page belongs to. Each endpoint's cursors are its own: a cursor of one
/// is refused by the others (400) even where they would select the same users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// `GET /v1/users`.
    Users,
    /// `POST /v1/users/search`.
    Search,
    /// `GET /v1/accounts/:id/members`.
    Members,
    /// The console's CSV export.
    Export,
}

impl Listing {
    fn name(self) -> &'static str {
        match self {
            Listing::Users => "users",
            Listing::Search => "users-search",
            Listing::Members => "members",
            Listing::Export => "export",
        }
    }
}

impl Core {
    /// `GET /v1/users`.
    pub async fn list_users(&self, actor: &Actor, filters: UserFilters, paging: Paging) -> CoreResult<UserList> {
        self.user_list(Listing::Users, actor, filters, paging).await
    }

    /// A page of `listing`: the users the filters select, sorted and paged.
    pub(crate) async fn user_list(
        &self,
        listing: Listing,
        actor: &Actor,
        filters: UserFilters,
        paging: Paging,
    ) -> CoreResult<UserList> {
        let include_total = paging.include_total;
        let (mut conn, list) = self.open_list(listing, actor, filters, paging).await?;
        let found = user_list::list(&mut conn, &list.filter, &list.page).await?;
        let next_cursor = found.next.map(|next| self.seal_cursor(&list.context, &next));
        let total =
            if include_total { Some(user_list::count(&mut conn, &list.filter, Budget::DEFAULT).await?) } else { None };
        Ok(UserList { users: super::details(&mut conn, found.users).await?, next_cursor, total })
    }

    /// A batch of an export of the users the filters select (of the account `account_id`
    /// names, as the members list, else as `GET /v1/users`): the columns of a spreadsheet, in
    /// batches of [`EXPORT_BATCH`], `next_cursor` until the last.
    pub async fn export_users(&self, actor: &Actor, filters: UserFilters, paging: Paging) -> CoreResult<ExportBatch> {
        let (mut conn, list) = self.open_list(Listing::Export, actor, filters, paging).await?;
        let (rows, next) = user_list::export(&mut conn, &list.filter, &list.page).await?;
        Ok(ExportBatch { rows, next_cursor: next.map(|next| self.seal_cursor(&list.context, &next)) })
    }

    /// Check a list request and the caller's right to it: the store's filter and page, and
    /// the context its cursors are bound to.
    async fn open_list(
        &self,
        listing: Listing,
        actor: &Actor,
        filters: UserFilters,
        paging: Paging,
    ) -> CoreResult<(roster_store::Conn, OpenList)> {
        let mut errors = FieldErrors::new();
        let status = filters.status.as_deref().and_then(|s| {
            UserStatus::parse(s).or_else(|| {
                errors.add("status", "invalid_status", "must be invited, active, suspended or deleted");
                None
            })
        });
        let role = filters.role.as_deref().and_then(|r| {
            roster_domain::role::Role::parse(r).map(|r| r.as_str().to_owned()).or_else(|| {
                errors.add("role", "invalid_role", "must be viewer, member, admin or owner");
                None
            })
        });
        let created_after = time_filter(&mut errors, "created_after", filters.created_after.as_deref());
        let created_before = time_filter(&mut errors, "created_before", filters.created_before.as_deref());
        let (sort, descending) = match paging.sort.as_deref() {
            None => (SortKey::CreatedAt, false),
            Some(raw) => {
                let (descending, field) = raw.strip_prefix('-').map_or((false, raw), |f| (true, f));
                if let Some(key) = SortKey::parse(field) {
                    (key, descending)
                } else {
                    errors.add(
                        "sort",
                        "invalid_sort",
                        "must be name, email, created_at or last_login_at, optionally prefixed with -",
                    );
                    (SortKey::CreatedAt, false)
                }
            }
        };
        let export = listing == Listing::Export;
        let limit = if export { EXPORT_BATCH } else { page_limit(&mut errors, paging.limit) };
        errors.into_result().map_err(CoreError::Validation)?;

        let mut conn = self.db.conn().await?;
        let population = match filters.account_id.map(AccountId::from_uuid).or(actor.account_id) {
            Some(account) if filters.account_id.is_some() || !actor.user.platform_admin => {
                access::require(&mut conn, &actor.user, account, &Scope::USERS_READ).await?;
                Population::Account(account)
            }
            _ if actor.user.platform_admin => Population::Everyone,
            _ => return Err(CoreError::field("account_id", "required", "no active account; name one")),
        };
        let filter = UserFilter {
            population,
            status,
            role,
            text: filters.q.as_deref().map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
            email_verified: filters.email_verified,
            created_after,
            created_before,
        };
        // The cursor is bound to this exact list: same endpoint, sort, filters and population.
        let sign = if descending { "-" } else { "" };
        let context = format!("{}:{sign}{}:{filter:?}", listing.name(), sort.as_str());
        let after = self.open_cursor::<Position>(&context, paging.cursor.as_deref())?;
        let budget = if export { Budget::EXPORT } else { Budget::DEFAULT };
        let page = UserPage { sort, descending, after, limit, budget };
        Ok((conn, OpenList { filter, page, context }))
    }
}

/// `POST /v1/users/search`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SearchUsers {
    /// Matched case-insensitively against the name and every email address of the user, and,
    /// written like a phone number, against the digits of its numbers (as `q` of `GET /v1/users`).
    pub query: Option<String>,
    #[serde(default, deserialize_with = "roster_domain::json::object")]
    pub filters: Option<UserFilters>,
    /// A field, `-` in front for descending (default `created_at`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::UserSort>))]
    pub sort: Option<String>,
    /// 1–100, default 20.
    #[serde(default, deserialize_with = "roster_domain::json::whole_number")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, with the same query, filters and sort.
    pub cursor: Option<String>,
    #[serde(default)]
    pub include_total: bool,
}

impl Core {
    pub async fn search_users(&self, actor: &Actor, search: SearchUsers) -> CoreResult<UserList> {
        let mut filters = search.filters.unwrap_or_default();
        if let Some(query) = search.query {
            filters.q = Some(query);
        }
        let paging = Paging {
            sort: search.sort,
            limit: search.limit,
            cursor: search.cursor,
            include_total: search.include_total,
        };
        // The list names its query parameters; in this body the filters sit under `filters`.
        self.user_list(Listing::Search, actor, filters, paging).await.map_err(|err| match err {
            CoreError::Validation(errors) => CoreError::Validation(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.field = search_field(&e.field);
                        e
                    })
                    .collect(),
            ),
            other => other,
        })
    }
}

/// Where a problem the list reports sits in a search body (`status` -> `filters.status`).
fn search_field(field: &str) -> String {
    match field {
        "account_id" | "status" | "role" | "q" | "email_verified" | "created_after" | "created_before" => {
            format!("filters.{field}")
        }
        other => other.to_owned(),
    }
}
