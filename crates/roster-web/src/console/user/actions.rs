//! The forms of a user's console page. Each calls one service (the one the API's route calls),
//! then comes back to the page with a named notice, or shows the page again with the refusal.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::accounts::input::ScopeChange;
use roster_core::users::UpdateUser;
use roster_domain::{SessionId, UserId};
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use uuid::Uuid;

use super::UserParams;
use crate::console::{PathId, Staff, message_of};
use crate::forms::{Nothing, SignedForm};
use crate::render;
use crate::visitor::Visitor;

/// Back to the user's page with `notice`.
fn done(id: UserId, notice: &str) -> Response {
    Redirect::to(&format!("/console/users/{id}?notice={notice}")).into_response()
}

/// The user's page again, with the refusal `err` said at its top (or the page of the refusal:
/// a user gone is 404).
async fn refused(state: &AppState, visitor: Visitor, id: UserId, err: roster_core::CoreError) -> Response {
    let message = match message_of(err) {
        Ok(message) => message,
        Err(page) => return page,
    };
    match Staff::of(state, visitor).await {
        Ok(staff) => {
            super::page_of(state, &staff, id, UserParams::default(), vec![message], StatusCode::CONFLICT).await
        }
        Err(page) => page,
    }
}

fn user_id(raw: &str) -> Result<UserId, Response> {
    Uuid::parse_str(raw).map(UserId::from_uuid).map_err(|_| render::not_found())
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    #[serde(default)]
    status: String,
}

/// `POST /console/users/{id}/status`: suspend (the user's sessions end at once) or reactivate.
pub(crate) async fn set_status(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<UserId>,
    SignedForm { visitor, form }: SignedForm<StatusForm>,
) -> Response {
    let (status, notice) = match form.status.as_str() {
        "suspended" => ("suspended", "suspended"),
        "active" => ("active", "reactivated"),
        _ => return render::bad_form(),
    };
    let update = UpdateUser { status: Some(Some(status.to_owned())), ..UpdateUser::default() };
    match state.core.update_user(&visitor.actor, id, update, None, &meta).await {
        Ok(_) => done(id, notice),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    transfer_to: String,
}

/// `POST /console/users/{id}/delete`: delete the user, passing the accounts it solely owns to
/// the chosen member.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<UserId>,
    SignedForm { visitor, form }: SignedForm<DeleteForm>,
) -> Response {
    let heir = match form.transfer_to.as_str() {
        "" => None,
        raw => match Uuid::parse_str(raw) {
            Ok(heir) => Some(UserId::from_uuid(heir)),
            Err(_) => return render::bad_form(),
        },
    };
    match state.core.delete_user(&visitor.actor, id, heir, false, &meta).await {
        Ok(_) => Redirect::to("/console/users?notice=deleted").into_response(),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct ScopeForm {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    grant: String,
    #[serde(default)]
    deny: String,
}

/// Scopes typed into a field, separated by spaces or commas.
fn scopes(text: &str) -> Vec<String> {
    text.split([' ', ',', '\n', '\r', '\t']).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `POST /console/users/{id}/scope`: the user's role, grants and denies in one account.
pub(crate) async fn save_scope(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<UserId>,
    SignedForm { visitor, form }: SignedForm<ScopeForm>,
) -> Response {
    let Ok(account) = Uuid::parse_str(&form.account_id) else { return render::bad_form() };
    let change = ScopeChange {
        account_id: Some(account),
        role: Some(form.role),
        grant: Some(scopes(&form.grant)),
        deny: Some(scopes(&form.deny)),
    };
    match state.core.update_scope(&visitor.actor, id, change, &meta).await {
        Ok(_) => done(id, "scope-saved"),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

/// `POST /console/users/{id}/sessions/{session}/revoke`.
pub(crate) async fn revoke_session(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Path((id, session)): Path<(String, String)>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let id = match user_id(&id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let Ok(session) = Uuid::parse_str(&session).map(SessionId::from_uuid) else { return render::not_found() };
    match state.core.end_user_sessions(&visitor.actor, id, Some(session), &meta).await {
        Ok(_) => done(id, "session-revoked"),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

/// `POST /console/users/{id}/sessions/revoke-all`: "Sign out everywhere".
pub(crate) async fn revoke_all_sessions(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<UserId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    match state.core.end_user_sessions(&visitor.actor, id, None, &meta).await {
        Ok(_) => done(id, "sessions-revoked"),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}

/// `POST /console/users/{id}/two-factor/reset`: "Reset two-factor".
pub(crate) async fn reset_two_factor(
    State(state): State<AppState>,
    Meta(meta): Meta,
    PathId(id): PathId<UserId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    match state.core.reset_user_mfa(&visitor.actor, id, &meta).await {
        Ok(()) => done(id, "two-factor-reset"),
        Err(err) => refused(&state, visitor, id, err).await,
    }
}
