//! The jobs outbox, server secrets, preferences and the activity trail.

use roster_domain::activity::Action;
use roster_domain::job::Queue;
use roster_domain::{ActivityId, JobId, UserId};
use roster_store::activities::{self, Activity};
use roster_store::jobs::{self, NewJob};
use roster_store::{Ts, preferences, secrets};
use uuid::Uuid;

use crate::support::{T0, at, engines, insert_user, nth_id, start, user};

/// id, queue, kind, status, attempts, max_attempts, last_error.
type JobSummary<'a> = (Uuid, &'a str, &'a str, &'a str, i32, i32, Option<&'a str>);

fn job(n: u128, queue: &'static str, kind: &'static str, user: UserId) -> NewJob {
    NewJob {
        id: JobId::from_uuid(nth_id(n)),
        queue: Queue::parse(queue).unwrap(),
        kind,
        payload: serde_json::json!({"user_id": user.to_string(), "n": n as u64}),
        max_attempts: 7,
        run_at: at(T0 + n as i64),
        created_at: at(T0),
    }
}

#[tokio::test]
async fn enqueued_jobs_are_found_by_the_user_they_name() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = UserId::new();
        let bob = UserId::new();
        let mut tx = db.begin().await.unwrap();
        jobs::enqueue(&mut tx, &job(1, "onboarding", "onboarding.welcome", ada)).await.unwrap();
        jobs::enqueue(&mut tx, &job(2, "notifications", "email.verification", bob)).await.unwrap();
        jobs::enqueue(&mut tx, &job(3, "analytics", "analytics.init", ada)).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = db.conn().await.unwrap();
        let found = jobs::for_user(&mut conn, ada.as_uuid()).await.unwrap();
        let summary: Vec<JobSummary> = found
            .iter()
            .map(|j| {
                (
                    j.id.as_uuid(),
                    j.queue.as_str(),
                    j.kind.as_str(),
                    j.status.as_str(),
                    j.attempts,
                    j.max_attempts,
                    j.last_error.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (nth_id(3), "analytics", "analytics.init", "queued", 0, 7, None),
                (nth_id(1), "onboarding", "onboarding.welcome", "queued", 0, 7, None),
            ],
            "newest first"
        );
        assert_eq!(found[0].payload.0, serde_json::json!({"user_id": ada.to_string(), "n": 3}));
        assert_eq!(jobs::for_user(&mut conn, bob.as_uuid()).await.unwrap().len(), 1);
        assert!(jobs::for_user(&mut conn, Uuid::now_v7()).await.unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_or_create_returns_the_first_secret_to_every_caller() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut tx = db.begin().await.unwrap();
        let first = secrets::get_or_create(&mut tx, "cursor", vec![1; 32], Ts::from_micros(T0)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(first, vec![1; 32]);
        let mut tx = db.begin().await.unwrap();
        let again = secrets::get_or_create(&mut tx, "cursor", vec![2; 32], Ts::from_micros(T0 + 1)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(again, first, "the stored secret, not the fresh one");

        // Instances starting together: all of them get the one secret that won.
        let mut tasks = Vec::new();
        for n in 0..8u8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let secret = secrets::get_or_create(&mut tx, "events", vec![n; 16], Ts::from_micros(T0)).await.unwrap();
                tx.commit().await.unwrap();
                secret
            }));
        }
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap());
        }
        assert!(seen.iter().all(|s| s == &seen[0] && s.len() == 16), "{seen:?}");
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            secrets::get_or_create(&mut tx, "events", vec![99; 16], Ts::from_micros(T0)).await.unwrap(),
            seen[0]
        );
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn preferences_upsert_get_delete() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        let mut tx = db.begin().await.unwrap();
        preferences::upsert(&mut tx, ada.id, &serde_json::json!({"theme": "dark"}), Ts::from_micros(T0)).await.unwrap();
        preferences::upsert(
            &mut tx,
            ada.id,
            &serde_json::json!({"theme": "light", "dashboard": {"a": 1}}),
            Ts::from_micros(T0 + 1),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        assert_eq!(
            preferences::get(&mut conn, ada.id).await.unwrap(),
            Some(serde_json::json!({"theme": "light", "dashboard": {"a": 1}}))
        );
        drop(conn);
        let mut tx = db.begin().await.unwrap();
        preferences::delete(&mut tx, ada.id).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        assert_eq!(preferences::get(&mut conn, ada.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn activities_page_newest_first() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let ada = UserId::new();
        let mut tx = db.begin().await.unwrap();
        for n in 1..=5u128 {
            let entry = Activity {
                id: ActivityId::from_uuid(nth_id(n)),
                at: at(T0 + n as i64),
                user_id: ada,
                actor_id: (n % 2 == 0).then_some(ada),
                account_id: None,
                action: Action::ALL[n as usize],
                ip: Some("198.51.100.1".to_owned()),
                user_agent: None,
                changes: serde_json::json!({"n": n as u64}),
            };
            activities::insert(&mut tx, &entry).await.unwrap();
        }
        activities::insert(
            &mut tx,
            &Activity {
                id: ActivityId::from_uuid(nth_id(9)),
                at: at(T0),
                user_id: UserId::new(),
                actor_id: None,
                account_id: None,
                action: Action::AccountDeleted,
                ip: None,
                user_agent: None,
                changes: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        // `limit` + 1 rows come back, so the caller can tell whether more follow.
        let first = activities::of_user(&mut conn, ada, None, 2).await.unwrap();
        let ids: Vec<Uuid> = first.iter().map(|a| a.id.as_uuid()).collect();
        assert_eq!(ids, [nth_id(5), nth_id(4), nth_id(3)]);
        assert_eq!(first[0].at, at(T0 + 5));
        assert_eq!(first[1].actor_id, Some(ada));
        assert_eq!(first[0].changes, serde_json::json!({"n": 5}));
        let rest = activities::of_user(&mut conn, ada, Some(ActivityId::from_uuid(nth_id(4))), 10).await.unwrap();
        let ids: Vec<Uuid> = rest.iter().map(|a| a.id.as_uuid()).collect();
        assert_eq!(ids, [nth_id(3), nth_id(2), nth_id(1)]);
    }
}
