//! The caller's push-notification tokens: `POST`/`DELETE /v1/users/push-token` and
//! `GET /v1/users/push-tokens`. A token is shown back only by its last 6 characters.

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::users::push_tokens::NewPushToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem, check_lengths};
use crate::extract::{Auth, Json};
use crate::views::devices::{Platform, PushTokenView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(register_push_token, remove_push_token)).routes(routes!(list_push_tokens))
}

/// No `Debug`: it holds a device's token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterPushToken {
    /// The token the platform's push service gave the device (no spaces).
    #[schema(min_length = 1, max_length = 4096, pattern = r"^[^\s\u0000\u0085]+$")]
    token: String,
    platform: Platform,
    /// No control characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    device_id: Option<String>,
    /// No control characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    device_name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RemovePushToken {
    #[schema(min_length = 1, max_length = 4096, pattern = r"^[^\s\u0000\u0085]+$")]
    token: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct PushTokenList {
    data: Vec<PushTokenView>,
}

/// Register a push token.
///
/// For the caller's device: 201 when new to the caller (a token another user had moves to the
/// caller), 200 when it was the caller's already (its platform and device are refreshed). Push
/// notices follow `notifications.push.*`; a token the push provider answers 404 or 410 for is
/// forgotten. Deleting or suspending the user revokes its tokens. A user keeps at most 20
/// tokens: registering another one removes the token registered (or refreshed) longest ago.
#[utoipa::path(post, path = "/v1/users/push-token", tag = "users", request_body = RegisterPushToken,
    responses((status = 201, body = PushTokenView), (status = 200, body = PushTokenView), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn register_push_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<RegisterPushToken>,
) -> ApiResult<Response> {
    check_lengths(&[
        ("token", Some(&body.token), 4096),
        ("device_id", body.device_id.as_deref(), 200),
        ("device_name", body.device_name.as_deref(), 200),
    ])?;
    let new = NewPushToken {
        token: body.token,
        platform: body.platform.as_str().to_owned(),
        device_id: body.device_id,
        device_name: body.device_name,
    };
    let (token, created) = state.core.register_push_token(&actor, new).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(PushTokenView::from(&token))).into_response())
}

/// Remove a push token.
///
/// One of the caller's tokens; a token that is not the caller's → 404.
#[utoipa::path(delete, path = "/v1/users/push-token", tag = "users", request_body = RemovePushToken,
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn remove_push_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<RemovePushToken>,
) -> ApiResult<StatusCode> {
    check_lengths(&[("token", Some(&body.token), 4096)])?;
    state.core.remove_push_token(&actor, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the caller's push tokens.
///
/// Oldest first, each shown only by its last 6 characters.
#[utoipa::path(get, path = "/v1/users/push-tokens", tag = "users",
    responses((status = 200, body = PushTokenList), (status = 401, body = Problem)))]
async fn list_push_tokens(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<PushTokenList>> {
    let tokens = state.core.push_tokens(&actor).await?;
    Ok(axum::Json(PushTokenList { data: tokens.iter().map(PushTokenView::from).collect() }))
}
