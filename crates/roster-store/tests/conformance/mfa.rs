//! A user's second factor (migration 0006): the sealed TOTP seed, its enrolment, each time step
//! accepted once, and single-use recovery codes.

use roster_domain::UserId;
use roster_store::{Ts, mfa, users};

use crate::support::{T0, engines, insert_user, start, user};

#[tokio::test]
async fn enrolment_waits_for_a_code_and_a_working_seed_is_not_replaced() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("mfa@x.test", "Mfa");
        insert_user(db, &ada).await;
        let mut tx = db.begin().await.unwrap();
        assert_eq!(mfa::get(&mut tx, ada.id).await.unwrap(), None);
        assert!(mfa::put_pending(&mut tx, ada.id, b"first", Ts::from_micros(T0)).await.unwrap());
        assert!(mfa::put_pending(&mut tx, ada.id, b"second", Ts::from_micros(T0 + 1)).await.unwrap(), "restart");
        let pending = mfa::get(&mut tx, ada.id).await.unwrap().unwrap();
        assert_eq!((pending.seed.as_slice(), pending.enabled_at, pending.last_step), (&b"second"[..], None, 0));
        assert!(!mfa::use_step(&mut tx, ada.id, 5).await.unwrap(), "no step is accepted before it is on");
        assert_eq!(mfa::enabled_at(&mut tx, ada.id).await.unwrap(), None, "pending is not on");

        assert!(mfa::enable(&mut tx, ada.id, 100, Ts::from_micros(T0 + 2)).await.unwrap());
        assert!(!mfa::enable(&mut tx, ada.id, 101, Ts::from_micros(T0 + 3)).await.unwrap(), "once");
        assert!(!mfa::put_pending(&mut tx, ada.id, b"third", Ts::from_micros(T0 + 4)).await.unwrap(), "on: kept");
        let on = mfa::get(&mut tx, ada.id).await.unwrap().unwrap();
        assert_eq!(
            (on.seed.as_slice(), on.enabled_at, on.last_step),
            (&b"second"[..], Some(Ts::from_micros(T0 + 2)), 100)
        );
        assert_eq!(mfa::enabled_at(&mut tx, ada.id).await.unwrap(), Some(Ts::from_micros(T0 + 2)));

        assert!(!mfa::use_step(&mut tx, ada.id, 100).await.unwrap(), "the enrolment's step");
        assert!(!mfa::use_step(&mut tx, ada.id, 99).await.unwrap(), "an older one");
        assert!(mfa::use_step(&mut tx, ada.id, 101).await.unwrap());
        assert!(!mfa::use_step(&mut tx, ada.id, 101).await.unwrap(), "a replay");
        assert!(!mfa::use_step(&mut tx, UserId::new(), 500).await.unwrap());

        users::set_mfa_enabled(&mut tx, ada.id, true, Ts::from_micros(T0 + 5)).await.unwrap();
        assert!(users::find(&mut tx, ada.id).await.unwrap().unwrap().mfa_enabled);
        mfa::remove(&mut tx, ada.id).await.unwrap();
        assert_eq!(mfa::get(&mut tx, ada.id).await.unwrap(), None);
        users::set_mfa_enabled(&mut tx, ada.id, false, Ts::from_micros(T0 + 6)).await.unwrap();
        assert!(!users::find(&mut tx, ada.id).await.unwrap().unwrap().mfa_enabled);
        tx.commit().await.unwrap();
    }
}

/// The user's unused codes, read straight from the table (no service needs the count).
async fn codes_left(tx: &mut roster_store::Tx, user: UserId) -> i64 {
    roster_store::on_conn!(tx, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user.as_uuid())
            .fetch_one(c)
            .await
    })
    .unwrap()
}

#[tokio::test]
async fn recovery_codes_are_spent_once_and_replaced_together() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("codes@x.test", "Codes");
        let bob = user("codes2@x.test", "Codes2");
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        let first: Vec<Vec<u8>> = (0..10u8).map(|n| vec![n; 32]).collect();
        mfa::replace_recovery_codes(&mut tx, ada.id, &first).await.unwrap();
        mfa::replace_recovery_codes(&mut tx, bob.id, &first[..2]).await.unwrap();
        assert_eq!(codes_left(&mut tx, ada.id).await, 10);
        assert!(mfa::use_recovery_code(&mut tx, ada.id, &[3; 32], Ts::from_micros(T0)).await.unwrap());
        assert!(!mfa::use_recovery_code(&mut tx, ada.id, &[3; 32], Ts::from_micros(T0)).await.unwrap(), "spent");
        assert!(!mfa::use_recovery_code(&mut tx, ada.id, &[42; 32], Ts::from_micros(T0)).await.unwrap());
        assert_eq!(codes_left(&mut tx, ada.id).await, 9);
        assert_eq!(codes_left(&mut tx, bob.id).await, 2, "another user's are apart");

        let second: Vec<Vec<u8>> = (100..110u8).map(|n| vec![n; 32]).collect();
        mfa::replace_recovery_codes(&mut tx, ada.id, &second).await.unwrap();
        assert!(!mfa::use_recovery_code(&mut tx, ada.id, &[4; 32], Ts::from_micros(T0)).await.unwrap(), "void");
        assert!(mfa::use_recovery_code(&mut tx, ada.id, &[104; 32], Ts::from_micros(T0)).await.unwrap());
        mfa::remove(&mut tx, ada.id).await.unwrap();
        assert_eq!(codes_left(&mut tx, ada.id).await, 0);
        assert_eq!(codes_left(&mut tx, bob.id).await, 2);
        tx.commit().await.unwrap();
    }
}
