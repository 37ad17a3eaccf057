//! The user and account types shared by every layer.

use time::OffsetDateTime;

use crate::ids::{AccountId, PhoneId, UserId};
use crate::named::named_enum;
use crate::phone::PhoneLabel;
use crate::role::Role;
use crate::scope::Scope;

named_enum! {
    /// Lifecycle of a user. `invited` users have no password yet; `deleted` users are kept for
    /// audit.
    pub enum UserStatus {
        Invited = "invited",
        Active = "active",
        Suspended = "suspended",
        Deleted = "deleted",
    }
}

named_enum! {
    /// Lifecycle of an account. A deleted account keeps its row (its id stays in the audit
    /// trail) and is invisible everywhere else.
    pub enum AccountStatus {
        Active = "active",
        Deleted = "deleted",
    }
}

/// A user as stored. Secrets (the password hash) are deliberately not part of this type, so
/// no code path can serialise one by accident.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image: Option<String>,
    pub title: Option<String>,
    pub bio: Option<String>,
    pub timezone: String,
    pub locale: String,
    pub status: UserStatus,
    pub metadata: serde_json::Value,
    pub mfa_enabled: bool,
    pub platform_admin: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
}

/// One of a user's email addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEmail {
    pub address: String,
    pub verified: bool,
    pub primary: bool,
}

/// One of a user's phone numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPhone {
    pub id: PhoneId,
    /// E.164.
    pub number: String,
    pub label: PhoneLabel,
    pub verified: bool,
    pub primary: bool,
}

/// A user as an export of a list holds it: the columns of a spreadsheet, read for a whole batch
/// in one query rather than completed into a [`UserDetail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
    /// The role in the listed account (none when the list is everyone).
    pub role: Option<Role>,
    pub email_verified: bool,
    /// The primary number, else the first added.
    pub phone: Option<String>,
    pub mfa_enabled: bool,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
}

/// A user with its email addresses and phone numbers: what every rendering of a user shows
/// (API.md §3). The services complete users into this in one place (`users::detail`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserDetail {
    pub user: User,
    pub emails: Vec<UserEmail>,
    pub phones: Vec<UserPhone>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub parent_id: Option<AccountId>,
    pub status: AccountStatus,
    pub seats_used: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A user's own membership in one account (inherited memberships are computed, not stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub role: Role,
    pub grant: Vec<Scope>,
    pub deny: Vec<Scope>,
    pub created_at: OffsetDateTime,
}
