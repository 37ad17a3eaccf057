//! A user's phone numbers: `POST /v1/users/{id}/phone`, `PUT` and `DELETE
//! /v1/users/{id}/phone/{phoneId}` (the user, or `users.update` over the user).

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::users::phones::{NewPhone, PhoneChange};
use roster_domain::phone::PhoneLabel;
use roster_domain::{PhoneId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem, check_lengths};
use crate::extract::{Auth, Id, Ids, Json, Meta};
use crate::views::PhoneView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_phone)).routes(routes!(change_phone, remove_phone))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddPhoneRequest {
    /// With its country code (`+14155550142`, `+44 20 7946 0958`), or without it when
    /// `ROSTER_DEFAULT_PHONE_REGION` is set; kept in E.164.
    #[schema(max_length = 40, pattern = r"^\+?[0-9 .()\-]*[0-9][0-9 .()\-]*$")]
    number: String,
    /// Default `mobile`.
    label: Option<PhoneLabel>,
    /// Make it the user's primary number (the user's first number is primary anyway).
    primary: Option<bool>,
}

/// No `Debug`: it may hold a code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePhoneRequest {
    label: Option<PhoneLabel>,
    /// `true` makes it the primary number (`false` is refused: make another one primary).
    primary: Option<bool>,
    /// A new number: it is unverified again, and a new code is sent.
    #[schema(max_length = 40, pattern = r"^\+?[0-9 .()\-]*[0-9][0-9 .()\-]*$")]
    number: Option<String>,
    /// The 6-digit code sent by SMS, on its own.
    #[schema(pattern = r"^[0-9]{6}$")]
    code: Option<String>,
    /// Send a new code.
    resend: Option<bool>,
}

/// Add a phone number.
///
/// Normalised to E.164 (422 on `number`: `invalid_phone`, or `missing_country_code` without a
/// country code and without `ROSTER_DEFAULT_PHONE_REGION`); a number the user has already → 409
/// `phone_taken`; at most 10 per user (422 `too_many`). The first number is the primary one. An
/// SMS with a 6-digit code (valid 10 minutes) goes to it through the notifications queue.
#[utoipa::path(post, path = "/v1/users/{id}/phone", tag = "users", params(("id" = Uuid, Path)),
    request_body = AddPhoneRequest,
    responses((status = 201, body = PhoneView, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "phone_taken", body = Problem), (status = 422, body = Problem)))]
async fn add_phone(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<UserId>,
    Json(body): Json<AddPhoneRequest>,
) -> ApiResult<Response> {
    check_lengths(&[("number", Some(&body.number), 40)])?;
    let new = NewPhone { number: body.number, label: body.label.map(|l| l.as_str().to_owned()), primary: body.primary };
    let phone = state.core.add_phone(&actor, id, new, &meta).await?;
    let location = format!("/v1/users/{id}/phone/{}", phone.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(PhoneView::from(&phone))).into_response())
}

/// Change a phone number, or verify it.
///
/// `code`: the right one marks the number verified; a wrong one → 422 (`invalid_code`; `code_expired`
/// after 10 minutes; `no_code` when none is waiting); after 5 wrong codes → 429
/// `too_many_attempts` until a new code is sent. `number`: a new number (unverified again, a new
/// code sent). `resend: true`: a new code. Codes go at most once a minute and 5 times an hour per
/// phone (429 `rate_limited` with `Retry-After`); a verified number has no code to send (409
/// `conflict`).
#[utoipa::path(put, path = "/v1/users/{id}/phone/{phoneId}", tag = "users",
    params(("id" = Uuid, Path), ("phoneId" = Uuid, Path)), request_body = ChangePhoneRequest,
    responses((status = 200, body = PhoneView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "phone_taken, conflict", body = Problem),
        (status = 422, body = Problem),
        (status = 429, description = "too_many_attempts, rate_limited", body = Problem,
            headers(("Retry-After" = u64, description = "Seconds until a new code may be sent")))))]
async fn change_phone(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Ids(id, phone_id): Ids<UserId, PhoneId>,
    Json(body): Json<ChangePhoneRequest>,
) -> ApiResult<axum::Json<PhoneView>> {
    check_lengths(&[("number", body.number.as_deref(), 40), ("code", body.code.as_deref(), 6)])?;
    let change = PhoneChange {
        label: body.label.map(|l| l.as_str().to_owned()),
        primary: body.primary,
        number: body.number,
        code: body.code,
        resend: body.resend.unwrap_or(false),
    };
    let phone = state.core.change_phone(&actor, id, phone_id, change, &meta).await?;
    Ok(axum::Json(PhoneView::from(&phone)))
}

/// Remove a phone number.
///
/// When it was the primary one, the oldest verified number left (else the oldest) becomes primary.
#[utoipa::path(delete, path = "/v1/users/{id}/phone/{phoneId}", tag = "users",
    params(("id" = Uuid, Path), ("phoneId" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn remove_phone(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Ids(id, phone_id): Ids<UserId, PhoneId>,
) -> ApiResult<StatusCode> {
    state.core.remove_phone(&actor, id, phone_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
