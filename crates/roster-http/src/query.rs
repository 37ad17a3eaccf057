//! The query strings of the API's lists, in one place: `PageQuery` (`limit` and `cursor`) for
//! every keyset list, and the user list's filters, sort and paging, declared once for
//! `GET /v1/users` (which may name another account) and `GET /v1/accounts/{id}/members` (whose
//! account is in the path), so the two cannot drift apart.

use roster_core::users::{Paging, UserFilters};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// `limit` and `cursor` of a keyset list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub(crate) limit: Option<u32>,
    /// `next_cursor` of the previous page (else 400); empty or absent: the first page.
    pub(crate) cursor: Option<String>,
}

/// A query of the user list: the fields given, then the filters, sort and paging every user
/// list takes (serde's `flatten` cannot be used with `deny_unknown_fields`, hence a macro).
macro_rules! user_list_query {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub(crate) struct $name {
            $($(#[$fmeta])* pub(crate) $field: $ty,)*
            /// Deleted users are listed only with `status=deleted`.
            #[param(value_type = Option<roster_core::openapi::UserStatus>)]
            status: Option<String>,
            #[param(value_type = Option<roster_core::openapi::Role>)]
            role: Option<String>,
            /// Case-insensitive substring of the name or of any of the user's email addresses;
            /// written like a phone number (digits, spaces, `+ - . ( )`, three digits or more), it
            /// also matches the digits of the user's numbers in E.164 (`4155550142` finds
            /// `+14155550142`). Three characters or more use the search indexes; one or two are
            /// compared only while the list is walked, so in a large account a page may come back
            /// short (see `next_cursor`).
            q: Option<String>,
            email_verified: Option<bool>,
            #[param(value_type = Option<String>, format = DateTime)]
            created_after: Option<String>,
            #[param(value_type = Option<String>, format = DateTime)]
            created_before: Option<String>,
            /// A field, `-` in front for descending (default `created_at`).
            #[param(value_type = Option<roster_core::openapi::UserSort>)]
            sort: Option<String>,
            /// 1–100, default 20.
            #[param(minimum = 1, maximum = 100)]
            limit: Option<u32>,
            /// `next_cursor` of the previous page, with the same filters and sort (else 400);
            /// empty or absent: the first page.
            cursor: Option<String>,
            /// Add `total`, the number of users matching the filters, and `total_exact`.
            /// Unfiltered (or by role alone) the total is a kept count; with other filters it may
            /// be an upper bound (`total_exact: false`).
            include_total: Option<bool>,
        }

        impl $name {
            /// The filters (in `account`, if named) and the sort and paging.
            pub(crate) fn split(self, account: Option<Uuid>) -> (UserFilters, Paging) {
                let filters = UserFilters {
                    account_id: account,
                    status: self.status,
                    role: self.role,
                    q: self.q,
                    email_verified: self.email_verified,
                    created_after: self.created_after,
                    created_before: self.created_before,
                };
                let paging = Paging {
                    sort: self.sort,
                    limit: self.limit,
                    cursor: self.cursor,
                    include_total: self.include_total.unwrap_or(false),
                };
                (filters, paging)
            }
        }
    };
}

user_list_query! {
    /// Query of `GET /v1/users`.
    UsersQuery {
        /// Another account than the active one (platform admins may omit both for everyone).
        account_id: Option<Uuid>,
    }
}

user_list_query! {
    /// Query of `GET /v1/accounts/{id}/members` (the account is the path's).
    MembersQuery {}
}
