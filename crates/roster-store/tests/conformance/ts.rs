//! `Ts`: microsecond precision on both engines, and ordering within one second.

use roster_domain::user::User;
use roster_store::user_list::{Budget, ListPage, Population, SortKey, UserFilter, UserPage, list};
use roster_store::{Ts, users};
use time::OffsetDateTime;

use crate::support::{T0, at, engines, insert_user, start, user};

fn everyone() -> UserFilter {
    UserFilter::of(Population::Everyone)
}

#[tokio::test]
async fn ts_round_trips_with_microsecond_precision_and_sorts_within_a_second() {
    // T0 + 0.123456789 s: the nanoseconds beyond the microsecond are dropped, on both engines.
    let base = OffsetDateTime::from_unix_timestamp_nanos(i128::from(T0) * 1000 + 123_456_789).unwrap();
    assert_eq!(Ts::new(base).micros(), T0 + 123_456);
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut made: Vec<User> = Vec::new();
        // Three users one microsecond apart within the same second, inserted out of order, and
        // one before the Unix epoch (negative microseconds).
        for (i, offset_nanos) in [(0, 2_000), (1, 0), (2, 1_000)] {
            let mut u = user(&format!("u{i}@example.com"), &format!("U{i}"));
            u.created_at = base + time::Duration::nanoseconds(offset_nanos);
            u.last_login_at = Some(base + time::Duration::nanoseconds(offset_nanos + 999));
            made.push(u);
        }
        let mut old = user("old@example.com", "Old");
        old.created_at = at(-1_000_001);
        made.push(old);
        for u in &made {
            insert_user(db, u).await;
        }

        let mut conn = db.conn().await.unwrap();
        for u in &made {
            let found = users::find(&mut conn, u.id).await.unwrap().expect("user found");
            assert_eq!(found.created_at, Ts::new(u.created_at).get(), "{}", u.name);
            assert_eq!(Ts::new(found.created_at).micros(), Ts::new(u.created_at).micros());
            assert_eq!(found.last_login_at, u.last_login_at.map(|t| Ts::new(t).get()));
            assert_eq!(found.created_at.nanosecond() % 1000, 0, "whole microseconds");
        }
        let old = users::find(&mut conn, made[3].id).await.unwrap().unwrap();
        assert_eq!(Ts::new(old.created_at).micros(), -1_000_001);
        assert_eq!(old.created_at.to_string(), "1969-12-31 23:59:58.999999 +00:00:00");

        // Ordering follows the microseconds, not a text rendering of them.
        let page =
            UserPage { sort: SortKey::CreatedAt, descending: false, after: None, limit: 10, budget: Budget::DEFAULT };
        let ListPage { users: listed, next } = list(&mut conn, &everyone(), &page).await.unwrap();
        assert!(next.is_none());
        let names: Vec<&str> = listed.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Old", "U1", "U2", "U0"]);

        // Time filters are exact to the microsecond and strict.
        let mut filter = everyone();
        filter.created_after = Some(Ts::new(base + time::Duration::nanoseconds(1_000)));
        let ListPage { users: listed, .. } = list(&mut conn, &filter, &page).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["U0"]);
        filter.created_after = None;
        filter.created_before = Some(Ts::new(base + time::Duration::nanoseconds(1_000)));
        let ListPage { users: listed, .. } = list(&mut conn, &filter, &page).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Old", "U1"]);
    }
}
