//! Idempotency records: claim, complete, replay, release, expiry, per-caller scope.

use roster_store::idempotency::{self, Recorded};
use roster_store::{Db, Ts};

use crate::support::{T0, engines, start};

const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;

/// Claim `key` for `caller` at `T0 + now`, treating records older than 24 h as expired and
/// claims without a response older than a minute as abandoned.
async fn claim(db: &Db, caller: &str, key: &str, hash: &[u8], now: i64) -> Option<Recorded> {
    let mut tx = db.begin().await.unwrap();
    let at = T0 + now;
    let (expired, abandoned) = (Ts::from_micros(at - 24 * HOUR), Ts::from_micros(at - MINUTE));
    let recorded =
        idempotency::claim(&mut tx, caller, key, hash, Ts::from_micros(at), expired, abandoned).await.unwrap();
    tx.commit().await.unwrap();
    recorded
}

async fn complete(db: &Db, caller: &str, key: &str, status: u16, body: &[u8]) {
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("location".to_owned(), "/v1/users/1".to_owned()),
    ];
    let mut tx = db.begin().await.unwrap();
    idempotency::complete(&mut tx, caller, key, status, &headers, body).await.unwrap();
    tx.commit().await.unwrap();
}

async fn release(db: &Db, caller: &str, key: &str) {
    let mut tx = db.begin().await.unwrap();
    idempotency::release(&mut tx, caller, key).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_key_is_claimed_once_then_replayed_with_the_stored_response() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        assert_eq!(claim(db, "token:a", "k1", b"hash-1", 0).await, None, "the first claim owns the key");
        assert_eq!(
            claim(db, "token:a", "k1", b"hash-1", 1).await,
            Some(Recorded::InFlight { request_hash: b"hash-1".to_vec() })
        );
        // The record keeps the first request's fingerprint, whatever the second one sent.
        assert_eq!(
            claim(db, "token:a", "k1", b"hash-2", 1).await,
            Some(Recorded::InFlight { request_hash: b"hash-1".to_vec() })
        );

        complete(db, "token:a", "k1", 201, b"{\"id\":1}").await;
        let expected = Recorded::Done {
            request_hash: b"hash-1".to_vec(),
            status: 201,
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("location".to_owned(), "/v1/users/1".to_owned()),
            ],
            body: b"{\"id\":1}".to_vec(),
        };
        assert_eq!(claim(db, "token:a", "k1", b"hash-1", 2).await, Some(expected.clone()));
        // Releasing a completed record does nothing: the answer stays on record.
        release(db, "token:a", "k1").await;
        assert_eq!(claim(db, "token:a", "k1", b"hash-1", 3).await, Some(expected));

        // Keys are per caller.
        assert_eq!(claim(db, "token:b", "k1", b"hash-9", 4).await, None);
        assert_eq!(claim(db, "anon:203.0.113.7", "k1", b"hash-9", 4).await, None);
    }
}

#[tokio::test]
async fn a_released_claim_can_be_claimed_again_and_an_empty_body_is_a_response() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        assert_eq!(claim(db, "c", "k", b"h", 0).await, None);
        release(db, "c", "k").await;
        assert_eq!(claim(db, "c", "k", b"h2", 1).await, None, "free again after a release");
        complete(db, "c", "k", 204, b"").await;
        match claim(db, "c", "k", b"h2", 2).await {
            Some(Recorded::Done { status, body, request_hash, .. }) => {
                assert_eq!((status, body, request_hash), (204, Vec::new(), b"h2".to_vec()));
            }
            other => panic!("a 204 with no body is a completed response: {other:?}"),
        }
    }
}

#[tokio::test]
async fn records_expire_after_24_hours() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        assert_eq!(claim(db, "c", "k", b"old", 0).await, None);
        complete(db, "c", "k", 200, b"old").await;
        // Still on record just inside the window...
        assert!(matches!(claim(db, "c", "k", b"old", 24 * HOUR).await, Some(Recorded::Done { .. })));
        // ...and replaced once it is older than 24 h: the new claim owns the key.
        assert_eq!(claim(db, "c", "k", b"new", 24 * HOUR + 1).await, None);
        assert_eq!(
            claim(db, "c", "k", b"new", 24 * HOUR + 2).await,
            Some(Recorded::InFlight { request_hash: b"new".to_vec() })
        );
    }
}

#[tokio::test]
async fn an_abandoned_claim_is_taken_over_after_a_minute_and_expired_records_are_swept() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        assert_eq!(claim(db, "c", "k", b"h", 0).await, None);
        // The request died without an answer: a retry within the minute still sees it running...
        assert_eq!(
            claim(db, "c", "k", b"h", MINUTE - 1).await,
            Some(Recorded::InFlight { request_hash: b"h".to_vec() })
        );
        // ...and takes it over once the minute has passed.
        assert_eq!(claim(db, "c", "k", b"h", MINUTE + 1).await, None);
        complete(db, "c", "k", 201, b"done").await;
        // A completed record is not abandoned, however old (until it expires).
        assert!(matches!(claim(db, "c", "k", b"h", 2 * HOUR).await, Some(Recorded::Done { .. })));

        let mut tx = db.begin().await.unwrap();
        let swept = idempotency::purge_expired(&mut tx, Ts::from_micros(T0 + 25 * HOUR)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(swept, 1);
        assert_eq!(claim(db, "c", "k", b"h", 3 * HOUR).await, None, "gone after the sweep");
    }
}
