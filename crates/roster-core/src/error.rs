//! The services' one error type. Each variant maps to one stable code of API.md §1 in the HTTP
//! layer; causes of internal failures are kept for the log, never shown to clients.

use roster_domain::FieldError;
use roster_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("the user is suspended")]
    AccountSuspended,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the email address is already taken")]
    EmailTaken,
    #[error("the account would be left without an owner")]
    LastOwner,
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    #[error("the idempotency key was used with another request")]
    IdempotencyKeyReused,
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// One field problem as a validation error.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        CoreError::Validation(vec![FieldError::new(field, code, message)])
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
