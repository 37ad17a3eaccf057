//! Whether anything a cached read depends on may have changed: the basis of the caches that keep
//! token checks and profiles off the database (roster-core's `auth::cache`). A [`ChangeMark`] is
//! taken before a read; a cached answer is served only while the mark is unchanged.
//!
//! The mark is the sum of `change_log` (migration 0004), which triggers on the tables behind
//! authentication and profiles move inside the changing transaction: a change committed by any
//! process or instance is in the next mark, and data read after a mark is never older than it.
//! Every transaction committed through this process's [`Db`] moves the mark too (conservative;
//! it also covers what no trigger sees, such as a dropped table). A session's `last_seen_at`
//! moves neither (see `sessions::touch`). On PostgreSQL the count is read on every mark.
//!
//! On SQLite the count is read only when the database has had a commit since it was last read,
//! by any process: the wal-index header at the start of the `-shm` file, which SQLite rewrites on
//! every commit (it is what `PRAGMA data_version` compares; the format is documented at
//! sqlite.org/walformat.html), is compared first — one `pread`, no query, which keeps a token
//! check at a few microseconds instead of a round trip to a connection's thread.
//!
//! Reading the database's files beside SQLite is dangerous in one way, and this module is built
//! around it: on Linux, closing ANY descriptor of a file drops every POSIX lock the process holds
//! on that file, SQLite's own locks on the `-shm` included. Another process (an operator's
//! `sqlite3`, a backup tool, litestream) then takes itself for the last connection, resets the
//! shared memory this process has mapped (SIGBUS) and deletes the WAL under it. So:
//! - the `-shm` is opened once and its descriptor is never closed while the process lives — not
//!   at shutdown, not when replaced (it is leaked on purpose; the process's exit closes it);
//! - it is opened only after a connection of this module's own ([`Probe`]) has opened the
//!   database, and that connection is kept for the life of the process: while it is open, no
//!   other process can delete the `-shm` (SQLite holds its shared lock on the database file), so
//!   the descriptor always names the live file. Should that connection ever fail and be opened
//!   again, the `-shm` is opened again too (the old descriptor stays open, unused).
//!
//! Marks asked for at once when the header has moved share one read of the count: a read that
//! started after a caller asked answers for it (what it reads is at least as new as the
//! question), so a busy server reads the count once per commit, not once per request.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::Mutex;

use crate::db::Db;
use crate::error::StoreResult;
use crate::on_conn;

/// Both copies of the wal-index header (48 bytes each).
const HEADER: usize = 96;

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

/// SQLite: the connection kept for the life of the process, the `-shm` descriptor opened beside
/// it, and what they last told.
struct Probe {
    options: SqliteConnectOptions,
    shm_path: PathBuf,
    /// Never closed (see the module's comment).
    shm: RwLock<Option<File>>,
    /// The last wal-index header seen, and the count read after it.
    seen: std::sync::Mutex<Option<([u8; HEADER], i64)>>,
    /// Callers of the slow path so far; a read of the count notes how many had asked when it
    /// started.
    asked: AtomicU64,
    state: Mutex<ProbeState>,
}

#[derive(Default)]
struct ProbeState {
    /// Opened at the first read of the count, and again after an error.
    conn: Option<SqliteConnection>,
    /// The last read: how many callers had asked when it started, and the count it gave.
    last: Option<(u64, i64)>,
}

impl ChangeWatch {
    pub fn new(db: &Db) -> Self {
        let probe = match db {
            Db::Sqlite { read, .. } => {
                let options = (*read.connect_options()).clone();
                let mut shm_path = options.get_filename().as_os_str().to_owned();
                shm_path.push("-shm");
                Some(Arc::new(Probe {
                    options,
                    shm_path: PathBuf::from(shm_path),
                    shm: RwLock::new(None),
                    seen: std::sync::Mutex::new(None),
                    asked: AtomicU64::new(0),
                    state: Mutex::new(ProbeState::default()),
                }))
            }
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

    /// Close the kept connection (at shutdown, after the last request; the `-shm` descriptor
    /// stays open until the process exits).
    pub async fn close(&self) {
        if let Some(probe) = &self.probe
            && let Some(conn) = probe.state.lock().await.conn.take()
        {
            let _ = conn.close().await;
        }
    }
}

impl Probe {
    /// The count: the one read after the current header when the header has not moved since,
    /// else read again.
    async fn count(&self, db: &Db) -> StoreResult<i64> {
        if let Some(header) = self.header()
            && let Some((seen, shared)) = *self.seen.lock().unwrap_or_else(PoisonError::into_inner)
            && seen == header
        {
            return Ok(shared);
        }
        let ticket = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let mut state = self.state.lock().await;
        if let Some((started, shared)) = state.last
            && started >= ticket
        {
            return Ok(shared);
        }
        let started = self.asked.load(Ordering::SeqCst);
        // The header before the count: the count is then at least as new as the header it is
        // kept with.
        let header = self.header();
        let shared = match self.read_count(&mut state).await {
            Ok(shared) => shared,
            Err(e) => {
                // A broken connection is opened again next time; this mark reads the count
                // through the pool, which is always right.
                tracing::warn!(error = %e, "the SQLite change probe failed; reading the change count directly");
                state.conn = None;
                count(db).await?
            }
        };
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = header.map(|header| (header, shared));
        state.last = Some((started, shared));
        Ok(shared)
    }

    /// The count, on the kept connection (opened now if need be, and the `-shm` with it).
    async fn read_count(&self, state: &mut ProbeState) -> Result<i64, sqlx::Error> {
        let opened = state.conn.is_none();
        let conn = match &mut state.conn {
            Some(conn) => conn,
            none => none.insert(self.options.connect().await?),
        };
        // The query maps the shared memory: the `-shm` exists from here on, held by this
        // connection.
        let shared: i64 = sqlx::query_scalar(COUNT).fetch_one(&mut *conn).await?;
        if opened {
            self.open_shm();
        }
        Ok(shared)
    }

    /// Open the `-shm` for reading its header. A descriptor opened before is never closed (it
    /// would drop SQLite's locks): it is leaked.
    fn open_shm(&self) {
        match File::open(&self.shm_path) {
            Ok(file) => {
                let mut shm = self.shm.write().unwrap_or_else(PoisonError::into_inner);
                if let Some(old) = shm.replace(file) {
                    std::mem::forget(old);
                }
                *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
            // Without it the count is read on every mark: slower, never wrong.
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the SQLite wal-index header; reading the change count on every request");
            }
        }
    }

    /// The wal-index header, or `None` when it cannot be read.
    fn header(&self) -> Option<[u8; HEADER]> {
        let shm = self.shm.read().unwrap_or_else(PoisonError::into_inner);
        let mut header = [0u8; HEADER];
        shm.as_ref()?.read_exact_at(&mut header, 0).ok()?;
        Some(header)
    }
}

impl Drop for Probe {
    /// The `-shm` descriptor outlives the probe: connections of this process to the database may
    /// still be open (pools close in the background), and closing it would drop their locks.
    fn drop(&mut self) {
        if let Some(shm) = self.shm.get_mut().unwrap_or_else(PoisonError::into_inner).take() {
            std::mem::forget(shm);
        }
    }
}

const COUNT: &str = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM change_log";

/// The sum of `change_log` (one indexed read of at most 16 rows).
async fn count(db: &Db) -> StoreResult<i64> {
    let mut conn = db.conn().await?;
    let n: i64 = on_conn!(&mut conn, |c| sqlx::query_scalar(COUNT).fetch_one(c).await)?;
    Ok(n)
}
