//! The worker loop: claim due jobs of the enabled queues, run them a few at a time, settle each
//! (done, retry later, dead), hand back what is still held at shutdown, and return jobs whose
//! worker died (expired leases) to the queue.

use std::sync::Arc;
use std::time::Duration;

use roster_store::Ts;
use roster_store::job_queue::{self, Claimed, EnqueueListener};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Queue;
use super::handlers::{Handlers, JobError};
use crate::Core;
use crate::error::CoreResult;

/// How long a claim is held before another worker may take the job over: twice the longest a
/// handler may run (`RUN_TIMEOUT`), so a live worker never loses a job it is still running,
/// and a dead worker's jobs come back within a minute.
const LEASE: time::Duration = time::Duration::seconds(60);
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle workers look again this often even without a wake-up (SQLite across processes).
const POLL: Duration = Duration::from_millis(250);
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// While this process's API is busy (see `api_load`), workers run one job at a time with this
/// pause between claims, so requests keep their latency on a busy machine; they go back to full
/// speed once the API has been quiet for a moment. (`roster worker` processes have no API and
/// always run at full speed: they are how background work scales apart from requests.)
const YIELD_PAUSE: Duration = Duration::from_millis(100);
/// At shutdown, running jobs get this long to finish before they are handed back.
const GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Runner {
    core: Core,
    handlers: Handlers,
    queues: Vec<Queue>,
    id: String,
    concurrency: usize,
}

impl Runner {
    pub fn new(core: Core, handlers: Handlers, queues: Vec<Queue>, concurrency: usize) -> Self {
        let id = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
        Self { core, handlers, queues, id, concurrency: concurrency.max(1) }
    }

    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// Work until `shutdown` resolves; then stop claiming, let running jobs finish for a grace
    /// period, and hand back the rest.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        if self.queues.is_empty() {
            shutdown.await;
            return;
        }
        let (stop_tx, mut stop) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let listener = self.spawn_listener();
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut running = JoinSet::new();
        let mut last_sweep: Option<tokio::time::Instant> = None;
        while !*stop.borrow() {
            if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
                last_sweep = Some(tokio::time::Instant::now());
                self.sweep().await;
            }
            while running.try_join_next().is_some() {}
            // Registered before claiming, so an enqueue between the claim and the wait still
            // wakes this loop.
            let wake = self.core.wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            let yielding = self.core.api_busy();
            let free = if yielding && !running.is_empty() { 0 } else { permits.available_permits() as u32 };
            let free = if yielding { free.min(1) } else { free };
            let claimed = if free == 0 { Ok(Vec::new()) } else { self.claim(free).await };
            match claimed {
                Ok(jobs) if !jobs.is_empty() => {
                    for job in jobs {
                        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
                        let runner = self.clone();
                        running.spawn(async move {
                            runner.execute(job).await;
                            drop(permit);
                        });
                    }
                    if yielding {
                        tokio::select! {
                            () = tokio::time::sleep(YIELD_PAUSE) => {}
                            _ = stop.changed() => {}
                        }
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not claim jobs"),
            }
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        if let Some(listener) = listener {
            listener.abort();
        }
        let drained = tokio::time::timeout(GRACE, async { while running.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            // Aborted mid-run: the handlers are idempotent, so hand the jobs back for another run.
            running.abort_all();
            self.release_held().await;
        }
    }

    /// Run every job that is due now, here, one after the other, until none is left (the
    /// "drain the queues" step of tests). Returns how many ran.
    pub async fn drain(&self) -> CoreResult<usize> {
        let mut ran = 0;
        loop {
            let jobs = self.claim(self.concurrency as u32).await?;
            if jobs.is_empty() {
                return Ok(ran);
            }
            ran += jobs.len();
            for job in jobs {
                self.execute(job).await;
            }
        }
    }

    // Claims and settlements are single statements, run outside a transaction: each commits on
    // its own, two round trips to the database fewer per job.
    async fn claim(&self, limit: u32) -> CoreResult<Vec<Claimed>> {
        let now = self.core.now();
        let mut conn = self.core.db.write_conn().await?;
        Ok(job_queue::claim(&mut conn, &self.queues, &self.id, Ts::new(now), Ts::new(now + LEASE), limit).await?)
    }

    async fn execute(&self, job: Claimed) {
        let started = std::time::Instant::now();
        let outcome = match tokio::time::timeout(RUN_TIMEOUT, self.handlers.run(&job)).await {
            Ok(result) => result,
            Err(_) => Err(JobError::Retry(format!("timed out after {} s", RUN_TIMEOUT.as_secs()))),
        };
        let now = self.core.now();
        let labels = [("queue", job.queue.as_str().to_owned()), ("kind", job.kind.clone())];
        metrics::histogram!("roster_job_run_seconds", &labels).record(started.elapsed().as_secs_f64());
        let settled = async {
            let mut conn = self.core.db.write_conn().await?;
            let result = match &outcome {
                Ok(()) => {
                    let latency = (now - job.created_at.get()).as_seconds_f64().max(0.0);
                    metrics::histogram!("roster_job_delivery_seconds", &labels).record(latency);
                    job_queue::complete(&mut conn, job.id, &self.id, Ts::new(now)).await?
                }
                Err(JobError::Retry(error)) if job.attempts < job.max_attempts => {
                    let at = now + super::backoff::delay(job.attempts);
                    job_queue::fail(&mut conn, job.id, &self.id, Ts::new(now), error, Some(Ts::new(at))).await?
                }
                Err(JobError::Retry(error) | JobError::Dead(error)) => {
                    job_queue::fail(&mut conn, job.id, &self.id, Ts::new(now), error, None).await?
                }
            };
            CoreResult::Ok(result)
        };
        let outcome_label = match &outcome {
            Ok(()) => "done",
            Err(JobError::Retry(_)) => "failed",
            Err(JobError::Dead(_)) => "dead",
        };
        metrics::counter!("roster_jobs_total", "queue" => job.queue.as_str(), "outcome" => outcome_label).increment(1);
        match settled.await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job_id = %job.id, "job was taken over after its lease expired"),
            Err(e) => tracing::error!(job_id = %job.id, error = %e, "could not record a job's outcome"),
        }
        if let Err(JobError::Retry(error) | JobError::Dead(error)) = &outcome {
            tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %error, "job failed");
        }
    }

    async fn sweep(&self) {
        let result = async {
            let mut tx = self.core.db.begin().await?;
            let n = job_queue::sweep_expired(&mut tx, Ts::new(self.core.now())).await?;
            self.core.commit(tx).await?;
            CoreResult::Ok(n)
        };
        match result.await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "returned jobs whose worker stopped (lease expired)"),
            Err(e) => tracing::warn!(error = %e, "could not sweep expired job leases"),
        }
    }

    /// At shutdown: every job this worker still holds goes back to the queue.
    async fn release_held(&self) {
        let result = async {
            let mut tx = self.core.db.begin().await?;
            let n = job_queue::release_worker(&mut tx, &self.id, Ts::new(self.core.now())).await?;
            self.core.commit(tx).await?;
            CoreResult::Ok(n)
        };
        if let Err(e) = result.await {
            tracing::error!(error = %e, "could not hand back running jobs; their leases will expire");
        }
    }

    /// Turn PostgreSQL enqueue announcements into wake-ups.
    fn spawn_listener(&self) -> Option<tokio::task::JoinHandle<()>> {
        let core = self.core.clone();
        matches!(core.db, roster_store::Db::Postgres { .. }).then(|| {
            tokio::spawn(async move {
                let mut listener = match EnqueueListener::connect(&core.db).await {
                    Ok(Some(listener)) => listener,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot LISTEN for new jobs; polling only");
                        return;
                    }
                };
                while listener.recv().await.is_ok() {
                    core.wake.notify_waiters();
                }
            })
        })
    }
}
