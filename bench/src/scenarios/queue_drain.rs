//! Queue drain: how fast `roster serve` works off verification emails to an SMTP server, and
//! what that costs the API.
//!
//! The scenario runs a server of its own (a fresh SQLite file, every queue on, the harness's
//! own SMTP sink as `ROSTER_SMTP_URL`), signs up `--users` users and logs `--connections` of them
//! in, and waits until the server has worked off everything those recorded. Then:
//!
//! 1. **Drain.** `--drain-jobs` `email.verification` jobs are written straight into the jobs
//!    table, in one transaction, each with a fresh verification token of its own for one of the
//!    users (copied from the token that user's sign-up issued, with a new id and hash), exactly as
//!    a sign-up records them: a UUID v7 id, times in INTEGER microseconds, `queued`, due now. The
//!    server claims them like any other job: each run reads the user, re-keys its token (a write),
//!    renders the message and sends it over SMTP. jobs/s = jobs / (last job's `updated_at` −
//!    commit of the batch). No API traffic meanwhile. Target ≥ 500 jobs/s.
//! 2. **Idle.** `--connections` keep-alive connections loop `GET /v1/users/profile` for
//!    `--seconds` with no job due: the idle p99.
//! 3. **Drain under load.** A second batch of the same size is written, and the same profile
//!    load runs for the same `--seconds` (or until the sink has every message, if sooner): the
//!    p99 while draining, over a window as long as the idle one, and jobs/s under that load
//!    (mails received in the window / the window). Then the load stops and the rest of the batch
//!    drains. Target: p99 while draining ≤ 120 % of idle.
//!
//! Every message must arrive exactly once (a crash-free run sends no duplicates) and every job
//! must end `done`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail, ensure};
use hyper::StatusCode;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Value, json};

use crate::loadgen::{LoadReport, TimedPlan, run_timed_while};
use crate::report::Metric;
use crate::scenarios::{Ctx, profile, seed};
use crate::server::{Server, ServerConfig};
use roster_testkit::CountingSmtpSink as SmtpSink;

pub const TARGET_JOBS_PER_S: f64 = 500.0;
pub const TARGET_P99_PCT_OF_IDLE: f64 = 120.0;

/// How long the server may take to work off what the sign-ups and logins recorded.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let smtp_url = sink.url();
    let bin = ctx.args.binary_path();
    let mut extra_env: Vec<(&str, &str)> = vec![("ROSTER_SMTP_URL", &smtp_url)];
    extra_env.extend(ctx.args.extra_env());
    let mut server = Server::spawn(&ServerConfig { bin: &bin, extra_env })?;
    server.wait_healthy(Duration::from_millis(10)).await?;
    let outcome = drain(ctx, &server, &sink).await;
    if outcome.is_err() {
        eprintln!("   its server's log (tail):\n{}", server.log_tail(2048));
    }
    match server.stop() {
        Ok(msg) => eprintln!("   queue_drain {msg}"),
        Err(e) => eprintln!("   warning: {e:#}"),
    }
    outcome
}

async fn drain(ctx: &mut Ctx, server: &Server, sink: &SmtpSink) -> anyhow::Result<()> {
    let target = server.target.clone();
    let limits = ctx.limits();
    let jobs = ctx.args.drain_jobs;

    let signed_up = seed::sign_up(&target, limits, ctx.args.users).await;
    ensure!(
        signed_up.failures == 0,
        "{} sign-ups failed; first: {}",
        signed_up.failures,
        signed_up.first_failure.unwrap_or_default()
    );
    let tokens = profile::log_in_as(&target, limits, &signed_up.users, ctx.args.connections).await?;
    let mut db = open(&server.dir().join("roster.db"))?;
    let settled = wait_until(SETTLE_LIMIT, || Ok(pending(&db)? == 0)).await?;
    ensure!(settled, "the jobs of {} sign-ups were not worked off within {SETTLE_LIMIT:?}", signed_up.users.len());
    let sources = sources(&db)?;
    let mails_before = sink.received();
    eprintln!(
        "   {} users signed up, {} logged in; {} mails sent for them",
        signed_up.users.len(),
        tokens.len(),
        mails_before
    );

    // 1. The drain alone.
    let batch = insert_batch(&mut db, &sources, jobs)?;
    let done = wait_done(&db, &batch).await?;
    let alone = jobs as f64 / done.seconds_since(&batch);
    eprintln!("   {jobs} jobs drained in {:.2} s: {alone:.0} jobs/s", done.seconds_since(&batch));

    // 2. The API idle.
    let plan = TimedPlan { limits, duration: ctx.args.duration(), expect: StatusCode::OK, max_requests: 2_000_000 };
    let idle = profile_load(&target, &tokens, plan, Arc::new(AtomicBool::new(false))).await;
    eprintln!("   idle: {} responses, p99 {:.2} ms", idle.responses, idle.percentile_ms(99.0));

    // 3. The API while the second batch drains, over a window as long as the idle one.
    let mails_at_start = sink.received();
    let expected_mails = mails_at_start + jobs as u64;
    let batch2 = insert_batch(&mut db, &sources, jobs)?;
    let window = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let watch = async {
        let deadline = window + plan.duration;
        while sink.received() < expected_mails && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.store(true, Ordering::Relaxed);
    };
    let (loaded, ()) = tokio::join!(profile_load(&target, &tokens, plan, stop.clone()), watch);
    let window = window.elapsed().as_secs_f64();
    let in_window = sink.received() - mails_at_start;
    let under_load = in_window as f64 / window;
    for (name, r) in [("idle", &idle), ("draining", &loaded)] {
        eprintln!(
            "   profile latency, queue {name}: p50 {:.2} p90 {:.2} p99 {:.2} p99.9 {:.2} ms, {:.0} req/s",
            r.percentile_ms(50.0),
            r.percentile_ms(90.0),
            r.percentile_ms(99.0),
            r.percentile_ms(99.9),
            r.rps()
        );
    }
    let done2 = wait_done(&db, &batch2).await?;
    eprintln!(
        "   draining: {} responses, p99 {:.2} ms; {in_window} jobs in {window:.2} s: {under_load:.0} jobs/s \
         (the batch's last job done {:.2} s after its commit)",
        loaded.responses,
        loaded.percentile_ms(99.0),
        done2.seconds_since(&batch2)
    );
    for (name, r) in [("idle", &idle), ("draining", &loaded)] {
        if let Some(p) = &r.first_problem {
            eprintln!("   first problem ({name}): {p}");
        }
    }

    // Every message once, every job done once.
    let extra = sink.received().saturating_sub(mails_before + 2 * jobs as u64);
    let runs = done.attempts + done2.attempts;

    let report = &mut ctx.report;
    report.add(Metric::new("queue_drain_jobs", "queue jobs per batch", jobs as f64, "", 0));
    report.add(
        Metric::new("queue_drain_jobs_per_s", "queue drain (API idle)", alone, "jobs/s", 1).at_least(TARGET_JOBS_PER_S),
    );
    report.add(Metric::new("queue_drain_loaded_jobs_per_s", "queue drain (API loaded)", under_load, "jobs/s", 1));
    report.add(Metric::new("queue_profile_idle_p99_ms", "profile p99, queue idle", idle.percentile_ms(99.0), "ms", 2));
    report.add(Metric::new(
        "queue_profile_drain_p99_ms",
        "profile p99, queue draining",
        loaded.percentile_ms(99.0),
        "ms",
        2,
    ));
    report.add(
        Metric::new(
            "queue_profile_p99_pct_of_idle",
            "profile p99 draining vs idle",
            100.0 * loaded.percentile_ms(99.0) / idle.percentile_ms(99.0),
            "%",
            1,
        )
        .at_most(TARGET_P99_PCT_OF_IDLE),
    );
    report.add(Metric::new("queue_profile_idle_rps", "profile throughput, queue idle", idle.rps(), "req/s", 1));
    report.add(Metric::new("queue_profile_drain_rps", "profile throughput, queue draining", loaded.rps(), "req/s", 1));
    report.add(
        Metric::new(
            "queue_profile_failures",
            "profile non-200 or errors (queue scenario)",
            (idle.unexpected + idle.errors + loaded.unexpected + loaded.errors) as f64,
            "",
            0,
        )
        .at_most(0.0),
    );
    report.add(Metric::new("queue_duplicate_mails", "mails sent more than once", extra as f64, "", 0).at_most(0.0));
    report.add(
        Metric::new("queue_job_reruns", "job runs beyond one each", runs.saturating_sub(2 * jobs as u64) as f64, "", 0)
            .at_most(0.0),
    );
    Ok(())
}

/// How long a batch may take before the scenario gives up (50 jobs/s at worst).
fn drain_limit(jobs: usize) -> Duration {
    Duration::from_secs(60 + jobs as u64 / 50)
}

async fn profile_load(
    target: &crate::loadgen::Target,
    tokens: &[String],
    plan: TimedPlan,
    stop: Arc<AtomicBool>,
) -> LoadReport {
    let t = target.clone();
    let tokens = tokens.to_vec();
    run_timed_while(target, plan, stop, move |worker, _| {
        t.get("/v1/users/profile", Some(&tokens[worker % tokens.len()]))
    })
    .await
}

fn open(path: &Path) -> anyhow::Result<Connection> {
    let db = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    db.busy_timeout(Duration::from_secs(30))?;
    Ok(db)
}

/// Jobs still to run now or later (queued or running).
fn pending(db: &Connection) -> anyhow::Result<i64> {
    Ok(db.query_row("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')", [], |row| row.get(0))?)
}

/// A sign-up's verification job: its payload and its token.
struct Source {
    payload: Value,
    user_id: Vec<u8>,
    purpose: String,
    data: String,
    created_at: i64,
    expires_at: i64,
}

/// The verification job of every sign-up, with the token it mailed.
fn sources(db: &Connection) -> anyhow::Result<Vec<Source>> {
    let mut jobs = db.prepare("SELECT payload FROM jobs WHERE kind = 'email.verification'")?;
    let payloads: Vec<String> = jobs.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    let mut token = db.prepare("SELECT user_id, purpose, data, created_at, expires_at FROM tokens WHERE id = ?1")?;
    let mut sources = Vec::with_capacity(payloads.len());
    for payload in payloads {
        let payload: Value = serde_json::from_str(&payload).context("a job's payload")?;
        let id: uuid::Uuid = payload["token_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("a verification job without a token_id: {payload}"))?;
        let found = token
            .query_row(params![id.as_bytes().as_slice()], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        let (user_id, purpose, data, created_at, expires_at) =
            found.ok_or_else(|| anyhow!("token {id} of a verification job is missing"))?;
        sources.push(Source { payload, user_id, purpose, data, created_at, expires_at });
    }
    ensure!(!sources.is_empty(), "no verification jobs to copy");
    Ok(sources)
}

/// One batch of jobs written by [`insert_batch`]: they share `created_at`.
struct Batch {
    created_at: i64,
    jobs: usize,
    /// When the transaction that wrote them committed (Unix µs).
    committed_at: i64,
}

/// Write `n` verification jobs, each with a token of its own, in one transaction.
fn insert_batch(db: &mut Connection, sources: &[Source], n: usize) -> anyhow::Result<Batch> {
    let created_at = unix_micros();
    // BEGIN IMMEDIATE, like the server's own writes.
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut token = tx.prepare(
            "INSERT INTO tokens (id, user_id, purpose, token_hash, data, created_at, expires_at, used_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
        )?;
        let mut job = tx.prepare(
            "INSERT INTO jobs (id, queue, kind, payload, status, attempts, max_attempts, run_at, \
             locked_by, locked_until, last_error, created_at, updated_at) \
             VALUES (?1, 'notifications', 'email.verification', ?2, 'queued', 0, 10, ?3, NULL, NULL, NULL, ?3, ?3)",
        )?;
        for i in 0..n {
            let source = &sources[i % sources.len()];
            let token_id = uuid::Uuid::now_v7();
            // Stored hashes are 32 bytes; the value is never used (the job re-keys the token).
            let hash = [*uuid::Uuid::new_v4().as_bytes(), *uuid::Uuid::new_v4().as_bytes()].concat();
            token.execute(params![
                token_id.as_bytes().as_slice(),
                source.user_id,
                source.purpose,
                hash,
                source.data,
                source.created_at,
                source.expires_at,
            ])?;
            let mut payload = source.payload.clone();
            payload["token_id"] = json!(token_id.to_string());
            job.execute(params![uuid::Uuid::now_v7().as_bytes().as_slice(), payload.to_string(), created_at,])?;
        }
    }
    tx.commit()?;
    Ok(Batch { created_at, jobs: n, committed_at: unix_micros() })
}

/// A batch, worked off.
struct Done {
    /// The last job's `updated_at` (Unix µs): when it was settled `done`.
    last_at: i64,
    /// Runs over all the batch's jobs.
    attempts: u64,
}

impl Done {
    fn seconds_since(&self, batch: &Batch) -> f64 {
        ((self.last_at - batch.committed_at) as f64 / 1e6).max(1e-6)
    }
}

/// Wait until every job of `batch` is done; an error if one ends otherwise or time runs out.
async fn wait_done(db: &Connection, batch: &Batch) -> anyhow::Result<Done> {
    let limit = drain_limit(batch.jobs);
    let state = || -> anyhow::Result<(i64, i64, i64, Option<i64>)> {
        Ok(db.query_row(
            "SELECT COUNT(*), COALESCE(SUM(status = 'done'), 0), COALESCE(SUM(status = 'dead'), 0), \
             MAX(updated_at) FROM jobs WHERE kind = 'email.verification' AND created_at = ?1",
            params![batch.created_at],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?)
    };
    let finished = wait_until(limit, || {
        let (total, done, dead, _) = state()?;
        Ok(total == done + dead)
    })
    .await?;
    let (total, done, dead, last_at) = state()?;
    if !finished {
        bail!("{done} of {total} jobs done after {limit:?}");
    }
    ensure!(dead == 0, "{dead} of {total} jobs ended dead");
    ensure!(total == batch.jobs as i64, "{total} jobs in the batch, {} written", batch.jobs);
    let attempts: i64 = db.query_row(
        "SELECT COALESCE(SUM(attempts), 0) FROM jobs WHERE kind = 'email.verification' AND created_at = ?1",
        params![batch.created_at],
        |row| row.get(0),
    )?;
    Ok(Done { last_at: last_at.unwrap_or(batch.committed_at), attempts: u64::try_from(attempts).unwrap_or(0) })
}

/// Poll `check` every 50 ms until it is true (`Ok(true)`) or `limit` passes (`Ok(false)`).
async fn wait_until(limit: Duration, mut check: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<bool> {
    let deadline = Instant::now() + limit;
    loop {
        if check()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn unix_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
