//! The services' one error type. Each variant maps to one stable code of API.md §1 in the HTTP
//! layer; causes of internal failures are kept for the log, never shown to clients. Refusals
//! and conflicts carry a typed reason ([`Denied`], [`Clash`]) rather than a sentence, so a new
//! feature cannot invent a code by wording: the reason says why, the variant says which code.

use roster_domain::FieldError;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_store::{StoreError, Unique};

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
    Forbidden(Denied),
    #[error("a second factor is required")]
    MfaRequired,
    #[error("the user is suspended")]
    AccountSuspended,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(Clash),
    #[error("the email address is already taken")]
    EmailTaken,
    #[error("the phone number is already on this user")]
    PhoneTaken,
    #[error("the account would be left without an owner")]
    LastOwner,
    #[error("the primary email address cannot be removed")]
    PrimaryEmail,
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    #[error("the idempotency key was used with another request")]
    IdempotencyKeyReused,
    /// A limit on requests (per client address): `retry_after` seconds until one is let through.
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A limit on attempts at a secret (password, code): `retry_after` seconds until the next.
    #[error("too many attempts; retry in {retry_after} s")]
    TooManyAttempts { retry_after: u64 },
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A store failure that means nothing to a caller (unique violations that do are mapped by
    /// constraint in `From<StoreError>`).
    #[error(transparent)]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a caller who can see a resource may not do what it asked (403 `forbidden`). The text is
/// the problem's `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("missing scope {0}")]
    MissingScope(Scope),
    #[error("cannot assign role {}: it holds scopes you do not", .0.as_str())]
    RoleAboveOwn(Role),
    #[error("{0} and a role at least the user's are needed in every account the user belongs to")]
    NotInEveryAccount(Scope),
    #[error("you cannot change your own status")]
    OwnStatus,
    #[error("your own sessions and two-factor authentication are managed under /v1/auth")]
    OwnSignIn,
    #[error("only the user or a platform admin can purge")]
    PurgeOthers,
    #[error("platform admins only")]
    PlatformAdminOnly,
    #[error("only the user itself may do this")]
    OnlySelf,
    #[error("only the user itself or a platform admin may do this")]
    OnlySelfOrPlatformAdmin,
    #[error("nobody changes their own role or scopes")]
    OwnScope,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("only an owner can change or remove an owner")]
    OwnerByNonOwner,
    #[error("the member's role ({}) holds scopes you do not", .0.as_str())]
    RankAboveOwn(Role),
    #[error("cannot grant {0}: you do not hold it in this account")]
    GrantAboveOwn(Scope),
}

/// What a request collided with (409 `conflict`); the conflicts that have codes of their own
/// (`email_taken`, `last_owner`, …) are variants of [`CoreError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Clash {
    #[error("the user is already a member of this account")]
    AlreadyMember,
    #[error("the user is already a member of this workspace")]
    AlreadyWorkspaceMember,
    #[error("the account has sub-accounts that are not deleted")]
    LiveSubAccounts,
    #[error("a request with this idempotency key is still in progress")]
    RequestInProgress,
    #[error("only a dead or failed job can be retried")]
    JobNotRetryable,
    #[error("two-factor authentication is already on; turn it off first")]
    MfaAlreadyOn,
    #[error("no enrolment is waiting for a code; start one with POST /v1/auth/mfa/totp")]
    NoMfaEnrolment,
    #[error("two-factor authentication is off")]
    MfaOff,
    #[error("the phone number is verified already: there is no code to send")]
    PhoneVerified,
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Unique::UserEmail) => CoreError::EmailTaken,
            StoreError::Conflict(Unique::Membership) => CoreError::Conflict(Clash::AlreadyMember),
            StoreError::Conflict(Unique::WorkspaceMember) => CoreError::Conflict(Clash::AlreadyWorkspaceMember),
            StoreError::Conflict(Unique::PhoneNumber) => CoreError::PhoneTaken,
            other => CoreError::Store(other),
        }
    }
}

impl CoreError {
    /// One field problem as a validation error.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        CoreError::Validation(vec![FieldError::new(field, code, message)])
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
