//! Users: insert and look-ups, unique live emails, deletion freeing the email, purge.

use roster_domain::UserId;
use roster_domain::user::{User, UserStatus};
use roster_store::{StoreError, Ts, Unique, users};

use crate::support::{T0, at, engines, insert_user, start, user};

/// `user` as the store gives it back: times truncated to microseconds.
fn stored(user: &User) -> User {
    let truncate = |t: time::OffsetDateTime| Ts::new(t).get();
    User {
        created_at: truncate(user.created_at),
        updated_at: truncate(user.updated_at),
        last_login_at: user.last_login_at.map(truncate),
        deleted_at: user.deleted_at.map(truncate),
        ..user.clone()
    }
}

fn full_user() -> User {
    User {
        email: "Ada.Lovelace@Example.COM".to_owned(),
        email_verified: true,
        first_name: Some("Ada".to_owned()),
        last_name: Some("Lovelace".to_owned()),
        image: Some("https://example.com/ada.png".to_owned()),
        title: Some("Analyst".to_owned()),
        bio: Some("Wrote the first program — “Note G”.".to_owned()),
        timezone: "Europe/London".to_owned(),
        locale: "en-GB".to_owned(),
        metadata: serde_json::json!({"team": "engines", "level": 3, "tags": ["a", "b"], "nested": {"x": null}}),
        mfa_enabled: true,
        platform_admin: true,
        created_at: at(T0 + 1),
        updated_at: at(T0 + 2),
        last_login_at: Some(at(T0 + 3)),
        ..user("", "Ada Lovelace")
    }
}

#[tokio::test]
async fn insert_then_find_and_find_for_login_return_every_field() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = full_user();
        let mut tx = db.begin().await.unwrap();
        users::insert(&mut tx, &ada, Some("$argon2id$v=19$m=19456,t=2,p=1$fake")).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = db.conn().await.unwrap();
        let found = users::find(&mut conn, ada.id).await.unwrap().expect("found by id");
        assert_eq!(found, stored(&ada));
        assert!(users::find(&mut conn, UserId::new()).await.unwrap().is_none());

        // Look-up for login is by the normalised (lowercased) address, and brings the hash.
        let (login, hash) =
            users::find_for_login(&mut conn, "ada.lovelace@example.com").await.unwrap().expect("found by email");
        assert_eq!(login, stored(&ada));
        assert_eq!(hash.as_deref(), Some("$argon2id$v=19$m=19456,t=2,p=1$fake"));
        assert!(users::find_for_login(&mut conn, "nobody@example.com").await.unwrap().is_none());

        // An invited user has no hash.
        let invited = User { status: UserStatus::Invited, ..user("invited@example.com", "Invited") };
        let mut tx = db.begin().await.unwrap();
        users::insert(&mut tx, &invited, None).await.unwrap();
        tx.commit().await.unwrap();
        let (_, hash) = users::find_for_login(&mut conn, "invited@example.com").await.unwrap().unwrap();
        assert_eq!(hash, None);
        assert_eq!(users::count_all(&mut conn).await.unwrap(), 2);
    }
}

#[tokio::test]
async fn a_live_email_is_unique_case_insensitively() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        insert_user(db, &user("ada@example.com", "Ada")).await;
        for email in ["ada@example.com", "ADA@Example.Com"] {
            let mut tx = db.begin().await.unwrap();
            let err = users::insert(&mut tx, &user(email, "Other"), None).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict(Unique::UserEmail)), "{email}: {err:?}");
        }
        let mut conn = db.conn().await.unwrap();
        assert_eq!(users::count_all(&mut conn).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_deleted_user_frees_the_email_and_keeps_the_record() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let first = user("ada@example.com", "Ada");
        insert_user(db, &first).await;
        let mut tx = db.begin().await.unwrap();
        users::mark_deleted(&mut tx, first.id, Ts::from_micros(T0 + 10), false).await.unwrap();
        tx.commit().await.unwrap();

        let second = user("ADA@example.com", "Ada again");
        insert_user(db, &second).await;

        let mut conn = db.conn().await.unwrap();
        let (login, _) = users::find_for_login(&mut conn, "ada@example.com").await.unwrap().unwrap();
        assert_eq!(login.id, second.id, "the live user is the one found for login");
        let old = users::find(&mut conn, first.id).await.unwrap().expect("the deleted record is kept");
        assert_eq!(old.status, UserStatus::Deleted);
        assert_eq!(old.deleted_at, Some(at(T0 + 10)));
        assert_eq!(old.updated_at, at(T0 + 10));
        assert_eq!(old.name, "Ada", "a plain deletion keeps personal data");
        assert_eq!(old.email, "ada@example.com");

        // The address is taken again by the new live user.
        let mut tx = db.begin().await.unwrap();
        let err = users::insert(&mut tx, &user("ada@example.com", "Third"), None).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Unique::UserEmail)), "{err:?}");
    }
}

#[tokio::test]
async fn purge_erases_personal_data_leaving_a_tombstone() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = full_user();
        insert_user(db, &ada).await;
        let mut tx = db.begin().await.unwrap();
        users::mark_deleted(&mut tx, ada.id, Ts::from_micros(T0 + 20), true).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = db.conn().await.unwrap();
        let tomb = users::find(&mut conn, ada.id).await.unwrap().expect("tombstone kept");
        assert_eq!(tomb.status, UserStatus::Deleted);
        assert_eq!(tomb.deleted_at, Some(at(T0 + 20)));
        assert_eq!(tomb.name, "");
        assert_eq!((tomb.first_name, tomb.last_name, tomb.image, tomb.title, tomb.bio), (None, None, None, None, None));
        assert_eq!(tomb.metadata, serde_json::json!({}));
        // The address is erased: only the id (hex, which may well spell "ada") is left.
        assert_eq!(tomb.email, format!("deleted-{}@invalid", ada.id.as_uuid().simple()));
        assert_eq!(tomb.created_at, at(T0 + 1), "times stay for audit");
        assert!(users::find_for_login(&mut conn, "ada.lovelace@example.com").await.unwrap().is_none());
        // The old address is free for a new sign-up.
        drop(conn);
        insert_user(db, &user("ada.lovelace@example.com", "New Ada")).await;
    }
}

#[tokio::test]
async fn profile_updates_last_login_verification_and_admin_flag_are_written() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        ada.name = "Augusta".to_owned();
        ada.bio = Some("b".repeat(2000));
        ada.metadata = serde_json::json!({"k": [1, 2]});
        ada.status = UserStatus::Suspended;
        ada.updated_at = at(T0 + 5);
        let mut tx = db.begin().await.unwrap();
        users::update_profile(&mut tx, &ada).await.unwrap();
        users::set_last_login(&mut tx, ada.id, Ts::from_micros(T0 + 6)).await.unwrap();
        users::set_email_verified(&mut tx, ada.id, Ts::from_micros(T0 + 7)).await.unwrap();
        users::set_platform_admin(&mut tx, ada.id, true).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = db.conn().await.unwrap();
        let found = users::find(&mut conn, ada.id).await.unwrap().unwrap();
        let expected = User {
            last_login_at: Some(at(T0 + 6)),
            email_verified: true,
            updated_at: at(T0 + 7),
            platform_admin: true,
            ..ada.clone()
        };
        assert_eq!(found, expected);
    }
}
