//! `/console/users`: the people of an account (or, for platform admins, of every account) —
//! search as one types, filters, sort, cursor paging both ways, the columns the person chose
//! (kept in their `dashboard` preferences), bulk suspend / reactivate / remove with a result per
//! row, and "Invite user".
//!
//! The list is the same service as `GET /v1/users` (or `/members` when an account is chosen, for
//! the role column), so it selects and refuses exactly what the API does. Cursors only go
//! forward; "Previous" works because each page's link carries the cursors of the pages before it
//! (`trail`).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_core::users::{Paging, UserFilters};
use roster_domain::AccountId;
use roster_domain::role::Role;
use roster_domain::user::{UserDetail, UserStatus};
use roster_http::AppState;
use serde::Deserialize;
use uuid::Uuid;

mod actions;

pub(crate) use actions::{bulk, invite, save_columns};

use super::{Nav, Staff, day_bound, message_of};
use crate::chrome::Chrome;
use crate::render;

/// The columns a person may choose, by key and heading.
pub(crate) const COLUMNS: [(&str, &str); 8] = [
    ("name", "Name"),
    ("email", "Email"),
    ("status", "Status"),
    ("role", "Role"),
    ("last_sign_in", "Last sign-in"),
    ("created", "Created"),
    ("phone", "Phone"),
    ("mfa", "MFA"),
];
const DEFAULT_COLUMNS: [&str; 5] = ["name", "email", "status", "role", "last_sign_in"];
/// Where the choice is kept in the person's preferences (`dashboard.<key>`).
const COLUMNS_KEY: &str = "console_user_columns";
/// Rows per page.
const PAGE_SIZE: u32 = 20;
/// Separates the cursors of the earlier pages in `trail` (cursors never contain it).
const TRAIL_SEPARATOR: char = '~';

/// The list's query string, read leniently: a value that is not one of the choices is shown as
/// the service's error beside the list, never as a broken page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct ListParams {
    /// An account id, or `all` (platform admins).
    pub account: String,
    pub q: String,
    pub status: String,
    pub role: String,
    /// `yes`, `no` or empty.
    pub verified: String,
    /// Created on or after this day (`YYYY-MM-DD`).
    pub from: String,
    /// Created on or before this day (`YYYY-MM-DD`).
    pub until: String,
    pub sort: String,
    pub cursor: String,
    /// The cursors of the pages before this one, oldest first (the first page's is empty).
    pub trail: String,
    /// A notice a form left (`deleted`), never echoed: only the known ones are said.
    pub notice: String,
}

impl ListParams {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
    }

    /// The query string of this list at another page.
    fn at(&self, cursor: &str, trail: &str) -> String {
        let pairs = [
            ("account", self.account.as_str()),
            ("q", &self.q),
            ("status", &self.status),
            ("role", &self.role),
            ("verified", &self.verified),
            ("from", &self.from),
            ("until", &self.until),
            ("sort", &self.sort),
            ("cursor", cursor),
            ("trail", trail),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }

    /// The filters of this list (without the page): what the CSV export and bulk forms carry.
    pub(crate) fn filters_query(&self) -> String {
        self.at("", "")
    }
}

/// Which users the list is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Population {
    Account(AccountId),
    /// Every user (platform admins).
    Everyone,
}

impl Population {
    /// The population `params` names, if the person may list it; otherwise the default: the
    /// active account, else the first account the person reads users in, else everyone.
    pub(crate) fn of(staff: &Staff, params: &ListParams) -> Self {
        if params.account == "all" && staff.platform_admin {
            return Population::Everyone;
        }
        let readable = |id: AccountId| staff.platform_admin || staff.accounts.iter().any(|(a, _)| a.id == id);
        if let Ok(id) = Uuid::parse_str(&params.account).map(AccountId::from_uuid)
            && readable(id)
        {
            return Population::Account(id);
        }
        let active = staff.visitor.actor.account_id.filter(|id| staff.accounts.iter().any(|(a, _)| a.id == *id));
        match active.or_else(|| staff.accounts.first().map(|(a, _)| a.id)) {
            Some(id) => Population::Account(id),
            None => Population::Everyone,
        }
    }

    pub(crate) fn account(self) -> Option<AccountId> {
        match self {
            Population::Account(id) => Some(id),
            Population::Everyone => None,
        }
    }
}

/// The service's filters for `params` (days become the bounds of whole UTC days).
pub(crate) fn filters_of(params: &ListParams, population: Population) -> UserFilters {
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    UserFilters {
        account_id: population.account().map(|id| id.as_uuid()),
        status: some(&params.status),
        role: some(&params.role).filter(|_| population != Population::Everyone),
        q: some(&params.q),
        email_verified: match params.verified.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        created_after: day_bound(&params.from, false),
        created_before: day_bound(&params.until, true),
    }
}

/// One row of the list, its cells already in the chosen columns' order.
pub(crate) struct Row {
    pub id: String,
    pub name: String,
    pub cells: Vec<(&'static str, String)>,
}

/// The number a list shows for a user: its primary one, else its first, else nothing.
fn primary_phone(user: &UserDetail) -> &str {
    user.phones.iter().find(|p| p.primary).or(user.phones.first()).map_or("", |p| p.number.as_str())
}

/// The value of `column` for a user (and its role in the listed account).
pub(crate) fn cell(column: &str, user: &UserDetail, role: Option<Role>, zone: &str) -> String {
    let u = &user.user;
    let when = |t: Option<time::OffsetDateTime>| t.map_or_else(String::new, |t| crate::render::local_time(zone, t));
    match column {
        "name" => u.name.clone(),
        "email" => u.email.clone(),
        "status" => u.status.as_str().to_owned(),
        "role" => role.map_or_else(String::new, |r| r.as_str().to_owned()),
        "last_sign_in" => when(u.last_login_at),
        "created" => when(Some(u.created_at)),
        "phone" => primary_phone(user).to_owned(),
        "mfa" => if u.mfa_enabled { "on" } else { "off" }.to_owned(),
        _ => String::new(),
    }
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    chrome: Chrome,
    nav: Nav,
    form_token: String,
    params: ListParams,
    /// `(value, label, selected)` of the account picker.
    accounts: Vec<(String, String, bool)>,
    account_value: String,
    columns: Vec<(&'static str, &'static str, bool)>,
    headings: Vec<&'static str>,
    rows: Vec<Row>,
    problems: Vec<String>,
    results: Vec<(String, String)>,
    notice: Option<String>,
    previous: Option<String>,
    next: Option<String>,
    export: String,
    statuses: &'static [UserStatus],
    roles: [Role; 4],
    may_invite: bool,
    console_js: &'static str,
}

impl UsersPage {
    fn role_selected(&self, role: &Role) -> bool {
        self.params.role == role.as_str()
    }

    fn status_selected(&self, status: &UserStatus) -> bool {
        self.params.status == status.as_str()
    }
}

/// The columns the person chose, in the table's order.
fn chosen_columns(preferences: &serde_json::Value) -> Vec<&'static str> {
    let saved = preferences.pointer(&format!("/dashboard/{COLUMNS_KEY}")).and_then(|v| v.as_array()).cloned();
    match saved {
        Some(saved) => {
            COLUMNS.iter().map(|(key, _)| *key).filter(|key| saved.iter().any(|v| v.as_str() == Some(key))).collect()
        }
        None => DEFAULT_COLUMNS.to_vec(),
    }
}

/// `GET /console/users`.
pub(crate) async fn list(State(state): State<AppState>, staff: Staff, RawQuery(raw): RawQuery) -> Response {
    let params = ListParams::parse(raw.as_deref());
    let notice = (params.notice == "deleted").then(|| "The user is deleted.".to_owned());
    render_list(&state, &staff, params, Vec::new(), notice).await
}

async fn render_list(
    state: &AppState,
    staff: &Staff,
    params: ListParams,
    results: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let population = Population::of(staff, &params);
    // Read once: the theme of the page and the columns both come from the preferences.
    let preferences = state.core.config(&staff.visitor.actor).await.unwrap_or_default();
    let columns = chosen_columns(&preferences);
    let filters = filters_of(&params, population);
    let paging = Paging {
        sort: Some(params.sort.clone()).filter(|s| !s.is_empty()),
        limit: Some(PAGE_SIZE),
        cursor: Some(params.cursor.clone()).filter(|c| !c.is_empty()),
        ..Paging::default()
    };
    let actor = &staff.visitor.actor;
    let listed = match population {
        Population::Account(account) => state.core.list_members(actor, account, filters, paging).await.map(|list| {
            (list.members.into_iter().map(|(u, m)| (u, Some(m.role))).collect::<Vec<_>>(), list.next_cursor)
        }),
        Population::Everyone => state
            .core
            .list_users(actor, filters, paging)
            .await
            .map(|list| (list.users.into_iter().map(|u| (u, None)).collect(), list.next_cursor)),
    };
    let mut problems = Vec::new();
    let (users, next_cursor) = match listed {
        Ok(found) => found,
        Err(err) => match message_of(err) {
            Ok(message) => {
                problems.push(message);
                (Vec::new(), None)
            }
            Err(page) => return page,
        },
    };
    let rows = users
        .iter()
        .map(|(user, role)| Row {
            id: user.user.id.to_string(),
            name: user.user.name.clone(),
            cells: columns.iter().map(|c| (*c, cell(c, user, *role, &actor.user.timezone))).collect(),
        })
        .collect();
    let trail: Vec<&str> = if params.trail.is_empty() && params.cursor.is_empty() {
        Vec::new()
    } else {
        params.trail.split(TRAIL_SEPARATOR).collect()
    };
    let on_first_page = params.cursor.is_empty();
    let previous = (!on_first_page).then(|| {
        let (back, earlier) = trail.split_last().map_or(("", &[][..]), |(last, rest)| (*last, rest));
        params.at(back, &earlier.join(&TRAIL_SEPARATOR.to_string()))
    });
    let next = next_cursor.map(|next| {
        let mut onward = trail.clone();
        if !on_first_page || !onward.is_empty() {
            onward.push(&params.cursor);
        } else {
            onward = vec![""];
        }
        params.at(&next, &onward.join(&TRAIL_SEPARATOR.to_string()))
    });
    let account_value = population.account().map_or_else(|| "all".to_owned(), |id| id.to_string());
    let mut accounts: Vec<(String, String, bool)> = staff
        .accounts
        .iter()
        .map(|(a, _)| (a.id.to_string(), a.name.clone(), a.id.to_string() == account_value))
        .collect();
    if let Population::Account(id) = population
        && !accounts.iter().any(|(value, _, _)| *value == id.to_string())
    {
        accounts.push((id.to_string(), id.to_string(), true));
    }
    if staff.platform_admin {
        accounts.insert(0, ("all".to_owned(), "Every account".to_owned(), population == Population::Everyone));
    }
    let may_invite = population.account().is_some();
    let rendered = UsersPage {
        chrome: Chrome::of(state, &staff.visitor, &preferences).await,
        nav: staff.nav("users"),
        form_token: staff.visitor.form_token.clone(),
        export: format!(
            "/console/users.csv?{}",
            ListParams { account: account_value.clone(), ..params.clone() }.filters_query()
        ),
        params,
        accounts,
        account_value,
        columns: COLUMNS.iter().map(|(key, label)| (*key, *label, columns.contains(key))).collect(),
        headings: columns.iter().filter_map(|c| COLUMNS.iter().find(|(k, _)| k == c).map(|(_, l)| *l)).collect(),
        rows,
        problems,
        results,
        notice,
        previous,
        next,
        statuses: &UserStatus::ALL,
        roles: [Role::Viewer, Role::Member, Role::Admin, Role::Owner],
        may_invite,
        console_js: crate::assets::path("console.js"),
    }
    .render();
    render::page(StatusCode::OK, rendered)
}
