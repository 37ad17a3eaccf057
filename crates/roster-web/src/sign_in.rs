//! Signing in and out in a browser: `/sign-in` (the password, then the code when two-factor
//! authentication is on), `/sign-out`, `/sign-up` (when sign-up is open), `/recover` (a reset
//! link by email), and `/`, which sends a person where they belong. Each calls the same service
//! as the API, so the brute-force limits, the login history and the notices are the same.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::auth::{LoginOutcome, LoginSuccess};
use roster_core::users::input::CreateUser;
use roster_core::{CoreError, SignupMode};
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use time::Duration;

use crate::chrome::Chrome;
use crate::cookies::{self, Cookie};
use crate::forms::{Nothing, Posted, SignedForm};
use crate::render::{self, capitalized, page};
use crate::visitor::{MaybeVisitor, is_local_path};

/// How long the second step's token lives (the service's own limit is the same).
const SECOND_STEP: Duration = Duration::minutes(5);

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    chrome: Chrome,
    /// `true`: the code step.
    code_step: bool,
    email: &'a str,
    next: &'a str,
    problem: Option<String>,
    notice: Option<&'a str>,
    signup_open: bool,
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage<'a> {
    chrome: Chrome,
    name: &'a str,
    email: &'a str,
    min_length: usize,
    problem: Option<String>,
    name_error: Option<String>,
    email_error: Option<String>,
    password_error: Option<String>,
}

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage<'a> {
    chrome: Chrome,
    email: &'a str,
    sent: bool,
    email_error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    notice: String,
}

/// The sign-in form as posted. No `Debug`: it holds a password.
#[derive(Deserialize)]
pub(crate) struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The code step as posted.
#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub(crate) struct SignUpForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct RecoverForm {
    #[serde(default)]
    email: String,
}

fn signup_open(state: &AppState) -> bool {
    state.core.config.signup == SignupMode::Open
}

/// Where to go after signing in: the page asked for, when it is ours.
fn destination(next: &str) -> &str {
    if is_local_path(next) && !next.starts_with("/sign-") { next } else { "/account" }
}

fn secure(state: &AppState) -> bool {
    cookies::secure(&state.core.config.public_url)
}

pub(crate) async fn home(MaybeVisitor(visitor): MaybeVisitor) -> Redirect {
    Redirect::to(if visitor.is_some() { "/account" } else { "/sign-in" })
}

fn sign_in_form(state: &AppState, status: StatusCode, email: &str, next: &str, problem: Option<String>) -> Response {
    let form = SignInPage {
        chrome: Chrome::anonymous(),
        code_step: false,
        email,
        next,
        problem,
        notice: None,
        signup_open: signup_open(state),
    };
    page(status, form.render())
}

fn code_form(state: &AppState, status: StatusCode, next: &str, problem: Option<String>) -> Response {
    let form = SignInPage {
        chrome: Chrome::anonymous(),
        code_step: true,
        email: "",
        next,
        problem,
        notice: None,
        signup_open: signup_open(state),
    };
    page(status, form.render())
}

pub(crate) async fn sign_in_page(
    State(state): State<AppState>,
    MaybeVisitor(visitor): MaybeVisitor,
    Query(query): Query<NextQuery>,
) -> Response {
    if visitor.is_some() {
        return Redirect::to(destination(&query.next)).into_response();
    }
    let notice = match query.notice.as_str() {
        "signed-out" => Some("You are signed out."),
        _ => None,
    };
    let form = SignInPage {
        chrome: Chrome::anonymous(),
        code_step: false,
        email: "",
        next: &query.next,
        problem: None,
        notice,
        signup_open: signup_open(&state),
    };
    page(StatusCode::OK, form.render())
}

/// A refused sign-in step, shown by `form` (status and message), with `Retry-After` when a limit
/// refused it; a failure that is not a refusal is its page.
fn refused(err: CoreError, form: impl FnOnce(StatusCode, String) -> Response) -> Response {
    let (status, problem, wait) = match err {
        CoreError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "Wrong email or password.".to_owned(), None),
        CoreError::AccountSuspended => (
            StatusCode::FORBIDDEN,
            "This account is suspended. Ask an administrator to reactivate it.".to_owned(),
            None,
        ),
        CoreError::TooManyAttempts { retry_after } | CoreError::RateLimited { retry_after } => {
            (StatusCode::TOO_MANY_REQUESTS, render::too_many_message(retry_after), Some(retry_after))
        }
        CoreError::Validation(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems.iter().map(|p| format!("{}: {}.", capitalized(&p.field), p.message)).collect::<Vec<_>>().join(" "),
            None,
        ),
        other => return render::core_error(other),
    };
    let mut response = form(status, problem);
    if let Some(seconds) = wait {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Posted(form): Posted<Credentials>,
) -> Response {
    let next = destination(&form.next).to_owned();
    match state.core.login(&form.email, &form.password, None, &meta).await {
        Ok(LoginOutcome::Session(done)) => signed_in(&state, &done, &next),
        Ok(LoginOutcome::MfaRequired { mfa_token }) => {
            let mut response = code_form(&state, StatusCode::OK, &next, None);
            let cookie = cookies::set(Cookie::SecondStep, secure(&state), &mfa_token, SECOND_STEP);
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(err) => refused(err, |status, problem| sign_in_form(&state, status, &form.email, &next, Some(problem))),
    }
}

pub(crate) async fn second_step(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: axum::http::HeaderMap,
    Posted(form): Posted<CodeForm>,
) -> Response {
    let next = destination(&form.next).to_owned();
    let Some(token) = cookies::read(&headers, Cookie::SecondStep, secure(&state)) else {
        let problem = "Your sign-in took too long. Sign in again.".to_owned();
        return sign_in_form(&state, StatusCode::UNAUTHORIZED, "", &next, Some(problem));
    };
    match state.core.login_mfa(&token, form.code.trim(), &meta).await {
        Ok(done) => {
            let mut response = signed_in(&state, &done, &next);
            response.headers_mut().append(header::SET_COOKIE, cookies::clear(Cookie::SecondStep, secure(&state)));
            response
        }
        Err(CoreError::InvalidToken) => {
            let problem = "Your sign-in took too long or had too many wrong codes. Sign in again.".to_owned();
            let mut response = sign_in_form(&state, StatusCode::UNAUTHORIZED, "", &next, Some(problem));
            response.headers_mut().append(header::SET_COOKIE, cookies::clear(Cookie::SecondStep, secure(&state)));
            response
        }
        Err(CoreError::InvalidCredentials) => {
            code_form(&state, StatusCode::UNAUTHORIZED, &next, Some("That code is not right.".to_owned()))
        }
        Err(err) => refused(err, |status, problem| code_form(&state, status, &next, Some(problem))),
    }
}

/// The session cookie of a new session, and on to `next`.
fn signed_in(state: &AppState, done: &LoginSuccess, next: &str) -> Response {
    let lifetime = done.expires_at - state.core.clock.now();
    let cookie = cookies::set(Cookie::Session, secure(state), &done.token, lifetime);
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub(crate) async fn sign_out(State(state): State<AppState>, signed: SignedForm<Nothing>) -> Response {
    if let Err(err) = state.core.logout(&signed.visitor.actor).await {
        return render::core_error(err);
    }
    signed_out(&state)
}

/// Back to the sign-in page, the session cookie removed.
pub(crate) fn signed_out(state: &AppState) -> Response {
    let mut response = Redirect::to("/sign-in?notice=signed-out").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(Cookie::Session, secure(state)));
    response
}

pub(crate) async fn sign_up_page(State(state): State<AppState>, MaybeVisitor(visitor): MaybeVisitor) -> Response {
    if !signup_open(&state) {
        return render::not_found();
    }
    if visitor.is_some() {
        return Redirect::to("/account").into_response();
    }
    let form = SignUpPage {
        chrome: Chrome::anonymous(),
        name: "",
        email: "",
        min_length: state.core.config.password_policy.min_length,
        problem: None,
        name_error: None,
        email_error: None,
        password_error: None,
    };
    page(StatusCode::OK, form.render())
}

pub(crate) async fn sign_up(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Posted(form): Posted<SignUpForm>,
) -> Response {
    if !signup_open(&state) {
        return render::not_found();
    }
    let input = CreateUser {
        email: Some(form.email.clone()),
        password: Some(form.password.clone()),
        name: Some(form.name.clone()),
        ..CreateUser::default()
    };
    let mut again = SignUpPage {
        chrome: Chrome::anonymous(),
        name: &form.name,
        email: &form.email,
        min_length: state.core.config.password_policy.min_length,
        problem: None,
        name_error: None,
        email_error: None,
        password_error: None,
    };
    match state.core.create_user(None, input, &meta).await {
        Ok(_) => {}
        Err(CoreError::Validation(problems)) => {
            for p in problems {
                let message = Some(format!("{}.", capitalized(&p.message)));
                match p.field.as_str() {
                    "name" => again.name_error = message,
                    "email" => again.email_error = message,
                    "password" => again.password_error = message,
                    _ => again.problem = message,
                }
            }
            return page(StatusCode::UNPROCESSABLE_ENTITY, again.render());
        }
        Err(CoreError::EmailTaken) => {
            again.email_error = Some("An account with this address exists already. Sign in instead.".to_owned());
            return page(StatusCode::CONFLICT, again.render());
        }
        Err(err) => return render::core_error(err),
    }
    // Signed in at once with the password just chosen, like the sign-in form would.
    match state.core.login(&form.email, &form.password, None, &meta).await {
        Ok(LoginOutcome::Session(done)) => signed_in(&state, &done, "/account?notice=welcome"),
        Ok(LoginOutcome::MfaRequired { .. }) | Err(_) => Redirect::to("/sign-in").into_response(),
    }
}

pub(crate) async fn recover_page(MaybeVisitor(_): MaybeVisitor) -> Response {
    let form = RecoverPage { chrome: Chrome::anonymous(), email: "", sent: false, email_error: None };
    page(StatusCode::OK, form.render())
}

pub(crate) async fn recover(State(state): State<AppState>, Posted(form): Posted<RecoverForm>) -> Response {
    let email = form.email.trim();
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        let again = RecoverPage {
            chrome: Chrome::anonymous(),
            email,
            sent: false,
            email_error: Some("Enter the email address you sign in with.".to_owned()),
        };
        return page(StatusCode::UNPROCESSABLE_ENTITY, again.render());
    }
    // The same answer whether or not the address belongs to anyone (the service queues the
    // request before looking).
    match state.core.start_recovery(email).await {
        Ok(()) => page(
            StatusCode::OK,
            RecoverPage { chrome: Chrome::anonymous(), email, sent: true, email_error: None }.render(),
        ),
        Err(err) => render::core_error(err),
    }
}
