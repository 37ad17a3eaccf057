//! Response bodies: how domain values are shown to clients. Nothing secret is ever a field here.

pub mod activity;
pub mod announcements;
pub mod calendars;
pub mod devices;
pub mod export;
pub mod jobs;
pub mod members;
pub mod workspaces;

use roster_domain::permissions::{Permissions, Source};
use roster_domain::phone::PhoneLabel;
use roster_domain::scope::Scope;
use roster_domain::user::{Account, AccountStatus, Membership, UserDetail};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// RFC 3339 in UTC.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailView {
    #[schema(format = Email)]
    pub address: String,
    pub verified: bool,
    pub primary: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneView {
    pub id: Uuid,
    /// E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{1,14}$")]
    pub number: String,
    pub label: PhoneLabel,
    pub verified: bool,
    pub primary: bool,
}

impl From<&roster_domain::user::UserPhone> for PhoneView {
    fn from(p: &roster_domain::user::UserPhone) -> Self {
        PhoneView {
            id: p.id.as_uuid(),
            number: p.number.clone(),
            label: p.label,
            verified: p.verified,
            primary: p.primary,
        }
    }
}

/// A user (API.md §3).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(format = Email)]
    pub email: String,
    pub email_verified: bool,
    pub emails: Vec<EmailView>,
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(format = "uri")]
    pub image: Option<String>,
    pub title: Option<String>,
    pub bio: Option<String>,
    pub timezone: String,
    pub locale: String,
    #[schema(value_type = roster_core::openapi::UserStatus)]
    pub status: String,
    pub phones: Vec<PhoneView>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub mfa_enabled: bool,
    pub platform_admin: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
}

impl From<&UserDetail> for UserView {
    fn from(detail: &UserDetail) -> Self {
        let u = &detail.user;
        Self {
            id: u.id.as_uuid(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            emails: detail
                .emails
                .iter()
                .map(|e| EmailView { address: e.address.clone(), verified: e.verified, primary: e.primary })
                .collect(),
            name: u.name.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            image: u.image.clone(),
            title: u.title.clone(),
            bio: u.bio.clone(),
            timezone: u.timezone.clone(),
            locale: u.locale.clone(),
            status: u.status.as_str().to_owned(),
            phones: detail.phones.iter().map(PhoneView::from).collect(),
            metadata: u.metadata.clone(),
            mfa_enabled: u.mfa_enabled,
            platform_admin: u.platform_admin,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
            last_login_at: u.last_login_at.map(rfc3339),
        }
    }
}

/// An account (tenant); sub-accounts have a `parent_id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub status: AccountStatus,
    #[schema(minimum = 0)]
    pub seats_used: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.as_uuid(),
            name: a.name.clone(),
            parent_id: a.parent_id.map(|p| p.as_uuid()),
            status: a.status,
            seats_used: a.seats_used,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// A page of a list: `next_cursor` is null on the last page; `total` only with `include_total=true`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub data: Vec<T>,
    /// Where the next page starts; null on the last page. A filtered page may hold fewer items
    /// than `limit`, even none, while this is set: it examines a bounded number of entries
    /// (4 000 per status for user lists) before it answers. Follow it to continue.
    pub next_cursor: Option<String>,
    /// Only with `include_total=true`: how many items the list holds, exactly unless
    /// `total_exact` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub total: Option<i64>,
    /// Only with `include_total=true`. False when counting exactly would cost too much (a
    /// filtered count examines at most 50 000 entries per status): `total` is then an upper
    /// bound, the matches found plus every entry not examined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_exact: Option<bool>,
}

impl<T: ToSchema> Page<T> {
    /// A page without a total.
    pub fn new(data: Vec<T>, next_cursor: Option<String>) -> Self {
        Self { data, next_cursor, total: None, total_exact: None }
    }
}

/// A user's membership in an account (API.md §3): `effective` = role ∪ grant − deny.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    pub user_id: Uuid,
    pub account_id: Uuid,
    #[schema(value_type = roster_core::openapi::Role)]
    pub role: String,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    pub grant: Vec<String>,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    pub deny: Vec<String>,
    /// Every scope the membership allows, `*` excepted.
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    pub effective: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&Membership> for MembershipView {
    fn from(m: &Membership) -> Self {
        let perms = Permissions { role: m.role, grant: m.grant.clone(), deny: m.deny.clone(), source: Source::Direct };
        Self {
            user_id: m.user_id.as_uuid(),
            account_id: m.account_id.as_uuid(),
            role: m.role.as_str().to_owned(),
            grant: scope_names(&m.grant),
            deny: scope_names(&m.deny),
            effective: scope_names(&perms.effective()),
            created_at: rfc3339(m.created_at),
        }
    }
}

/// Scopes as their names.
pub fn scope_names(scopes: &[Scope]) -> Vec<String> {
    scopes.iter().map(|s| s.as_str().to_owned()).collect()
}
