//! The profile, notifications, devices, calendars and announcements of `/account`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::calendars::NewCalendar;
use roster_core::users::input::UpdateUser;
use roster_domain::{AnnouncementId, CalendarId};
use roster_http::AppState;
use roster_http::extract::meta::Meta;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::page::{failed, show};
use crate::forms::{Nothing, SignedForm};
use crate::outcome::{done, from_htmx, outcome_of};

#[derive(Deserialize)]
pub(crate) struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    image: String,
    #[serde(default)]
    theme: String,
}

#[derive(Deserialize)]
pub(crate) struct DeviceForm {
    #[serde(default)]
    device: String,
}

#[derive(Deserialize)]
pub(crate) struct CalendarForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// An optional text field: empty clears it.
fn optional(text: String) -> Option<String> {
    Some(text).filter(|t| !t.trim().is_empty())
}

pub(crate) async fn save_profile(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<ProfileForm>,
) -> Response {
    let update = UpdateUser {
        name: Some(Some(form.name)),
        title: Some(optional(form.title)),
        bio: Some(optional(form.bio)),
        timezone: Some(Some(form.timezone)),
        locale: Some(Some(form.locale)),
        image: Some(optional(form.image)),
        ..UpdateUser::default()
    };
    let me = visitor.actor.user.id;
    if let Err(err) = state.core.update_user(&visitor.actor, me, update, None, &meta).await {
        return failed(&state, &visitor, "profile", err).await;
    }
    if !form.theme.is_empty()
        && let Err(err) = state.core.update_config(&visitor.actor, &json!({"theme": form.theme}), &meta).await
    {
        return failed(&state, &visitor, "profile", err).await;
    }
    done("profile-saved", "profile")
}

/// The grid as posted: a checked box sends `CHANNEL.KIND=on`, an unchecked one nothing.
pub(crate) async fn save_notifications(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<HashMap<String, String>>,
) -> Response {
    let mut channels = Map::new();
    for channel in roster_core::preferences::CHANNELS {
        let mut kinds = Map::new();
        for kind in roster_core::preferences::KINDS {
            if channel == "email" && kind == "security" {
                continue;
            }
            kinds.insert(kind.to_owned(), Value::Bool(form.contains_key(&format!("{channel}.{kind}"))));
        }
        channels.insert(channel.to_owned(), Value::Object(kinds));
    }
    match state.core.update_config(&visitor.actor, &json!({"notifications": channels}), &meta).await {
        Ok(_) => done("notifications-saved", "notifications"),
        Err(err) => failed(&state, &visitor, "notifications", err).await,
    }
}

/// How a page names a push token without showing it: the start of its hash.
pub(crate) fn device_reference(token: &str) -> String {
    roster_core::secrets::hash_token(token).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn remove_device(
    State(state): State<AppState>,
    SignedForm { visitor, form }: SignedForm<DeviceForm>,
) -> Response {
    let tokens = match state.core.push_tokens(&visitor.actor).await {
        Ok(tokens) => tokens,
        Err(err) => return crate::render::core_error(err),
    };
    let Some(token) = tokens.into_iter().find(|t| device_reference(&t.token) == form.device) else {
        return done("device-removed", "devices");
    };
    match state.core.remove_push_token(&visitor.actor, &token.token).await {
        Ok(()) => done("device-removed", "devices"),
        Err(err) => failed(&state, &visitor, "devices", err).await,
    }
}

pub(crate) async fn subscribe_calendar(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SignedForm { visitor, form }: SignedForm<CalendarForm>,
) -> Response {
    let new = NewCalendar { provider: "ics".to_owned(), name: form.name.clone(), url: form.url.clone() };
    match state.core.subscribe_calendar(&visitor.actor, new, &meta).await {
        Ok(_) => done("calendar-added", "calendars"),
        Err(err) => match outcome_of("calendar", err) {
            Ok(outcome) => {
                show(&state, &visitor, outcome.keep("calendar-name", &form.name).keep("calendar-url", &form.url)).await
            }
            Err(page) => page,
        },
    }
}

pub(crate) async fn remove_calendar(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Path(id): Path<CalendarId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    match state.core.remove_calendar(&visitor.actor, id, &meta).await {
        Ok(()) => done("calendar-removed", "calendars"),
        Err(err) => failed(&state, &visitor, "calendars", err).await,
    }
}

/// How long "Snooze" hides an announcement.
const SNOOZE: time::Duration = time::Duration::days(1);

/// "Dismiss" or "Snooze" on a banner: with htmx the banner goes away in place.
pub(crate) async fn answer_announcement(
    State(state): State<AppState>,
    Path(id): Path<AnnouncementId>,
    headers: HeaderMap,
    SignedForm { visitor, form }: SignedForm<AnswerForm>,
) -> Response {
    let until = (state.core.clock.now() + SNOOZE).format(&time::format_description::well_known::Rfc3339).ok();
    let (status, until) = match form.answer.as_str() {
        "snooze" => ("snoozed", until),
        _ => ("dismissed", None),
    };
    let me = visitor.actor.user.id;
    match state.core.answer_announcement(&visitor.actor, me, id, status, until.as_deref()).await {
        Ok(_) if from_htmx(&headers) => (StatusCode::OK, "").into_response(),
        Ok(_) => done("announcement", "main"),
        Err(err) => failed(&state, &visitor, "announcements", err).await,
    }
}
