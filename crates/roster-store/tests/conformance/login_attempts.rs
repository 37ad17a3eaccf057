//! Login attempts and the password lock (migration 0006): the windows behind the limits, "seen
//! before", the history in pages, the 90-day sweep, and the consecutive-failure lock.

use roster_domain::UserId;
use roster_store::login_attempts::{self, Counted, Factor, NewAttempt};
use roster_store::{Db, Ts};

use crate::support::{T0, engines, insert_user, start, user};

const MINUTE: i64 = 60_000_000;

/// How an attempt ended, as the limits see it.
#[derive(Clone, Copy)]
enum Ended {
    /// A wrong password or code: counted.
    Failed,
    /// Refused over a limit: recorded, not counted.
    Refused,
    Succeeded,
}

async fn record(db: &Db, at: i64, key: &[u8], user: Option<UserId>, ip: &str, factor: Factor, ended: Ended) {
    let mut tx = db.begin().await.unwrap();
    let success = matches!(ended, Ended::Succeeded);
    let attempt = NewAttempt {
        at: Ts::from_micros(T0 + at),
        email_key: key,
        user_id: user,
        ip: Some(ip),
        user_agent: Some("agent/1"),
        factor,
        success,
        counted: matches!(ended, Ended::Failed),
        reason: (!success).then_some("wrong_password"),
    };
    login_attempts::record(&mut tx, &attempt).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_nth_counted_failure_in_a_window_is_found_per_email_address_and_user() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("attempts@x.test", "Attempts");
        insert_user(db, &ada).await;
        for n in 0..3 {
            record(db, n * MINUTE, b"ada", Some(ada.id), "10.0.0.1", Factor::Password, Ended::Failed).await;
        }
        record(db, 3 * MINUTE, b"ada", Some(ada.id), "10.0.0.1", Factor::Password, Ended::Refused).await; // refused
        record(db, 4 * MINUTE, b"ada", Some(ada.id), "10.0.0.2", Factor::Mfa, Ended::Failed).await;
        record(db, 5 * MINUTE, b"nobody", None, "10.0.0.1", Factor::Password, Ended::Failed).await;
        record(db, 6 * MINUTE, b"ada", Some(ada.id), "10.0.0.1", Factor::Password, Ended::Succeeded).await;

        let mut conn = db.conn().await.unwrap();
        let since = Ts::from_micros(T0 - 1);
        let third = login_attempts::nth_failure(&mut conn, Counted::Email(b"ada"), since, 3).await.unwrap();
        assert_eq!(third, Some(Ts::from_micros(T0)), "passwords only");
        let fourth = login_attempts::nth_failure(&mut conn, Counted::Email(b"ada"), since, 4).await.unwrap();
        assert_eq!(fourth, None);
        let ip = login_attempts::nth_failure(&mut conn, Counted::Ip("10.0.0.1"), since, 4).await.unwrap();
        assert_eq!(ip, Some(Ts::from_micros(T0)), "both emails, counted only");
        let mfa = login_attempts::nth_failure(&mut conn, Counted::Mfa(ada.id), since, 1).await.unwrap();
        assert_eq!(mfa, Some(Ts::from_micros(T0 + 4 * MINUTE)));
        let later = login_attempts::nth_failure(&mut conn, Counted::Email(b"ada"), Ts::from_micros(T0), 3).await;
        assert_eq!(later.unwrap(), None, "the window starts after the first");

        let seen =
            |ua: Option<&'static str>, ip: Option<&'static str>, since: i64| (ua, ip, Ts::from_micros(T0 + since));
        for ((ua, ip, since), expected) in [
            (seen(Some("agent/1"), Some("10.0.0.1"), 0), true),
            (seen(Some("agent/1"), Some("10.0.0.2"), 0), false),
            (seen(Some("agent/2"), Some("10.0.0.1"), 0), false),
            (seen(Some("agent/1"), Some("10.0.0.1"), 7 * MINUTE), false),
            (seen(None, None, 0), false),
        ] {
            assert_eq!(
                login_attempts::seen_before(&mut conn, ada.id, ua, ip, since).await.unwrap(),
                expected,
                "{ua:?} {ip:?}"
            );
        }

        let page = login_attempts::history(&mut conn, ada.id, None, 3).await.unwrap();
        assert_eq!(page.iter().map(|a| a.success).collect::<Vec<_>>(), [true, false, false], "newest first");
        assert_eq!(page[1].at, Ts::from_micros(T0 + 4 * MINUTE));
        let rest = login_attempts::history(&mut conn, ada.id, Some(page[2].id), 10).await.unwrap();
        assert_eq!(rest.len(), 3, "six of Ada's, the unknown email's apart");
        drop(conn);

        let mut tx = db.begin().await.unwrap();
        login_attempts::anonymize(&mut tx, ada.id).await.unwrap();
        let swept = login_attempts::sweep(&mut tx, Ts::from_micros(T0 + 2 * MINUTE)).await.unwrap();
        assert_eq!(swept, 2);
        let left = login_attempts::history(&mut tx, ada.id, None, 10).await.unwrap();
        assert_eq!(left.len(), 4);
        assert!(left.iter().all(|a| a.ip.is_none() && a.user_agent.is_none()), "anonymized");
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn the_lock_closes_once_at_the_limit_and_clearing_reopens_it() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut tx = db.begin().await.unwrap();
        assert!(!login_attempts::is_locked(&mut tx, b"key").await.unwrap());
        let mut locked_now = Vec::new();
        for n in 0..5 {
            locked_now.push(login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + n)).await.unwrap());
        }
        assert_eq!(locked_now, [false, false, true, false, false], "true once, for the failure that locked");
        assert!(login_attempts::is_locked(&mut tx, b"key").await.unwrap());
        assert!(!login_attempts::is_locked(&mut tx, b"other").await.unwrap());
        login_attempts::clear(&mut tx, b"key").await.unwrap();
        assert!(!login_attempts::is_locked(&mut tx, b"key").await.unwrap());
        assert!(
            !login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + 9)).await.unwrap(),
            "from zero"
        );
        tx.commit().await.unwrap();
    }
}
