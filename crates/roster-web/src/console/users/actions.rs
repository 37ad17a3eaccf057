//! The forms of the users list: the chosen columns, the bulk actions (each applied to each
//! selected user through the same service as one at a time, with each row's result shown), and
//! "Invite user".

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::accounts::input::AddMember;
use roster_core::users::input::UpdateUser;
use roster_domain::UserId;
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{COLUMNS, COLUMNS_KEY, ListParams, Population, render_list};
use crate::console::{Staff, message_of};
use crate::forms::SignedForm;

/// `POST /console/users/columns`: keep the chosen columns in the person's preferences.
pub(crate) async fn save_columns(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<Vec<(String, String)>>,
) -> Response {
    let chosen: Vec<&str> = COLUMNS
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| form.iter().any(|(name, value)| name == "column" && value == key))
        .collect();
    let patch = json!({"dashboard": {COLUMNS_KEY: chosen}});
    if let Err(err) = state.core.update_config(&visitor.actor, &patch, &meta).await {
        return crate::render::core_error(err);
    }
    let back = form.iter().find(|(name, _)| name == "back").map_or("", |(_, v)| v.as_str());
    Redirect::to(&format!("/console/users?{}", ListParams::parse(Some(back)).filters_query())).into_response()
}

/// The bulk actions of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bulk {
    Suspend,
    Reactivate,
    Remove,
}

/// `POST /console/users/bulk`: apply one action to each selected user through the same service
/// as one at a time, and show each row's result.
pub(crate) async fn bulk(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<Vec<(String, String)>>,
) -> Response {
    let staff = match Staff::of(&state, visitor).await {
        Ok(staff) => staff,
        Err(refused) => return refused,
    };
    let value = |key: &str| form.iter().find(|(name, _)| name == key).map_or("", |(_, v)| v.as_str());
    let params = ListParams::parse(Some(value("back")));
    let population = Population::of(&staff, &params);
    let action = match value("action") {
        "suspend" => Bulk::Suspend,
        "reactivate" => Bulk::Reactivate,
        "remove" => Bulk::Remove,
        _ => return crate::render::bad_form(),
    };
    let selected: Vec<&str> = form.iter().filter(|(name, _)| name == "user").map(|(_, v)| v.as_str()).collect();
    if selected.is_empty() {
        let notice = Some("Select one or more users first.".to_owned());
        return render_list(&state, &staff, params, Vec::new(), notice).await;
    }
    let actor = &staff.visitor.actor;
    let mut results = Vec::new();
    for raw in selected.into_iter().take(100) {
        let Ok(id) = Uuid::parse_str(raw).map(UserId::from_uuid) else {
            results.push((raw.to_owned(), "Not a user.".to_owned()));
            continue;
        };
        let name = match state.core.get_user(actor, id).await {
            Ok(user) => user.user.name,
            Err(_) => id.to_string(),
        };
        let outcome = match action {
            Bulk::Suspend | Bulk::Reactivate => {
                let status = if action == Bulk::Suspend { "suspended" } else { "active" };
                let update = UpdateUser { status: Some(Some(status.to_owned())), ..UpdateUser::default() };
                state
                    .core
                    .update_user(actor, id, update, None, &meta)
                    .await
                    .map(|_| if action == Bulk::Suspend { "Suspended." } else { "Reactivated." })
            }
            Bulk::Remove => match population.account() {
                Some(account) => {
                    state.core.remove_member(actor, account, id, &meta).await.map(|()| "Removed from the account.")
                }
                None => Err(roster_core::CoreError::field(
                    "account_id",
                    "required",
                    "choose an account to remove users from",
                )),
            },
        };
        let said = match outcome {
            Ok(done) => done.to_owned(),
            Err(roster_core::CoreError::NotFound) => "Not found.".to_owned(),
            Err(err) => match message_of(err) {
                Ok(message) => message,
                Err(_) => "Not done: something went wrong.".to_owned(),
            },
        };
        results.push((name, said));
    }
    render_list(&state, &staff, params, results, None).await
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    back: String,
}

/// `POST /console/users/invite`: invite an address to the listed account with a role (or add the
/// person it belongs to), as `POST /v1/accounts/:id/members` does.
pub(crate) async fn invite(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<InviteForm>,
) -> Response {
    let staff = match Staff::of(&state, visitor).await {
        Ok(staff) => staff,
        Err(refused) => return refused,
    };
    let params = ListParams::parse(Some(&form.back));
    let Some(account) = Population::of(&staff, &params).account() else {
        let notice = Some("Choose an account to invite the user to.".to_owned());
        return render_list(&state, &staff, params, Vec::new(), notice).await;
    };
    let body = AddMember {
        email: Some(form.email.clone()),
        role: Some(form.role.clone()).filter(|r| !r.is_empty()),
        ..AddMember::default()
    };
    let notice = match state.core.add_member(&staff.visitor.actor, account, body, &meta).await {
        Ok(added) if added.invited => format!("We sent an invitation to {}.", added.user.user.email),
        Ok(added) => format!("{} is now a member.", added.user.user.name),
        Err(err) => match message_of(err) {
            Ok(message) => format!("Not invited: {message}"),
            Err(page) => return page,
        },
    };
    render_list(&state, &staff, params, Vec::new(), Some(notice)).await
}
