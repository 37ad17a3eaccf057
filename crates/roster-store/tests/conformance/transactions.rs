//! Transactions: dropping one without commit leaves nothing behind.

use roster_domain::AccountId;
use roster_domain::role::Role;
use roster_domain::user::Account;
use roster_store::jobs::{self, NewJob};
use roster_store::{accounts, memberships, preferences, users};

use crate::support::{T0, at, engines, insert_user, membership, start, user};

#[tokio::test]
async fn a_dropped_transaction_leaves_nothing_and_frees_the_writer() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        let account = Account {
            id: AccountId::new(),
            name: "Acme".to_owned(),
            parent_id: None,
            status: roster_domain::user::AccountStatus::Active,
            seats_used: 1,
            created_at: at(T0),
            updated_at: at(T0),
        };
        {
            let mut tx = db.begin().await.unwrap();
            users::insert(&mut tx, &ada, Some("hash")).await.unwrap();
            accounts::insert(&mut tx, &account).await.unwrap();
            memberships::insert(&mut tx, &membership(ada.id, account.id, Role::Owner)).await.unwrap();
            preferences::upsert(
                &mut tx,
                ada.id,
                &serde_json::json!({"theme": "dark"}),
                roster_store::Ts::from_micros(T0),
            )
            .await
            .unwrap();
            let job = NewJob {
                id: roster_domain::JobId::new(),
                queue: roster_domain::job::Queue::Onboarding,
                kind: "onboarding.welcome",
                payload: serde_json::json!({"user_id": ada.id.to_string()}),
                max_attempts: 5,
                run_at: at(T0),
                created_at: at(T0),
            };
            jobs::enqueue(&mut tx, &job).await.unwrap();
            // Visible inside the transaction...
            assert!(users::find(&mut tx, ada.id).await.unwrap().is_some());
            // ...and dropped here without commit.
        }

        let mut conn = db.conn().await.unwrap();
        assert!(users::find(&mut conn, ada.id).await.unwrap().is_none());
        assert_eq!(users::count_all(&mut conn).await.unwrap(), 0);
        assert!(accounts::find(&mut conn, account.id).await.unwrap().is_none());
        assert!(memberships::of_user(&mut conn, ada.id).await.unwrap().is_empty());
        assert!(preferences::get(&mut conn, ada.id).await.unwrap().is_none());
        assert!(jobs::for_user(&mut conn, ada.id.as_uuid()).await.unwrap().is_empty());
        drop(conn);

        // The writer is usable again (SQLite has exactly one write connection) and the same
        // rows can now be written for real.
        insert_user(db, &ada).await;
        let mut conn = db.conn().await.unwrap();
        assert!(users::find(&mut conn, ada.id).await.unwrap().is_some());
    }
}
