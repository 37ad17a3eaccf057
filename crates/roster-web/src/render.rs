//! Rendering: a template into a response, and the error pages (404, 403, 429 with its wait, 503,
//! 500) a browser gets instead of problem+json.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use roster_core::CoreError;

use crate::chrome::Chrome;

/// A rendered page with its status.
pub(crate) fn page(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!DOCTYPE html><title>Error</title><p>Something went wrong on our side."),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
}

fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    page(status, ErrorPage { chrome: Chrome::anonymous(), heading, message }.render())
}

pub(crate) fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address. Check the link, or start again from the home page.",
    )
}

/// A form posted from another site (or without the token of this session's pages).
pub(crate) fn foreign_form() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form was not sent from a page of this site, so nothing was changed. Go back, reload the page and try again.",
    )
}

/// A form whose fields cannot be read at all (not one of ours, or cut short).
pub(crate) fn bad_form() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "That did not work",
        "The form could not be read. Go back, reload the page and try again.",
    )
}

pub(crate) fn forbidden(message: &str) -> Response {
    error_page(StatusCode::FORBIDDEN, "Not allowed", message)
}

/// How long to wait, in whole minutes (at least one), as the limits' messages say it.
pub(crate) fn minutes(seconds: u64) -> u64 {
    seconds.div_ceil(60).max(1)
}

/// The message of a limit that refused an attempt.
pub(crate) fn too_many_message(seconds: u64) -> String {
    format!("Too many attempts, try again in {} minutes.", minutes(seconds))
}

pub(crate) fn too_many(seconds: u64) -> Response {
    let mut response = error_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", &too_many_message(seconds));
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

pub(crate) fn unavailable() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "Roster cannot answer right now. Try again in a moment.",
    )
}

fn internal() -> Response {
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. Try again in a moment.",
    )
}

/// The page for a service error a form does not show beside its fields. The causes of a 5xx are
/// logged, never shown.
pub(crate) fn core_error(err: CoreError) -> Response {
    match err {
        CoreError::NotFound => not_found(),
        CoreError::Forbidden(denied) => forbidden(&capitalized(&denied.to_string())),
        CoreError::RateLimited { retry_after } | CoreError::TooManyAttempts { retry_after } => too_many(retry_after),
        CoreError::Unavailable(cause) => {
            tracing::warn!(%cause, "a page could not be served");
            unavailable()
        }
        CoreError::Unauthenticated | CoreError::InvalidToken => crate::visitor::to_sign_in("/account"),
        CoreError::Store(ref cause) if cause.is_unavailable() => {
            tracing::warn!(error = %cause, "a page could not be served");
            unavailable()
        }
        other => {
            if matches!(other, CoreError::Store(_) | CoreError::Internal(_)) {
                tracing::error!(error = %other, "a page failed");
                return internal();
            }
            error_page(StatusCode::BAD_REQUEST, "That did not work", &capitalized(&other.to_string()))
        }
    }
}

/// `text` with its first letter in capitals (service messages start in lower case).
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `at` as a person reads it: `YYYY-MM-DD HH:MM` in their time zone (`zone`, an IANA name; UTC
/// when unknown).
pub(crate) fn local_time(zone: &str, at: time::OffsetDateTime) -> String {
    let zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(at.unix_timestamp())
        .map(|ts| zone.to_datetime(ts).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}
