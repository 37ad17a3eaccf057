//! The database handle: one enum over the two engines Roster runs on.
//!
//! Every query is written once and compiled once per engine by the [`on_conn!`] macro, which
//! matches a connection and runs the same body with the engine's concrete connection type.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A pool of connections to SQLite or PostgreSQL.
///
/// SQLite allows one writer at a time. Rather than letting concurrent writers collide and spin in
/// SQLite's busy handler, writes go through a pool of exactly one connection, so they queue in
/// Rust (fairly, without "database is locked"), while reads use their own pool and never wait
/// for writers thanks to WAL.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool, commits: Commits },
    Postgres { pool: PgPool, commits: Commits },
}

/// How many transactions were committed through one [`Db`] (and its clones): one of the signals
/// of `changes::ChangeWatch`.
#[derive(Clone, Debug, Default)]
pub struct Commits(Arc<AtomicU64>);

impl Commits {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A connection taken from the pool, for reads outside a transaction.
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back. It knows
/// whether it recorded jobs, so that the commit can wake the workers (`JobsRecorded`).
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, Commits, JobsRecorded),
    Postgres(Transaction<'static, Postgres>, Commits, JobsRecorded),
}

/// Whether a transaction recorded jobs: what [`Tx::commit`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobsRecorded(pub bool);

/// A borrowed connection of either engine: what every store function runs its SQL on.
pub enum ConnRef<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Anything store functions can run SQL on: a pooled connection or an open transaction.
pub trait Exec: Send {
    fn conn(&mut self) -> ConnRef<'_>;

    /// A job was written through this executor (a transaction remembers it for its commit).
    fn recorded_job(&mut self) {}
}

impl Exec for Conn {
    fn conn(&mut self) -> ConnRef<'_> {
        match self {
            Conn::Sqlite(c) => ConnRef::Sqlite(c),
            Conn::Postgres(c) => ConnRef::Postgres(c),
        }
    }
}

impl Exec for Tx {
    fn conn(&mut self) -> ConnRef<'_> {
        match self {
            Tx::Sqlite(t, ..) => ConnRef::Sqlite(t),
            Tx::Postgres(t, ..) => ConnRef::Postgres(t),
        }
    }

    fn recorded_job(&mut self) {
        match self {
            Tx::Sqlite(_, _, jobs) | Tx::Postgres(_, _, jobs) => jobs.0 = true,
        }
    }
}

/// Run `$body` with `$c` bound to the concrete connection of whichever engine `$exec` uses.
/// The body is compiled once per engine, so one SQL text serves both.
#[macro_export]
macro_rules! on_conn {
    ($exec:expr, |$c:ident| $body:expr) => {
        match $crate::db::Exec::conn($exec) {
            $crate::db::ConnRef::Sqlite($c) => $body,
            $crate::db::ConnRef::Postgres($c) => $body,
        }
    };
}

/// Pick the SQL text for the engine behind `$exec` where the dialects differ, then run `$body`.
#[macro_export]
macro_rules! on_conn_sql {
    ($exec:expr, sqlite: $lite:expr, postgres: $pg:expr, |$c:ident, $sql:ident| $body:expr) => {
        match $crate::db::Exec::conn($exec) {
            $crate::db::ConnRef::Sqlite($c) => {
                let $sql = $lite;
                $body
            }
            $crate::db::ConnRef::Postgres($c) => {
                let $sql = $pg;
                $body
            }
        }
    };
}

impl Db {
    /// Open the database named by `url` (`sqlite://PATH` or `postgres://…`), creating a SQLite
    /// file if it is missing. Migrations are not run here; see [`Db::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            // One plain connection first, so that start-up says at once and precisely why the
            // server cannot be used, instead of the pool retrying until its timeout.
            probe_postgres(&options).await?;
            let pool = PgPoolOptions::new()
                .max_connections(32)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres { pool, commits: Commits::default() })
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?;
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a committed transaction survives a power cut (API.md §9).
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone().pragma("cache_size", PAGE_CACHE))
                .await?;
            // One reader per core: a SQLite connection runs on a thread of its own (sqlx), and
            // each such thread keeps an allocator arena, a page cache and a statement cache for
            // the life of the process. Reads are short and the writer has its own connection,
            // so more readers than cores held ~3 MB more under the soak for no throughput.
            let readers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get).max(2) as u32;
            let read = SqlitePoolOptions::new()
                .max_connections(readers)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.read_only(false).pragma("cache_size", PAGE_CACHE))
                .await?;
            Ok(Db::Sqlite { read, write, commits: Commits::default() })
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Transactions committed through this database handle.
    pub fn commits(&self) -> &Commits {
        match self {
            Db::Sqlite { commits, .. } | Db::Postgres { commits, .. } => commits,
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres { .. } => Engine::Postgres,
        }
    }

    /// Apply pending migrations. On PostgreSQL the migrator holds an advisory lock, so several
    /// instances starting at once are safe.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Postgres { pool, .. } => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// A connection for reads.
    pub async fn conn(&self) -> Result<Conn, StoreError> {
        Ok(match self {
            Db::Sqlite { read, .. } => Conn::Sqlite(read.acquire().await?),
            Db::Postgres { pool, .. } => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// A connection for a write that is a single statement, which commits on its own: two round
    /// trips fewer than a transaction (no `BEGIN`, no `COMMIT`), which matters to the hot paths of
    /// the job queue. On SQLite it is the one writer connection, so it waits its turn like a
    /// transaction does.
    pub async fn write_conn(&self) -> Result<Conn, StoreError> {
        Ok(match self {
            Db::Sqlite { write, .. } => Conn::Sqlite(write.acquire().await?),
            Db::Postgres { pool, .. } => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, which takes the write
    /// lock up front: a deferred transaction that upgrades later fails with SQLITE_BUSY
    /// instead of waiting.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite { write, commits, .. } => {
                Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?, commits.clone(), JobsRecorded::default())
            }
            Db::Postgres { pool, commits } => {
                Tx::Postgres(pool.begin().await?, commits.clone(), JobsRecorded::default())
            }
        })
    }

    /// Whether the database answers and carries Roster's current schema (for `/readyz`): a
    /// server that answers with an empty or half-migrated database is not ready.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let latest = match self {
            Db::Sqlite { .. } => &SQLITE_MIGRATIONS,
            Db::Postgres { .. } => &POSTGRES_MIGRATIONS,
        }
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
        let mut conn = self.conn().await?;
        let applied: Option<i64> =
            on_conn!(&mut conn, |c| sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(c)
                .await)?;
        match applied {
            Some(applied) if applied >= latest => Ok(()),
            applied => Err(StoreError::NotMigrated { applied: applied.unwrap_or(0), latest }),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres { pool, .. } => pool.close().await,
        }
    }
}

/// Page cache of each SQLite connection, in SQLite's units (negative: KiB). SQLite's default is
/// 2 MiB per connection; the connections share the operating system's page cache of the same
/// file, so 256 KiB each keeps their hottest pages (indexes' upper levels) and bounds the
/// process: on two cores, two readers and the writer hold at most 0.75 MiB (at 1 MiB each they
/// filled up as the soak's database grew and held 5 MB of the soak's 64 MB budget).
const PAGE_CACHE: &str = "-256";

/// How long start-up waits for PostgreSQL to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connect once to the server `options` name, turning a failure into a sentence that says where
/// and why (refused, name not found, TLS, authentication, no such database) — never the password,
/// which sqlx's errors do not carry and which we do not add.
async fn probe_postgres(options: &PgConnectOptions) -> Result<(), StoreError> {
    use sqlx::ConnectOptions;
    let place = format!("{}:{}", options.get_host(), options.get_port());
    let why = match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
            return Ok(());
        }
        Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        Ok(Err(sqlx::Error::Io(e))) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused (is PostgreSQL running and listening there?)".to_owned()
            }
            std::io::ErrorKind::TimedOut => "the connection timed out".to_owned(),
            _ if e.to_string().contains("lookup") => format!("the host name could not be resolved ({e})"),
            _ => format!("network error: {e}"),
        },
        Ok(Err(sqlx::Error::Tls(e))) => format!("TLS failed: {e}"),
        Ok(Err(sqlx::Error::Database(db))) => match db.code().as_deref() {
            Some("28P01" | "28000") => format!("authentication failed: {}", db.message()),
            Some("3D000") => format!("no such database: {}", db.message()),
            _ => format!("the server refused: {}", db.message()),
        },
        Ok(Err(e)) => e.to_string(),
    };
    Err(StoreError::Connect(format!("cannot connect to PostgreSQL at {place}: {why}")))
}

impl Tx {
    /// Commit, and say whether the transaction recorded jobs (the caller wakes the workers).
    pub async fn commit(self) -> Result<JobsRecorded, StoreError> {
        let (result, commits, jobs) = match self {
            Tx::Sqlite(t, commits, jobs) => (t.commit().await, commits, jobs),
            Tx::Postgres(t, commits, jobs) => (t.commit().await, commits, jobs),
        };
        // Counted even when the commit reports an error: it may have landed all the same.
        commits.0.fetch_add(1, Ordering::SeqCst);
        result?;
        Ok(jobs)
    }
}
