//! What a form of a page (`/account`, the console) leaves for the page it comes back to: a notice (named, from a
//! fixed table, after a redirect), errors beside the fields, what was typed, and the secrets
//! shown once (the TOTP set-up, new recovery codes).

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::CoreError;
use roster_core::auth::totp::Enrolment;

use crate::render;

/// What a form leaves for the page it comes back to.
#[derive(Default)]
pub(crate) struct Outcome {
    pub status: Option<StatusCode>,
    pub notice: Option<String>,
    /// Messages by the id of the field (or form) they belong to.
    pub errors: Vec<(String, String)>,
    /// What a form sent, to fill it in again beside its errors.
    pub kept: Vec<(String, String)>,
    /// Two-factor set-up in progress: the QR code and secret.
    pub enrolment: Option<Enrolment>,
    /// New recovery codes, shown this once.
    pub recovery_codes: Option<Vec<String>>,
}

impl Outcome {
    pub(crate) fn error(status: StatusCode, field: &str, message: impl Into<String>) -> Self {
        Self { status: Some(status), errors: vec![(field.to_owned(), message.into())], ..Self::default() }
    }

    pub(crate) fn keep(mut self, field: &str, value: &str) -> Self {
        self.kept.push((field.to_owned(), value.to_owned()));
        self
    }
}

/// The notices a redirect may name (`?notice=`), so no text of a request is ever echoed.
pub(crate) const NOTICES: [(&str, &str); 20] = [
    ("welcome", "Welcome! We sent you an email: open its link to confirm your address."),
    ("profile-saved", "Your profile is saved."),
    ("email-added", "We sent a confirmation link to the new address. It is added once you open it."),
    ("email-primary", "You now sign in with that address."),
    ("email-removed", "The address is removed."),
    ("phone-added", "We sent a code to the new number: enter it below."),
    ("phone-code-sent", "We sent a new code."),
    ("phone-verified", "The number is verified."),
    ("phone-primary", "That number is now your primary one."),
    ("phone-removed", "The number is removed."),
    ("password-changed", "Your password is changed. Your other sessions were signed out."),
    ("two-factor-off", "Two-factor authentication is off."),
    ("session-revoked", "That session is signed out."),
    ("others-revoked", "Every other session is signed out."),
    ("notifications-saved", "Your notification choices are saved."),
    ("device-removed", "The device will no longer get push notifications."),
    ("calendar-added", "The calendar is added; its events appear after the first sync."),
    ("calendar-removed", "The calendar is removed."),
    ("account-switched", "You switched accounts."),
    ("announcement", "Done."),
];

/// What a failed form of `form` shows on the page, or the page of a failure that is not the
/// form's.
pub(crate) fn outcome_of(form: &str, err: CoreError) -> Result<Outcome, Response> {
    use roster_core::error::Denied;
    let at = |field: &str| if field.is_empty() { form.to_owned() } else { format!("{form}-{field}") };
    let (status, errors) = match err {
        CoreError::Validation(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .into_iter()
                .map(|p| (at(p.field.as_str()), format!("{}.", render::capitalized(&p.message))))
                .collect(),
        ),
        CoreError::Forbidden(Denied::WrongPassword) => {
            (StatusCode::FORBIDDEN, vec![(at("password"), "That password is not right.".to_owned())])
        }
        CoreError::InvalidCredentials => {
            (StatusCode::UNPROCESSABLE_ENTITY, vec![(at("code"), "That code is not right.".to_owned())])
        }
        CoreError::TooManyAttempts { retry_after } | CoreError::RateLimited { retry_after } => {
            (StatusCode::TOO_MANY_REQUESTS, vec![(at(""), render::too_many_message(retry_after))])
        }
        CoreError::EmailTaken => {
            (StatusCode::CONFLICT, vec![(at("email"), "That address belongs to another account.".to_owned())])
        }
        CoreError::PhoneTaken => {
            (StatusCode::CONFLICT, vec![(at("number"), "You have that number already.".to_owned())])
        }
        CoreError::PrimaryEmail => (
            StatusCode::CONFLICT,
            vec![(at(""), "You sign in with that address: make another one primary first.".to_owned())],
        ),
        CoreError::LastOwner => (
            StatusCode::CONFLICT,
            vec![(
                at(""),
                "You are the only owner of an account: choose who takes it over, or make another member an owner first."
                    .to_owned(),
            )],
        ),
        CoreError::Conflict(clash) => {
            (StatusCode::CONFLICT, vec![(at(""), format!("{}.", render::capitalized(&clash.to_string())))])
        }
        CoreError::BadRequest(message) => {
            (StatusCode::BAD_REQUEST, vec![(at(""), format!("{}.", render::capitalized(&message)))])
        }
        other => return Err(render::core_error(other)),
    };
    Ok(Outcome { status: Some(status), errors, ..Outcome::default() })
}

/// A redirect back to the page with one of the notices above, at `section`.
pub(crate) fn done(notice: &str, section: &str) -> Response {
    let location = format!("/account?notice={notice}#{section}");
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Whether htmx sent the request (it then swaps the answer into the page).
pub(crate) fn from_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}
