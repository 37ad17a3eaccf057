//! Every address of every live user (migration 0008): the sign-in address kept by triggers on
//! `users`, secondary ones added, confirmed, made the sign-in address and removed; one live user
//! holds an address, as its sign-in address or a confirmed one, while addresses only added wait
//! side by side until one holds (migration 0016); a deleted user's addresses freed.

use roster_store::user_emails::{self, Removal, UserEmail};
use roster_store::{StoreError, Ts, Unique, users};

use crate::support::{T0, engines, insert_user, start, user};

fn secondary(address: &str, becomes_primary: bool, at: i64) -> UserEmail {
    UserEmail {
        address: address.to_owned(),
        address_key: address.to_lowercase(),
        verified: false,
        is_primary: false,
        becomes_primary,
        created_at: Ts::from_micros(T0 + at),
    }
}

fn keys(emails: &[UserEmail]) -> Vec<(&str, bool, bool)> {
    emails.iter().map(|e| (e.address_key.as_str(), e.verified, e.is_primary)).collect()
}

#[tokio::test]
async fn the_sign_in_address_is_kept_by_the_users_table_and_others_are_added_confirmed_and_removed() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("Ada@Example.com", "Ada"), user("bob@example.com", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        assert_eq!(keys(&user_emails::of_user(&mut tx, ada.id).await.unwrap()), [("ada@example.com", false, true)]);
        assert_eq!(user_emails::of_user(&mut tx, ada.id).await.unwrap()[0].address, "Ada@Example.com");
        user_emails::add(&mut tx, ada.id, &secondary("Ada@Work.example", false, 5)).await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("ada@home.example", true, 6)).await.unwrap();
        assert_eq!(user_emails::count(&mut tx, ada.id).await.unwrap(), 3);
        tx.commit().await.unwrap();
        {
            // A refused write ends its transaction (PostgreSQL aborts it).
            let mut tx = db.begin().await.unwrap();
            let err = user_emails::add(&mut tx, bob.id, &secondary("BOB@example.com", false, 7)).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict(Unique::UserEmail)), "Bob's own address twice: {err:?}");
        }
        let mut tx = db.begin().await.unwrap();
        // Bob waits on an address Ada only added: nobody holds it yet.
        user_emails::add(&mut tx, bob.id, &secondary("ada@work.EXAMPLE", false, 7)).await.unwrap();
        assert!(user_emails::holder(&mut tx, "ada@work.example").await.unwrap().is_none());
        let found = user_emails::own(&mut tx, ada.id, "ada@work.example").await.unwrap().unwrap();
        assert_eq!((found.address.as_str(), found.becomes_primary), ("Ada@Work.example", false));
        assert_eq!(
            user_emails::own(&mut tx, bob.id, "ada@work.example").await.unwrap().unwrap().address,
            "ada@work.EXAMPLE"
        );
        let (owner, held) = user_emails::holder(&mut tx, "ada@example.com").await.unwrap().unwrap();
        assert_eq!((owner, held.is_primary), (ada.id, true));
        assert!(user_emails::holder(&mut tx, "nobody@example.com").await.unwrap().is_none());
        assert!(user_emails::own(&mut tx, bob.id, "ada@example.com").await.unwrap().is_none());

        // The verification of the sign-in address follows the user.
        users::set_email_verified(&mut tx, ada.id, Ts::from_micros(T0 + 8)).await.unwrap();
        let later = Ts::from_micros(T0 + 5);
        assert!(user_emails::readd(&mut tx, ada.id, "ada@work.example", true, later).await.unwrap());
        assert!(!user_emails::readd(&mut tx, ada.id, "ada@example.com", true, later).await.unwrap());
        let confirmed = user_emails::confirm(&mut tx, ada.id, "ada@work.example").await.unwrap().unwrap();
        assert!(confirmed.verified && confirmed.becomes_primary);
        assert_eq!(user_emails::holder(&mut tx, "ada@work.example").await.unwrap().unwrap().0, ada.id);
        assert!(user_emails::own(&mut tx, bob.id, "ada@work.example").await.unwrap().is_none(), "Bob's wait dropped");
        assert!(user_emails::confirm(&mut tx, ada.id, "ada@work.example").await.unwrap().is_none(), "once");
        assert!(user_emails::confirm(&mut tx, bob.id, "ada@home.example").await.unwrap().is_none(), "not Bob's");
        assert!(
            !user_emails::make_primary(&mut tx, ada.id, "ada@home.example", Ts::from_micros(T0 + 9)).await.unwrap()
        );

        assert!(user_emails::make_primary(&mut tx, ada.id, "ada@work.example", Ts::from_micros(T0 + 9)).await.unwrap());
        let stored = users::find(&mut tx, ada.id).await.unwrap().unwrap();
        assert_eq!((stored.email.as_str(), stored.email_verified), ("Ada@Work.example", true));
        assert!(users::find_for_login(&mut tx, "ada@work.example").await.unwrap().is_some());
        assert_eq!(
            keys(&user_emails::of_user(&mut tx, ada.id).await.unwrap()),
            [("ada@work.example", true, true), ("ada@example.com", true, false), ("ada@home.example", false, false)]
        );
        assert!(!user_emails::of_user(&mut tx, ada.id).await.unwrap().iter().any(|e| e.becomes_primary));

        let pages = user_emails::of_users(&mut tx, &[bob.id, ada.id]).await.unwrap();
        assert_eq!(pages.iter().filter(|(u, _)| *u == ada.id).count(), 3);
        assert_eq!(
            pages.iter().filter(|(u, _)| *u == bob.id).map(|(_, e)| e.address_key.as_str()).collect::<Vec<_>>(),
            ["bob@example.com"]
        );
        assert!(user_emails::of_users(&mut tx, &[]).await.unwrap().is_empty());

        assert_eq!(user_emails::remove(&mut tx, ada.id, "ada@work.example").await.unwrap(), Removal::Primary);
        assert_eq!(user_emails::remove(&mut tx, bob.id, "ada@example.com").await.unwrap(), Removal::NotFound);
        assert_eq!(user_emails::remove(&mut tx, ada.id, "ada@example.com").await.unwrap(), Removal::Removed);
        user_emails::add(&mut tx, bob.id, &secondary("ada@example.com", false, 10)).await.unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_deleted_user_frees_every_address_and_a_sign_up_takes_an_address_others_only_added() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("ada@example.com", "Ada"), user("bob@example.com", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("ada@work.example", false, 1)).await.unwrap();
        user_emails::add(&mut tx, bob.id, &secondary("ada@work.example", false, 1)).await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("ada@home.example", false, 1)).await.unwrap();
        user_emails::confirm(&mut tx, ada.id, "ada@home.example").await.unwrap().unwrap();
        tx.commit().await.unwrap();
        {
            let mut tx = db.begin().await.unwrap();
            let err = users::insert(&mut tx, &user("ADA@home.example", "Impostor"), None).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict(Unique::UserEmail)), "a confirmed address holds: {err:?}");
        }
        let mut tx = db.begin().await.unwrap();
        let owner = user("ADA@work.example", "Owner");
        users::insert(&mut tx, &owner, None).await.unwrap();
        assert_eq!(user_emails::holder(&mut tx, "ada@work.example").await.unwrap().unwrap().0, owner.id);
        assert!(user_emails::own(&mut tx, ada.id, "ada@work.example").await.unwrap().is_none());
        assert!(user_emails::own(&mut tx, bob.id, "ada@work.example").await.unwrap().is_none());
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        users::mark_deleted(&mut tx, ada.id, Ts::from_micros(T0 + 2), false).await.unwrap();
        assert!(user_emails::of_user(&mut tx, ada.id).await.unwrap().is_empty());
        users::insert(&mut tx, &user("ada@home.example", "New"), None).await.unwrap();
        users::insert(&mut tx, &user("ada@example.com", "Newer"), None).await.unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn of_two_users_waiting_on_one_address_the_first_to_confirm_holds_it() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("ada@example.com", "Ada"), user("bob@example.com", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("shared@example.com", false, 1)).await.unwrap();
        user_emails::add(&mut tx, bob.id, &secondary("Shared@example.com", true, 2)).await.unwrap();
        assert!(user_emails::confirm(&mut tx, bob.id, "shared@example.com").await.unwrap().unwrap().verified);
        assert!(user_emails::confirm(&mut tx, ada.id, "shared@example.com").await.unwrap().is_none(), "Ada's dropped");
        assert_eq!(keys(&user_emails::of_user(&mut tx, ada.id).await.unwrap()), [("ada@example.com", false, true)]);
        tx.commit().await.unwrap();
        // A claim that reappears on a held address (added while the holder came into being) is
        // refused at confirmation.
        let mut tx = db.begin().await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("shared@example.com", false, 3)).await.unwrap();
        let err = user_emails::confirm(&mut tx, ada.id, "shared@example.com").await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Unique::UserEmail)), "{err:?}");
    }
}

#[tokio::test]
async fn unconfirmed_secondary_addresses_are_released_once_last_added_before_the_cutoff() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("ada-x@example.com", "Ada"), user("bob-x@example.com", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("old@x.example", false, 1)).await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("kept@x.example", false, 2)).await.unwrap();
        user_emails::confirm(&mut tx, ada.id, "kept@x.example").await.unwrap().unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("again@x.example", false, 3)).await.unwrap();
        assert!(
            user_emails::readd(&mut tx, ada.id, "again@x.example", false, Ts::from_micros(T0 + 200)).await.unwrap()
        );
        user_emails::add(&mut tx, ada.id, &secondary("fresh@x.example", false, 100)).await.unwrap();

        // Before T0 + 50: only the old one (the confirmed one stays, the re-added one is newer).
        assert_eq!(user_emails::expire_unconfirmed(&mut tx, Ts::from_micros(T0 + 50), 10).await.unwrap(), 1);
        assert_eq!(
            keys(&user_emails::of_user(&mut tx, ada.id).await.unwrap()),
            [
                ("ada-x@example.com", false, true),
                ("kept@x.example", true, false),
                ("fresh@x.example", false, false),
                ("again@x.example", false, false)
            ]
        );
        user_emails::add(&mut tx, bob.id, &secondary("old@x.example", false, 300)).await.unwrap();
        // In batches of `limit`, oldest first; never a sign-in address.
        assert_eq!(user_emails::expire_unconfirmed(&mut tx, Ts::from_micros(T0 + 250), 1).await.unwrap(), 1);
        assert_eq!(user_emails::expire_unconfirmed(&mut tx, Ts::from_micros(T0 + 250), 1).await.unwrap(), 1);
        assert_eq!(user_emails::expire_unconfirmed(&mut tx, Ts::from_micros(T0 + 250), 1).await.unwrap(), 0);
        assert_eq!(user_emails::count(&mut tx, ada.id).await.unwrap(), 2);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn the_addresses_a_user_added_and_never_confirmed_are_removed_and_named() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("pend-a@example.com", "Ada"), user("pend-b@example.com", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("Late@x.example", false, 3)).await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("early@x.example", true, 2)).await.unwrap();
        user_emails::add(&mut tx, ada.id, &secondary("kept@x.example", false, 1)).await.unwrap();
        user_emails::confirm(&mut tx, ada.id, "kept@x.example").await.unwrap().unwrap();
        user_emails::add(&mut tx, bob.id, &secondary("bobs@x.example", false, 4)).await.unwrap();
        let gone = user_emails::remove_pending(&mut tx, ada.id).await.unwrap();
        assert_eq!(gone, ["early@x.example", "Late@x.example"]);
        assert_eq!(
            keys(&user_emails::of_user(&mut tx, ada.id).await.unwrap()),
            [("pend-a@example.com", false, true), ("kept@x.example", true, false)],
            "the sign-in address stays, confirmed or not"
        );
        assert_eq!(user_emails::of_user(&mut tx, bob.id).await.unwrap().len(), 2);
        tx.commit().await.unwrap();
    }
}
