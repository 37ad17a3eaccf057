//! Calendar feeds (migration 0013): a subscription per row, its events replaced whole by each
//! good fetch; a fetch is recorded only by the sync link the row stands at, which moves it on.

use roster_store::Ts;
use roster_store::calendars::{self, Calendar, Event, EventsAfter, Outcome};

use crate::support::{T0, engines, insert_user, start, user};

fn at(seconds: i64) -> Ts {
    Ts::from_micros(T0 + seconds * 1_000_000)
}

fn event(uid: &str, start: i64, end: i64) -> Event {
    Event {
        uid: uid.to_owned(),
        starts_at: at(start),
        ends_at: at(end),
        all_day: false,
        summary: Some(format!("About {uid}")),
        location: None,
    }
}

#[tokio::test]
async fn a_fetch_is_recorded_once_by_its_link_and_replaces_the_events_whole() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("cal1@x.test", "Cal1"), user("cal2@x.test", "Cal2"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let calendar = Calendar {
            id: roster_domain::CalendarId::new(),
            user_id: ada.id,
            provider: "ics".into(),
            name: "Team".into(),
            url: "https://calendar.example.com/team.ics".into(),
            status: "pending".into(),
            last_error: None,
            last_synced_at: None,
            expanded_at: None,
            event_count: 0,
            etag: None,
            failures: 0,
            sync_seq: 0,
            next_sync_at: Some(at(0)),
            created_at: at(0),
            updated_at: at(0),
        };
        let mut tx = db.begin().await.unwrap();
        calendars::insert(&mut tx, &calendar).await.unwrap();
        assert_eq!(calendars::count_of_user(&mut tx, ada.id).await.unwrap(), 1);
        assert_eq!(calendars::of_user(&mut tx, ada.id).await.unwrap(), std::slice::from_ref(&calendar));
        assert!(calendars::of_user(&mut tx, bob.id).await.unwrap().is_empty());

        let first = [event("b", 100, 200), event("a", 100, 150), event("c", 300, 300)];
        let fetched = Outcome::Fetched { events: &first, etag: Some("\"v1\"") };
        assert!(calendars::record(&mut tx, calendar.id, 0, &fetched, at(10), at(910)).await.unwrap());
        assert!(
            !calendars::record(&mut tx, calendar.id, 0, &fetched, at(11), at(911)).await.unwrap(),
            "link 0 is spent"
        );
        let row = calendars::find(&mut tx, calendar.id).await.unwrap().unwrap();
        assert_eq!(
            (
                row.status.as_str(),
                row.event_count,
                row.etag.as_deref(),
                row.sync_seq,
                row.last_synced_at,
                row.next_sync_at
            ),
            ("ok", 3, Some("\"v1\""), 1, Some(at(10)), Some(at(910)))
        );
        assert_eq!(row.expanded_at, Some(at(10)));

        // By start then uid; a window keeps what overlaps it; pages continue after (start, uid).
        let all = calendars::events(&mut tx, calendar.id, None, None, None, 10).await.unwrap();
        assert_eq!(all.iter().map(|e| e.uid.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(all[0], first[1]);
        let window = calendars::events(&mut tx, calendar.id, Some(at(160)), Some(at(300)), None, 10).await.unwrap();
        assert_eq!(window.iter().map(|e| e.uid.as_str()).collect::<Vec<_>>(), ["b"]);
        let after = EventsAfter { starts_at: at(100), uid: "a".into() };
        let next = calendars::events(&mut tx, calendar.id, None, None, Some(&after), 1).await.unwrap();
        assert_eq!(next.iter().map(|e| e.uid.as_str()).collect::<Vec<_>>(), ["b"]);

        // A failure keeps the events and counts; a 304 clears the error; a new body replaces all.
        let failed = Outcome::Failed { error: "the feed answered HTTP 503" };
        assert!(calendars::record(&mut tx, calendar.id, 1, &failed, at(20), at(80)).await.unwrap());
        let row = calendars::find(&mut tx, calendar.id).await.unwrap().unwrap();
        assert_eq!(
            (row.status.as_str(), row.failures, row.event_count, row.last_synced_at),
            ("error", 1, 3, Some(at(10)))
        );
        assert_eq!(row.last_error.as_deref(), Some("the feed answered HTTP 503"));
        assert!(calendars::record(&mut tx, calendar.id, 2, &Outcome::NotModified, at(90), at(990)).await.unwrap());
        let row = calendars::find(&mut tx, calendar.id).await.unwrap().unwrap();
        assert_eq!(
            (row.status.as_str(), row.failures, row.last_error, row.etag.as_deref()),
            ("ok", 0, None, Some("\"v1\""))
        );
        assert_eq!((row.last_synced_at, row.expanded_at), (Some(at(90)), Some(at(10))), "a 304 reads nothing");
        let many: Vec<Event> = (0..450).map(|i| event(&format!("e{i:03}"), i, i + 1)).collect();
        let fetched = Outcome::Fetched { events: &many, etag: None };
        assert!(calendars::record(&mut tx, calendar.id, 3, &fetched, at(1000), at(1900)).await.unwrap());
        let stored = calendars::events(&mut tx, calendar.id, None, None, None, 1000).await.unwrap();
        assert_eq!(stored, many, "in batches, the old ones gone");

        // Overdue: due (here at 1900) before the cut-off.
        let overdue = |rows: Vec<Calendar>| rows.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert!(overdue(calendars::overdue(&mut tx, at(1900), 10).await.unwrap()).is_empty());
        assert_eq!(overdue(calendars::overdue(&mut tx, at(1901), 10).await.unwrap()), [calendar.id]);
        assert!(overdue(calendars::overdue(&mut tx, at(1901), 0).await.unwrap()).is_empty());

        assert!(!calendars::delete(&mut tx, bob.id, calendar.id).await.unwrap(), "not Bob's");
        assert!(calendars::delete(&mut tx, ada.id, calendar.id).await.unwrap());
        assert!(calendars::find(&mut tx, calendar.id).await.unwrap().is_none());
        assert!(
            calendars::events(&mut tx, calendar.id, None, None, None, 10).await.unwrap().is_empty(),
            "its events went with it"
        );
        calendars::insert(&mut tx, &Calendar { id: roster_domain::CalendarId::new(), ..calendar.clone() })
            .await
            .unwrap();
        assert_eq!(calendars::delete_all(&mut tx, ada.id).await.unwrap(), 1);
        tx.commit().await.unwrap();
    }
}
