//! `/console/users/{id}`: one user as an administrator sees it — profile, addresses, phones,
//! status, deletion, memberships with their role, grants and denies (and "Why?" beside each
//! scope), sessions, two-factor authentication, the audit trail and sign-ins per day. Each
//! part is read through the service the API uses, so a part the caller may not read is absent,
//! and each button is shown only when its service would accept it from this caller.

mod actions;

pub(crate) use actions::{delete, reset_two_factor, revoke_all_sessions, revoke_session, save_scope, set_status};

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_core::users::RightsOver;
use roster_domain::permissions::Decision;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{UserDetail, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_http::AppState;
use serde::Deserialize;

use super::chart::{Bar, bars};
use super::{Nav, PathId, Staff, changes_text, message_of};
use crate::chrome::Chrome;
use crate::render::{self, local_time};

/// The user page's query: the account the caller came from, a scope to explain, the activity's
/// page, and the notice a form left.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct UserParams {
    account: String,
    why: String,
    why_account: String,
    activity: String,
    notice: String,
}

pub(crate) struct MembershipRow {
    account_id: String,
    account: String,
    role: Role,
    grant: String,
    deny: String,
    inherited: Option<String>,
    /// Every known scope, and whether the user holds it here.
    scopes: Vec<(String, bool)>,
    editable: bool,
    why: Option<Decision>,
}

pub(crate) struct SessionRow {
    id: String,
    device: String,
    address: String,
    last_used: String,
}

pub(crate) struct EntryRow {
    when: String,
    action: String,
    by: String,
    changes: String,
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    chrome: Chrome,
    nav: Nav,
    form_token: String,
    notice: Option<String>,
    problems: Vec<String>,
    back: String,
    user: UserDetail,
    status: UserStatus,
    created: String,
    last_sign_in: String,
    rights: RightsOver,
    memberships: Vec<MembershipRow>,
    roles: [Role; 4],
    heirs: Vec<(String, String)>,
    owns_accounts: bool,
    sessions: Option<Vec<SessionRow>>,
    activity: Vec<EntryRow>,
    older: Option<String>,
    chart: String,
}

/// The notices a form of this page may name when it comes back (`?notice=`): no text of a
/// request is ever echoed.
const NOTICES: [(&str, &str); 7] = [
    ("suspended", "The user is suspended: their sessions are signed out."),
    ("reactivated", "The user is active again."),
    ("scope-saved", "The membership is saved."),
    ("session-revoked", "That session is signed out."),
    ("sessions-revoked", "Every session of the user is signed out."),
    ("two-factor-reset", "Two-factor authentication is off; the user was told by email."),
    ("deleted", "The user is deleted."),
];

/// `GET /console/users/{id}`.
pub(crate) async fn page_of(
    state: &AppState,
    staff: &Staff,
    id: UserId,
    params: UserParams,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
    match read(state, staff, id, params, problems).await {
        Ok(user_page) => crate::render::page(status, user_page.render()),
        Err(response) => response,
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    staff: Staff,
    PathId(id): PathId<UserId>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params: UserParams = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    page_of(&state, &staff, id, params, Vec::new(), StatusCode::OK).await
}

async fn read(
    state: &AppState,
    staff: &Staff,
    id: UserId,
    params: UserParams,
    mut problems: Vec<String>,
) -> Result<UserPage, Response> {
    let core = &state.core;
    let actor = &staff.visitor.actor;
    let zone = actor.user.timezone.as_str();
    let user = core.get_user(actor, id).await.map_err(render::core_error)?;
    let rights = core.rights_over(actor, id).await.map_err(render::core_error)?;
    let associated = core.associated(actor, id).await.map_err(render::core_error)?;
    let scope_keepers: Vec<AccountId> = core
        .accounts_with(actor, &Scope::USERS_SCOPE)
        .await
        .map_err(render::core_error)?
        .into_iter()
        .map(|(a, _)| a.id)
        .collect();
    let mut memberships = Vec::new();
    for (account, _) in &associated.accounts {
        let explaining = params.why_account == account.id.to_string() && !params.why.is_empty();
        let check = explaining.then_some(params.why.as_str());
        let explained = match core.user_permissions(actor, id, Some(account.id), check).await {
            Ok(explained) => explained,
            Err(roster_core::CoreError::Validation(_)) => {
                core.user_permissions(actor, id, Some(account.id), None).await.map_err(render::core_error)?
            }
            Err(roster_core::CoreError::NotFound | roster_core::CoreError::Forbidden(_)) => continue,
            Err(err) => return Err(render::core_error(err)),
        };
        let Some(perms) = explained.perms else { continue };
        let list = |scopes: &[Scope]| scopes.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ");
        let inherited = match &perms.source {
            roster_domain::permissions::Source::Inherited { from_name, from_account } => {
                Some(from_name.clone().unwrap_or_else(|| from_account.to_string()))
            }
            _ => None,
        };
        let editable = actor.user.id != id
            && inherited.is_none()
            && (actor.user.platform_admin || scope_keepers.contains(&account.id));
        memberships.push(MembershipRow {
            account_id: account.id.to_string(),
            account: account.name.clone(),
            role: perms.role,
            grant: list(&perms.grant),
            deny: list(&perms.deny),
            inherited,
            scopes: Scope::all_known().iter().map(|s| (s.as_str().to_owned(), perms.allows(s))).collect(),
            editable,
            why: explained.check,
        });
    }
    let owned: Vec<AccountId> =
        associated.accounts.iter().filter(|(_, role)| *role == Role::Owner).map(|(a, _)| a.id).collect();
    let mut heirs = Vec::new();
    if rights.delete && !owned.is_empty() {
        for account in &owned {
            let paging = roster_core::users::Paging { limit: Some(100), ..Default::default() };
            let filters = roster_core::users::UserFilters { status: Some("active".into()), ..Default::default() };
            if let Ok(list) = core.list_members(actor, *account, filters, paging).await {
                for (member, _) in list.members {
                    let value = member.user.id.to_string();
                    if member.user.id != id && !heirs.iter().any(|(v, _)| *v == value) {
                        heirs.push((value, format!("{} <{}>", member.user.name, member.user.email)));
                    }
                }
            }
        }
    }
    let sessions = if rights.oversee {
        let listed = core.user_sessions(actor, id).await.map_err(render::core_error)?;
        Some(
            listed
                .into_iter()
                .map(|s| SessionRow {
                    id: s.id.to_string(),
                    device: s.user_agent.unwrap_or_else(|| "Unknown device".to_owned()),
                    address: s.ip.unwrap_or_default(),
                    last_used: local_time(zone, s.last_seen_at.get()),
                })
                .collect(),
        )
    } else {
        None
    };
    let cursor = Some(params.activity.as_str()).filter(|c| !c.is_empty());
    let (activity, older) = match core.user_activity(actor, id, Some(20), cursor).await {
        Ok(found) => (
            found
                .entries
                .into_iter()
                .map(|e| EntryRow {
                    when: local_time(zone, e.at),
                    action: e.action.as_str().to_owned(),
                    by: match e.actor_id {
                        Some(by) if by == id => "the user".to_owned(),
                        Some(by) if by == actor.user.id => "you".to_owned(),
                        Some(by) => by.to_string(),
                        None => "Roster".to_owned(),
                    },
                    changes: changes_text(&e.changes),
                })
                .collect(),
            found.next_cursor,
        ),
        Err(err) => {
            problems.push(message_of(err)?);
            (Vec::new(), None)
        }
    };
    let days = core.sign_ins_per_day(actor, id, 30).await.map_err(render::core_error)?;
    let day_bars: Vec<Bar> = days
        .days
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let label = format!("{}-{:02}", u8::from(day.month()), day.day());
            // One date in five under the bars; every day in the text alternative.
            Bar { tick: (i % 5 == 0).then(|| label.clone()), label, value: u64::from(*n) }
        })
        .collect();
    let notice = NOTICES.iter().find(|(key, _)| *key == params.notice).map(|(_, text)| (*text).to_owned());
    Ok(UserPage {
        chrome: staff.chrome(state).await,
        nav: staff.nav("users"),
        form_token: staff.visitor.form_token.clone(),
        notice,
        problems,
        back: if params.account.is_empty() { String::new() } else { format!("account={}", params.account) },
        status: user.user.status,
        created: local_time(zone, user.user.created_at),
        last_sign_in: user.user.last_login_at.map_or_else(|| "never".to_owned(), |t| local_time(zone, t)),
        chart: bars("Sign-ins per day, last 30 days", &day_bars),
        user,
        rights,
        memberships,
        roles: [Role::Viewer, Role::Member, Role::Admin, Role::Owner],
        owns_accounts: !owned.is_empty(),
        heirs,
        sessions,
        activity,
        older,
    })
}
