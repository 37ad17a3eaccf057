//! `/v1/auth`: sign-in and sign-out, the active account; the second factor, and the caller's
//! sessions and password, have files of their own.

mod mfa;
pub(crate) mod sessions;

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::StatusCode;
use roster_domain::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use roster_core::auth::{LoginOutcome, LoginSuccess};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Json, Meta};
use crate::middleware::idempotency::never_stored;
use crate::views::{UserView, rfc3339};
use axum::middleware::map_response;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .merge(mfa::secret_router())
        // Every route above this layer answers with a secret (a bearer token, an `mfa_token`, a
        // TOTP seed, recovery codes): never stored nor cached.
        .layer(map_response(never_stored))
        .routes(routes!(logout))
        .routes(routes!(verify_email))
        .routes(routes!(switch_account))
        .merge(sessions::router())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SwitchAccount {
    /// An account the caller belongs to, directly or by inheritance (else 404).
    account_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
struct SwitchedView {
    active_account_id: Uuid,
    /// The caller's role there (a platform admin without a membership shows `owner`).
    #[schema(value_type = roster_core::openapi::Role)]
    role: String,
    #[schema(value_type = Vec<roster_core::openapi::ScopeName>)]
    effective: Vec<String>,
}

/// Switch the active account.
///
/// The session acts in this account from now on (a single request may name another with
/// `X-Account-Id`). An account the caller does not belong to → 404.
#[utoipa::path(post, path = "/v1/auth/switch-account", tag = "auth", request_body = SwitchAccount,
    responses((status = 200, body = SwitchedView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn switch_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<SwitchAccount>,
) -> ApiResult<axum::Json<SwitchedView>> {
    let (account, perms) = state.core.switch_account(&actor, AccountId::from_uuid(body.account_id)).await?;
    Ok(axum::Json(SwitchedView {
        active_account_id: account.as_uuid(),
        role: perms.role.as_str().to_owned(),
        effective: crate::views::scope_names(&perms.effective()),
    }))
}

/// No `Debug`: it holds a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
    /// The session's active account (default: the user's first account).
    account_id: Option<Uuid>,
}

/// A session: the answer of a login that needs no second factor, and of `POST /v1/auth/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct LoginResponse {
    /// Opaque bearer token; shown only here.
    token: String,
    /// Always `Bearer`.
    #[schema(value_type = String, pattern = "^Bearer$")]
    token_type: &'static str,
    #[schema(format = DateTime)]
    expires_at: String,
    session_id: Uuid,
    user: UserView,
}

impl From<LoginSuccess> for LoginResponse {
    fn from(done: LoginSuccess) -> Self {
        LoginResponse {
            token: done.token,
            token_type: "Bearer",
            expires_at: rfc3339(done.expires_at),
            session_id: done.session_id.as_uuid(),
            user: UserView::from(&done.user),
        }
    }
}

/// The password was right and MFA is on: send `mfa_token` with a code to `POST /v1/auth/mfa`
/// within 5 minutes.
#[derive(Debug, Serialize, ToSchema)]
struct MfaChallenge {
    /// Always `true`.
    mfa_required: bool,
    /// Single use, valid 5 minutes, void after 5 wrong codes.
    mfa_token: String,
    /// `totp` (a 6-digit code) and `recovery_code`.
    #[schema(value_type = Vec<MfaMethod>)]
    methods: Vec<&'static str>,
}

/// A second factor `POST /v1/auth/mfa` takes.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code, reason = "documents the words of `methods`")]
enum MfaMethod {
    Totp,
    RecoveryCode,
}

/// A session, or (MFA on) the challenge of the second step.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
enum LoginAnswer {
    Session(Box<LoginResponse>),
    Mfa(MfaChallenge),
}

/// Sign in.
///
/// With email and password; opens a session and returns its bearer token, or — when the user has
/// MFA on — `{mfa_required: true, mfa_token, methods}` for `POST /v1/auth/mfa`. Unknown email and
/// wrong password give the same 401 `invalid_credentials`, in about the same time. 10 failures for
/// one email, or 100 from one client address, within 15 minutes → 429 `too_many_attempts` with
/// `Retry-After`; after 100 failures in a row the password is locked until a recovery
/// (`POST /v1/users/recovery`) completes, and the user is told by email.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginAnswer), (status = 401, description = "invalid_credentials", body = Problem),
        (status = 403, description = "account_suspended", body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts", body = Problem)))]
async fn login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<LoginRequest>,
) -> ApiResult<axum::Json<LoginAnswer>> {
    let account = body.account_id.map(AccountId::from_uuid);
    Ok(axum::Json(match state.core.login(&body.email, &body.password, account, &meta).await? {
        LoginOutcome::Session(done) => LoginAnswer::Session(Box::new((*done).into())),
        LoginOutcome::MfaRequired { mfa_token } => {
            LoginAnswer::Mfa(MfaChallenge { mfa_required: true, mfa_token, methods: vec!["totp", "recovery_code"] })
        }
    }))
}

/// Sign out.
///
/// Revokes the current session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = Problem)))]
async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    state.core.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyEmailRequest {
    /// The token from the `verify-email` link.
    token: String,
}

/// Verify an email address.
///
/// With the token of a `verify-email` link. A used, expired or unknown token, or one of another
/// purpose, is 400 `invalid_token`.
#[utoipa::path(post, path = "/v1/auth/verify-email", tag = "auth", request_body = VerifyEmailRequest,
    responses((status = 200, body = UserView), (status = 400, description = "invalid_token", body = Problem),
        (status = 422, body = Problem)))]
async fn verify_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<VerifyEmailRequest>,
) -> ApiResult<axum::Json<UserView>> {
    let user = state.core.verify_email(&body.token, &meta).await?;
    Ok(axum::Json(UserView::from(&user)))
}
