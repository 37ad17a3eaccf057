//! The caller's email addresses: `PUT`/`DELETE /v1/users/email` and the confirmation of an
//! added address, `POST /v1/users/email/verify` (anonymous: the token of the `confirm-email`
//! link is the credential, as on the page behind that link).

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::StatusCode;
use roster_core::users::emails::AddEmail;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem, check_lengths};
use crate::extract::{Auth, Json, Meta};
use crate::views::UserView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_email, remove_email)).routes(routes!(confirm_email))
}

/// No `Debug`: it holds the caller's password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddEmailRequest {
    /// Trimmed; compared case-insensitively.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// The caller's current password.
    #[schema(max_length = 1024)]
    password: String,
    /// Make the address the sign-in address once it is confirmed (default false).
    primary: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RemoveEmailRequest {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

/// No `Debug`: it holds a token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmEmailRequest {
    /// The token from the `confirm-email` link.
    #[schema(max_length = 256)]
    token: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct EmailAccepted {
    /// Always `confirmation_sent`, also when there was nothing to confirm (the address was the
    /// caller's sign-in address, or confirmed already and made the sign-in address now).
    status: &'static str,
}

/// Add an email address.
///
/// Adds a secondary address for the caller (proven by the caller's password: wrong → 403
/// `forbidden`, counted like a failed login: too many → 429 `too_many_attempts`) and mails it a single-use `confirm-email` link
/// valid 24 hours (a newer link voids the older). With `primary: true` the sign-in address
/// changes only once the new address is confirmed, and the former one gets the "email changed"
/// notice; an address the caller has confirmed already becomes the sign-in address at once. An
/// address any other user has, as its sign-in address or another → 409 `email_taken`. At most 10
/// addresses per user (422 `too_many` on `email`). A link goes to one address at most once a
/// minute and 5 times an hour (429 `rate_limited` with `Retry-After`).
#[utoipa::path(put, path = "/v1/users/email", tag = "users", request_body = AddEmailRequest,
    responses((status = 202, body = EmailAccepted), (status = 401, body = Problem),
        (status = 403, description = "forbidden: wrong password", body = Problem),
        (status = 409, description = "email_taken", body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts (passwords), rate_limited (links)", body = Problem,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again")))))]
async fn add_email(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<AddEmailRequest>,
) -> ApiResult<(StatusCode, axum::Json<EmailAccepted>)> {
    check_lengths(&[("email", Some(&body.email), 254), ("password", Some(&body.password), 1024)])?;
    let input = AddEmail { email: body.email, password: body.password, primary: body.primary.unwrap_or(false) };
    state.core.add_email(&actor, input, &meta).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(EmailAccepted { status: "confirmation_sent" })))
}

/// Remove an email address.
///
/// One of the caller's addresses other than the sign-in address (that one → 409
/// `primary_email`; an address the caller does not have → 404). The address is free for anyone
/// at once.
#[utoipa::path(delete, path = "/v1/users/email", tag = "users", request_body = RemoveEmailRequest,
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "primary_email", body = Problem), (status = 422, body = Problem)))]
async fn remove_email(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<RemoveEmailRequest>,
) -> ApiResult<axum::Json<UserView>> {
    check_lengths(&[("email", Some(&body.email), 254)])?;
    let user = state.core.remove_email(&actor, &body.email, &meta).await?;
    Ok(axum::Json(UserView::from(&user)))
}

/// Confirm an added email address.
///
/// With the token of a `confirm-email` link (no sign-in needed: the token is the credential).
/// The address is marked verified and, if it was added with `primary: true`, becomes the
/// sign-in address. A used, expired or unknown token, or one whose address was removed since, is
/// 400 `invalid_token`.
#[utoipa::path(post, path = "/v1/users/email/verify", tag = "users", request_body = ConfirmEmailRequest,
    responses((status = 200, body = UserView), (status = 400, description = "invalid_token", body = Problem),
        (status = 422, body = Problem)))]
async fn confirm_email(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<ConfirmEmailRequest>,
) -> ApiResult<axum::Json<UserView>> {
    check_lengths(&[("token", Some(&body.token), 256)])?;
    let user = state.core.confirm_email(&body.token, &meta).await?;
    Ok(axum::Json(UserView::from(&user)))
}
