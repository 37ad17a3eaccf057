//! Single-use, purpose-bound, expiring tokens (API.md §8).

use roster_domain::UserId;
use roster_store::tokens::{self, NewToken};
use roster_store::{Db, Ts};
use uuid::Uuid;

use crate::support::{T0, engines, insert_user, start, user};

const HOUR: i64 = 3_600_000_000;

fn token(user: UserId, purpose: &'static str, hash: u8, created: i64) -> NewToken {
    NewToken {
        id: Uuid::now_v7(),
        user_id: user,
        purpose,
        token_hash: vec![hash; 32],
        data: serde_json::json!({"email": "ada@example.com", "n": hash}),
        created_at: Ts::from_micros(T0 + created),
        expires_at: Ts::from_micros(T0 + created + HOUR),
    }
}

async fn replace(db: &Db, t: &NewToken) {
    let mut tx = db.begin().await.unwrap();
    tokens::replace(&mut tx, t).await.unwrap();
    tx.commit().await.unwrap();
}

async fn redeem(db: &Db, purpose: &str, hash: u8, now: i64) -> Option<tokens::Redeemed> {
    let mut tx = db.begin().await.unwrap();
    let redeemed = tokens::redeem(&mut tx, purpose, &[hash; 32], Ts::from_micros(T0 + now)).await.unwrap();
    tx.commit().await.unwrap();
    redeemed
}

#[tokio::test]
async fn a_new_token_voids_older_tokens_of_the_same_user_and_purpose_only() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        let bob = user("bob@example.com", "Bob");
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        replace(db, &token(ada.id, "verify_email", 1, 0)).await;
        replace(db, &token(ada.id, "recovery", 2, 1)).await;
        replace(db, &token(bob.id, "verify_email", 3, 2)).await;
        replace(db, &token(ada.id, "verify_email", 4, 3)).await;

        assert!(redeem(db, "verify_email", 1, 10).await.is_none(), "voided by the newer one");
        let newer = redeem(db, "verify_email", 4, 10).await.expect("the newer one works");
        assert_eq!(newer.user_id, ada.id);
        assert_eq!(newer.data, serde_json::json!({"email": "ada@example.com", "n": 4}));
        assert_eq!(redeem(db, "recovery", 2, 10).await.map(|r| r.user_id), Some(ada.id), "other purpose untouched");
        assert_eq!(redeem(db, "verify_email", 3, 10).await.map(|r| r.user_id), Some(bob.id), "other user untouched");
    }
}

#[tokio::test]
async fn a_token_is_redeemed_once_before_it_expires_and_for_its_purpose_only() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        replace(db, &token(ada.id, "recovery", 1, 0)).await;
        replace(db, &token(ada.id, "invitation", 2, 0)).await;
        replace(db, &token(ada.id, "verify_email", 3, 0)).await;

        // Wrong purpose: refused, and the token is not used up by the attempt.
        assert!(redeem(db, "verify_email", 1, 1).await.is_none());
        assert!(redeem(db, "recovery", 1, 1).await.is_some());
        assert!(redeem(db, "recovery", 1, 2).await.is_none(), "single use");
        // Expiry: usable until just before `expires_at`, not at or after it.
        assert!(redeem(db, "invitation", 2, HOUR).await.is_none(), "expired at expires_at");
        assert!(redeem(db, "invitation", 2, HOUR - 1).await.is_some());
        // Unknown hashes and voided tokens.
        assert!(redeem(db, "recovery", 9, 1).await.is_none());
        let mut tx = db.begin().await.unwrap();
        tokens::void_all(&mut tx, ada.id, Ts::from_micros(T0 + 5)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(redeem(db, "verify_email", 3, 6).await.is_none(), "voided on deletion");
    }
}

#[tokio::test]
async fn a_live_token_is_read_without_spending_counts_wrong_codes_and_is_spent_once() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("live@x.test", "Live");
        insert_user(db, &ada).await;
        let t = token(ada.id, "mfa", 9, 0);
        replace(db, &t).await;

        let mut tx = db.begin().await.unwrap();
        let live = tokens::find_live(&mut tx, "mfa", &[9; 32], Ts::from_micros(T0 + 1)).await.unwrap().unwrap();
        assert_eq!((live.id, live.user_id, live.attempts), (t.id, ada.id, 0));
        assert_eq!(live.data["n"], 9);
        assert!(tokens::find_live(&mut tx, "recovery", &[9; 32], Ts::from_micros(T0 + 1)).await.unwrap().is_none());
        assert!(tokens::find_live(&mut tx, "mfa", &[9; 32], Ts::from_micros(T0 + HOUR)).await.unwrap().is_none());
        // Four wrong codes leave it live; the fifth voids it.
        for n in 1..=4 {
            assert_eq!(tokens::count_wrong_code(&mut tx, t.id, 5, Ts::from_micros(T0 + 2)).await.unwrap(), n);
        }
        assert!(tokens::find_live(&mut tx, "mfa", &[9; 32], Ts::from_micros(T0 + 3)).await.unwrap().is_some());
        assert_eq!(tokens::count_wrong_code(&mut tx, t.id, 5, Ts::from_micros(T0 + 4)).await.unwrap(), 5);
        assert!(tokens::find_live(&mut tx, "mfa", &[9; 32], Ts::from_micros(T0 + 5)).await.unwrap().is_none());
        assert!(!tokens::spend(&mut tx, t.id, Ts::from_micros(T0 + 6)).await.unwrap(), "void");

        let fresh = token(ada.id, "mfa", 10, 10);
        tokens::replace(&mut tx, &fresh).await.unwrap();
        assert!(tokens::spend(&mut tx, fresh.id, Ts::from_micros(T0 + 11)).await.unwrap());
        assert!(!tokens::spend(&mut tx, fresh.id, Ts::from_micros(T0 + 12)).await.unwrap(), "once");
        assert_eq!(tokens::count_wrong_code(&mut tx, Uuid::now_v7(), 5, Ts::from_micros(T0)).await.unwrap(), 5);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_token_rotated_for_sending_gets_a_new_hash_and_returns_its_owner_and_data() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        let t = token(ada.id, "confirm_email", 1, 0);
        replace(db, &t).await;
        let mut tx = db.begin().await.unwrap();
        let rotated = tokens::rotate(&mut tx, t.id, &[9; 32], Ts::from_micros(T0 + 1)).await.unwrap().unwrap();
        assert_eq!((rotated.user_id, rotated.data), (ada.id, serde_json::json!({"email": "ada@example.com", "n": 1})));
        assert!(
            tokens::rotate(&mut tx, t.id, &[8; 32], Ts::from_micros(T0 + HOUR)).await.unwrap().is_none(),
            "expired"
        );
        tx.commit().await.unwrap();
        assert!(redeem(db, "confirm_email", 1, 2).await.is_none(), "the old hash is void");
        assert!(redeem(db, "confirm_email", 9, 2).await.is_some());
    }
}

#[tokio::test]
async fn the_tokens_issued_for_an_address_are_counted_since_a_time() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        let for_address = |address: &str, hash: u8, at: i64| NewToken {
            data: serde_json::json!({"address": address}),
            ..token(ada.id, "confirm_email", hash, at)
        };
        replace(db, &for_address("a@x.test", 1, 10)).await;
        replace(db, &for_address("a@x.test", 2, 20)).await;
        replace(db, &for_address("b@x.test", 3, 30)).await;
        let mut tx = db.begin().await.unwrap();
        let since = |at: i64| Ts::from_micros(T0 + at);
        let (n, oldest, newest) =
            tokens::issued_for(&mut tx, ada.id, "confirm_email", "a@x.test", since(0)).await.unwrap();
        assert_eq!((n, oldest, newest), (2, Some(since(10)), Some(since(20))), "voided ones count too");
        let (n, ..) = tokens::issued_for(&mut tx, ada.id, "confirm_email", "a@x.test", since(15)).await.unwrap();
        assert_eq!(n, 1);
        let none = tokens::issued_for(&mut tx, ada.id, "recovery", "a@x.test", since(0)).await.unwrap();
        assert_eq!(none, (0, None, None));
        tx.commit().await.unwrap();
    }
}
