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
//! On SQLite the count is read only when the database has had a commit since it was last
//! read, by any process: the wal-index header at the start of the `-shm` file, which SQLite
//! rewrites on every commit (it is what `PRAGMA data_version` compares; the format is
//! documented at sqlite.org/walformat.html), is compared first. Reading it is one `pread` of the
//! shared memory's page, no query. On PostgreSQL the count is read on every mark.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

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

/// The last wal-index header seen, and the count read after it.
type Seen = ([u8; HEADER], i64);

/// Takes marks of one database.
#[derive(Clone)]
pub struct ChangeWatch {
    db: Db,
    shm: Option<Arc<PathBuf>>,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl ChangeWatch {
    pub fn new(db: &Db) -> Self {
        let shm = match db {
            Db::Sqlite { file, .. } => {
                let mut name = file.as_os_str().to_owned();
                name.push("-shm");
                Some(Arc::new(PathBuf::from(name)))
            }
            Db::Postgres { .. } => None,
        };
        Self { db: db.clone(), shm, seen: Arc::new(Mutex::new(None)) }
    }

    /// Where the database stands now.
    pub async fn mark(&self) -> StoreResult<ChangeMark> {
        let local = self.db.commits().get();
        let header = self.shm.as_deref().and_then(|shm| wal_header(shm));
        if let Some(header) = header {
            let seen = *self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((h, shared)) = seen
                && h == header
            {
                return Ok(ChangeMark { local, shared });
            }
        }
        let shared = count(&self.db).await?;
        if let Some(header) = header {
            *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some((header, shared));
        }
        Ok(ChangeMark { local, shared })
    }
}

/// The wal-index header, or `None` when it cannot be read (then the count is read every time).
fn wal_header(shm: &Path) -> Option<[u8; HEADER]> {
    let mut header = [0u8; HEADER];
    File::open(shm).ok()?.read_exact_at(&mut header, 0).ok()?;
    Some(header)
}

/// The sum of `change_log` (one indexed read of at most 16 rows).
async fn count(db: &Db) -> StoreResult<i64> {
    let mut conn = db.conn().await?;
    let n: i64 = on_conn!(&mut conn, |c| {
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM change_log").fetch_one(c).await
    })?;
    Ok(n)
}
