//! Every error the API returns, rendered as RFC 9457 problem+json from ONE table of stable codes
//! (API.md §1). Causes of 5xx are logged here and never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::CoreError;
use roster_domain::FieldError;
use serde::Serialize;

/// The stable machine codes, each with its status and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadRequest,
    InvalidToken,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    MfaRequired,
    AccountSuspended,
    NotFound,
    MethodNotAllowed,
    Conflict,
    EmailTaken,
    PhoneTaken,
    LastOwner,
    PrimaryEmail,
    PreconditionFailed,
    RequestTimeout,
    PayloadTooLarge,
    HeadersTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    UnknownField,
    IdempotencyKeyReused,
    RateLimited,
    TooManyAttempts,
    Internal,
    Unavailable,
}

impl Code {
    pub const ALL: [Code; 26] = [
        Code::BadRequest,
        Code::InvalidToken,
        Code::Unauthenticated,
        Code::InvalidCredentials,
        Code::Forbidden,
        Code::MfaRequired,
        Code::AccountSuspended,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::RequestTimeout,
        Code::Conflict,
        Code::EmailTaken,
        Code::PhoneTaken,
        Code::LastOwner,
        Code::PrimaryEmail,
        Code::PreconditionFailed,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::HeadersTooLarge,
        Code::ValidationFailed,
        Code::UnknownField,
        Code::IdempotencyKeyReused,
        Code::RateLimited,
        Code::TooManyAttempts,
        Code::Internal,
        Code::Unavailable,
    ];

    /// The one table: code → (status, machine word, title).
    pub fn describe(self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Code::BadRequest => (S::BAD_REQUEST, "bad_request", "Bad request"),
            Code::InvalidToken => (S::BAD_REQUEST, "invalid_token", "Invalid or expired token"),
            Code::Unauthenticated => (S::UNAUTHORIZED, "unauthenticated", "Authentication required"),
            Code::InvalidCredentials => (S::UNAUTHORIZED, "invalid_credentials", "Wrong email or password"),
            Code::Forbidden => (S::FORBIDDEN, "forbidden", "Forbidden"),
            Code::MfaRequired => (S::FORBIDDEN, "mfa_required", "A second factor is required"),
            Code::AccountSuspended => (S::FORBIDDEN, "account_suspended", "The user is suspended"),
            Code::NotFound => (S::NOT_FOUND, "not_found", "Not found"),
            Code::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed"),
            Code::Conflict => (S::CONFLICT, "conflict", "Conflict"),
            Code::EmailTaken => (S::CONFLICT, "email_taken", "The email address is already taken"),
            Code::PhoneTaken => (S::CONFLICT, "phone_taken", "The phone number is already on this user"),
            Code::LastOwner => (S::CONFLICT, "last_owner", "An account must keep at least one owner"),
            Code::PrimaryEmail => (S::CONFLICT, "primary_email", "The primary email cannot be removed"),
            Code::PreconditionFailed => (S::PRECONDITION_FAILED, "precondition_failed", "The resource has changed"),
            Code::RequestTimeout => (S::REQUEST_TIMEOUT, "request_timeout", "The request did not arrive in time"),
            Code::PayloadTooLarge => (S::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large"),
            Code::HeadersTooLarge => {
                (S::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "The request headers are too large")
            }
            Code::UnsupportedMediaType => {
                (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type")
            }
            Code::ValidationFailed => (S::UNPROCESSABLE_ENTITY, "validation_failed", "Validation failed"),
            Code::UnknownField => (S::UNPROCESSABLE_ENTITY, "unknown_field", "Unknown field"),
            Code::IdempotencyKeyReused => {
                (S::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused with another request")
            }
            Code::RateLimited => (S::TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
            Code::TooManyAttempts => (S::TOO_MANY_REQUESTS, "too_many_attempts", "Too many attempts"),
            Code::Internal => (S::INTERNAL_SERVER_ERROR, "internal", "Internal server error"),
            Code::Unavailable => (S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
        }
    }
}

/// The title of the machine word `word` (for documentation examples).
pub fn title_of(word: &str) -> &'static str {
    Code::ALL.iter().map(|c| c.describe()).find(|(_, w, _)| *w == word).map_or("Error", |(_, _, title)| title)
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds for `Retry-After`; every 503 carries one (5 s unless said otherwise).
    pub retry_after: Option<u64>,
}

/// `Retry-After` of a 503 that names no other.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// The problem+json body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine word, e.g. `email_taken`.
    pub code: String,
    /// Field problems (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldProblem>)]
    pub errors: Vec<FieldError>,
}

/// One field problem: `field` is a dotted path such as `password` or `notifications.email.product`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let unknown = !errors.is_empty() && errors.iter().all(|e| e.code == "unknown_field");
        let code = if unknown { Code::UnknownField } else { Code::ValidationFailed };
        let detail = match errors.as_slice() {
            [one] if one.field.is_empty() => one.message.clone(),
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self { code, detail, errors, retry_after: None }
    }

    pub fn not_found() -> Self {
        Self::new(Code::NotFound, "no such resource")
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Validation(errors) => ApiError::validation(errors),
            CoreError::BadRequest(detail) => ApiError::new(Code::BadRequest, detail),
            CoreError::InvalidToken => ApiError::new(Code::InvalidToken, "the token is invalid, used or expired"),
            CoreError::Unauthenticated => ApiError::new(Code::Unauthenticated, "a valid bearer token is required"),
            CoreError::InvalidCredentials => ApiError::new(Code::InvalidCredentials, "wrong email or password"),
            CoreError::Forbidden(denied) => ApiError::new(Code::Forbidden, denied.to_string()),
            CoreError::MfaRequired => {
                ApiError::new(Code::MfaRequired, "a second factor is required: send mfa_code (TOTP or recovery code)")
            }
            CoreError::AccountSuspended => ApiError::new(Code::AccountSuspended, "the user is suspended"),
            CoreError::NotFound => ApiError::not_found(),
            CoreError::Conflict(clash) => ApiError::new(Code::Conflict, clash.to_string()),
            CoreError::EmailTaken => ApiError::new(Code::EmailTaken, "another user has this email address"),
            CoreError::PhoneTaken => ApiError::new(Code::PhoneTaken, "this phone number is already on this user"),
            CoreError::PrimaryEmail => ApiError::new(
                Code::PrimaryEmail,
                "the primary email address cannot be removed; make another primary first",
            ),
            CoreError::LastOwner => {
                ApiError::new(Code::LastOwner, "the user is the last owner of an account; transfer it first")
            }
            CoreError::PreconditionFailed => {
                ApiError::new(Code::PreconditionFailed, "the resource changed since it was read (If-Match)")
            }
            CoreError::IdempotencyKeyReused => {
                ApiError::new(Code::IdempotencyKeyReused, "this Idempotency-Key was used with a different request")
            }
            CoreError::RateLimited { retry_after } => {
                ApiError::new(Code::RateLimited, "too many requests; retry later").retry_after(retry_after)
            }
            CoreError::TooManyAttempts { retry_after } => {
                ApiError::new(Code::TooManyAttempts, "too many attempts; retry later").retry_after(retry_after)
            }
            CoreError::Unavailable(detail) => ApiError::new(Code::Unavailable, detail),
            CoreError::Store(cause) if cause.is_unavailable() => {
                let request_id = crate::middleware::request_log::current_id();
                tracing::warn!(request_id = &*request_id, error = %cause, "database unavailable");
                ApiError::new(Code::Unavailable, "the database is not answering; retry shortly")
            }
            CoreError::Store(cause) => internal(&cause),
            CoreError::Internal(cause) => internal(&cause),
        }
    }
}

fn internal(cause: &dyn std::fmt::Display) -> ApiError {
    let request_id = crate::middleware::request_log::current_id();
    tracing::error!(request_id = &*request_id, error = %cause, "internal error");
    ApiError::new(Code::Internal, "something went wrong on our side")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, word, title) = self.code.describe();
        let problem = Problem {
            kind: format!("https://roster.dev/problems/{word}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.detail,
            code: word.to_owned(),
            errors: self.errors,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.code == Code::Unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        let retry_after = self.retry_after.or((self.code == Code::Unavailable).then_some(UNAVAILABLE_RETRY_AFTER));
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// 422 `validation_failed` for every text longer than the `maxLength` its schema documents
/// (`(field, value, max)`), for bodies whose texts are checked by no domain rule.
pub fn check_lengths(fields: &[(&str, Option<&str>, usize)]) -> ApiResult<()> {
    let too_long: Vec<FieldError> = fields
        .iter()
        .filter(|(_, value, max)| value.is_some_and(|v| v.chars().count() > *max))
        .map(|(field, _, max)| FieldError::new(*field, "too_long", format!("must be at most {max} characters")))
        .collect();
    if too_long.is_empty() { Ok(()) } else { Err(ApiError::validation(too_long)) }
}
