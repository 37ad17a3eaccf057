//! The four link pages: a GET that looks at the token and shows a button or a form, and the
//! POST of that form, which calls the same core service as the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_core::CoreError;
use roster_core::auth::Link;
use serde::Deserialize;

use roster_http::AppState;
use roster_http::extract::meta::Meta;

use crate::chrome::Chrome;
use crate::forms::Posted;
use crate::render::{self, capitalized, page};

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// What the forms post. No `Debug`: it holds a token and passwords.
#[derive(Deserialize, Default)]
pub(crate) struct LinkForm {
    #[serde(default)]
    token: String,
    new_password: Option<String>,
    confirm_password: Option<String>,
    mfa_code: Option<String>,
}

#[derive(Template)]
#[template(path = "links/action.html")]
struct ActionPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    lead: &'a str,
    action: &'a str,
    button: &'a str,
    token: &'a str,
}

#[derive(Template)]
#[template(path = "links/password.html")]
struct PasswordPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    lead: &'a str,
    action: &'a str,
    button: &'a str,
    token: &'a str,
    min_length: usize,
    mfa: bool,
    problem: Option<String>,
    new_password_error: Option<String>,
    confirm_error: Option<String>,
    code_error: Option<String>,
}

#[derive(Template)]
#[template(path = "links/result.html")]
struct ResultPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
    next: Option<&'a str>,
    success: bool,
}

/// What each link is, in words.
struct Kind {
    link: Link,
    path: &'static str,
    heading: &'static str,
    lead: &'static str,
    button: &'static str,
    done: &'static str,
    /// How to get a new link when this one is spent.
    renew: &'static str,
}

const VERIFY: Kind = Kind {
    link: Link::VerifyEmail,
    path: "/verify-email",
    heading: "Verify your email address",
    lead: "Press the button to confirm that this address is yours.",
    button: "Verify email",
    done: "Your email address is verified. You can close this page.",
    renew: "Sign in and ask for a new verification email.",
};
const CONFIRM: Kind = Kind {
    link: Link::ConfirmEmail,
    path: "/confirm-email",
    heading: "Confirm your new email address",
    lead: "Press the button to confirm that this address is yours and add it to your account.",
    button: "Confirm email",
    done: "Your email address is confirmed. You can close this page.",
    renew: "Add the address again from your account to get a new link.",
};
const RESET: Kind = Kind {
    link: Link::ResetPassword,
    path: "/reset-password",
    heading: "Choose a new password",
    lead: "Your new password signs you out everywhere else.",
    button: "Set password",
    done: "Your password is set. You can sign in with it now.",
    renew: "Ask for a new link from the sign-in page (\"Forgot your password?\"); a link is good for 30 minutes.",
};
const INVITE: Kind = Kind {
    link: Link::AcceptInvite,
    path: "/accept-invite",
    heading: "Accept your invitation",
    lead: "Choose the password you will sign in with.",
    button: "Accept invitation",
    done: "Welcome! Your account is ready: you can sign in now.",
    renew: "Ask whoever invited you to send a new invitation.",
};

fn spent(kind: &Kind, status: StatusCode) -> Response {
    let message = "This link has expired or was already used.";
    page(
        status,
        ResultPage {
            chrome: Chrome::anonymous(),
            heading: kind.heading,
            message,
            next: Some(kind.renew),
            success: false,
        }
        .render(),
    )
}

fn done(kind: &Kind) -> Response {
    page(
        StatusCode::OK,
        ResultPage {
            chrome: Chrome::anonymous(),
            heading: kind.heading,
            message: kind.done,
            next: None,
            success: true,
        }
        .render(),
    )
}

/// The GET of a page: the button or form while the token is good, else how to get a new link.
async fn show(state: &AppState, kind: &Kind, token: Option<String>) -> Response {
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 256) else {
        return spent(kind, StatusCode::BAD_REQUEST);
    };
    let mfa = match state.core.link_token(kind.link, &token).await {
        Ok(Some(mfa)) => mfa,
        Ok(None) => return spent(kind, StatusCode::OK),
        Err(err) => return render::core_error(err),
    };
    match kind.link {
        Link::VerifyEmail | Link::ConfirmEmail => {
            let action = ActionPage {
                chrome: Chrome::anonymous(),
                heading: kind.heading,
                lead: kind.lead,
                action: kind.path,
                button: kind.button,
                token: &token,
            };
            page(StatusCode::OK, action.render())
        }
        Link::ResetPassword | Link::AcceptInvite => password_form(state, kind, &token, mfa, Errors::default()),
    }
}

#[derive(Default)]
struct Errors {
    problem: Option<String>,
    new_password: Option<String>,
    confirm: Option<String>,
    code: Option<String>,
}

fn password_form(state: &AppState, kind: &Kind, token: &str, mfa: bool, errors: Errors) -> Response {
    let status = if errors.problem.is_some()
        || errors.new_password.is_some()
        || errors.confirm.is_some()
        || errors.code.is_some()
    {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let form = PasswordPage {
        chrome: Chrome::anonymous(),
        heading: kind.heading,
        lead: kind.lead,
        action: kind.path,
        button: kind.button,
        token,
        min_length: state.core.config.password_policy.min_length,
        mfa,
        problem: errors.problem,
        new_password_error: errors.new_password,
        confirm_error: errors.confirm,
        code_error: errors.code,
    };
    page(status, form.render())
}

pub(crate) async fn verify_email_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    show(&state, &VERIFY, q.token).await
}

pub(crate) async fn confirm_email_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    show(&state, &CONFIRM, q.token).await
}

pub(crate) async fn reset_password_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    show(&state, &RESET, q.token).await
}

pub(crate) async fn accept_invite_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    show(&state, &INVITE, q.token).await
}

pub(crate) async fn verify_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Posted(form): Posted<LinkForm>,
) -> Response {
    match state.core.verify_email(&form.token, &meta).await {
        Ok(_) => done(&VERIFY),
        Err(CoreError::InvalidToken) => spent(&VERIFY, StatusCode::BAD_REQUEST),
        Err(err) => render::core_error(err),
    }
}

pub(crate) async fn confirm_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Posted(form): Posted<LinkForm>,
) -> Response {
    match state.core.confirm_email(&form.token, &meta).await {
        Ok(_) => done(&CONFIRM),
        Err(CoreError::InvalidToken) => spent(&CONFIRM, StatusCode::BAD_REQUEST),
        Err(err) => render::core_error(err),
    }
}

pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Posted(form): Posted<LinkForm>,
) -> Response {
    set_password(&state, &RESET, &meta, form).await
}

pub(crate) async fn accept_invite(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Posted(form): Posted<LinkForm>,
) -> Response {
    set_password(&state, &INVITE, &meta, form).await
}

async fn set_password(state: &AppState, kind: &Kind, meta: &roster_core::RequestMeta, form: LinkForm) -> Response {
    let new = form.new_password.unwrap_or_default();
    if new != form.confirm_password.unwrap_or_default() {
        let errors = Errors { confirm: Some("The two passwords are not the same.".into()), ..Errors::default() };
        return again(state, kind, &form.token, None, errors).await;
    }
    let code = form.mfa_code.filter(|c| !c.trim().is_empty());
    match state.core.complete_recovery(&form.token, &new, code.as_deref(), meta).await {
        Ok(_) => done(kind),
        Err(CoreError::InvalidToken) => spent(kind, StatusCode::BAD_REQUEST),
        Err(CoreError::Validation(problems)) => {
            let message = problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join(" ");
            let errors = Errors { new_password: Some(capitalized(&message)), ..Errors::default() };
            again(state, kind, &form.token, None, errors).await
        }
        Err(CoreError::MfaRequired) => {
            let errors =
                Errors { code: Some("Enter the code from your authenticator app.".into()), ..Errors::default() };
            again(state, kind, &form.token, Some(true), errors).await
        }
        Err(CoreError::InvalidCredentials) => {
            let errors = Errors { code: Some("That code is not right.".into()), ..Errors::default() };
            again(state, kind, &form.token, Some(true), errors).await
        }
        Err(CoreError::TooManyAttempts { .. } | CoreError::RateLimited { .. }) => {
            let errors = Errors {
                problem: Some("Too many attempts. Wait a few minutes, then try again.".into()),
                ..Errors::default()
            };
            again(state, kind, &form.token, None, errors).await
        }
        Err(err) => render::core_error(err),
    }
}

/// The form again with `errors`. Whether it asks for an MFA code is looked up only here, when it
/// is not known already: a form that succeeds needs no second look at its token.
async fn again(state: &AppState, kind: &Kind, token: &str, mfa: Option<bool>, errors: Errors) -> Response {
    let mfa = match mfa {
        Some(mfa) => mfa,
        None => match state.core.link_token(kind.link, token).await {
            Ok(Some(mfa)) => mfa,
            Ok(None) => return spent(kind, StatusCode::BAD_REQUEST),
            Err(err) => return render::core_error(err),
        },
    };
    password_form(state, kind, token, mfa, errors)
}
