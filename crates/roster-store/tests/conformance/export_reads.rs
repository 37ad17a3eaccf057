//! The reads only the data export makes: every session of a user, ended or not, without its
//! token hash; every day of its analytics.

use roster_domain::SessionId;
use roster_domain::activity::Action;
use roster_store::sessions::{self, NewSession};
use roster_store::{Ts, analytics};

use crate::support::{T0, engines, insert_user, start, user};

#[tokio::test]
async fn every_session_ended_or_not_and_every_analytics_day_are_read_oldest_first() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("exp1@x.test", "Exp1"), user("exp2@x.test", "Exp2"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let mut tx = db.begin().await.unwrap();
        let mut ids = Vec::new();
        for (n, owner) in [(1u8, ada.id), (2, ada.id), (3, bob.id)] {
            let s = NewSession {
                id: SessionId::new(),
                user_id: owner,
                token_hash: vec![n; 32],
                active_account_id: None,
                created_at: Ts::from_micros(T0 + i64::from(n)),
                expires_at: Ts::from_micros(T0 + 3_600_000_000),
                ip: Some("203.0.113.7".to_owned()),
                user_agent: None,
            };
            sessions::insert(&mut tx, &s).await.unwrap();
            ids.push(s.id);
        }
        sessions::revoke(&mut tx, ids[0], Ts::from_micros(T0 + 10)).await.unwrap();
        let all = sessions::all_of_user(&mut tx, ada.id).await.unwrap();
        assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), [ids[0].as_uuid(), ids[1].as_uuid()]);
        assert_eq!((all[0].revoked_at, all[1].revoked_at), (Some(Ts::from_micros(T0 + 10)), None));
        assert_eq!(all[0].expires_at, Ts::from_micros(T0 + 3_600_000_000));

        // Days come from the audit trail; with none, there are none.
        assert!(analytics::days_of(&mut tx, ada.id).await.unwrap().is_empty());
        let at = |s: i64| Ts::from_micros(T0 + s * 1_000_000);
        for (n, action) in [(1, Action::UserLogin), (2, Action::UserUpdated), (90_000, Action::UserLogin)] {
            let entry = roster_store::activities::Activity {
                id: roster_domain::ActivityId::new(),
                at: at(n).get(),
                user_id: ada.id,
                actor_id: Some(ada.id),
                account_id: None,
                action,
                ip: None,
                user_agent: None,
                changes: serde_json::json!({}),
            };
            roster_store::activities::insert(&mut tx, &entry).await.unwrap();
        }
        analytics::recompute_day(&mut tx, ada.id, "2026-05-28", at(0), at(86_400)).await.unwrap();
        analytics::recompute_day(&mut tx, ada.id, "2026-05-29", at(86_400), at(172_800)).await.unwrap();
        let days = analytics::days_of(&mut tx, ada.id).await.unwrap();
        let summary: Vec<(&str, i64, i64)> = days.iter().map(|d| (d.day.as_str(), d.logins, d.events)).collect();
        assert_eq!(summary, [("2026-05-28", 1, 2), ("2026-05-29", 1, 1)]);
        assert_eq!(days[1].last_active_at, at(90_000));
        assert!(analytics::days_of(&mut tx, bob.id).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    }
}
