//! Push-notification tokens (migration 0007): one owner per token, moved by registering it again,
//! removed by their user, with their user, or when the provider says they are gone.

use roster_store::Ts;
use roster_store::push_tokens::{self, PushToken};

use crate::support::{T0, engines, insert_user, start, user};

#[tokio::test]
async fn a_push_token_has_one_owner_and_goes_with_its_user_or_when_forgotten() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("push1@x.test", "Push1"), user("push2@x.test", "Push2"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let token = |t: &str, at: i64| PushToken {
            token: t.to_owned(),
            platform: "ios".to_owned(),
            device_id: Some("d1".to_owned()),
            device_name: None,
            created_at: Ts::from_micros(T0 + at),
            updated_at: Ts::from_micros(T0 + at),
        };
        let mut tx = db.begin().await.unwrap();
        let (first, before) = push_tokens::upsert(&mut tx, ada.id, &token("t1", 0)).await.unwrap();
        assert_eq!((first, before), (token("t1", 0), None));
        assert_eq!(push_tokens::upsert(&mut tx, ada.id, &token("t2", 1)).await.unwrap().1, None);
        let (t1, before) = push_tokens::upsert(&mut tx, ada.id, &token("t1", 5)).await.unwrap();
        assert_eq!(before, Some(ada.id), "refreshed");
        assert_eq!((t1.created_at, t1.updated_at), (Ts::from_micros(T0), Ts::from_micros(T0 + 5)));
        let (moved, before) = push_tokens::upsert(&mut tx, bob.id, &token("t1", 9)).await.unwrap();
        assert_eq!((moved.created_at, before), (Ts::from_micros(T0 + 9), Some(ada.id)), "moved, dated anew");
        let bobs: Vec<String> =
            push_tokens::of_user(&mut tx, bob.id).await.unwrap().into_iter().map(|t| t.token).collect();
        assert_eq!(bobs, ["t1"]);
        let mine: Vec<String> =
            push_tokens::of_user(&mut tx, ada.id).await.unwrap().into_iter().map(|t| t.token).collect();
        assert_eq!(mine, ["t2"]);
        assert!(!push_tokens::delete(&mut tx, ada.id, "t1").await.unwrap(), "not Ada's");
        assert!(push_tokens::forget(&mut tx, "t1").await.unwrap());
        assert!(!push_tokens::forget(&mut tx, "t1").await.unwrap());
        push_tokens::upsert(&mut tx, ada.id, &token("t3", 10)).await.unwrap();
        assert_eq!(push_tokens::delete_all(&mut tx, ada.id).await.unwrap(), 2);
        assert!(push_tokens::of_user(&mut tx, ada.id).await.unwrap().is_empty());
        assert!(push_tokens::upsert(&mut tx, ada.id, &token("t4", 11)).await.is_ok());
        assert!(push_tokens::delete(&mut tx, ada.id, "t4").await.unwrap());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_user_keeps_its_most_recently_registered_tokens() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("keep1@x.test", "Keep1"), user("keep2@x.test", "Keep2"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let token = |t: &str, at: i64| PushToken {
            token: t.to_owned(),
            platform: "web".to_owned(),
            device_id: None,
            device_name: None,
            created_at: Ts::from_micros(T0 + at),
            updated_at: Ts::from_micros(T0 + at),
        };
        let mut tx = db.begin().await.unwrap();
        for (t, at) in [("a", 1), ("b", 2), ("c", 3), ("d", 4)] {
            push_tokens::upsert(&mut tx, ada.id, &token(t, at)).await.unwrap();
        }
        push_tokens::upsert(&mut tx, bob.id, &token("bobs", 0)).await.unwrap();
        push_tokens::upsert(&mut tx, ada.id, &token("a", 5)).await.unwrap(); // refreshed: the newest
        assert_eq!(push_tokens::keep_newest(&mut tx, ada.id, 3).await.unwrap(), 1);
        let left: Vec<String> =
            push_tokens::of_user(&mut tx, ada.id).await.unwrap().into_iter().map(|t| t.token).collect();
        assert_eq!(left, ["a", "c", "d"], "b was registered longest ago");
        assert_eq!(push_tokens::keep_newest(&mut tx, ada.id, 3).await.unwrap(), 0);
        assert_eq!(push_tokens::of_user(&mut tx, bob.id).await.unwrap().len(), 1, "another user's are untouched");
        tx.commit().await.unwrap();
    }
}
