//! Sessions: look-up by token hash, revoking one or all.

use roster_domain::{AccountId, SessionId, UserId};
use roster_store::sessions::{self, NewSession};
use roster_store::{Db, Ts};

use crate::support::{T0, engines, insert_account, insert_user, start, user};

fn session(user: UserId, hash: &[u8], account: Option<AccountId>) -> NewSession {
    NewSession {
        id: SessionId::new(),
        user_id: user,
        token_hash: hash.to_vec(),
        active_account_id: account,
        created_at: Ts::from_micros(T0),
        expires_at: Ts::from_micros(T0 + 3_600_000_000),
        ip: Some("203.0.113.7".to_owned()),
        user_agent: Some("test/1".to_owned()),
    }
}

async fn insert(db: &Db, s: &NewSession) {
    let mut tx = db.begin().await.unwrap();
    sessions::insert(&mut tx, s).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn sessions_are_found_by_token_hash_until_revoked() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let account = insert_account(db, "Acme", None).await;
        let ada = user("ada@example.com", "Ada");
        let bob = user("bob@example.com", "Bob");
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let first = session(ada.id, &[1; 32], Some(account.id));
        let second = session(ada.id, &[2; 32], None);
        let bobs = session(bob.id, &[3; 32], None);
        for s in [&first, &second, &bobs] {
            insert(db, s).await;
        }

        let mut conn = db.conn().await.unwrap();
        let found = sessions::find_by_token(&mut conn, &[1; 32]).await.unwrap().expect("session found");
        assert_eq!(found.id, first.id);
        assert_eq!(found.active_account_id, Some(account.id));
        assert_eq!(found.last_seen_at, Ts::from_micros(T0));
        assert_eq!(found.expires_at, Ts::from_micros(T0 + 3_600_000_000));
        assert_eq!(found.user.id, ada.id);
        assert_eq!(found.user.email, "ada@example.com");
        assert!(sessions::find_by_token(&mut conn, &[9; 32]).await.unwrap().is_none());
        drop(conn);

        let mut tx = db.begin().await.unwrap();
        sessions::touch(&mut tx, second.id, Ts::from_micros(T0 + 5)).await.unwrap();
        sessions::revoke(&mut tx, first.id, Ts::from_micros(T0 + 6)).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        assert!(sessions::find_by_token(&mut conn, &[1; 32]).await.unwrap().is_none(), "revoked");
        let second_now = sessions::find_by_token(&mut conn, &[2; 32]).await.unwrap().expect("the other one lives");
        assert_eq!(second_now.last_seen_at, Ts::from_micros(T0 + 5));
        drop(conn);

        // revoke_all counts only the sessions it revoked, and spares other users.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(sessions::revoke_all(&mut tx, ada.id, Ts::from_micros(T0 + 7)).await.unwrap(), 1);
        assert_eq!(sessions::revoke_all(&mut tx, ada.id, Ts::from_micros(T0 + 8)).await.unwrap(), 0);
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        assert!(sessions::find_by_token(&mut conn, &[2; 32]).await.unwrap().is_none());
        assert!(sessions::find_by_token(&mut conn, &[3; 32]).await.unwrap().is_some(), "Bob's session lives");
    }
}

#[tokio::test]
async fn token_hashes_are_unique() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        insert(db, &session(ada.id, &[7; 32], None)).await;
        let mut tx = db.begin().await.unwrap();
        assert!(sessions::insert(&mut tx, &session(ada.id, &[7; 32], None)).await.is_err());
    }
}
