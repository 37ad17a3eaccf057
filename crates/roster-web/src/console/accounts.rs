//! `/console/accounts`: the tree of accounts and sub-accounts the caller reads (each level
//! expands and collapses; the tree is at most 8 levels deep), and each account's page: its
//! members (search, role, paging, "Add member" by email, "Remove"), its workspaces with their
//! members, and "Who can…": the people holding a scope there, each with the reason.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::accounts::input::AddMember;
use roster_core::users::{Paging, UserFilters};
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::Account;
use roster_domain::{AccountId, UserId};
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, PathId, Staff, message_of};
use crate::chrome::Chrome;
use crate::forms::SignedForm;
use crate::render;

/// How deep the tree goes: a top-level account and 7 levels of sub-accounts.
const MAX_DEPTH: usize = 8;

/// The tree, flattened in the order it is drawn.
pub(crate) enum TreeItem {
    /// An account with sub-accounts: its level opens.
    Open { id: String, name: String, role: &'static str },
    /// An account without sub-accounts (or at the deepest level).
    Leaf { id: String, name: String, role: &'static str },
    /// The end of the level that the last `Open` began.
    Close,
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    nav: Nav,
    tree: Vec<TreeItem>,
}

/// Draw `parent`'s sub-accounts among `all`, at `depth`.
fn grow(tree: &mut Vec<TreeItem>, all: &[(Account, Role)], parent: Option<AccountId>, depth: usize, roots: bool) {
    let ids: HashSet<AccountId> = all.iter().map(|(a, _)| a.id).collect();
    for (account, role) in all {
        let here = if roots {
            account.parent_id.is_none_or(|p| !ids.contains(&p))
        } else {
            account.parent_id == parent && parent.is_some()
        };
        if !here {
            continue;
        }
        let has_children = depth + 1 < MAX_DEPTH && all.iter().any(|(a, _)| a.parent_id == Some(account.id));
        let (id, name, role) = (account.id.to_string(), account.name.clone(), role.as_str());
        if has_children {
            tree.push(TreeItem::Open { id, name, role });
            grow(tree, all, Some(account.id), depth + 1, false);
            tree.push(TreeItem::Close);
        } else {
            tree.push(TreeItem::Leaf { id, name, role });
        }
    }
}

/// `GET /console/accounts`.
pub(crate) async fn tree(State(state): State<AppState>, staff: Staff) -> Response {
    let readable = match state.core.accounts_with(&staff.visitor.actor, &Scope::ACCOUNTS_READ).await {
        Ok(readable) => readable,
        Err(err) => return render::core_error(err),
    };
    let mut tree = Vec::new();
    grow(&mut tree, &readable, None, 0, true);
    let rendered = AccountsPage { chrome: staff.chrome(&state).await, nav: staff.nav("accounts"), tree }.render();
    render::page(StatusCode::OK, rendered)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AccountParams {
    q: String,
    cursor: String,
    scope: String,
    notice: String,
}

pub(crate) struct MemberRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    status: &'static str,
}

pub(crate) struct WorkspaceRow {
    name: String,
    members: Vec<String>,
}

pub(crate) struct HolderRow {
    name: String,
    email: String,
    role: String,
    because: String,
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    chrome: Chrome,
    nav: Nav,
    form_token: String,
    notice: Option<String>,
    problems: Vec<String>,
    account: Account,
    parent: Option<(String, String)>,
    params: AccountParams,
    members: Vec<MemberRow>,
    next: Option<String>,
    may_add: bool,
    may_remove: bool,
    workspaces: Option<Vec<WorkspaceRow>>,
    scopes: Vec<String>,
    holders: Option<Vec<HolderRow>>,
    roles: [Role; 4],
}

const NOTICES: [(&str, &str); 2] = [("removed", "The member is removed."), ("added", "Done: see the member below.")];

fn account_id(raw: &str) -> Result<AccountId, Response> {
    Uuid::parse_str(raw).map(AccountId::from_uuid).map_err(|_| render::not_found())
}

/// `GET /console/accounts/{id}`.
pub(crate) async fn account(
    State(state): State<AppState>,
    staff: Staff,
    PathId(id): PathId<AccountId>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params: AccountParams = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    show(&state, &staff, id, params, Vec::new(), StatusCode::OK).await
}

async fn show(
    state: &AppState,
    staff: &Staff,
    id: AccountId,
    params: AccountParams,
    mut problems: Vec<String>,
    status: StatusCode,
) -> Response {
    let core = &state.core;
    let actor = &staff.visitor.actor;
    let account = match core.get_account(actor, id).await {
        Ok(account) => account,
        Err(err) => return render::core_error(err),
    };
    let parent = match account.parent_id {
        Some(parent) => core.get_account(actor, parent).await.ok().map(|p| (p.id.to_string(), p.name)),
        None => None,
    };
    let mine = core.my_permissions(actor, id).await.ok().flatten();
    let holds = |scope: &Scope| mine.as_ref().is_some_and(|p| p.allows(scope));
    let filters = UserFilters { q: Some(params.q.clone()).filter(|q| !q.trim().is_empty()), ..UserFilters::default() };
    let paging =
        Paging { limit: Some(20), cursor: Some(params.cursor.clone()).filter(|c| !c.is_empty()), ..Paging::default() };
    let (members, next) = match core.list_members(actor, id, filters, paging).await {
        Ok(list) => (
            list.members
                .iter()
                .map(|(u, m)| MemberRow {
                    id: u.user.id.to_string(),
                    name: u.user.name.clone(),
                    email: u.user.email.clone(),
                    role: m.role.as_str(),
                    status: u.user.status.as_str(),
                })
                .collect(),
            list.next_cursor.map(|cursor| {
                serde_urlencoded::to_string([("q", params.q.as_str()), ("cursor", &cursor)]).unwrap_or_default()
            }),
        ),
        Err(roster_core::CoreError::Forbidden(_)) => (Vec::new(), None),
        Err(err) => match message_of(err) {
            Ok(message) => {
                problems.push(message);
                (Vec::new(), None)
            }
            Err(page) => return page,
        },
    };
    let workspaces = match core.list_workspaces(actor, id, Some(100), None).await {
        Ok(page) => {
            let mut rows = Vec::new();
            for workspace in page.items {
                let members = core
                    .workspace_members(actor, workspace.id, Some(100), None)
                    .await
                    .map(|p| p.items.into_iter().map(|m| format!("{} ({})", m.name, m.member.role.as_str())).collect())
                    .unwrap_or_default();
                rows.push(WorkspaceRow { name: workspace.name, members });
            }
            Some(rows)
        }
        Err(_) => None,
    };
    let holders = if params.scope.is_empty() {
        None
    } else {
        match core.who_can(actor, id, Some(&params.scope), false, Some(100), None).await {
            Ok(page) => Some(
                page.items
                    .into_iter()
                    .map(|h| HolderRow {
                        name: h.name,
                        email: h.email,
                        role: h.role.map_or_else(|| "platform admin".to_owned(), |r| r.as_str().to_owned()),
                        because: h.because,
                    })
                    .collect(),
            ),
            Err(err) => match message_of(err) {
                Ok(message) => {
                    problems.push(message);
                    None
                }
                Err(page) => return page,
            },
        }
    };
    let notice = NOTICES.iter().find(|(k, _)| *k == params.notice).map(|(_, t)| (*t).to_owned());
    let rendered = AccountPage {
        chrome: staff.chrome(state).await,
        nav: staff.nav("accounts"),
        form_token: staff.visitor.form_token.clone(),
        notice,
        problems,
        account,
        parent,
        params,
        members,
        next,
        may_add: holds(&Scope::USERS_CREATE),
        may_remove: holds(&Scope::USERS_DELETE),
        workspaces,
        scopes: Scope::all_known().iter().map(|s| s.as_str().to_owned()).collect(),
        holders,
        roles: [Role::Viewer, Role::Member, Role::Admin, Role::Owner],
    }
    .render();
    render::page(status, rendered)
}

#[derive(Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /console/accounts/{id}/members`: "Add member" by email (an existing user joins, a new
/// address is invited).
pub(crate) async fn add_member(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<AccountId>,
    SignedForm { visitor, form }: SignedForm<AddForm>,
) -> Response {
    let body =
        AddMember { email: Some(form.email), role: Some(form.role).filter(|r| !r.is_empty()), ..AddMember::default() };
    match state.core.add_member(&visitor.actor, id, body, &meta).await {
        Ok(added) => {
            let q = serde_urlencoded::to_string([("q", added.user.user.email.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/console/accounts/{id}?notice=added&{q}#members")).into_response()
        }
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

/// `POST /console/accounts/{id}/members/{user}/remove`.
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Path((id, user)): Path<(String, String)>,
    SignedForm { visitor, .. }: SignedForm<crate::forms::Nothing>,
) -> Response {
    let id = match account_id(&id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let Ok(user) = Uuid::parse_str(&user).map(UserId::from_uuid) else { return render::not_found() };
    match state.core.remove_member(&visitor.actor, id, user, &meta).await {
        Ok(()) => Redirect::to(&format!("/console/accounts/{id}?notice=removed#members")).into_response(),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

async fn refused(
    state: &AppState,
    visitor: crate::visitor::Visitor,
    id: AccountId,
    err: roster_core::CoreError,
) -> Response {
    let message = match message_of(err) {
        Ok(message) => message,
        Err(page) => return page,
    };
    match Staff::of(state, visitor).await {
        Ok(staff) => show(state, &staff, id, AccountParams::default(), vec![message], StatusCode::CONFLICT).await,
        Err(page) => page,
    }
}
