//! The jobs outbox: jobs are recorded in the same transaction as the change that causes them
//! (see `job_queue` for how workers claim and settle them).

use roster_domain::JobId;
use roster_domain::job::{JobStatus, Queue};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{ConnRef, Exec};
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub queue: Queue,
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    pub run_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRecord {
    #[sqlx(try_from = "Uuid")]
    pub id: JobId,
    #[sqlx(try_from = "String")]
    pub queue: Queue,
    pub kind: String,
    pub payload: Json<serde_json::Value>,
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
}

pub async fn enqueue(exec: &mut impl Exec, job: &NewJob) -> StoreResult<()> {
    const INSERT: &str = "INSERT INTO jobs (id, queue, kind, payload, status, attempts, max_attempts, run_at, \
         locked_by, locked_until, last_error, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, NULL, NULL, NULL, $7, $7) \
         ON CONFLICT (id) DO NOTHING";
    // On PostgreSQL the same statement wakes workers in other processes, in the same round
    // trip: NOTIFY is delivered at commit, and only then (a job rolled back with its change
    // wakes nobody), and only for a row actually inserted. SQLite workers in other processes
    // poll.
    const INSERT_AND_NOTIFY: &str = "WITH inserted AS (INSERT INTO jobs (id, queue, kind, payload, status, \
         attempts, max_attempts, run_at, locked_by, locked_until, last_error, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, NULL, NULL, NULL, $7, $7) \
         ON CONFLICT (id) DO NOTHING RETURNING queue) \
         SELECT pg_notify($8, queue) FROM inserted";
    write(exec, job, INSERT, INSERT_AND_NOTIFY).await
}

/// Record `job`, or if a job with its id exists and is not waiting to run (done, dead, or
/// running), queue it again from `job.run_at` with fresh attempts: for work that is recomputed
/// whole each run, one job per subject (a derived id) then serves any number of changes. A job
/// still waiting is left as it is: it will see the change. A running one is queued again, so
/// it runs once more after the change; its holder's settlement no longer applies (it is no
/// longer the holder), and the handler must tolerate two runs at once (lock what it rewrites).
pub async fn enqueue_rearm(exec: &mut impl Exec, job: &NewJob) -> StoreResult<()> {
    const UPSERT: &str = "INSERT INTO jobs (id, queue, kind, payload, status, attempts, max_attempts, run_at, \
         locked_by, locked_until, last_error, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, NULL, NULL, NULL, $7, $7) \
         ON CONFLICT (id) DO UPDATE SET status = 'queued', attempts = 0, run_at = excluded.run_at, \
         locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = excluded.updated_at \
         WHERE jobs.status <> 'queued'";
    // Announced for a row inserted or queued again (RETURNING gives both), as `enqueue` does.
    const UPSERT_AND_NOTIFY: &str = "WITH armed AS (INSERT INTO jobs (id, queue, kind, payload, status, \
         attempts, max_attempts, run_at, locked_by, locked_until, last_error, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, NULL, NULL, NULL, $7, $7) \
         ON CONFLICT (id) DO UPDATE SET status = 'queued', attempts = 0, run_at = excluded.run_at, \
         locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = excluded.updated_at \
         WHERE jobs.status <> 'queued' RETURNING queue) \
         SELECT pg_notify($8, queue) FROM armed";
    write(exec, job, UPSERT, UPSERT_AND_NOTIFY).await
}

/// Run one of the statements above with `job`'s values (the PostgreSQL one also names the
/// wake-up channel).
async fn write(exec: &mut impl Exec, job: &NewJob, sqlite: &'static str, postgres: &'static str) -> StoreResult<()> {
    exec.recorded_job();
    macro_rules! bound {
        ($sql:expr) => {
            sqlx::query($sql)
                .bind(job.id.as_uuid())
                .bind(job.queue.as_str())
                .bind(job.kind)
                .bind(Json(&job.payload))
                .bind(job.max_attempts)
                .bind(Ts::new(job.run_at))
                .bind(Ts::new(job.created_at))
        };
    }
    match exec.conn() {
        ConnRef::Sqlite(c) => bound!(sqlite).execute(c).await.map(drop)?,
        ConnRef::Postgres(c) => bound!(postgres).bind(WAKE_CHANNEL).execute(c).await.map(drop)?,
    }
    Ok(())
}

/// The PostgreSQL channel on which enqueues are announced.
pub const WAKE_CHANNEL: &str = "roster_jobs";

/// Jobs whose payload names `user_id` (newest first), for tests and the admin view.
pub async fn for_user(exec: &mut impl Exec, user_id: Uuid) -> StoreResult<Vec<JobRecord>> {
    let rows: Vec<JobRecord> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, queue, kind, payload, status, attempts, max_attempts, last_error FROM jobs \
             WHERE payload ->> 'user_id' = $1 ORDER BY id DESC",
        )
        .bind(user_id.to_string())
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}

/// Strip a purged user's personal data (addresses, names) from its jobs, keeping only the
/// user id: a job still queued then finds nothing to send.
pub async fn redact_for_user(exec: &mut impl Exec, user_id: Uuid) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE jobs SET payload = $2 WHERE payload ->> 'user_id' = $1")
            .bind(user_id.to_string())
            .bind(Json(serde_json::json!({"user_id": user_id, "redacted": true})))
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
