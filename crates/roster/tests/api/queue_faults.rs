//! The faults the queue manager must survive (issue 3), each driven through the real binary:
//! a dead SMTP server and a SIGKILL, an events endpoint that answers 503, a process that does
//! not work the notifications queue, and two worker processes sharing 1000 jobs.
//!
//! The sinks run on this test's runtime, so every wait here yields to it (the processes are
//! polled, never waited on by blocking), and every wait is on a condition, with a deadline far
//! beyond what an idle machine needs.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use roster_store::job_queue::{self, JobView};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestDb};
use crate::process::{Process, Server, free_port};
use crate::queues::{SECRET, verify_signature};
use crate::sinks::{HttpSink, SmtpSink};

/// Poll `check` every 50 ms until it yields a value; `None` after `limit`.
async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The test's own handle on the database the processes share.
async fn store(db: &TestDb) -> roster_store::Db {
    roster_store::Db::connect(&db.url).await.expect("the test reaches the database")
}

/// Every job of `kind`, newest first.
async fn jobs_of_kind(store: &roster_store::Db, kind: &str) -> Vec<JobView> {
    let mut conn = store.conn().await.unwrap();
    let jobs = job_queue::list(&mut conn, None, None, None, 10_000).await.unwrap();
    jobs.into_iter().filter(|j| j.kind == kind).collect()
}

/// The one job of `kind` (panics when there are several).
async fn job_of_kind(store: &roster_store::Db, kind: &str) -> Option<JobView> {
    let mut jobs = jobs_of_kind(store, kind).await;
    assert!(jobs.len() <= 1, "one {kind} job expected: {jobs:?}");
    jobs.pop()
}

/// The processes (by pid) holding a job right now.
async fn holders(store: &roster_store::Db) -> Vec<String> {
    let mut conn = store.conn().await.unwrap();
    let workers: Vec<String> = roster_store::on_conn!(&mut conn, |c| {
        sqlx::query_scalar("SELECT DISTINCT locked_by FROM jobs WHERE locked_by IS NOT NULL").fetch_all(c).await
    })
    .unwrap();
    workers.iter().filter_map(|w| w.split('-').next()).map(str::to_owned).collect()
}

/// Jobs by status.
async fn count_status(store: &roster_store::Db, status: &str) -> i64 {
    let mut conn = store.conn().await.unwrap();
    roster_store::on_conn!(&mut conn, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = $1").bind(status).fetch_one(c).await
    })
    .unwrap()
}

async fn post(base: &str, path: &str, body: &Value) -> (u16, Value) {
    roster_core::notify::install_crypto_provider();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let response = client.post(format!("{base}{path}")).json(body).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.unwrap_or(Value::Null))
}

/// Open sign-up; returns the created user.
async fn signup(server: &Server, email: &str) -> Value {
    let (status, user) =
        post(&server.base, "/v1/users", &json!({"email": email, "password": PASSWORD, "name": "Ada"})).await;
    assert_eq!(status, 201, "sign-up: {user:?}");
    user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_mail_survives_a_dead_smtp_server_and_a_sigkill() {
    let db = TestDb::new().await;
    let store = store(&db).await;
    // A port where nothing listens: every connection is refused at once.
    let nowhere = format!("smtp://127.0.0.1:{}", free_port());
    let mut first = Server::serve(&db, &[("ROSTER_SMTP_URL", &nowhere)]).await;
    let user = signup(&first, "ada@example.com").await;

    // The mail failed at least once and waits for its next try: killed now, the process leaves
    // it queued. (A job it is running when killed stays leased to the dead process until the
    // lease runs out; that path is allowed for below, but made unlikely by killing well before
    // the retry is due.)
    let failed = eventually(Duration::from_mins(1), || async {
        let job = job_of_kind(&store, "email.verification").await?;
        let margin = job.run_at.get() - time::OffsetDateTime::now_utc();
        (job.status == roster_domain::job::JobStatus::Queued
            && job.last_error.is_some()
            && margin > time::Duration::milliseconds(300))
        .then_some(job)
    })
    .await
    .unwrap_or_else(|| panic!("the verification mail never failed; log:\n{}", first.log()));
    assert!(failed.last_error.as_deref().unwrap().contains("SMTP"), "{failed:?}");
    first.process.sigkill();
    let at_kill = job_of_kind(&store, "email.verification").await.unwrap();
    assert_ne!(at_kill.status, roster_domain::job::JobStatus::Done, "no mail could have been sent: {at_kill:?}");
    // Queued: the retry is due within seconds. Running (killed mid-attempt): the 60 s lease must
    // run out and the sweeper (every 30 s) return the job first.
    let limit = if at_kill.status == roster_domain::job::JobStatus::Running {
        Duration::from_secs(150)
    } else {
        Duration::from_secs(30)
    };

    let smtp = SmtpSink::start().await;
    let second = Server::serve(&db, &[("ROSTER_SMTP_URL", &smtp.url())]).await;
    let started = Instant::now();
    let mail = eventually(limit, || async { smtp.messages().into_iter().find(|m| m.token("verify-email").is_some()) })
        .await
        .unwrap_or_else(|| {
            panic!("no verification mail within {limit:?} of the restart (job was {at_kill:?}); log:\n{}", second.log())
        });
    eprintln!("verification mail {:?} after the restart (job was {} at the kill)", started.elapsed(), at_kill.status);
    assert_eq!(mail.to, ["ada@example.com"]);

    let token = mail.token("verify-email").unwrap();
    let (status, verified) = post(&second.base, "/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(status, 200, "{verified:?}");
    assert_eq!(verified["id"], user["id"]);
    assert_eq!(verified["email_verified"], true);

    let job = eventually(Duration::from_secs(30), || async {
        job_of_kind(&store, "email.verification").await.filter(|j| j.status == roster_domain::job::JobStatus::Done)
    })
    .await
    .unwrap_or_else(|| panic!("the delivered mail's job is not done; log:\n{}", second.log()));
    assert!(job.attempts >= 2, "failed before the kill, delivered after: {job:?}");
    let sent = smtp.messages().iter().filter(|m| m.token("verify-email").is_some()).count();
    assert_eq!(sent, 1, "one verification mail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_refused_with_503_three_times_arrives_with_the_same_id() {
    let db = TestDb::new().await;
    let store = store(&db).await;
    let hooks = HttpSink::start().await;
    hooks.fail_next(3, 503);
    let url = hooks.url("/events");
    let server = Server::serve(&db, &[("ROSTER_EVENTS_WEBHOOK_URL", &url), ("ROSTER_EVENTS_SECRET", SECRET)]).await;
    let user = signup(&server, "ada@example.com").await;

    // Retries after about 1 s, 2 s and 4 s (±20 %).
    let requests = eventually(Duration::from_mins(1), || async {
        let requests = hooks.requests();
        requests.iter().any(|r| r.status == 200).then_some(requests)
    })
    .await
    .unwrap_or_else(|| panic!("no event delivered: {:?}; log:\n{}", hooks.requests(), server.log()));
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 503, 503, 200]);
    let first_id = &requests[0].body["id"];
    assert!(first_id.is_string(), "{:?}", requests[0].body);
    assert!(requests.iter().all(|r| &r.body["id"] == first_id), "the same event id every time");
    assert!(requests.iter().all(|r| r.path == "/events" && r.method == "POST"));
    for pair in requests.windows(2) {
        let gap = pair[1].received_at - pair[0].received_at;
        assert!(gap >= Duration::from_millis(700), "retries back off: {gap:?} between attempts");
    }

    let delivered = &requests[3];
    assert_eq!(delivered.body["type"], "user.created");
    assert_eq!(delivered.body["data"]["id"], user["id"]);
    assert_eq!(delivered.body["data"]["email"], "ada@example.com");
    verify_signature(delivered.header("roster-signature").expect("signed"), &delivered.raw);

    let job = eventually(Duration::from_secs(30), || async {
        job_of_kind(&store, "event.deliver").await.filter(|j| j.status == roster_domain::job::JobStatus::Done)
    })
    .await
    .unwrap_or_else(|| panic!("the event's job is not done; log:\n{}", server.log()));
    assert_eq!(job.attempts, 4);
    assert_eq!(job.last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_notifications_off_the_mail_waits_for_a_worker_process() {
    let db = TestDb::new().await;
    let store = store(&db).await;
    let smtp = SmtpSink::start().await;
    let smtp_url = smtp.url();
    let server = Server::serve(&db, &[("ROSTER_SMTP_URL", &smtp_url), ("QM_USER_NOTIFICATIONS", "false")]).await;
    let user = signup(&server, "ada@example.com").await;

    // The other queues of this process work: onboarding records the welcome mail (on the
    // notifications queue), so the workers are up.
    eventually(Duration::from_mins(1), || async { job_of_kind(&store, "email.welcome").await })
        .await
        .unwrap_or_else(|| panic!("onboarding did not run; log:\n{}", server.log()));
    // A barrier rather than a pause: once the sign-up's analytics job of the day has run, a
    // login queues it again, due after both mails. Claims go in due order, so once it is done
    // again a worker of the notifications queue would have taken the mails.
    let done = |store: &roster_store::Db, since: time::OffsetDateTime| {
        let store = store.clone();
        async move {
            let jobs = jobs_of_kind(&store, "analytics.activity").await;
            let since_then = |j: &JobView| j.run_at.get() >= since;
            (jobs.iter().any(since_then) && jobs.iter().all(|j| j.status == roster_domain::job::JobStatus::Done))
                .then_some(())
        }
    };
    let signed_up = time::OffsetDateTime::UNIX_EPOCH;
    eventually(Duration::from_mins(1), || done(&store, signed_up))
        .await
        .unwrap_or_else(|| panic!("the sign-up's analytics job did not run; log:\n{}", server.log()));
    let before_login = time::OffsetDateTime::now_utc();
    let (status, _) =
        post(&server.base, "/v1/auth/login", &json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(status, 200);
    eventually(Duration::from_mins(1), || done(&store, before_login))
        .await
        .unwrap_or_else(|| panic!("the login's analytics job did not run; log:\n{}", server.log()));
    assert!(smtp.messages().is_empty(), "nothing is sent: {:?}", smtp.messages());
    for kind in ["email.verification", "email.welcome"] {
        let job = job_of_kind(&store, kind).await.expect("recorded");
        assert_eq!((job.status.as_str(), job.attempts), ("queued", 0), "{job:?}");
    }

    let mut worker = Process::spawn(&db, "worker", &[("ROSTER_SMTP_URL", &smtp_url)]);
    let mails = eventually(Duration::from_mins(1), || async {
        let mails = smtp.messages();
        (mails.len() >= 2).then_some(mails)
    })
    .await
    .unwrap_or_else(|| panic!("the worker sent {:?}; its log:\n{}", smtp.messages(), worker.log()));
    assert!(mails.iter().all(|m| m.to == ["ada@example.com"]));
    let token = mails.iter().find_map(|m| m.token("verify-email")).expect("a verification mail");
    let (status, verified) = post(&server.base, "/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(status, 200, "{verified:?}");
    assert_eq!(verified["id"], user["id"]);

    worker.sigterm();
    let status = worker.exited(Duration::from_secs(30)).await;
    assert!(status.success(), "the worker stops cleanly on SIGTERM: {status:?}; log:\n{}", worker.log());
    for kind in ["email.verification", "email.welcome"] {
        let job = job_of_kind(&store, kind).await.unwrap();
        assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "{job:?}");
    }
    // The login's "new sign-in" notice may have gone out too before the worker stopped; no
    // message went out twice.
    let mut subjects: Vec<_> = smtp.messages().iter().filter_map(|m| m.header("subject")).collect();
    subjects.sort();
    let all = subjects.len();
    subjects.dedup();
    assert_eq!(subjects.len(), all, "no mail twice: {subjects:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_server_sends_the_verification_mail_well_within_a_second() {
    let db = TestDb::new().await;
    let store = store(&db).await;
    let smtp = SmtpSink::start().await;
    let smtp_url = smtp.url();
    let server = Server::serve(&db, &[("ROSTER_SMTP_URL", &smtp_url)]).await;
    // Woken by the commit, not found by a poll: the best of three is far below a second (the
    // best, so that a busy test machine does not decide it).
    let mut best = Duration::MAX;
    for i in 1..=3 {
        signup(&server, &format!("user{i}@example.com")).await;
        let signed_up = Instant::now();
        let mails = eventually(Duration::from_secs(30), || async {
            let mails = smtp.messages();
            mails
                .iter()
                .any(|m| m.to == [format!("user{i}@example.com")] && m.token("verify-email").is_some())
                .then_some(())
        })
        .await;
        mails.unwrap_or_else(|| panic!("no verification mail for user{i}; log:\n{}", server.log()));
        best = best.min(signed_up.elapsed());
        // Let the sign-up's other jobs finish, so the next one starts from an idle server.
        let settled = eventually(Duration::from_secs(30), || async {
            (count_status(&store, "queued").await + count_status(&store, "running").await == 0).then_some(())
        })
        .await;
        assert!(settled.is_some(), "the sign-up's jobs did not finish; log:\n{}", server.log());
    }
    eprintln!("verification mail {best:?} after the sign-up's 201 (best of three)");
    assert!(best < Duration::from_millis(600), "{best:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_send_a_thousand_jobs_once_each() {
    const JOBS: usize = 1000;
    let db = TestDb::new().await;
    let store = store(&db).await;
    store.migrate().await.unwrap();
    let sms = HttpSink::start().await;
    // A provider that takes a moment, so that jobs are held long enough to see who holds them.
    sms.answer_after(Duration::from_millis(20));
    let now = time::OffsetDateTime::now_utc();
    let mut tx = store.begin().await.unwrap();
    for i in 0..JOBS {
        let job = roster_store::jobs::NewJob {
            id: roster_domain::JobId::new(),
            queue: roster_domain::job::Queue::Notifications,
            kind: "sms.send",
            payload: json!({"to": format!("+1555{i:07}"), "body": format!("job {i}")}),
            max_attempts: 10,
            run_at: now,
            created_at: now,
        };
        roster_store::jobs::enqueue(&mut tx, &job).await.unwrap();
    }
    tx.commit().await.unwrap();

    let url = sms.url("/sms");
    let started = Instant::now();
    let mut workers = [0, 1].map(|_| Process::spawn(&db, "worker", &[("ROSTER_SMS_WEBHOOK_URL", &url)]));
    let logs = |workers: &[Process]| workers.iter().map(Process::log).collect::<Vec<_>>().join("\n---\n");
    let seen = std::sync::Mutex::new(HashSet::new());
    eventually(Duration::from_mins(3), || async {
        let holding = holders(&store).await;
        seen.lock().unwrap().extend(holding);
        (count_status(&store, "done").await == JOBS as i64).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("{} of {JOBS} jobs sent; logs:\n{}", sms.requests().len(), logs(&workers)));
    let elapsed = started.elapsed();
    let seen = seen.into_inner().unwrap();
    eprintln!(
        "{JOBS} jobs done by two worker processes in {elapsed:?} on {:?}; processes seen holding jobs: {seen:?}",
        store.engine()
    );

    assert_eq!(seen.len(), 2, "both processes worked: {seen:?}");
    for status in ["queued", "running", "dead"] {
        assert_eq!(count_status(&store, status).await, 0, "{status} jobs left");
    }
    let requests = sms.requests();
    assert_eq!(requests.len(), JOBS, "exactly one request per job");
    assert!(requests.iter().all(|r| r.status == 200 && r.path == "/sms"));
    let bodies: HashSet<&str> = requests.iter().filter_map(|r| r.body["body"].as_str()).collect();
    assert_eq!(bodies.len(), JOBS, "every job sent once");
    let mut conn = store.conn().await.unwrap();
    let retried: i64 = roster_store::on_conn!(&mut conn, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts <> 1").fetch_one(c).await
    })
    .unwrap();
    drop(conn);
    assert_eq!(retried, 0, "no job ran twice");

    for worker in &workers {
        worker.sigterm();
    }
    for worker in &mut workers {
        let status = worker.exited(Duration::from_secs(30)).await;
        assert!(status.success(), "clean exit on SIGTERM: {status:?}; log:\n{}", worker.log());
    }
}
