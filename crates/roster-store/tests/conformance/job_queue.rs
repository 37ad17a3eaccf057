//! How workers claim and settle jobs: exclusive claims, settlement only by the lease holder,
//! retry scheduling, dead jobs, expired leases, hand-back at shutdown, and the admin retry.

use roster_domain::JobId;
use roster_domain::job::Queue;
use roster_store::job_queue::{self, Claimed};
use roster_store::jobs::{self, NewJob};
use roster_store::{Db, Ts};

use crate::support::{T0, at, engines, nth_id, start};

const SECOND: i64 = 1_000_000;

fn job(n: u128, queue: &'static str, max_attempts: i32) -> NewJob {
    NewJob {
        id: JobId::from_uuid(nth_id(n)),
        queue: Queue::parse(queue).unwrap(),
        kind: "sms.send",
        payload: serde_json::json!({"n": n as u64}),
        max_attempts,
        run_at: at(T0),
        created_at: at(T0),
    }
}

fn job_id(n: u128) -> JobId {
    JobId::from_uuid(nth_id(n))
}

async fn enqueue(db: &Db, jobs: &[NewJob]) {
    let mut tx = db.begin().await.unwrap();
    for job in jobs {
        jobs::enqueue(&mut tx, job).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn claim(db: &Db, queues: &[&str], worker: &str, now: i64, limit: u32) -> Vec<Claimed> {
    let queues: Vec<Queue> = queues.iter().map(|q| Queue::parse(q).unwrap()).collect();
    let mut tx = db.begin().await.unwrap();
    let claimed =
        job_queue::claim(&mut tx, &queues, worker, Ts::from_micros(now), Ts::from_micros(now + 60 * SECOND), limit)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    claimed
}

async fn run_at(db: &Db) -> Ts {
    let mut conn = db.conn().await.unwrap();
    job_queue::find(&mut conn, job_id(1)).await.unwrap().expect("job exists").run_at
}

async fn status(db: &Db, n: u128) -> (String, i32, Option<String>) {
    let mut conn = db.conn().await.unwrap();
    let job = job_queue::find(&mut conn, job_id(n)).await.unwrap().expect("job exists");
    (job.status.as_str().to_owned(), job.attempts, job.last_error)
}

#[tokio::test]
async fn claims_are_exclusive_and_follow_queue_and_due_time() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let mut later = job(3, "notifications", 5);
        later.run_at = at(T0 + 100 * SECOND);
        enqueue(db, &[job(1, "notifications", 5), job(2, "sync", 5), later]).await;

        let first = claim(db, &["notifications"], "w1", T0, 10).await;
        assert_eq!(first.iter().map(|j| j.id).collect::<Vec<_>>(), [job_id(1)], "only due jobs of its queues");
        assert_eq!(first[0].attempts, 1);
        assert!(claim(db, &["notifications"], "w2", T0, 10).await.is_empty(), "a claimed job is not claimed twice");
        assert_eq!(claim(db, &["sync", "analytics"], "w2", T0, 10).await.len(), 1);
        assert_eq!(claim(db, &["notifications"], "w2", T0 + 100 * SECOND, 10).await[0].id, job_id(3));
    }
}

#[tokio::test]
async fn only_the_lease_holder_settles_and_failures_retry_then_die() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        enqueue(db, &[job(1, "notifications", 2)]).await;
        claim(db, &["notifications"], "w1", T0, 1).await;
        let mut tx = db.begin().await.unwrap();
        assert!(!job_queue::complete(&mut tx, job_id(1), "intruder", Ts::from_micros(T0)).await.unwrap());
        let retry_at = Ts::from_micros(T0 + 2 * SECOND);
        assert!(job_queue::fail(&mut tx, job_id(1), "w1", Ts::from_micros(T0), "boom", Some(retry_at)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(status(db, 1).await, ("queued".into(), 1, Some("boom".into())));
        assert!(claim(db, &["notifications"], "w1", T0 + SECOND, 1).await.is_empty(), "not before its retry time");

        let second = claim(db, &["notifications"], "w2", T0 + 2 * SECOND, 1).await;
        assert_eq!(second[0].attempts, 2);
        let mut tx = db.begin().await.unwrap();
        job_queue::fail(&mut tx, job_id(1), "w2", Ts::from_micros(T0 + 2 * SECOND), "boom again", None).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(status(db, 1).await, ("dead".into(), 2, Some("boom again".into())));

        // An operator's retry: queued again, now, with fresh attempts; a done job is not retried.
        let mut tx = db.begin().await.unwrap();
        assert!(job_queue::retry(&mut tx, job_id(1), Ts::from_micros(T0 + 3 * SECOND)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(status(db, 1).await.0, "queued");
        let third = claim(db, &["notifications"], "w3", T0 + 3 * SECOND, 1).await;
        assert_eq!(third[0].attempts, 1);
        let mut tx = db.begin().await.unwrap();
        assert!(job_queue::complete(&mut tx, job_id(1), "w3", Ts::from_micros(T0 + 3 * SECOND)).await.unwrap());
        assert!(!job_queue::retry(&mut tx, job_id(1), Ts::from_micros(T0 + 4 * SECOND)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(status(db, 1).await, ("done".into(), 1, None));
    }
}

#[tokio::test]
async fn expired_leases_come_back_and_a_stopping_worker_hands_its_jobs_back() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        enqueue(db, &[job(1, "sync", 5), job(2, "sync", 1), job(3, "sync", 5)]).await;
        assert_eq!(claim(db, &["sync"], "dead-worker", T0, 2).await.len(), 2);
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            job_queue::sweep_expired(&mut tx, Ts::from_micros(T0 + 30 * SECOND)).await.unwrap(),
            0,
            "lease still running"
        );
        assert_eq!(job_queue::sweep_expired(&mut tx, Ts::from_micros(T0 + 61 * SECOND)).await.unwrap(), 2);
        tx.commit().await.unwrap();
        let (status1, attempts1, error1) = status(db, 1).await;
        assert_eq!((status1.as_str(), attempts1), ("queued", 1), "the attempt stays counted");
        assert!(error1.unwrap().contains("lease"));
        assert_eq!(status(db, 2).await.0, "dead", "its last attempt died with its worker");

        assert_eq!(claim(db, &["sync"], "stopping", T0 + 62 * SECOND, 5).await.len(), 2);
        let mut tx = db.begin().await.unwrap();
        assert_eq!(job_queue::release_worker(&mut tx, "stopping", Ts::from_micros(T0 + 63 * SECOND)).await.unwrap(), 2);
        tx.commit().await.unwrap();
        assert_eq!(status(db, 3).await.0, "queued");
        assert_eq!(status(db, 3).await.1, 0, "a handed-back job has not used an attempt");
    }
}

#[tokio::test]
async fn done_jobs_are_purged_after_their_retention_and_nothing_else_is() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        enqueue(db, &[job(1, "sync", 5), job(2, "sync", 5), job(3, "sync", 1), job(4, "sync", 5), job(5, "sync", 5)])
            .await;
        let claimed = claim(db, &["sync"], "w", T0, 4).await;
        assert_eq!(claimed.len(), 4);
        let mut conn = db.write_conn().await.unwrap();
        for n in [1, 2] {
            assert!(
                job_queue::complete(&mut conn, job_id(n), "w", Ts::from_micros(T0 + n as i64 * SECOND)).await.unwrap()
            );
        }
        assert!(job_queue::fail(&mut conn, job_id(3), "w", Ts::from_micros(T0), "boom", None).await.unwrap());
        // Job 4 is still running, job 5 still queued.
        let before = Ts::from_micros(T0 + 3 * SECOND);
        assert_eq!(job_queue::purge_done(&mut conn, before, 1).await.unwrap(), 1, "one batch of one");
        assert_eq!(job_queue::purge_done(&mut conn, before, 100).await.unwrap(), 1);
        let later = Ts::from_micros(T0 + 100 * SECOND);
        assert_eq!(job_queue::purge_done(&mut conn, later, 100).await.unwrap(), 0, "dead, running and queued stay");
        drop(conn);
        let mut conn = db.conn().await.unwrap();
        for n in [1, 2] {
            assert!(job_queue::find(&mut conn, job_id(n)).await.unwrap().is_none());
        }
        for n in [3, 4, 5] {
            assert!(job_queue::find(&mut conn, job_id(n)).await.unwrap().is_some());
        }
    }
}

#[tokio::test]
async fn a_rearmed_job_is_queued_again_once_it_has_run_or_while_it_runs_but_a_waiting_one_is_left() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let rearm = |run_at: i64| {
            let mut job = job(1, "analytics", 5);
            job.run_at = at(run_at);
            job.created_at = at(run_at);
            async move {
                let mut tx = db.begin().await.unwrap();
                jobs::enqueue_rearm(&mut tx, &job).await.unwrap();
                tx.commit().await.unwrap();
            }
        };
        // Waiting: left as it is (it will see the change anyway).
        rearm(T0).await;
        rearm(T0 + SECOND).await;
        assert_eq!((status(db, 1).await, run_at(db).await), (("queued".into(), 0, None), Ts::from_micros(T0)));

        // Done: queued again from the new time, with fresh attempts.
        claim(db, &["analytics"], "w1", T0 + SECOND, 1).await;
        let mut tx = db.begin().await.unwrap();
        assert!(job_queue::complete(&mut tx, job_id(1), "w1", Ts::from_micros(T0 + SECOND)).await.unwrap());
        tx.commit().await.unwrap();
        rearm(T0 + 2 * SECOND).await;
        assert_eq!(
            (status(db, 1).await, run_at(db).await),
            (("queued".into(), 0, None), Ts::from_micros(T0 + 2 * SECOND))
        );

        // Running: queued again, and the run in progress no longer settles it.
        assert_eq!(claim(db, &["analytics"], "w2", T0 + 2 * SECOND, 1).await.len(), 1);
        rearm(T0 + 3 * SECOND).await;
        let mut tx = db.begin().await.unwrap();
        assert!(!job_queue::complete(&mut tx, job_id(1), "w2", Ts::from_micros(T0 + 3 * SECOND)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(status(db, 1).await, ("queued".into(), 0, None));
        assert_eq!(claim(db, &["analytics"], "w3", T0 + 3 * SECOND, 1).await.len(), 1, "it runs once more");
    }
}
