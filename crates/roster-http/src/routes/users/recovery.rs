//! `POST /v1/users/recovery`: ask for a reset link, or set a new password with the link's token
//! (a recovery token, or an invitation's, which also activates the invited user).

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_domain::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem, check_lengths};
use crate::extract::{Json, Meta};
use crate::views::UserView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(recovery))
}

/// Either step, as sent. No `Debug`: it may hold a token, a password and a code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryBody {
    email: Option<String>,
    token: Option<String>,
    new_password: Option<String>,
    mfa_code: Option<String>,
}

/// Ask for a recovery link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "documents the request; the body is read as RecoveryBody")]
struct RecoveryStart {
    #[schema(max_length = 320)]
    email: String,
}

/// Set a new password with the token of a `reset-password` or `accept-invite` link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "documents the request; the body is read as RecoveryBody")]
struct RecoveryComplete {
    #[schema(max_length = 256)]
    token: String,
    /// Under the password policy (422 on `new_password`).
    #[schema(max_length = 128)]
    new_password: String,
    /// With MFA on (recovery only): a TOTP code or an unused recovery code.
    #[schema(max_length = 64)]
    mfa_code: Option<String>,
}

/// One of the two steps.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "documents the request; the body is read as RecoveryBody")]
enum RecoveryRequest {
    Start(RecoveryStart),
    Complete(RecoveryComplete),
}

/// The same answer whatever the address.
#[derive(Debug, Serialize, ToSchema)]
struct RecoveryAccepted {
    message: &'static str,
}

/// Recover an account, or accept an invitation.
///
/// `{email}` → always 202 with the same body, after the same work, whether or not the address
/// belongs to a user (the request is recorded and looked up in the background): an active user
/// gets a single-use link to `/reset-password` valid 30 minutes (a newer one voids the older),
/// at most one a minute and five an hour per address — past that, requests are dropped without
/// a word. `{token, new_password, mfa_code?}` → 200 User: sets the password, revokes every
/// session, forgets the account's failed attempts (the lock that 100 failures in a row set, and
/// the 15-minute limits of its email and its user; not those of client addresses), and mails
/// the "password changed" notice. The link went to the sign-in address, so it also marks that
/// address verified; when it had never been verified, whatever was set up before is removed —
/// push tokens, two-factor authentication, phones and addresses never verified — and the notice
/// lists it. With MFA on (and the address verified before), `mfa_code` is required (403
/// `mfa_required`; a wrong one is 401 `invalid_credentials`). The token of an invitation
/// (`/accept-invite`) instead activates the invited user: password set, email verified, status
/// `active`. A bad, used or expired token → 400 `invalid_token`.
#[utoipa::path(post, path = "/v1/users/recovery", tag = "users", request_body = RecoveryRequest,
    responses((status = 202, body = RecoveryAccepted), (status = 200, body = UserView),
        (status = 400, description = "invalid_token", body = Problem),
        (status = 401, description = "invalid_credentials", body = Problem),
        (status = 403, description = "mfa_required", body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts", body = Problem)))]
async fn recovery(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<RecoveryBody>,
) -> ApiResult<Response> {
    check_lengths(&[
        ("email", body.email.as_deref(), 320),
        ("token", body.token.as_deref(), 256),
        ("new_password", body.new_password.as_deref(), 128),
        ("mfa_code", body.mfa_code.as_deref(), 64),
    ])?;
    match body {
        RecoveryBody { email: Some(email), token: None, new_password: None, mfa_code: None } => {
            state.core.start_recovery(&email).await?;
            let message = "If this address belongs to an active user, a recovery link is on its way.";
            Ok((StatusCode::ACCEPTED, axum::Json(RecoveryAccepted { message })).into_response())
        }
        RecoveryBody { email: None, token: Some(token), new_password: Some(password), mfa_code } => {
            let user = state.core.complete_recovery(&token, &password, mfa_code.as_deref(), &meta).await?;
            Ok(axum::Json(UserView::from(&user)).into_response())
        }
        RecoveryBody { email: None, token: Some(_), new_password: None, .. } => {
            Err(ApiError::validation(vec![FieldError::new("new_password", "required", "is required with token")]))
        }
        RecoveryBody { email: Some(_), .. } => Err(ApiError::validation(vec![FieldError::new(
            "email",
            "not_allowed",
            "send either {email} or {token, new_password, mfa_code?}",
        )])),
        RecoveryBody { email: None, token: None, .. } => Err(ApiError::validation(vec![FieldError::new(
            "email",
            "required",
            "send either {email} or {token, new_password, mfa_code?}",
        )])),
    }
}
