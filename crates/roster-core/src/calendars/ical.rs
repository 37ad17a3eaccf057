//! Reading a feed: the text is checked and normalised, parsed by the `icalendar` crate's parser
//! into components, and each VEVENT read into an [`Item`] (its times resolved in jiff's time-zone
//! database). Recurrences are expanded by [`super::expand`].
//!
//! The normalisation is there for the parser: it reads a line up to its CRLF, and on a file
//! with bare LF line ends it would search the rest of the file for every property (quadratic
//! on a 5 MiB feed); it also recurses once per nesting level, so nesting is bounded first.

use icalendar::parser::{Component, Property};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Deepest nesting of BEGIN/END accepted (VCALENDAR > VEVENT > VALARM is 3).
const MAX_DEPTH: usize = 8;
/// Longest uid, summary and location kept (characters); longer ones are cut.
const MAX_UID: usize = 255;
const MAX_TEXT: usize = 1000;

/// A start or end as the feed wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// A whole day (`VALUE=DATE`).
    Day(Date),
    /// A time of day in a zone (UTC, a TZID, or the calendar's zone for floating times).
    At(DateTime),
}

/// One VEVENT as written: times on the wall clock of `tz`.
#[derive(Debug, Clone)]
pub struct Item {
    pub uid: String,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub start: When,
    /// The end, or `None` (then a day lasts a day and a time lasts no time).
    pub end: Option<When>,
    /// DURATION, in seconds, when there is no DTEND.
    pub duration: Option<i64>,
    pub tz: TimeZone,
    pub rrule: Option<String>,
    /// Excluded occurrences (EXDATE), on `tz`'s wall clock.
    pub exdates: Vec<When>,
    /// Extra occurrences (RDATE), on `tz`'s wall clock.
    pub rdates: Vec<When>,
    /// For an overriding instance of a recurring event: the occurrence it replaces.
    pub recurrence_id: Option<When>,
    /// `STATUS:CANCELLED`: shown nowhere; an overriding instance so marked removes its
    /// occurrence.
    pub cancelled: bool,
}

/// Parse the body of a feed into its events.
pub fn parse(bytes: &[u8], default_tz: &TimeZone) -> Result<Vec<Item>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the feed is not valid UTF-8".to_owned())?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if !text.get(..15).is_some_and(|head| head.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        return Err("the feed is not an iCalendar file (it does not start with BEGIN:VCALENDAR)".to_owned());
    }
    let normalised = normalise(text)?;
    let unfolded = icalendar::parser::unfold(&normalised);
    let mut items = Vec::new();
    // A feed may hold several VCALENDARs one after another; the parser takes one at a time.
    for part in split_calendars(&unfolded) {
        let calendar =
            icalendar::parser::read_calendar(part).map_err(|_| "the feed is not a valid iCalendar file".to_owned())?;
        let zone = calendar
            .properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case("X-WR-TIMEZONE"))
            .and_then(|p| zone(p.val.as_str()))
            .unwrap_or_else(|| default_tz.clone());
        for component in &calendar.components {
            if component.name.as_str().eq_ignore_ascii_case("VEVENT")
                && let Some(item) = read_event(component, &zone, items.len())
            {
                items.push(item);
            }
        }
    }
    Ok(items)
}

/// CRLF line ends throughout, and no nesting deeper than [`MAX_DEPTH`].
fn normalise(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut depth = 0usize;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let head = line.get(..6).unwrap_or("");
        if head.eq_ignore_ascii_case("BEGIN:") {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err("the feed nests its components too deeply".to_owned());
            }
        } else if line.get(..4).is_some_and(|h| h.eq_ignore_ascii_case("END:")) {
            depth = depth.saturating_sub(1);
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    Ok(out)
}

/// The VCALENDAR blocks of `text`, each from its BEGIN to the next one.
fn split_calendars(text: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive("\r\n") {
        if line.trim_end().eq_ignore_ascii_case("BEGIN:VCALENDAR") {
            starts.push(at);
        }
        at += line.len();
    }
    starts.push(text.len());
    starts.windows(2).map(|w| text[w[0]..w[1]].trim()).filter(|part| !part.is_empty()).collect()
}

fn prop<'c>(component: &'c Component<'_>, name: &str) -> Option<&'c Property<'c>> {
    component.properties.iter().find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'p>(property: &'p Property<'_>, key: &str) -> Option<&'p str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

/// The zone a TZID names: an IANA name, or one with a vendor prefix such as
/// `/mozilla.org/20050126_1/America/New_York`.
fn zone(tzid: &str) -> Option<TimeZone> {
    let tzid = tzid.trim().trim_matches('"');
    if let Ok(tz) = jiff::tz::db().get(tzid) {
        return Some(tz);
    }
    let parts: Vec<&str> = tzid.split('/').filter(|p| !p.is_empty()).collect();
    (2..=3)
        .rev()
        .filter(|n| parts.len() > *n)
        .find_map(|n| jiff::tz::db().get(&parts[parts.len() - n..].join("/")).ok())
}

fn read_event(component: &Component<'_>, calendar_zone: &TimeZone, index: usize) -> Option<Item> {
    let cancelled = prop(component, "STATUS").is_some_and(|p| p.val.as_str().eq_ignore_ascii_case("CANCELLED"));
    let dtstart = prop(component, "DTSTART")?;
    let tz = time_zone(dtstart, calendar_zone);
    let start = when(dtstart, &tz)?;
    let end = prop(component, "DTEND").and_then(|p| when(p, &tz));
    let duration = prop(component, "DURATION").and_then(|p| duration_seconds(p.val.as_str()));
    let uid = prop(component, "UID")
        .map(|p| cut(p.val.as_str(), MAX_UID))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("roster-no-uid-{index}"));
    let dates = |name: &str| -> Vec<When> {
        component
            .properties
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case(name))
            .flat_map(|p| {
                let tz_of = time_zone(p, &tz);
                let day = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
                p.val
                    .as_str()
                    .split(',')
                    .filter_map(|v| parse_when(v, day).map(|w| on_wall_clock(w, &tz_of, &tz)))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    Some(Item {
        summary: prop(component, "SUMMARY").map(|p| cut(p.val.as_str(), MAX_TEXT)).filter(|s| !s.is_empty()),
        location: prop(component, "LOCATION").map(|p| cut(p.val.as_str(), MAX_TEXT)).filter(|s| !s.is_empty()),
        rrule: prop(component, "RRULE").map(|p| p.val.as_str().trim().to_owned()),
        exdates: dates("EXDATE"),
        rdates: dates("RDATE"),
        recurrence_id: prop(component, "RECURRENCE-ID").and_then(|p| when(p, &tz)),
        cancelled,
        uid,
        start,
        end,
        duration,
        tz,
    })
}

/// The zone of a property: UTC for a `Z` time, its TZID's zone, else the calendar's.
fn time_zone(property: &Property<'_>, calendar_zone: &TimeZone) -> TimeZone {
    if property.val.as_str().trim().ends_with(['Z', 'z']) {
        return TimeZone::UTC;
    }
    param(property, "TZID").and_then(zone).unwrap_or_else(|| calendar_zone.clone())
}

fn when(property: &Property<'_>, tz: &TimeZone) -> Option<When> {
    let day = param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let own = time_zone(property, tz);
    parse_when(property.val.as_str(), day).map(|w| on_wall_clock(w, &own, tz))
}

/// `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ` (a leap second reads as :59).
fn parse_when(value: &str, day: bool) -> Option<When> {
    let value = value.trim();
    let digits = |range: std::ops::Range<usize>| {
        value.get(range).filter(|s| s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse::<i16>().ok())
    };
    let date = Date::new(digits(0..4)?, digits(4..6)? as i8, digits(6..8)? as i8).ok()?;
    if value.len() == 8 {
        return Some(When::Day(date));
    }
    if day
        || !value.get(8..9).is_some_and(|t| t.eq_ignore_ascii_case("T"))
        || value.trim_end_matches(['Z', 'z']).len() != 15
    {
        return None;
    }
    let time =
        jiff::civil::Time::new(digits(9..11)? as i8, digits(11..13)? as i8, digits(13..15)?.min(59) as i8, 0).ok()?;
    Some(When::At(date.to_datetime(time)))
}

/// `w`, written on `from`'s wall clock, on `to`'s wall clock.
fn on_wall_clock(w: When, from: &TimeZone, to: &TimeZone) -> When {
    match w {
        When::At(at) => from.to_timestamp(at).map_or(w, |t| When::At(to.to_datetime(t))),
        day @ When::Day(_) => day,
    }
}

/// An RFC 5545 duration (`P1D`, `PT1H30M`, `P2W`, `-PT15M`) in seconds.
fn duration_seconds(value: &str) -> Option<i64> {
    let value = value.trim();
    let (sign, rest) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut total, mut number, mut in_time, mut any) = (0i64, String::new(), false, false);
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' => in_time = true,
            d if d.is_ascii_digit() && number.len() < 9 => number.push(d),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                any = true;
                total += n * match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
            }
        }
    }
    (any && number.is_empty()).then_some(sign * total)
}

/// `text` trimmed, at most `max` characters.
fn cut(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_weeks_days_and_times() {
        assert_eq!(duration_seconds("PT1H30M"), Some(5400));
        assert_eq!(duration_seconds("P1D"), Some(86_400));
        assert_eq!(duration_seconds("P2W"), Some(14 * 86_400));
        assert_eq!(duration_seconds("-PT15M"), Some(-900));
        assert_eq!(duration_seconds("P1DT2H"), Some(93_600));
        assert_eq!(duration_seconds("PT"), None);
        assert_eq!(duration_seconds("1H"), None);
        assert_eq!(duration_seconds("P1H"), None);
    }

    #[test]
    fn a_feed_with_bare_line_feeds_and_folded_lines_parses() {
        let feed = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a@x\nSUMMARY:Long\n  title\n\
                    DTSTART;TZID=Europe/Paris:20261201T090000\nDTEND;TZID=Europe/Paris:20261201T100000\n\
                    END:VEVENT\nEND:VCALENDAR\n";
        let items = parse(feed.as_bytes(), &TimeZone::UTC).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].summary.as_deref(), Some("Long title"));
        assert_eq!(items[0].start, When::At(jiff::civil::date(2026, 12, 1).at(9, 0, 0, 0)));
        assert_eq!(items[0].tz.iana_name(), Some("Europe/Paris"));
    }

    #[test]
    fn text_that_is_not_icalendar_is_refused_with_a_reason() {
        assert!(parse(b"<html></html>", &TimeZone::UTC).unwrap_err().contains("not an iCalendar"));
        assert!(parse(&[0x42, 0xff, 0xfe], &TimeZone::UTC).unwrap_err().contains("UTF-8"));
        let deep = format!("BEGIN:VCALENDAR\n{}", "BEGIN:X\n".repeat(10_000));
        assert!(parse(deep.as_bytes(), &TimeZone::UTC).unwrap_err().contains("deeply"));
        assert!(parse(b"BEGIN:VCALENDAR\nBEGIN:VEVENT\n", &TimeZone::UTC).is_err());
    }
}
