//! Whether anything a cached read depends on may have changed: the basis of the caches that keep
//! token checks and profiles off the database (roster-core's `auth::cache`). A [`ChangeMark`] is
//! taken before a read; a cached answer is served only while the mark is unchanged.
//!
//! The mark is the sum of `change_log` (migration 0004), which triggers on the tables behind
//! authentication and profiles move inside the changing transaction: a change committed by any
//! process or instance is in the next mark, and data read after a mark is never older than it.
//! Every transaction committed through this process's [`Db`] moves the mark too (conservative;
//! it also covers what no trigger sees, such as a dropped table). A session's `last_seen_at`
//! moves neither (see `sessions::touch`).
//!
//! On SQLite the count is read only when the database has had a commit since it was last read,
//! by any process, and SQLite itself is asked whether it had: `PRAGMA data_version` on a
//! connection kept for that alone (it never writes, so every commit is another connection's and
//! moves the number). The database's files are never opened here: closing any descriptor of a
//! file drops every POSIX lock this process holds on it — SQLite's own locks on the `-shm`
//! included — and another process (an operator's `sqlite3`, a backup tool, litestream) would
//! then take itself for the last connection, reset the shared memory this process has mapped
//! (SIGBUS) and delete the WAL under it. The kept connection also holds the `-shm` in place for
//! the life of the process, whatever the pools do with theirs.
//!
//! Marks asked for at once share one probe: a probe that started after a caller asked answers
//! for it (what it reads is at least as new as the caller's question), so a busy server runs
//! one probe at a time, not one per request. On PostgreSQL the count is read on every mark.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::Mutex;

use crate::db::Db;
use crate::error::StoreResult;
use crate::on_conn;

/// A point in the history of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeMark {
    local: u64,
    shared: i64,
}

/// Takes marks of one database.
#[derive(Clone)]
pub struct ChangeWatch {
    db: Db,
    probe: Option<Arc<Probe>>,
}

/// The SQLite connection that asks for `data_version`, and what the last probe found.
struct Probe {
    options: SqliteConnectOptions,
    /// Callers so far; a probe notes how many had asked when it started.
    asked: AtomicU64,
    state: Mutex<ProbeState>,
}

#[derive(Default)]
struct ProbeState {
    /// Opened at the first mark, and again after an error.
    conn: Option<SqliteConnection>,
    /// `data_version` of the kept connection, and the count read after it.
    seen: Option<(i64, i64)>,
    /// The last probe: how many callers had asked when it started, and the count it gave.
    last: Option<(u64, i64)>,
}

impl ChangeWatch {
    pub fn new(db: &Db) -> Self {
        let probe = match db {
            Db::Sqlite { read, .. } => Some(Arc::new(Probe {
                options: (*read.connect_options()).clone(),
                asked: AtomicU64::new(0),
                state: Mutex::new(ProbeState::default()),
            })),
            Db::Postgres { .. } => None,
        };
        Self { db: db.clone(), probe }
    }

    /// Where the database stands now.
    pub async fn mark(&self) -> StoreResult<ChangeMark> {
        let local = self.db.commits().get();
        let shared = match &self.probe {
            Some(probe) => probe.count(&self.db).await?,
            None => count(&self.db).await?,
        };
        Ok(ChangeMark { local, shared })
    }

    /// Close the kept connection (at shutdown, with the pools).
    pub async fn close(&self) {
        if let Some(probe) = &self.probe
            && let Some(conn) = probe.state.lock().await.conn.take()
        {
            let _ = conn.close().await;
        }
    }
}

impl Probe {
    /// The count, read again only when SQLite says the database changed since it was last read.
    async fn count(&self, db: &Db) -> StoreResult<i64> {
        let ticket = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let mut state = self.state.lock().await;
        if let Some((started, shared)) = state.last
            && started >= ticket
        {
            return Ok(shared);
        }
        let started = self.asked.load(Ordering::SeqCst);
        let shared = match self.probe(&mut state).await {
            Ok(shared) => shared,
            Err(e) => {
                // A broken probe connection is opened again next time; this mark reads the count
                // through the pool, which is always right.
                tracing::warn!(error = %e, "the SQLite change probe failed; reading the change count directly");
                state.conn = None;
                state.seen = None;
                count(db).await?
            }
        };
        state.last = Some((started, shared));
        Ok(shared)
    }

    async fn probe(&self, state: &mut ProbeState) -> Result<i64, sqlx::Error> {
        let conn = match &mut state.conn {
            Some(conn) => conn,
            none => {
                state.seen = None;
                none.insert(self.options.connect().await?)
            }
        };
        let version: i64 = sqlx::query_scalar("PRAGMA data_version").fetch_one(&mut *conn).await?;
        if let Some((seen, shared)) = state.seen
            && seen == version
        {
            return Ok(shared);
        }
        let shared: i64 = sqlx::query_scalar(COUNT).fetch_one(&mut *conn).await?;
        state.seen = Some((version, shared));
        Ok(shared)
    }
}

const COUNT: &str = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM change_log";

/// The sum of `change_log` (one indexed read of at most 16 rows).
async fn count(db: &Db) -> StoreResult<i64> {
    let mut conn = db.conn().await?;
    let n: i64 = on_conn!(&mut conn, |c| sqlx::query_scalar(COUNT).fetch_one(c).await)?;
    Ok(n)
}
