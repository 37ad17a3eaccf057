//! The caller's calendar integrations (API.md §5, the contact-channels issue §7): iCalendar
//! feeds subscribed by URL, fetched by the sync queue at once and every
//! `ROSTER_CALENDAR_REFRESH` ([`sync`]), read as occurrences ([`ical`], [`expand`]) from a
//! server that must not be a private address ([`fetch`]).

pub mod expand;
pub mod fetch;
pub mod ical;
mod sync;

use roster_domain::activity::Action;
use roster_domain::web_url::WebUrl;
use roster_domain::{CalendarId, FieldErrors};
use roster_store::Ts;
use roster_store::calendars::{self, EventsAfter};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use roster_store::calendars::{Calendar, Event};

use crate::error::{CoreError, CoreResult};
use crate::jobs::payload::CalendarSync;
use crate::paging::{Page, page_limit};
use crate::{Actor, Core, RequestMeta, activity};

/// The kinds of calendar Roster reads.
pub const PROVIDERS: [&str; 1] = ["ics"];
/// Calendars per user at most.
pub const MAX_PER_USER: i64 = 20;
/// Longest name, in characters.
pub const NAME_MAX: usize = 200;

/// A subscription, as asked for.
#[derive(Debug, Clone)]
pub struct NewCalendar {
    pub provider: String,
    pub name: String,
    pub url: String,
}

/// Which events of a calendar to list.
#[derive(Debug, Clone, Default)]
pub struct EventsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Where a page of events ends (sealed into the next cursor).
#[derive(Debug, Serialize, Deserialize)]
struct EventPosition {
    starts_at: i64,
    uid: String,
}

impl Core {
    /// `POST /v1/users/calendars`: subscribe the caller to a feed, fetched at once (a
    /// `calendar.sync` job) and then every `ROSTER_CALENDAR_REFRESH`.
    pub async fn subscribe_calendar(
        &self,
        actor: &Actor,
        new: NewCalendar,
        meta: &RequestMeta,
    ) -> CoreResult<Calendar> {
        let mut errors = FieldErrors::new();
        if !PROVIDERS.contains(&new.provider.as_str()) {
            errors.add("provider", "invalid_provider", "must be ics");
        }
        let name = new.name.trim();
        if name.is_empty() {
            errors.add("name", "required", "must not be empty");
        } else if name.chars().count() > NAME_MAX {
            errors.add("name", "too_long", format!("must be at most {NAME_MAX} characters"));
        } else if name.chars().any(char::is_control) {
            errors.add("name", "invalid_characters", "must not contain control characters");
        }
        let url = match WebUrl::parse(&new.url) {
            Ok(url) => Some(url),
            Err(problem) => {
                errors.add("url", "invalid_url", problem.to_string());
                None
            }
        };
        if let Some(url) = &url
            && errors.is_empty()
            && let Err(refusal) = self.feeds.guard().check(url.url()).await
        {
            let code = match refusal {
                fetch::Refusal::PrivateAddress => "private_address",
                fetch::Refusal::Unresolvable => "unresolvable_host",
            };
            errors.add("url", code, refusal.to_string());
        }
        errors.into_result().map_err(CoreError::Validation)?;
        let Some(url) = url else { return Err(CoreError::Internal("a URL passed without being parsed".into())) };
        let now = self.now();
        let at = Ts::new(now);
        let calendar = Calendar {
            id: CalendarId::new(),
            user_id: actor.user.id,
            provider: new.provider,
            name: name.to_owned(),
            url: url.as_str().to_owned(),
            status: "pending".to_owned(),
            last_error: None,
            last_synced_at: None,
            expanded_at: None,
            event_count: 0,
            etag: None,
            failures: 0,
            sync_seq: 0,
            next_sync_at: Some(at),
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.db.begin().await?;
        // One subscription of a user's at a time: the count below stays true until commit.
        roster_store::users::lock(&mut tx, actor.user.id).await?;
        if calendars::count_of_user(&mut tx, actor.user.id).await? >= MAX_PER_USER {
            return Err(CoreError::field(
                "url",
                "too_many",
                format!("a user has at most {MAX_PER_USER} calendars; remove one first"),
            ));
        }
        calendars::insert(&mut tx, &calendar).await?;
        let job = CalendarSync { calendar_id: calendar.id, seq: 0, user_id: actor.user.id };
        sync::enqueue(&mut tx, &job, now).await?;
        // Not the URL: it may carry the feed's secret.
        let changes = serde_json::json!({"calendar_id": calendar.id, "name": calendar.name});
        let (user, account) = (actor.user.id, actor.account_id);
        activity::record(&mut tx, now, user, Some(user), account, Action::UserCalendarAdded, meta, changes).await?;
        self.commit(tx).await?;
        Ok(calendar)
    }

    /// `GET /v1/users/calendars`: the caller's calendars, oldest first.
    pub async fn calendars(&self, actor: &Actor) -> CoreResult<Vec<Calendar>> {
        let mut conn = self.db.conn().await?;
        Ok(calendars::of_user(&mut conn, actor.user.id).await?)
    }

    /// `DELETE /v1/users/calendars/:id`: the calendar and its events; not the caller's → 404.
    /// Its queued fetch finds it gone and ends.
    pub async fn remove_calendar(&self, actor: &Actor, id: CalendarId, meta: &RequestMeta) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        let calendar = calendars::find(&mut tx, id).await?.filter(|c| c.user_id == actor.user.id);
        let Some(calendar) = calendar else { return Err(CoreError::NotFound) };
        calendars::delete(&mut tx, actor.user.id, id).await?;
        let changes = serde_json::json!({"calendar_id": id, "name": calendar.name});
        let (user, account) = (actor.user.id, actor.account_id);
        activity::record(&mut tx, self.now(), user, Some(user), account, Action::UserCalendarRemoved, meta, changes)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// `GET /v1/users/calendars/:id/events`: the occurrences that overlap `[from, to)`, by
    /// start then uid, a page at a time.
    pub async fn calendar_events(&self, actor: &Actor, id: CalendarId, query: EventsQuery) -> CoreResult<Page<Event>> {
        let mut errors = FieldErrors::new();
        let mut time = |field: &str, value: Option<&str>| {
            let value = value.filter(|v| !v.is_empty())?;
            let parsed = OffsetDateTime::parse(value, &Rfc3339).ok();
            if parsed.is_none() {
                errors.add(field, "invalid_datetime", "must be an RFC 3339 date-time such as 2026-11-24T10:00:00Z");
            }
            parsed
        };
        let from = time("from", query.from.as_deref());
        let to = time("to", query.to.as_deref());
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            errors.add("to", "before_from", "must be later than from");
        }
        let limit = page_limit(&mut errors, query.limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let context = format!(
            "calendar-events:{id}:{}:{}",
            from.map_or(0, OffsetDateTime::unix_timestamp),
            to.map_or(0, OffsetDateTime::unix_timestamp)
        );
        let after = self
            .open_cursor::<EventPosition>(&context, query.cursor.as_deref())?
            .map(|p| EventsAfter { starts_at: Ts::from_micros(p.starts_at), uid: p.uid });
        let mut conn = self.db.conn().await?;
        let calendar = calendars::find(&mut conn, id).await?.filter(|c| c.user_id == actor.user.id);
        if calendar.is_none() {
            return Err(CoreError::NotFound);
        }
        let items =
            calendars::events(&mut conn, id, from.map(Ts::new), to.map(Ts::new), after.as_ref(), limit + 1).await?;
        Ok(self.keyset_page(&context, items, limit, |last| EventPosition {
            starts_at: last.starts_at.micros(),
            uid: last.uid.clone(),
        }))
    }
}
