//! From a feed's events to the occurrences stored: recurring events (RRULE, RDATE, EXDATE,
//! overriding instances by RECURRENCE-ID) expanded inside a window, everything as UTC instants.
//!
//! A rule is expanded on the event's wall clock (civil times, no zone: `ical::recur`), and each
//! wall-clock time is then placed in the event's zone by jiff. So a weekly 09:00 meeting in
//! Europe/Paris stays at 09:00 in Paris across a change of daylight saving time, as RFC 5545
//! wants, and every zone comes from one database (jiff's).
//!
//! The work is bounded whatever the feed says: steps of one rule, occurrences of one event,
//! occurrences gathered in all, occurrences kept.

use std::collections::HashSet;

use ical::recur::expand::IcalRecurExpand;
use ical::recur::{IcalRecurDateTime, IcalRecurRule};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::ical::{Item, When};

/// Occurrences stored per calendar at most (the earliest in the window).
pub const MAX_OCCURRENCES: usize = 10_000;
/// Occurrences gathered before the rest of the feed is left out.
const MAX_GATHERED: usize = 50_000;
/// Occurrences of one recurring event at most.
const MAX_PER_EVENT: usize = 2_000;
/// Steps of one rule (dates it produces, in the window or not) at most.
const MAX_STEPS: usize = 100_000;

/// One occurrence, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub uid: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub all_day: bool,
    pub summary: Option<String>,
    pub location: Option<String>,
}

/// The occurrences of `items` that overlap `[from, to)`, by start then uid, unique by both,
/// at most [`MAX_OCCURRENCES`].
pub fn occurrences(items: &[Item], from: Timestamp, to: Timestamp) -> Vec<Occurrence> {
    let overridden: HashSet<(&str, When)> =
        items.iter().filter_map(|i| i.recurrence_id.map(|r| (i.uid.as_str(), r))).collect();
    let mut out = Vec::new();
    for item in items {
        if out.len() >= MAX_GATHERED {
            break;
        }
        if item.cancelled {
            continue;
        }
        let length = length(item);
        let mut push = |start: When| {
            let Some(starts_at) = instant(start, &item.tz) else { return };
            let ends_at = starts_at.checked_add(length).unwrap_or(starts_at).max(starts_at);
            if ends_at > from && starts_at < to || (starts_at == ends_at && starts_at >= from && starts_at < to) {
                out.push(Occurrence {
                    uid: item.uid.clone(),
                    starts_at,
                    ends_at,
                    all_day: matches!(start, When::Day(_)),
                    summary: item.summary.clone(),
                    location: item.location.clone(),
                });
            }
        };
        match (&item.rrule, item.recurrence_id) {
            (Some(rule), None) => {
                let skip = |w: When| {
                    overridden.contains(&(item.uid.as_str(), w))
                        || item
                            .exdates
                            .iter()
                            .any(|x| *x == w || matches!((x, w), (When::Day(d), When::At(at)) if *d == at.date()))
                };
                match expand(item, rule, from.checked_sub(length).unwrap_or(from), to) {
                    Some(starts) => {
                        for start in starts.into_iter().chain(item.rdates.iter().copied()).filter(|w| !skip(*w)) {
                            push(start);
                        }
                    }
                    // A rule that does not parse: the event as written, once.
                    None => push(item.start),
                }
            }
            _ => push(item.start),
        }
    }
    out.sort_by(|a, b| (a.starts_at, &a.uid).cmp(&(b.starts_at, &b.uid)));
    out.dedup_by(|a, b| a.starts_at == b.starts_at && a.uid == b.uid);
    out.truncate(MAX_OCCURRENCES);
    out
}

/// How long each occurrence lasts: DTEND − DTSTART, else DURATION, else a day for a day and
/// nothing for a time.
fn length(item: &Item) -> SignedDuration {
    let start = instant(item.start, &item.tz);
    let by_end = item.end.and_then(|end| Some(instant(end, &item.tz)?.duration_since(start?)));
    by_end
        .or_else(|| item.duration.map(SignedDuration::from_secs))
        .unwrap_or(match item.start {
            When::Day(_) => SignedDuration::from_hours(24),
            When::At(_) => SignedDuration::ZERO,
        })
        .max(SignedDuration::ZERO)
}

/// The instant `w` stands for: a day starts at midnight UTC (an all-day event is the same
/// date everywhere), a time is placed in its zone.
fn instant(w: When, tz: &TimeZone) -> Option<Timestamp> {
    match w {
        When::Day(d) => TimeZone::UTC.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok(),
        When::At(at) => tz.to_timestamp(at).ok(),
    }
}

/// The starts (wall clock) `rule` gives `item` from `from` until the first one at or after
/// `to`; `None` if the rule does not parse.
fn expand(item: &Item, rule: &str, from: Timestamp, to: Timestamp) -> Option<Vec<When>> {
    let wall = match item.start {
        When::Day(d) => d.to_datetime(jiff::civil::Time::midnight()),
        When::At(at) => at,
    };
    let rule = IcalRecurRule::parse(&rewrite_until(rule, item)?).ok()?;
    let mut starts = Vec::new();
    for (step, date) in IcalRecurExpand::new(rule, civil(wall)).enumerate() {
        if step >= MAX_STEPS || starts.len() >= MAX_PER_EVENT {
            break;
        }
        let Some(at) = wall_clock(date) else { continue };
        let w = match item.start {
            When::Day(_) => When::Day(at.date()),
            When::At(_) => When::At(at),
        };
        match instant(w, &item.tz) {
            Some(i) if i >= to => break,
            Some(i) if i >= from => starts.push(w),
            _ => {}
        }
    }
    Some(starts)
}

/// The rule with its UNTIL on the event's wall clock (a UTC one moved into the event's zone; a
/// date until means the end of that day).
fn rewrite_until(rule: &str, item: &Item) -> Option<String> {
    let parts: Vec<String> = rule
        .split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else { return Some(part.to_owned()) };
            if !key.trim().eq_ignore_ascii_case("UNTIL") {
                return Some(part.trim().to_ascii_uppercase());
            }
            let value = value.trim();
            let utc = value.ends_with(['Z', 'z']);
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            let date = jiff::civil::Date::strptime("%Y%m%d", digits.get(..8)?).ok()?;
            let at = if digits.len() == 8 {
                date.to_datetime(jiff::civil::Time::constant(23, 59, 59, 0))
            } else {
                let time = jiff::civil::Time::strptime("%H%M%S", digits.get(8..14)?).ok()?;
                let at = date.to_datetime(time);
                if utc { item.tz.to_datetime(TimeZone::UTC.to_timestamp(at).ok()?) } else { at }
            };
            Some(format!("UNTIL={}", stamp(at)))
        })
        .collect::<Option<_>>()?;
    Some(parts.join(";"))
}

/// `YYYYMMDDTHHMMSS`: a wall-clock time, as the expansion reads `UNTIL`.
fn stamp(at: DateTime) -> String {
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}", at.year(), at.month(), at.day(), at.hour(), at.minute(), at.second())
}

/// A wall-clock time as the expansion takes it.
fn civil(at: DateTime) -> IcalRecurDateTime {
    IcalRecurDateTime {
        year: i32::from(at.year()),
        month: at.month().unsigned_abs(),
        day: at.day().unsigned_abs(),
        hour: at.hour().unsigned_abs(),
        minute: at.minute().unsigned_abs(),
        second: at.second().unsigned_abs(),
    }
}

/// An expanded wall-clock time, if jiff can hold it (a leap second is read as :59).
fn wall_clock(at: IcalRecurDateTime) -> Option<DateTime> {
    let part = |n: u8| i8::try_from(n).ok();
    DateTime::new(
        i16::try_from(at.year).ok()?,
        part(at.month)?,
        part(at.day)?,
        part(at.hour)?,
        part(at.minute)?,
        part(at.second.min(59))?,
        0,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendars::ical::parse;

    fn feed(events: &str) -> Vec<Item> {
        parse(format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n").as_bytes(), &TimeZone::UTC)
            .unwrap()
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_weekly_meeting_keeps_its_local_hour_across_daylight_saving_time() {
        let items = feed(
            "BEGIN:VEVENT\r\nUID:w@x\r\nSUMMARY:Standup\r\nDTSTART;TZID=Europe/Paris:20261020T090000\r\n\
             DTEND;TZID=Europe/Paris:20261020T093000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n\
             EXDATE;TZID=Europe/Paris:20261103T090000\r\nEND:VEVENT\r\n",
        );
        let got = occurrences(&items, ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"));
        let starts: Vec<String> = got.iter().map(|o| o.starts_at.to_string()).collect();
        // 09:00 in Paris is 07:00Z in summer time and 08:00Z after 25 October; 3 November is excluded.
        assert_eq!(starts, ["2026-10-20T07:00:00Z", "2026-10-27T08:00:00Z"]);
        assert!(got.iter().all(|o| o.ends_at.duration_since(o.starts_at) == SignedDuration::from_mins(30)));
    }

    #[test]
    fn an_until_in_utc_and_an_overriding_instance_are_honoured() {
        let items = feed(
            "BEGIN:VEVENT\r\nUID:d@x\r\nDTSTART:20260101T100000Z\r\nDURATION:PT1H\r\n\
             RRULE:FREQ=DAILY;UNTIL=20260105T100000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:d@x\r\nRECURRENCE-ID:20260102T100000Z\r\nDTSTART:20260102T150000Z\r\n\
             DTEND:20260102T160000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n",
        );
        let got = occurrences(&items, ts("2025-12-01T00:00:00Z"), ts("2026-12-01T00:00:00Z"));
        let starts: Vec<String> = got.iter().map(|o| o.starts_at.to_string()).collect();
        assert_eq!(
            starts,
            [
                "2026-01-01T10:00:00Z",
                "2026-01-02T15:00:00Z",
                "2026-01-03T10:00:00Z",
                "2026-01-04T10:00:00Z",
                "2026-01-05T10:00:00Z"
            ]
        );
        assert_eq!(got[1].summary.as_deref(), Some("Moved"));
    }

    #[test]
    fn ordinal_weekdays_and_set_positions_pick_the_dates_rfc_5545_names() {
        // The last Friday of each month from January, three times; the last weekday of each
        // month (BYSETPOS) from March, twice; US Thanksgiving (the fourth Thursday of November).
        let items = feed(
            "BEGIN:VEVENT\r\nUID:f@x\r\nDTSTART:20260130T170000Z\r\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:w@x\r\nDTSTART:20260331T090000Z\r\n\
             RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=2\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:t@x\r\nDTSTART;VALUE=DATE:20261126\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=2\r\nEND:VEVENT\r\n",
        );
        let got = occurrences(&items, ts("2026-01-01T00:00:00Z"), ts("2028-01-01T00:00:00Z"));
        let starts: Vec<String> = got.iter().map(|o| format!("{} {}", o.uid, o.starts_at)).collect();
        assert_eq!(
            starts,
            [
                "f@x 2026-01-30T17:00:00Z",
                "f@x 2026-02-27T17:00:00Z",
                "f@x 2026-03-27T17:00:00Z",
                "w@x 2026-03-31T09:00:00Z",
                "w@x 2026-04-30T09:00:00Z",
                "t@x 2026-11-26T00:00:00Z",
                "t@x 2027-11-25T00:00:00Z",
            ]
        );
    }

    #[test]
    fn a_cancelled_event_is_left_out_and_a_cancelled_instance_removes_its_occurrence() {
        let items = feed(
            "BEGIN:VEVENT\r\nUID:d@x\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:d@x\r\nRECURRENCE-ID:20260102T100000Z\r\nDTSTART:20260102T100000Z\r\n\
             STATUS:CANCELLED\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:c@x\r\nSTATUS:CANCELLED\r\nDTSTART:20260101T120000Z\r\nEND:VEVENT\r\n",
        );
        let got = occurrences(&items, ts("2025-12-01T00:00:00Z"), ts("2026-12-01T00:00:00Z"));
        let starts: Vec<String> = got.iter().map(|o| format!("{} {}", o.uid, o.starts_at)).collect();
        assert_eq!(starts, ["d@x 2026-01-01T10:00:00Z", "d@x 2026-01-03T10:00:00Z"]);
    }

    #[test]
    fn an_endless_rule_stops_at_the_window_and_all_day_events_last_their_days() {
        let items = feed(
            "BEGIN:VEVENT\r\nUID:y@x\r\nDTSTART;VALUE=DATE:20200229\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:h@x\r\nDTSTART;VALUE=DATE:20260301\r\nDTEND;VALUE=DATE:20260303\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:s@x\r\nDTSTART:19700101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n",
        );
        let got = occurrences(&items, ts("2026-03-01T00:00:00Z"), ts("2026-03-11T00:00:00Z"));
        assert_eq!(got.iter().filter(|o| o.uid == "y@x").count(), 10);
        let holiday = got.iter().find(|o| o.uid == "h@x").unwrap();
        assert!(holiday.all_day && holiday.ends_at.duration_since(holiday.starts_at) == SignedDuration::from_hours(48));
        // A rule that would step through 56 years of seconds gives up after its step budget.
        assert!(got.iter().all(|o| o.uid != "s@x"));
    }
}
