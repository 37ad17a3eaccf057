//! Calendar subscriptions and the occurrences read from their feeds.

use roster_core::calendars::{Calendar, Event};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::rfc3339;

/// A calendar integration.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub id: Uuid,
    #[allow(dead_code, reason = "one provider: the enum refuses any other")]
    pub provider: Provider,
    pub name: String,
    /// The feed's URL. Shown to its owner only (it may carry the feed's secret).
    pub url: String,
    #[schema(value_type = SyncStatus)]
    pub status: String,
    /// Why the last fetch failed (with `status: error`).
    pub last_error: Option<String>,
    /// When the feed was last fetched successfully.
    #[schema(format = DateTime)]
    pub last_synced_at: Option<String>,
    /// Occurrences stored from the last good fetch (recurring events expanded 30 days back
    /// and 365 days ahead; at most 10 000).
    #[schema(minimum = 0)]
    pub event_count: i64,
    /// When the next fetch is due.
    #[schema(format = DateTime)]
    pub next_sync_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&Calendar> for CalendarView {
    fn from(c: &Calendar) -> Self {
        CalendarView {
            id: c.id.as_uuid(),
            provider: Provider::Ics,
            name: c.name.clone(),
            url: c.url.clone(),
            status: c.status.clone(),
            last_error: c.last_error.clone(),
            last_synced_at: c.last_synced_at.map(|t| rfc3339(t.get())),
            event_count: c.event_count,
            next_sync_at: c.next_sync_at.map(|t| rfc3339(t.get())),
            created_at: rfc3339(c.created_at.get()),
        }
    }
}

/// One occurrence of an event (a recurring event is one per occurrence, with the same `uid`).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub uid: String,
    pub summary: Option<String>,
    /// For an all-day event, midnight UTC of its first day.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// Exclusive; for an all-day event, midnight UTC of the day after its last.
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub all_day: bool,
    pub location: Option<String>,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        EventView {
            uid: e.uid.clone(),
            summary: e.summary.clone(),
            starts_at: rfc3339(e.starts_at.get()),
            ends_at: rfc3339(e.ends_at.get()),
            all_day: e.all_day,
            location: e.location.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// An iCalendar (RFC 5545) feed fetched over http(s).
    Ics,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code, reason = "documents the values of CalendarView::status")]
pub enum SyncStatus {
    /// Not fetched yet.
    Pending,
    /// The last fetch was good.
    Ok,
    /// The last fetch failed (`last_error` says why); it is retried with backoff.
    Error,
}
