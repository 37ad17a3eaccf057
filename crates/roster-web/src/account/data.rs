//! The accounts of `/account` (which one the session acts in) and the person's data: the
//! export to download, and deleting the account (the password asked again; an account the person
//! alone owns is handed over or refused, as the API does).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use roster_domain::{AccountId, UserId};
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use uuid::Uuid;

use super::page::{failed, show};
use crate::cookies::{self, Cookie};
use crate::forms::{Nothing, SignedForm};
use crate::outcome::{Outcome, done};

#[derive(Deserialize)]
pub(crate) struct SwitchForm {
    #[serde(default)]
    account: String,
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    password: String,
    /// The email address of the member who takes over the accounts the person alone owns.
    #[serde(default)]
    heir: String,
}

pub(crate) async fn switch_account(
    State(state): State<AppState>,
    SignedForm { visitor, form }: SignedForm<SwitchForm>,
) -> Response {
    let Ok(id) = Uuid::parse_str(form.account.trim()) else { return crate::render::bad_form() };
    match state.core.switch_account(&visitor.actor, AccountId::from_uuid(id)).await {
        Ok(_) => done("account-switched", "accounts"),
        Err(err) => failed(&state, &visitor, "accounts", err).await,
    }
}

/// "Download my data": the document of the API's export, as a file.
pub(crate) async fn export(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let me = visitor.actor.user.id;
    match state.core.export_user(&visitor.actor, me, &meta).await {
        Ok(export) => {
            let document = roster_http::views::export::UserExport::from(export);
            let disposition = format!("attachment; filename=\"roster-user-{me}.json\"");
            match serde_json::to_vec_pretty(&document) {
                Ok(body) => (
                    [
                        (header::CONTENT_TYPE, "application/json".to_owned()),
                        (header::CONTENT_DISPOSITION, disposition),
                        (header::CACHE_CONTROL, "no-store".to_owned()),
                    ],
                    body,
                )
                    .into_response(),
                Err(err) => crate::render::core_error(roster_core::CoreError::Internal(err.to_string())),
            }
        }
        Err(err) => failed(&state, &visitor, "data", err).await,
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<DeleteForm>,
) -> Response {
    let actor = &visitor.actor;
    if let Err(err) = state.core.check_own_password(actor, &form.password, &meta).await {
        return failed(&state, &visitor, "delete", err).await;
    }
    let heir = match heir(&state, actor, form.heir.trim()).await {
        Ok(Some(heir)) => heir,
        Ok(None) => {
            let message = "No other member of your accounts has that address.";
            let outcome = Outcome::error(StatusCode::UNPROCESSABLE_ENTITY, "delete-heir", message);
            return show(&state, &visitor, outcome.keep("delete-heir", &form.heir)).await;
        }
        Err(err) => return crate::render::core_error(err),
    };
    match state.core.delete_user(actor, actor.user.id, heir, false, &meta).await {
        Ok(_) => {
            let secure = cookies::secure(&state.core.config.public_url);
            let mut response = Redirect::to("/sign-in?notice=deleted").into_response();
            response.headers_mut().append(header::SET_COOKIE, cookies::clear(Cookie::Session, secure));
            response
        }
        Err(err) => failed(&state, &visitor, "delete", err).await,
    }
}

/// The member named by address who takes over, among the members of the person's accounts:
/// `Some(None)` when no address was given, `None` when nobody else there has it.
async fn heir(
    state: &AppState,
    actor: &roster_core::Actor,
    address: &str,
) -> Result<Option<Option<UserId>>, roster_core::CoreError> {
    if address.is_empty() {
        return Ok(Some(None));
    }
    let wanted = roster_domain::email::normalize_email(address);
    let profile = state.core.profile(actor).await?;
    for account in &profile.accounts {
        let filters = roster_core::users::list::UserFilters { q: Some(wanted.clone()), ..Default::default() };
        let paging = roster_core::users::list::Paging { limit: Some(100), ..Default::default() };
        let Ok(list) = state.core.list_members(actor, account.account_id, filters, paging).await else { continue };
        if let Some((user, _)) = list.members.iter().find(|(u, _)| {
            u.user.id != actor.user.id
                && u.emails.iter().any(|e| roster_domain::email::normalize_email(&e.address) == wanted)
        }) {
            return Ok(Some(Some(user.user.id)));
        }
    }
    Ok(None)
}
