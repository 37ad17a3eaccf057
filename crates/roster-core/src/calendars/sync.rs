//! One fetch of a feed, and the next one queued: the `calendar.sync` job.
//!
//! Each calendar has one chain of jobs. Link `seq` fetches, then — in one transaction — records
//! the outcome only if the calendar still stands at `seq` (a second run of the same job, or a
//! stale one, finds `seq + 1` and writes nothing) and queues link `seq + 1`: after
//! `ROSTER_CALENDAR_REFRESH` when the fetch was good, after a growing backoff when it failed.
//! A deleted calendar ends its chain. A 304 keeps the stored events, but once a day the feed
//! is read whole all the same, so that the expansion window moves on. The parse runs on the blocking pool: it is CPU work, and a
//! panic in a crate underneath becomes the feed's error instead of a lost job.

use jiff::tz::TimeZone;
use roster_store::calendars::{self, Event, Outcome};
use roster_store::{Exec, Ts};
use time::{Duration, OffsetDateTime};

use super::expand::{self, Occurrence};
use super::fetch::Fetched;
use super::ical;
use crate::Core;
use crate::error::{CoreError, CoreResult};
use crate::jobs::payload::CalendarSync;

/// Occurrences are kept from this long ago…
const WINDOW_BACK: Duration = Duration::days(30);
/// …to this far ahead.
const WINDOW_AHEAD: Duration = Duration::days(365);
/// A feed is read whole (no `If-None-Match`) at least this often, so that the window its
/// recurrences are expanded in moves on even while the feed does not change.
const REEXPAND_EVERY: Duration = Duration::days(1);
/// The retry after the first failure in a row; each further one doubles it…
const FIRST_RETRY: Duration = Duration::minutes(1);
/// …up to this.
const LONGEST_RETRY: Duration = Duration::hours(6);

/// A chain whose next link is this late is taken for lost (its job died after its tries, say
/// through a long database outage) and that link is queued again.
const LOST_AFTER: Duration = Duration::hours(1);
/// Calendars looked at per run of [`Core::rearm_overdue_calendars`].
const REARM_BATCH: u32 = 500;

/// Queue link `job.seq` of a calendar's chain to run at `at`.
pub(super) async fn enqueue(exec: &mut impl Exec, job: &CalendarSync, at: OffsetDateTime) -> CoreResult<()> {
    arm(exec, job, at, at).await
}

/// Record link `job.seq`, due at `due` (which, with the calendar and the link, makes its id),
/// to run from `run_at`; the same link armed again is the same job.
async fn arm(exec: &mut impl Exec, job: &CalendarSync, due: OffsetDateTime, run_at: OffsetDateTime) -> CoreResult<()> {
    let millis = u64::try_from(due.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let seq = job.seq.to_be_bytes();
    crate::jobs::enqueue_coalesced(exec, millis, &[job.calendar_id.as_bytes(), &seq], job, run_at).await
}

/// When to try again after `failures` failed fetches in a row (≥ 1).
fn retry_after(failures: i64) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    (FIRST_RETRY * 2_i32.saturating_pow(doublings)).min(LONGEST_RETRY)
}

impl Core {
    /// Queue again the next link of every calendar whose chain is overdue by more than an hour
    /// (run periodically by every process). The job keeps its id (its subject and its time), so
    /// a link still waiting in the queue is left as it is and a dead one comes back; a link
    /// that runs twice records once. How many calendars were looked at.
    pub async fn rearm_overdue_calendars(&self) -> CoreResult<usize> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let overdue = calendars::overdue(&mut tx, Ts::new(now - LOST_AFTER), REARM_BATCH).await?;
        for calendar in &overdue {
            let Some(due) = calendar.next_sync_at else { continue };
            let job = CalendarSync { calendar_id: calendar.id, seq: calendar.sync_seq, user_id: calendar.user_id };
            arm(&mut tx, &job, due.get(), now).await?;
        }
        self.commit(tx).await?;
        Ok(overdue.len())
    }

    /// Run link `job.seq` of a calendar's chain (the `calendar.sync` job).
    pub async fn sync_calendar(&self, job: CalendarSync) -> CoreResult<()> {
        let mut conn = self.db.conn().await?;
        let Some(calendar) = calendars::find(&mut conn, job.calendar_id).await? else { return Ok(()) };
        if calendar.sync_seq != job.seq {
            return Ok(());
        }
        let owner = roster_store::users::find(&mut conn, job.user_id).await?;
        drop(conn);
        let zone = owner.and_then(|u| jiff::tz::db().get(&u.timezone).ok()).unwrap_or(TimeZone::UTC);
        let url = url::Url::parse(&calendar.url).map_err(|e| CoreError::Internal(format!("stored feed URL: {e}")))?;
        let fresh = calendar.expanded_at.is_some_and(|at| at.get() > self.now() - REEXPAND_EVERY);
        let etag = calendar.etag.as_deref().filter(|_| fresh);
        let started = std::time::Instant::now();
        let fetched = self.feeds.fetch(&url, etag).await;
        let fetched_at = std::time::Instant::now();
        let now = self.now();
        let read = match fetched {
            Ok(Fetched::Body { bytes, etag }) => read_feed(bytes, zone, now).await.map(|events| Some((events, etag))),
            Ok(Fetched::NotModified) => Ok(None),
            Err(why) => Err(why),
        };
        let read_at = std::time::Instant::now();
        let (outcome, next) = match &read {
            Ok(Some((events, etag))) => {
                (Outcome::Fetched { events, etag: etag.as_deref() }, now + self.config.calendar_refresh)
            }
            Ok(None) => (Outcome::NotModified, now + self.config.calendar_refresh),
            Err(why) => (Outcome::Failed { error: why }, now + retry_after(calendar.failures + 1)),
        };
        if let Err(why) = &read {
            tracing::info!(calendar = %calendar.id, error = %why, "calendar feed failed");
        }
        let mut tx = self.db.begin().await?;
        if calendars::record(&mut tx, calendar.id, job.seq, &outcome, Ts::new(now), Ts::new(next)).await? {
            enqueue(&mut tx, &CalendarSync { seq: job.seq + 1, ..job }, next).await?;
        }
        self.commit(tx).await?;
        tracing::debug!(
            calendar = %calendar.id,
            fetch_ms = fetched_at.saturating_duration_since(started).as_millis(),
            read_ms = read_at.saturating_duration_since(fetched_at).as_millis(),
            store_ms = read_at.elapsed().as_millis(),
            "calendar feed synced"
        );
        Ok(())
    }
}

/// Parse and expand a feed's body (on the blocking pool) into the rows to store.
async fn read_feed(bytes: Vec<u8>, zone: TimeZone, now: OffsetDateTime) -> Result<Vec<Event>, String> {
    let from = timestamp(now - WINDOW_BACK);
    let to = timestamp(now + WINDOW_AHEAD);
    let work = tokio::task::spawn_blocking(move || {
        let items = ical::parse(&bytes, &zone)?;
        Ok::<_, String>(expand::occurrences(&items, from, to))
    });
    let occurrences = match work.await {
        Ok(result) => result?,
        Err(e) => {
            tracing::warn!(error = %e, "reading a calendar feed panicked");
            return Err("the feed could not be read".to_owned());
        }
    };
    Ok(occurrences.into_iter().filter_map(row).collect())
}

fn timestamp(at: OffsetDateTime) -> jiff::Timestamp {
    jiff::Timestamp::from_second(at.unix_timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn row(o: Occurrence) -> Option<Event> {
    let at = |t: jiff::Timestamp| OffsetDateTime::from_unix_timestamp(t.as_second()).ok().map(Ts::new);
    Some(Event {
        starts_at: at(o.starts_at)?,
        ends_at: at(o.ends_at)?,
        uid: o.uid,
        all_day: o.all_day,
        summary: o.summary,
        location: o.location,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_feeds_are_retried_after_a_minute_doubling_up_to_six_hours() {
        assert_eq!(retry_after(1), Duration::minutes(1));
        assert_eq!(retry_after(2), Duration::minutes(2));
        assert_eq!(retry_after(5), Duration::minutes(16));
        assert_eq!(retry_after(9), Duration::hours(4) + Duration::minutes(16));
        assert_eq!(retry_after(10), Duration::hours(6));
        assert_eq!(retry_after(10_000), Duration::hours(6));
    }
}
