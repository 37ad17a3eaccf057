//! The password, two-factor authentication and sessions of `/account`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_domain::SessionId;
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use uuid::Uuid;

use super::page::{failed, show};
use crate::forms::{Nothing, SignedForm};
use crate::outcome::{Outcome, done, from_htmx, outcome_of};

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct CodesForm {
    #[serde(default)]
    codes: String,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<PasswordForm>,
) -> Response {
    match state.core.change_password(&visitor.actor, &form.current_password, &form.new_password, &meta).await {
        Ok(()) => done("password-changed", "password"),
        Err(err) => {
            // The service names the current password `password`, the new one `new_password`.
            let err = match err {
                roster_core::CoreError::Forbidden(roster_core::error::Denied::WrongPassword) => {
                    return show(
                        &state,
                        &visitor,
                        Outcome::error(StatusCode::FORBIDDEN, "password-current", "That password is not right."),
                    )
                    .await;
                }
                other => other,
            };
            failed(&state, &visitor, "password", err).await
        }
    }
}

/// "Set up": a new secret, shown as a QR code and as text until a code confirms it.
pub(crate) async fn set_up_two_factor(
    State(state): State<AppState>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    match state.core.start_totp(&visitor.actor).await {
        Ok(enrolment) => show(&state, &visitor, Outcome { enrolment: Some(enrolment), ..Outcome::default() }).await,
        Err(err) => failed(&state, &visitor, "two-factor", err).await,
    }
}

/// "Turn on": the first code confirms the secret; the recovery codes are shown this once.
pub(crate) async fn turn_on_two_factor(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<CodeForm>,
) -> Response {
    match state.core.confirm_totp(&visitor.actor, form.code.trim(), &meta).await {
        Ok(codes) => {
            let notice = Some("Two-factor authentication is on.".to_owned());
            show(&state, &visitor, Outcome { notice, recovery_codes: Some(codes), ..Outcome::default() }).await
        }
        Err(err) => match outcome_of("two-factor", err) {
            // A wrong code keeps the set-up on the page: the same secret, another try.
            Ok(outcome) => match state.core.pending_totp(&visitor.actor).await {
                Ok(enrolment) => show(&state, &visitor, Outcome { enrolment, ..outcome }).await,
                Err(err) => crate::render::core_error(err),
            },
            Err(page) => page,
        },
    }
}

pub(crate) async fn turn_off_two_factor(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<ConfirmForm>,
) -> Response {
    match state.core.disable_totp(&visitor.actor, &form.password, &meta).await {
        Ok(()) => done("two-factor-off", "two-factor"),
        Err(err) => failed(&state, &visitor, "two-factor-off", err).await,
    }
}

pub(crate) async fn new_recovery_codes(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<ConfirmForm>,
) -> Response {
    match state.core.regenerate_recovery_codes(&visitor.actor, &form.password, &meta).await {
        Ok(codes) => {
            let notice = Some("New recovery codes: the old ones no longer work.".to_owned());
            show(&state, &visitor, Outcome { notice, recovery_codes: Some(codes), ..Outcome::default() }).await
        }
        Err(err) => failed(&state, &visitor, "recovery-codes", err).await,
    }
}

/// "Download": the codes the page shows, as a text file. Nothing is read from the database (the
/// codes are stored hashed): the page sends back what it shows, and only well-formed codes are
/// written.
pub(crate) async fn download_recovery_codes(SignedForm { form, .. }: SignedForm<CodesForm>) -> Response {
    let codes: Vec<&str> = form
        .codes
        .split_whitespace()
        .filter(|c| c.len() <= 32 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
        .take(20)
        .collect();
    let body = format!(
        "Roster recovery codes\n\nEach code signs you in once when you cannot use your authenticator app.\nKeep them somewhere safe.\n\n{}\n",
        codes.join("\n")
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"roster-recovery-codes.txt\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// "Revoke": with htmx the row goes away in place; without script the page comes back.
pub(crate) async fn revoke_session(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let current = visitor.actor.session_id.as_uuid() == id;
    match state.core.revoke_session(&visitor.actor, SessionId::from_uuid(id)).await {
        Ok(()) if current => crate::sign_in::signed_out(&state),
        Ok(()) if from_htmx(&headers) => (StatusCode::OK, "").into_response(),
        Ok(()) => done("session-revoked", "sessions"),
        Err(err) => failed(&state, &visitor, "sessions", err).await,
    }
}

pub(crate) async fn revoke_other_sessions(
    State(state): State<AppState>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    match state.core.revoke_other_sessions(&visitor.actor).await {
        Ok(_) => done("others-revoked", "sessions"),
        Err(err) => failed(&state, &visitor, "sessions", err).await,
    }
}
