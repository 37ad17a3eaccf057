//! Users' phone numbers (migration 0009): one row per number and user, saved whole (by their
//! user only), one primary, the code's hash stored only for the newest request of an unchanged,
//! unverified number.

use roster_domain::PhoneId;
use roster_domain::phone::PhoneLabel;
use roster_store::user_phones::{self, StoredPhone};
use roster_store::{StoreError, Ts, Unique};

use crate::support::{T0, engines, insert_user, start, user};

fn phone(number: &str, at: i64) -> StoredPhone {
    StoredPhone {
        id: PhoneId::new(),
        number: number.to_owned(),
        label: PhoneLabel::Mobile,
        verified: false,
        is_primary: false,
        code_hash: None,
        code_expires_at: None,
        code_attempts: 0,
        last_sent_at: Some(Ts::from_micros(T0 + at)),
        window_started_at: Some(Ts::from_micros(T0 + at)),
        window_sends: 1,
        created_at: Ts::from_micros(T0 + at),
        updated_at: Ts::from_micros(T0 + at),
    }
}

#[tokio::test]
async fn phones_are_saved_whole_listed_primary_first_and_unique_per_user() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("ph1@x.test", "Ada"), user("ph2@x.test", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let (first, second) = (phone("+14155550142", 1), phone("+442079460958", 2));
        let mut tx = db.begin().await.unwrap();
        user_phones::save(&mut tx, ada.id, &first).await.unwrap();
        user_phones::save(&mut tx, ada.id, &second).await.unwrap();
        user_phones::save(&mut tx, bob.id, &phone("+14155550142", 3)).await.unwrap();
        user_phones::make_primary(&mut tx, ada.id, second.id).await.unwrap();
        let listed: Vec<(String, bool)> = user_phones::of_user(&mut tx, ada.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.number, p.is_primary))
            .collect();
        assert_eq!(listed, [("+442079460958".to_owned(), true), ("+14155550142".to_owned(), false)]);
        assert_eq!(user_phones::primary_number(&mut tx, ada.id).await.unwrap().as_deref(), Some("+442079460958"));
        let found = user_phones::find(&mut tx, ada.id, first.id).await.unwrap().unwrap();
        assert_eq!(found, first);
        assert!(user_phones::find(&mut tx, bob.id, first.id).await.unwrap().is_none(), "not Bob's");

        let changed = StoredPhone { label: PhoneLabel::Work, verified: true, code_attempts: 3, ..found.clone() };
        user_phones::save(&mut tx, ada.id, &changed).await.unwrap();
        assert_eq!(user_phones::find(&mut tx, ada.id, first.id).await.unwrap().unwrap(), changed);
        let hijack = StoredPhone { label: PhoneLabel::Home, ..changed.clone() };
        user_phones::save(&mut tx, bob.id, &hijack).await.unwrap();
        assert_eq!(
            user_phones::find(&mut tx, ada.id, first.id).await.unwrap().unwrap(),
            changed,
            "not Bob's to change"
        );
        assert!(user_phones::find(&mut tx, bob.id, first.id).await.unwrap().is_none());
        let pages = user_phones::of_users(&mut tx, &[ada.id, bob.id]).await.unwrap();
        assert_eq!(pages.iter().filter(|(u, _)| *u == ada.id).count(), 2);
        assert_eq!(pages.iter().filter(|(u, _)| *u == bob.id).count(), 1);
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        let err = user_phones::save(&mut tx, ada.id, &phone("+14155550142", 4)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Unique::PhoneNumber)), "{err:?}");
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        let renumbered = StoredPhone { number: "+14155550142".into(), ..second.clone() };
        let err = user_phones::save(&mut tx, ada.id, &renumbered).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Unique::PhoneNumber)), "{err:?}");
        drop(tx);

        let mut tx = db.begin().await.unwrap();
        assert!(user_phones::delete(&mut tx, ada.id, second.id).await.unwrap());
        assert!(!user_phones::delete(&mut tx, ada.id, second.id).await.unwrap());
        user_phones::delete_all(&mut tx, bob.id).await.unwrap();
        assert!(user_phones::of_user(&mut tx, bob.id).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_code_is_stored_only_for_the_newest_request_of_an_unverified_unchanged_number() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ph3@x.test", "Ada");
        insert_user(db, &ada).await;
        let p = phone("+14155550142", 5);
        let requested = Ts::from_micros(T0 + 5);
        let expires = Ts::from_micros(T0 + 600);
        let mut tx = db.begin().await.unwrap();
        user_phones::save(&mut tx, ada.id, &p).await.unwrap();
        let older = Ts::from_micros(T0 + 4);
        assert!(
            !user_phones::set_code(&mut tx, p.id, "+14155550142", older, &[7; 32], expires).await.unwrap(),
            "older"
        );
        assert!(!user_phones::set_code(&mut tx, p.id, "+14155550199", requested, &[7; 32], expires).await.unwrap());
        assert!(user_phones::set_code(&mut tx, p.id, "+14155550142", requested, &[7; 32], expires).await.unwrap());
        let stored = user_phones::find(&mut tx, ada.id, p.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.code_hash, stored.code_expires_at, stored.code_attempts),
            (Some(vec![7; 32]), Some(expires), 0)
        );
        let verified = StoredPhone { verified: true, ..p.clone() };
        user_phones::save(&mut tx, ada.id, &verified).await.unwrap();
        assert!(!user_phones::set_code(&mut tx, p.id, "+14155550142", requested, &[8; 32], expires).await.unwrap());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn the_phones_never_verified_are_removed_and_named() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("unv1@x.test", "Ada"), user("unv2@x.test", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let kept = StoredPhone { verified: true, ..phone("+14155550100", 1) };
        let (late, early) = (phone("+14155550102", 3), phone("+14155550101", 2));
        let mut tx = db.begin().await.unwrap();
        for p in [&kept, &late, &early] {
            user_phones::save(&mut tx, ada.id, p).await.unwrap();
        }
        user_phones::save(&mut tx, bob.id, &phone("+14155550103", 4)).await.unwrap();
        user_phones::make_primary(&mut tx, ada.id, late.id).await.unwrap();
        let (gone, primary) = user_phones::delete_unverified(&mut tx, ada.id).await.unwrap();
        assert_eq!((gone, primary), (vec!["+14155550101".to_owned(), "+14155550102".to_owned()], true));
        let left: Vec<String> =
            user_phones::of_user(&mut tx, ada.id).await.unwrap().into_iter().map(|p| p.number).collect();
        assert_eq!(left, ["+14155550100"]);
        assert_eq!(user_phones::delete_unverified(&mut tx, ada.id).await.unwrap(), (Vec::new(), false));
        assert_eq!(user_phones::of_user(&mut tx, bob.id).await.unwrap().len(), 1, "another user's stay");
        tx.commit().await.unwrap();
    }
}
