//! Calendar feeds (the contact-channels issue §7): subscribed, fetched at once by the sync queue
//! and again every `ROSTER_CALENDAR_REFRESH` with the feed's ETag, recurring events expanded in
//! the window on their zone's wall clock, listed by time a page at a time; failures recorded
//! and retried with backoff; bad feeds of every kind end in `status: error`, never a 500. The
//! feeds come from a local server, so these apps allow private URLs (see calendars_ssrf.rs for
//! the other side).

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::feeds::{Feed, FeedServer, calendar};
use crate::helpers::{TestApp, enc, spawn_app_with};

/// A Monday stand-up in Paris (weekly, 10 times, one week skipped), a holiday, a one-off in
/// UTC, a cancelled event and one long past.
const EVENTS: &str = "BEGIN:VEVENT\r\nUID:standup@example.com\r\nSUMMARY:Stand-up\r\n\
    DTSTART;TZID=Europe/Paris:20261005T090000\r\nDTEND;TZID=Europe/Paris:20261005T091500\r\n\
    RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10\r\nEXDATE;TZID=Europe/Paris:20261102T090000\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:holiday@example.com\r\nSUMMARY:Company holiday\r\nDTSTART;VALUE=DATE:20261126\r\n\
    END:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:review@example.com\r\nSUMMARY:Design review\r\nLOCATION:Room 3\\, second floor\r\n\
    DTSTART:20261201T150000Z\r\nDTEND:20261201T160000Z\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:cancelled@example.com\r\nSTATUS:CANCELLED\r\nDTSTART:20261202T150000Z\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:old@example.com\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n";

/// An app on a pinned clock (20 November 2026, noon UTC) that may fetch from loopback.
pub async fn calendar_app() -> TestApp {
    spawn_app_with(|o| {
        o.clock = Clock::pinned(datetime!(2026-11-20 12:00 UTC));
        o.settings.allow_private_urls = true;
    })
    .await
}

pub async fn subscribe(app: &TestApp, session: &str, url: &str) -> Value {
    let reply =
        app.post("/v1/users/calendars", Some(session), json!({"provider": "ics", "name": "Team", "url": url})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/v1/users/calendars/{}", reply.body["id"].as_str().unwrap())
    );
    reply.body
}

/// The caller's calendar `id` as listed.
pub async fn listed(app: &TestApp, session: &str, id: &Value) -> Value {
    let list = app.get("/v1/users/calendars", session).await;
    assert_eq!(list.status, StatusCode::OK);
    list.body["data"].as_array().unwrap().iter().find(|c| c["id"] == *id).cloned().expect("the calendar is listed")
}

async fn starts(app: &TestApp, session: &str, id: &Value, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/v1/users/calendars/{}/events?{query}", id.as_str().unwrap()), session).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"].as_array().unwrap().iter().map(|e| e["starts_at"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_feed_is_fetched_at_once_expanded_on_its_wall_clock_and_listed_by_time() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    feeds.put("team.ics", Feed::Ics { body: calendar(EVENTS), etag: Some("\"v1\"".into()) });
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;

    let created = subscribe(&app, &ada, &feeds.url("team.ics")).await;
    assert_eq!((created["status"].as_str(), created["event_count"].as_i64()), (Some("pending"), Some(0)));
    app.drain().await;
    let calendar = listed(&app, &ada, &created["id"]).await;
    assert_eq!(calendar["status"], "ok", "{calendar}");
    assert_eq!(calendar["last_synced_at"], "2026-11-20T12:00:00Z");
    assert_eq!(calendar["next_sync_at"], "2026-11-20T12:15:00Z", "every ROSTER_CALENDAR_REFRESH (15 min)");
    assert_eq!(calendar["event_count"], 8);

    // 09:00 in Paris is 08:00Z in winter (the 19 October one, 07:00Z, is before the window's
    // 30 days back; 2 November is an EXDATE); the holiday is a whole day; the cancelled and the
    // old events are not there.
    let all = starts(&app, &ada, &created["id"], "limit=100").await;
    assert_eq!(
        all,
        [
            "2026-10-26T08:00:00Z",
            "2026-11-09T08:00:00Z",
            "2026-11-16T08:00:00Z",
            "2026-11-23T08:00:00Z",
            "2026-11-26T00:00:00Z",
            "2026-11-30T08:00:00Z",
            "2026-12-01T15:00:00Z",
            "2026-12-07T08:00:00Z"
        ]
    );
    let page =
        app.get(&format!("/v1/users/calendars/{}/events?limit=100", created["id"].as_str().unwrap()), &ada).await;
    let holiday = &page.body["data"][4];
    assert_eq!(
        holiday,
        &json!({"uid": "holiday@example.com", "summary": "Company holiday", "starts_at": "2026-11-26T00:00:00Z",
            "ends_at": "2026-11-27T00:00:00Z", "all_day": true, "location": null})
    );
    assert_eq!(page.body["data"][6]["location"], "Room 3, second floor", "text is unescaped");
    assert_eq!(page.body["data"][0]["ends_at"], "2026-10-26T08:15:00Z");

    // A window, and pages of 3 that add up to the whole.
    let window = format!("from={}&to={}", enc("2026-11-20T00:00:00Z"), enc("2026-12-01T00:00:00Z"));
    assert_eq!(starts(&app, &ada, &created["id"], &window).await, all[3..6]);
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let path =
            format!("/v1/users/calendars/{}/events?limit=3&cursor={}", created["id"].as_str().unwrap(), enc(&cursor));
        let reply = app.get(&path, &ada).await;
        walked
            .extend(reply.body["data"].as_array().unwrap().iter().map(|e| e["starts_at"].as_str().unwrap().to_owned()));
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(walked, all);

    let backwards = format!("from={}&to={}", enc("2026-12-01T00:00:00Z"), enc("2026-11-01T00:00:00Z"));
    let reply =
        app.get(&format!("/v1/users/calendars/{}/events?{backwards}", created["id"].as_str().unwrap()), &ada).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["field"], "to");
    let forged =
        app.get(&format!("/v1/users/calendars/{}/events?cursor=forged", created["id"].as_str().unwrap()), &ada).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_feed_is_fetched_again_every_refresh_with_its_etag_and_failures_back_off() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    feeds.put("team.ics", Feed::Ics { body: calendar(EVENTS), etag: Some("\"v1\"".into()) });
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;
    let created = subscribe(&app, &ada, &feeds.url("team.ics")).await;
    app.drain().await;

    // Not yet due: nothing is fetched.
    app.clock.advance(time::Duration::minutes(14));
    app.drain().await;
    assert_eq!(feeds.hits_of("team.ics").len(), 1);
    // Due: asked with the ETag, answered 304, nothing changes but the time.
    app.clock.advance(time::Duration::minutes(1));
    app.drain().await;
    let hits = feeds.hits_of("team.ics");
    assert_eq!((hits.len(), hits[1].if_none_match.as_deref()), (2, Some("\"v1\"")));
    let again = listed(&app, &ada, &created["id"]).await;
    assert_eq!((again["status"].as_str(), again["event_count"].as_i64()), (Some("ok"), Some(8)));
    assert_eq!(again["last_synced_at"], "2026-11-20T12:15:00Z");

    // The feed breaks: the error is recorded, the events of the last good fetch stay, and it
    // is tried again after a minute, then two.
    feeds.put("team.ics", Feed::Status(503));
    app.clock.advance(time::Duration::minutes(15));
    app.drain().await;
    let broken = listed(&app, &ada, &created["id"]).await;
    assert_eq!(broken["status"], "error");
    assert_eq!(broken["last_error"], "the feed answered HTTP 503 Service Unavailable");
    assert_eq!(
        (broken["event_count"].as_i64(), broken["last_synced_at"].as_str()),
        (Some(8), Some("2026-11-20T12:15:00Z"))
    );
    assert_eq!(broken["next_sync_at"], "2026-11-20T12:31:00Z");
    assert_eq!(starts(&app, &ada, &created["id"], "limit=100").await.len(), 8);
    app.clock.advance(time::Duration::minutes(1));
    app.drain().await;
    assert_eq!(listed(&app, &ada, &created["id"]).await["next_sync_at"], "2026-11-20T12:33:00Z", "then 2 minutes");

    // Mended, with new content: read whole again.
    let one = "BEGIN:VEVENT\r\nUID:one@example.com\r\nDTSTART:20261221T100000Z\r\nEND:VEVENT\r\n";
    feeds.put("team.ics", Feed::Ics { body: calendar(one), etag: Some("\"v2\"".into()) });
    app.clock.advance(time::Duration::minutes(2));
    app.drain().await;
    let mended = listed(&app, &ada, &created["id"]).await;
    assert_eq!(
        (mended["status"].as_str(), mended["last_error"].as_str(), mended["event_count"].as_i64()),
        (Some("ok"), None, Some(1))
    );
    assert_eq!(starts(&app, &ada, &created["id"], "").await, ["2026-12-21T10:00:00Z"]);
    app.clock.advance(time::Duration::minutes(15));
    app.drain().await;
    assert_eq!(feeds.hits_of("team.ics").last().unwrap().if_none_match.as_deref(), Some("\"v2\""));
    // Unchanged for a day, it is still read whole once a day: the window moves on.
    let hits = feeds.hits_of("team.ics").len();
    app.clock.advance(time::Duration::hours(24));
    app.drain().await;
    let latest = feeds.hits_of("team.ics");
    assert_eq!((latest.len(), latest.last().unwrap().if_none_match.as_deref()), (hits + 1, None));

    // Removed: its chain ends, nothing more is fetched.
    let before = feeds.hits().len();
    assert_eq!(
        app.delete(&format!("/v1/users/calendars/{}", created["id"].as_str().unwrap()), &ada).await.status,
        StatusCode::NO_CONTENT
    );
    app.clock.advance(time::Duration::hours(1));
    app.drain().await;
    assert_eq!(feeds.hits().len(), before);
}

#[tokio::test]
async fn feeds_that_are_not_icalendar_too_big_endless_or_looping_end_in_status_error_with_a_reason() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;
    // 100 000 events in 4 MiB (bare line feeds, no UID: each gets one of its own).
    let many =
        format!("BEGIN:VCALENDAR\n{}END:VCALENDAR\n", "BEGIN:VEVENT\nDTSTART:20261201\nEND:VEVENT\n".repeat(100_000));
    let cases: Vec<(&str, Feed, &str)> = vec![
        ("html", Feed::Bytes(b"<!doctype html><title>Sign in</title>".to_vec()), "not an iCalendar file"),
        ("latin1", Feed::Bytes(b"BEGIN:VCALENDAR\r\nX-NAME:Andr\xe9\r\nEND:VCALENDAR\r\n".to_vec()), "not valid UTF-8"),
        (
            "broken",
            Feed::Bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026\r\n".to_vec()),
            "not a valid iCalendar",
        ),
        (
            "nested",
            Feed::Bytes(format!("BEGIN:VCALENDAR\r\n{}", "BEGIN:X\r\n".repeat(100_000)).into_bytes()),
            "too deeply",
        ),
        ("huge", Feed::Announced(50 * 1024 * 1024), "larger than 5 MiB"),
        ("endless", Feed::Endless, "larger than 5 MiB"),
        ("gone", Feed::Status(404), "HTTP 404"),
        ("loop", Feed::Redirect(feeds.url("loop")), "redirect"),
        ("many", Feed::Ics { body: many, etag: None }, ""),
    ];
    let mut ids = Vec::new();
    for (path, feed, _) in &cases {
        feeds.put(path, feed.clone());
        ids.push(subscribe(&app, &ada, &feeds.url(path)).await["id"].clone());
    }
    app.drain().await;
    for ((path, _, reason), id) in cases.iter().zip(&ids) {
        let calendar = listed(&app, &ada, id).await;
        if *path == "many" {
            // Read, and at most 10 000 occurrences kept.
            assert_eq!(
                (calendar["status"].as_str(), calendar["event_count"].as_i64()),
                (Some("ok"), Some(10_000)),
                "{calendar}"
            );
            continue;
        }
        assert_eq!(calendar["status"], "error", "{path}: {calendar}");
        let error = calendar["last_error"].as_str().unwrap();
        assert!(error.contains(reason), "{path}: {error}");
        assert!(!error.contains("127.0.0.1"), "the error never carries the URL: {error}");
        assert_eq!(calendar["event_count"], 0);
    }
    assert_eq!(feeds.hits_of("loop").len(), 4, "the first request and 3 redirects");
}

#[tokio::test]
async fn a_feed_that_trickles_forever_is_cut_off_after_ten_seconds() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    feeds.put("slow.ics", Feed::Trickle);
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;
    let created = subscribe(&app, &ada, &feeds.url("slow.ics")).await;
    let started = std::time::Instant::now();
    app.drain().await;
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_secs(9) && took < std::time::Duration::from_secs(20), "{took:?}");
    let calendar = listed(&app, &ada, &created["id"]).await;
    assert_eq!(calendar["status"], "error");
    assert!(calendar["last_error"].as_str().unwrap().contains("timed out"), "{calendar}");
}

#[tokio::test]
async fn calendars_are_their_owners_alone_at_most_twenty_and_go_with_the_user() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    feeds.put("team.ics", Feed::Ics { body: calendar(EVENTS), etag: None });
    // Bob owns the account Ada is a member of: he may delete her, not read her calendars.
    let (_, bob, account) = app.member("bob@example.com", "Bob").await;
    let (ada_user, ada) = app.add_member(&bob, &account, "ada@example.com", "member").await;
    let created = subscribe(&app, &ada, &feeds.url("team.ics")).await;
    let id = created["id"].as_str().unwrap();

    assert_eq!(app.get(&format!("/v1/users/calendars/{id}/events"), &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/v1/users/calendars/{id}"), &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/v1/users/calendars", &bob).await.body["data"], json!([]));

    for (body, field, code) in [
        (json!({"provider": "ics", "name": "x", "url": "ftp://example.com/a.ics"}), "url", "invalid_url"),
        (json!({"provider": "ics", "name": "x", "url": "https://user:pw@example.com/a.ics"}), "url", "invalid_url"),
        (json!({"provider": "ics", "name": " ", "url": feeds.url("team.ics")}), "name", "required"),
    ] {
        let reply = app.post("/v1/users/calendars", Some(&ada), body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (reply.body["errors"][0]["field"].as_str(), reply.body["errors"][0]["code"].as_str()),
            (Some(field), Some(code))
        );
    }
    let google = app
        .post("/v1/users/calendars", Some(&ada), json!({"provider": "google", "name": "x", "url": feeds.url("a")}))
        .await;
    assert_eq!(google.status, StatusCode::UNPROCESSABLE_ENTITY);

    for _ in 1..20 {
        subscribe(&app, &ada, &feeds.url("team.ics")).await;
    }
    let reply = app
        .post(
            "/v1/users/calendars",
            Some(&ada),
            json!({"provider": "ics", "name": "21st", "url": feeds.url("team.ics")}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many"))
    );

    let deleted = app.delete(&format!("/v1/users/{}", ada_user["id"].as_str().unwrap()), &bob).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    app.drain().await;
    assert!(feeds.hits().is_empty(), "a deleted user's feeds are never fetched");
}

#[tokio::test]
async fn a_lost_sync_chain_is_queued_again_an_hour_after_it_was_due_and_changes_are_audited() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    feeds.put("team.ics", Feed::Ics { body: calendar(EVENTS), etag: None });
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;
    let created = subscribe(&app, &ada, &feeds.url("team.ics")).await;
    // Its job dies (as after ten tries through a long database outage): nothing fetches it.
    let kill = "UPDATE jobs SET status = 'dead' WHERE kind = 'calendar.sync'";
    app.sql(kill, &[kill]).await;
    app.drain().await;
    assert!(feeds.hits().is_empty());

    app.clock.advance(time::Duration::minutes(59));
    assert_eq!(app.core.rearm_overdue_calendars().await.unwrap(), 0, "not lost yet");
    app.clock.advance(time::Duration::minutes(2));
    assert_eq!(app.core.rearm_overdue_calendars().await.unwrap(), 1);
    assert_eq!(app.core.rearm_overdue_calendars().await.unwrap(), 1, "looked at again, queued once");
    app.drain().await;
    assert_eq!(feeds.hits().len(), 1);
    assert_eq!(listed(&app, &ada, &created["id"]).await["status"], "ok");
    assert_eq!(app.core.rearm_overdue_calendars().await.unwrap(), 0, "the chain goes on");

    let id = created["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/users/calendars/{id}"), &ada).await.status, StatusCode::NO_CONTENT);
    let me = app.get("/v1/users/profile", &ada).await.body["id"].as_str().unwrap().to_owned();
    let trail = app.get(&format!("/v1/users/{me}/activity"), &ada).await;
    let entries: Vec<(&str, &str)> = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"].as_str().unwrap().starts_with("user.calendar"))
        .map(|a| (a["action"].as_str().unwrap(), a["changes"]["calendar_id"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("user.calendar_removed", id), ("user.calendar_added", id)]);
    assert!(!trail.body.to_string().contains("team.ics"), "the feed's URL is not in the trail");
}
