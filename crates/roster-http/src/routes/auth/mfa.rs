//! The second factor: the login's second step (`POST /v1/auth/mfa`), and the caller's own TOTP
//! enrolment, removal and recovery codes. Every answer here that carries a secret is never
//! stored by the idempotency layer (`secret_router`, under the `never_stored` layer).

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use super::LoginResponse;
use crate::AppState;
use crate::error::{ApiResult, Problem, check_lengths};
use crate::extract::{Auth, Json, Meta};

/// The routes whose answers carry a secret (a bearer token, a TOTP seed, recovery codes).
pub fn secret_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(second_step))
        .routes(routes!(start_totp, disable_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(regenerate_recovery_codes))
}

/// No `Debug`: it holds a token and a code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SecondStep {
    /// From the login's answer.
    #[schema(max_length = 256)]
    mfa_token: String,
    /// A 6-digit TOTP code, or an unused recovery code (`xxxxx-xxxxx`).
    #[schema(max_length = 64)]
    code: String,
}

/// Sign in: the second factor.
///
/// With the `mfa_token` of a login and a TOTP code (each time step is accepted once; ±30 s of
/// clock skew) or an unused recovery code → the session. An unknown, expired or spent
/// `mfa_token` is 400 `invalid_token`; a wrong code is 401 `invalid_credentials`, and the fifth
/// voids the `mfa_token`. 10 wrong codes for one user within 15 minutes (whatever the token) →
/// 429 `too_many_attempts`.
#[utoipa::path(post, path = "/v1/auth/mfa", tag = "auth", request_body = SecondStep,
    responses((status = 200, body = LoginResponse), (status = 400, description = "invalid_token", body = Problem),
        (status = 401, description = "invalid_credentials", body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts", body = Problem)))]
async fn second_step(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<SecondStep>,
) -> ApiResult<axum::Json<LoginResponse>> {
    check_lengths(&[("mfa_token", Some(&body.mfa_token), 256), ("code", Some(&body.code), 64)])?;
    let done = state.core.login_mfa(&body.mfa_token, &body.code, &meta).await?;
    Ok(axum::Json(done.into()))
}

/// What an authenticator app needs. No `Debug`: it holds the seed.
#[derive(Serialize, ToSchema)]
struct TotpEnrolment {
    /// The seed in base32 (160 bits), for typing in by hand. Shown only here.
    secret: String,
    /// `otpauth://totp/ISSUER:EMAIL?secret=…&issuer=ISSUER` (SHA-1, 6 digits, 30 s).
    otpauth_uri: String,
    /// The URI as a QR code: a self-contained SVG document (it loads nothing).
    qr_svg: String,
}

/// Start TOTP enrolment.
///
/// A new seed for the caller, waiting for its first code (`POST /v1/auth/mfa/totp/confirm`);
/// starting again replaces a seed still waiting. While MFA is on → 409 `conflict` (turn it off
/// first).
#[utoipa::path(post, path = "/v1/auth/mfa/totp", tag = "auth",
    responses((status = 200, body = TotpEnrolment), (status = 401, body = Problem), (status = 409, body = Problem)))]
async fn start_totp(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<TotpEnrolment>> {
    let e = state.core.start_totp(&actor).await?;
    Ok(axum::Json(TotpEnrolment { secret: e.secret, otpauth_uri: e.otpauth_uri, qr_svg: e.qr_svg }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmTotp {
    /// The 6-digit code the app shows now.
    #[schema(max_length = 64)]
    code: String,
}

/// Ten single-use recovery codes, shown only here. No `Debug`.
#[derive(Serialize, ToSchema)]
struct RecoveryCodes {
    #[schema(min_items = 10, max_items = 10)]
    recovery_codes: Vec<String>,
}

/// Confirm TOTP enrolment.
///
/// A right code turns MFA on and returns ten single-use recovery codes; the user gets the "MFA
/// changed" notice. A wrong code → 422 on `code` (`invalid_code`); no enrolment waiting, or MFA
/// already on → 409 `conflict`.
#[utoipa::path(post, path = "/v1/auth/mfa/totp/confirm", tag = "auth", request_body = ConfirmTotp,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn confirm_totp(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<ConfirmTotp>,
) -> ApiResult<axum::Json<RecoveryCodes>> {
    check_lengths(&[("code", Some(&body.code), 64)])?;
    let recovery_codes = state.core.confirm_totp(&actor, &body.code, &meta).await?;
    Ok(axum::Json(RecoveryCodes { recovery_codes }))
}

/// No `Debug`: it holds a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordProof {
    /// The caller's password (wrong → 403 `forbidden`; counted like failed logins).
    #[schema(max_length = 1024)]
    password: String,
}

/// Turn MFA off.
///
/// Removes the seed and the recovery codes; the user gets the "MFA changed" notice. A wrong
/// password → 403 `forbidden`; MFA already off → 409 `conflict`.
#[utoipa::path(delete, path = "/v1/auth/mfa/totp", tag = "auth", request_body = PasswordProof,
    responses((status = 204, description = "MFA is off"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts", body = Problem)))]
async fn disable_totp(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<PasswordProof>,
) -> ApiResult<StatusCode> {
    check_lengths(&[("password", Some(&body.password), 1024)])?;
    state.core.disable_totp(&actor, &body.password, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the recovery codes.
///
/// Ten new single-use codes; the old ones are void, and the user gets the "MFA changed" notice.
/// A wrong password → 403 `forbidden`; MFA off → 409 `conflict`.
#[utoipa::path(post, path = "/v1/auth/mfa/recovery-codes", tag = "auth", request_body = PasswordProof,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts", body = Problem)))]
async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<PasswordProof>,
) -> ApiResult<axum::Json<RecoveryCodes>> {
    check_lengths(&[("password", Some(&body.password), 1024)])?;
    let recovery_codes = state.core.regenerate_recovery_codes(&actor, &body.password, &meta).await?;
    Ok(axum::Json(RecoveryCodes { recovery_codes }))
}
