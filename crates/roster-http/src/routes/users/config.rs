//! The caller's configuration: `GET` and `PUT /v1/users/config`. The body of a `PUT` is a JSON
//! merge patch (RFC 7396, `application/merge-patch+json` or `application/json`) of the document
//! `GET` returns; the types here describe both for the OpenAPI document.

use crate::openapi::lazy::routes;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Json, Meta};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_config, update_config))
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
#[serde(rename_all = "lowercase")]
enum Theme {
    System,
    Light,
    Dark,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
enum DateFormat {
    #[serde(rename = "YYYY-MM-DD")]
    Iso,
    #[serde(rename = "DD/MM/YYYY")]
    DayMonthSlash,
    #[serde(rename = "MM/DD/YYYY")]
    MonthDaySlash,
    #[serde(rename = "DD.MM.YYYY")]
    DayMonthDot,
    #[serde(rename = "D MMM YYYY")]
    DayMonthName,
    #[serde(rename = "MMM D, YYYY")]
    MonthNameDay,
}

/// Which notices go out on one channel. Security notices always go by email.
#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
struct Kinds {
    security: bool,
    product: bool,
    marketing: bool,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
struct Notifications {
    email: Kinds,
    sms: Kinds,
    push: Kinds,
}

/// A user's configuration, every setting present (defaults filled in).
#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
struct UserConfig {
    theme: Theme,
    /// The user's own time zone (IANA).
    timezone: String,
    /// The user's own locale (BCP 47).
    locale: String,
    date_format: DateFormat,
    notifications: Notifications,
    /// Free-form, at most 16 KiB as JSON.
    #[schema(value_type = Object)]
    dashboard: Value,
    /// Free-form, at most 16 KiB as JSON.
    #[schema(value_type = Object)]
    integrations: Value,
}

/// Kinds in a patch: each may be left out; `null` puts it back to its default.
#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
#[schema(as = KindsPatch)]
struct KindsPatch {
    /// `false` is refused for email (422 `cannot_disable`).
    security: Option<bool>,
    product: Option<bool>,
    marketing: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
struct NotificationsPatch {
    email: Option<KindsPatch>,
    sms: Option<KindsPatch>,
    push: Option<KindsPatch>,
}

/// A JSON merge patch (RFC 7396) of the configuration: members left out stay, `null` puts a
/// setting back to its default, objects merge member by member.
#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "a schema of the document only")]
struct ConfigPatch {
    theme: Option<Theme>,
    /// An IANA time zone (changes the user's own `timezone`).
    #[schema(max_length = 64)]
    timezone: Option<String>,
    /// A BCP 47 tag (changes the user's own `locale`).
    #[schema(max_length = 35)]
    locale: Option<String>,
    date_format: Option<DateFormat>,
    notifications: Option<NotificationsPatch>,
    /// Merged into the stored dashboard (at most 16 KiB as JSON once merged).
    #[schema(value_type = Option<Object>)]
    dashboard: Option<Value>,
    /// Merged into the stored integrations (at most 16 KiB as JSON once merged).
    #[schema(value_type = Option<Object>)]
    integrations: Option<Value>,
}

/// The caller's configuration.
///
/// Every setting, defaults filled in; `timezone` and `locale` are the user's own fields.
#[utoipa::path(get, path = "/v1/users/config", tag = "users",
    responses((status = 200, body = UserConfig), (status = 401, body = Problem)))]
async fn get_config(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<Value>> {
    Ok(axum::Json(state.core.config(&actor).await?))
}

/// Change the caller's configuration.
///
/// A JSON merge patch (RFC 7396) of the document `GET` returns, checked once merged: unknown
/// keys (`unknown_field`), wrong types (`invalid_type`), values outside their lists
/// (`invalid_value`, `invalid_timezone`, `invalid_locale`), `notifications.email.security:
/// false` (`cannot_disable`) and free-form objects over 16 KiB (`too_large`) are 422, each named
/// by its dotted path, and nothing is changed. `timezone` and `locale` change the user's own
/// fields. Sent as `application/json` or `application/merge-patch+json`. → the whole
/// configuration.
#[utoipa::path(put, path = "/v1/users/config", tag = "users",
    request_body = ConfigPatch,
    responses((status = 200, body = UserConfig), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn update_config(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(patch): Json<Value>,
) -> ApiResult<axum::Json<Value>> {
    Ok(axum::Json(state.core.update_config(&actor, &patch, &meta).await?))
}
