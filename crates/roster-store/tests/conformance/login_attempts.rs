//! Login attempts and the password lock (migration 0006): the windows behind the limits, "seen
//! before", the history in pages, the 90-day sweep, the consecutive-failure lock and a
//! recovery's reset of it (migration 0015), pending attempts settled or withdrawn, and the locks
//! that make counting and deciding one step.

use roster_domain::UserId;
use roster_domain::login::AttemptReason;
use roster_store::login_attempts::{self, Counted, Factor, LockState, NewAttempt, PENDING};
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
        reason: (!success).then_some(AttemptReason::WrongPassword),
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
async fn the_lock_closes_once_at_the_limit_and_only_a_reset_reopens_it() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut tx = db.begin().await.unwrap();
        assert_eq!(login_attempts::lock_state(&mut tx, b"key").await.unwrap(), LockState::default());
        let mut locked_now = Vec::new();
        for n in 0..5 {
            locked_now.push(login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + n)).await.unwrap());
        }
        assert_eq!(locked_now, [false, false, true, false, false], "true once, for the failure that locked");
        assert!(login_attempts::lock_state(&mut tx, b"key").await.unwrap().locked);
        assert!(!login_attempts::lock_state(&mut tx, b"other").await.unwrap().locked);
        login_attempts::reset(&mut tx, b"key", Ts::from_micros(T0 + 7)).await.unwrap();
        let state = login_attempts::lock_state(&mut tx, b"key").await.unwrap();
        assert_eq!(state, LockState { locked: false, cleared_at: Some(Ts::from_micros(T0 + 7)) });
        assert!(
            !login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + 9)).await.unwrap(),
            "from zero"
        );
        login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + 10)).await.unwrap();
        // A success starts the count in a row afresh and keeps the reset's time.
        login_attempts::clear(&mut tx, b"key").await.unwrap();
        assert!(!login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + 11)).await.unwrap());
        assert!(!login_attempts::count_failure(&mut tx, b"key", 3, Ts::from_micros(T0 + 12)).await.unwrap());
        assert_eq!(
            login_attempts::lock_state(&mut tx, b"key").await.unwrap().cleared_at,
            Some(Ts::from_micros(T0 + 7))
        );
        // A reset of an email never counted before is kept too (its user's codes start afresh).
        login_attempts::reset(&mut tx, b"fresh", Ts::from_micros(T0 + 13)).await.unwrap();
        assert!(login_attempts::lock_state(&mut tx, b"fresh").await.unwrap().cleared_at.is_some());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn lock_rows_that_say_nothing_any_more_are_swept() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut tx = db.begin().await.unwrap();
        login_attempts::count_failure(&mut tx, b"counting", 100, Ts::from_micros(T0)).await.unwrap();
        login_attempts::count_failure(&mut tx, b"cleared", 100, Ts::from_micros(T0)).await.unwrap();
        login_attempts::clear(&mut tx, b"cleared").await.unwrap();
        login_attempts::reset(&mut tx, b"reset-long-ago", Ts::from_micros(T0)).await.unwrap();
        login_attempts::reset(&mut tx, b"reset-lately", Ts::from_micros(T0 + 10 * MINUTE)).await.unwrap();
        assert_eq!(login_attempts::sweep_locks(&mut tx, Ts::from_micros(T0 + 5 * MINUTE)).await.unwrap(), 2);
        login_attempts::count_failure(&mut tx, b"counting", 100, Ts::from_micros(T0)).await.unwrap();
        for kept in [b"reset-lately".as_slice(), b"counting"] {
            let state = login_attempts::lock_state(&mut tx, kept).await.unwrap();
            assert!(!state.locked);
        }
        assert_eq!(
            login_attempts::lock_state(&mut tx, b"reset-lately").await.unwrap().cleared_at,
            Some(Ts::from_micros(T0 + 10 * MINUTE))
        );
        assert_eq!(login_attempts::lock_state(&mut tx, b"reset-long-ago").await.unwrap(), LockState::default());
        tx.commit().await.unwrap();
    }
}

fn pending(key: &[u8], user: Option<UserId>, factor: Factor, at: i64) -> NewAttempt<'_> {
    NewAttempt {
        at: Ts::from_micros(T0 + at),
        email_key: key,
        user_id: user,
        ip: Some("10.0.0.9"),
        user_agent: None,
        factor,
        success: false,
        counted: true,
        reason: Some(PENDING),
    }
}

#[tokio::test]
async fn a_pending_attempt_counts_until_it_is_settled_or_withdrawn() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("pending@x.test", "Pending");
        insert_user(db, &ada).await;
        let since = Ts::from_micros(T0 - 1);
        let mut tx = db.begin().await.unwrap();
        let right = login_attempts::record(&mut tx, &pending(b"ada", Some(ada.id), Factor::Password, 1)).await.unwrap();
        let wrong = login_attempts::record(&mut tx, &pending(b"ada", Some(ada.id), Factor::Password, 2)).await.unwrap();
        let asked = login_attempts::record(&mut tx, &pending(b"ada", Some(ada.id), Factor::Password, 3)).await.unwrap();
        let third = login_attempts::nth_failure(&mut tx, Counted::Email(b"ada"), since, 3).await.unwrap();
        assert_eq!(third, Some(Ts::from_micros(T0 + 1)), "pending ones count");
        login_attempts::settle(&mut tx, right, true, false, None).await.unwrap();
        login_attempts::settle(&mut tx, wrong, false, true, Some(AttemptReason::WrongPassword)).await.unwrap();
        login_attempts::withdraw(&mut tx, asked).await.unwrap();
        let first = login_attempts::nth_failure(&mut tx, Counted::Email(b"ada"), since, 1).await.unwrap();
        assert_eq!(first, Some(Ts::from_micros(T0 + 2)));
        assert_eq!(login_attempts::nth_failure(&mut tx, Counted::Email(b"ada"), since, 2).await.unwrap(), None);
        let history = login_attempts::history(&mut tx, ada.id, None, 10).await.unwrap();
        let shown: Vec<(bool, Option<&str>)> =
            history.iter().map(|a| (a.success, a.reason.map(AttemptReason::as_str))).collect();
        assert_eq!(shown, [(false, Some("wrong_password")), (true, None)], "the withdrawn one left no trace");

        // Only settled wrong codes are told apart from the ones still being checked.
        for at in 4..7 {
            let code = login_attempts::record(&mut tx, &pending(b"ada", Some(ada.id), Factor::Mfa, at)).await.unwrap();
            if at < 6 {
                login_attempts::settle(&mut tx, code, false, true, Some(AttemptReason::MfaFailed)).await.unwrap();
            }
        }
        assert_eq!(login_attempts::settled_mfa_failures(&mut tx, ada.id, since).await.unwrap(), 2);
        assert_eq!(
            login_attempts::settled_mfa_failures(&mut tx, ada.id, Ts::from_micros(T0 + 4)).await.unwrap(),
            1,
            "within the window only"
        );
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_second_transaction_counting_for_the_same_email_waits_for_the_first() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut first = db.begin().await.unwrap();
        login_attempts::serialize(&mut first, &[Counted::Email(b"ada"), Counted::Ip("10.0.0.1")]).await.unwrap();
        let second = {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                login_attempts::serialize(&mut tx, &[Counted::Ip("10.0.0.2"), Counted::Email(b"ada")]).await.unwrap();
                tx.commit().await.unwrap();
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "the second waits while the first holds the email");
        first.commit().await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), second).await.unwrap().unwrap();
        // Other keys do not wait on each other (PostgreSQL; SQLite has one writer anyway).
        if !engine.is_sqlite() {
            let mut a = db.begin().await.unwrap();
            login_attempts::serialize(&mut a, &[Counted::Email(b"ada")]).await.unwrap();
            let mut b = db.begin().await.unwrap();
            let keys = [Counted::Email(b"bob"), Counted::Mfa(UserId::new())];
            let other = login_attempts::serialize(&mut b, &keys);
            tokio::time::timeout(std::time::Duration::from_secs(5), other).await.unwrap().unwrap();
            b.commit().await.unwrap();
            a.commit().await.unwrap();
        }
    }
}
