//! The email addresses and phone numbers of `/account`: add, confirm, make primary, remove.

use axum::extract::{Path, State};
use axum::response::Response;
use roster_core::users::emails::AddEmail;
use roster_core::users::phones::{NewPhone, PhoneChange};
use roster_domain::PhoneId;
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;

use super::page::{failed, show};
use crate::forms::{Nothing, SignedForm};
use crate::outcome::{done, outcome_of};

#[derive(Deserialize)]
pub(crate) struct NewEmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct AddressForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct NewPhoneForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    label: String,
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    resend: Option<String>,
}

pub(crate) async fn add_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<NewEmailForm>,
) -> Response {
    let input = AddEmail { email: form.email.clone(), password: form.password, primary: false };
    match state.core.add_email(&visitor.actor, input, &meta).await {
        Ok(()) => done("email-added", "emails"),
        // What was typed comes back (never the password).
        Err(err) => match outcome_of("new-email", err) {
            Ok(outcome) => show(&state, &visitor, outcome.keep("new-email-email", &form.email)).await,
            Err(page) => page,
        },
    }
}

/// Make a confirmed address the sign-in one (asks for the password, as the API does).
pub(crate) async fn primary_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<AddressForm>,
) -> Response {
    let input = AddEmail { email: form.email, password: form.password, primary: true };
    match state.core.add_email(&visitor.actor, input, &meta).await {
        Ok(()) => done("email-primary", "emails"),
        Err(err) => failed(&state, &visitor, "primary-email", err).await,
    }
}

pub(crate) async fn remove_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<AddressForm>,
) -> Response {
    match state.core.remove_email(&visitor.actor, &form.email, &meta).await {
        Ok(_) => done("email-removed", "emails"),
        Err(err) => failed(&state, &visitor, "emails", err).await,
    }
}

pub(crate) async fn add_phone(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<NewPhoneForm>,
) -> Response {
    let label = Some(form.label).filter(|l| !l.is_empty());
    let new = NewPhone { number: form.number, label, primary: None };
    let me = visitor.actor.user.id;
    match state.core.add_phone(&visitor.actor, me, new, &meta).await {
        Ok(_) => done("phone-added", "phones"),
        Err(err) => failed(&state, &visitor, "new-phone", err).await,
    }
}

pub(crate) async fn verify_phone(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Path(id): Path<PhoneId>,
    SignedForm { visitor, form }: SignedForm<CodeForm>,
) -> Response {
    let resend = form.resend.is_some();
    let change = if resend {
        PhoneChange { resend: true, ..PhoneChange::default() }
    } else {
        PhoneChange { code: Some(form.code.trim().to_owned()), ..PhoneChange::default() }
    };
    let me = visitor.actor.user.id;
    match state.core.change_phone(&visitor.actor, me, id, change, &meta).await {
        Ok(_) if resend => done("phone-code-sent", "phones"),
        Ok(_) => done("phone-verified", "phones"),
        Err(err) => failed(&state, &visitor, &format!("phone-{id}"), err).await,
    }
}

pub(crate) async fn primary_phone(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Path(id): Path<PhoneId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let me = visitor.actor.user.id;
    let change = PhoneChange { primary: Some(true), ..PhoneChange::default() };
    match state.core.change_phone(&visitor.actor, me, id, change, &meta).await {
        Ok(_) => done("phone-primary", "phones"),
        Err(err) => failed(&state, &visitor, "phones", err).await,
    }
}

pub(crate) async fn remove_phone(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Path(id): Path<PhoneId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let me = visitor.actor.user.id;
    match state.core.remove_phone(&visitor.actor, me, id, &meta).await {
        Ok(()) => done("phone-removed", "phones"),
        Err(err) => failed(&state, &visitor, "phones", err).await,
    }
}
