//! The caller's calendar integrations: `GET`/`POST /v1/users/calendars`,
//! `DELETE /v1/users/calendars/{id}` and `GET /v1/users/calendars/{id}/events`.

use crate::openapi::lazy::routes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::calendars::{EventsQuery, NewCalendar};
use roster_domain::CalendarId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::{ApiResult, Problem, check_lengths};
use crate::extract::{Auth, Id, Json, Meta, Query};
use crate::views::Page;
use crate::views::calendars::{CalendarView, EventView, Provider};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars, subscribe_calendar))
        .routes(routes!(remove_calendar))
        .routes(routes!(calendar_events))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SubscribeCalendar {
    #[allow(dead_code, reason = "one provider: the enum refuses any other")]
    provider: Provider,
    /// What the user calls it. No control characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    name: String,
    /// The feed: an absolute http(s) URL without user name or password, whose host resolves
    /// to public addresses (unless `ROSTER_ALLOW_PRIVATE_URLS` is on).
    #[schema(
        min_length = 1,
        max_length = 2048,
        format = "uri",
        pattern = r"^[hH][tT][tT][pP][sS]?://[^\s/@\\]+([/?#][^\s\\]*)?$"
    )]
    url: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct CalendarList {
    data: Vec<CalendarView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsParams {
    /// RFC 3339: only occurrences that end after this.
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339, later than `from`: only occurrences that start before this.
    #[param(format = DateTime)]
    to: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page (else 400); empty or absent: the first page.
    cursor: Option<String>,
}

/// List the caller's calendars.
///
/// Oldest first, each with the state of its last fetch.
#[utoipa::path(get, path = "/v1/users/calendars", tag = "users",
    responses((status = 200, body = CalendarList), (status = 401, body = Problem)))]
async fn list_calendars(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<CalendarList>> {
    let calendars = state.core.calendars(&actor).await?;
    Ok(axum::Json(CalendarList { data: calendars.iter().map(CalendarView::from).collect() }))
}

/// Subscribe to an iCalendar feed.
///
/// The sync queue fetches it at once and then every `ROSTER_CALENDAR_REFRESH` (with
/// `If-None-Match`; 10 s, 5 MiB and 3 redirects at most), expands recurring events 30 days
/// back and 365 days ahead, and records the outcome on the calendar (`status`). 422 on `url`:
/// `invalid_url`; `private_address` when its host resolves to a loopback, private, link-local,
/// multicast or unspecified address (and `ROSTER_ALLOW_PRIVATE_URLS` is off; redirects and
/// every later fetch are held to the same rule); `unresolvable_host`; `too_many` past 20
/// calendars.
#[utoipa::path(post, path = "/v1/users/calendars", tag = "users", request_body = SubscribeCalendar,
    responses((status = 201, body = CalendarView, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn subscribe_calendar(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(body): Json<SubscribeCalendar>,
) -> ApiResult<Response> {
    check_lengths(&[("name", Some(&body.name), 200), ("url", Some(&body.url), 2048)])?;
    let new = NewCalendar { provider: "ics".to_owned(), name: body.name, url: body.url };
    let calendar = state.core.subscribe_calendar(&actor, new, &meta).await?;
    let location = format!("/v1/users/calendars/{}", calendar.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(CalendarView::from(&calendar))).into_response())
}

/// Remove a calendar.
///
/// With its events; one that is not the caller's → 404.
#[utoipa::path(delete, path = "/v1/users/calendars/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn remove_calendar(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Id(id): Id<CalendarId>,
) -> ApiResult<StatusCode> {
    state.core.remove_calendar(&actor, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a calendar's events.
///
/// The occurrences stored from the last good fetch that overlap `[from, to)`, by start then
/// uid. A calendar that is not the caller's → 404.
#[utoipa::path(get, path = "/v1/users/calendars/{id}/events", tag = "users",
    params(("id" = Uuid, Path), EventsParams),
    responses((status = 200, body = Page<EventView>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn calendar_events(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id<CalendarId>,
    Query(q): Query<EventsParams>,
) -> ApiResult<axum::Json<Page<EventView>>> {
    let query = EventsQuery { from: q.from, to: q.to, cursor: q.cursor, limit: q.limit };
    let page = state.core.calendar_events(&actor, id, query).await?;
    Ok(axum::Json(Page::new(page.items.iter().map(EventView::from).collect(), page.next_cursor)))
}
