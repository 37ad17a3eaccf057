//! Roster's services: every rule and every transaction behind the API. Handlers call exactly
//! one method here; the store below owns SQL; the domain crate owns the pure rules.

pub mod access;
pub mod accounts;
pub mod activity;
pub mod admin;
pub mod analytics;
pub mod announcements;
mod api_load;
pub mod auth;
pub mod calendars;
pub mod clock;
pub mod config;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod notify;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod paging;
pub mod preferences;
pub mod purpose;
pub mod secrets;
pub mod users;

use std::sync::Arc;

use roster_domain::cursor::CursorKey;
use roster_store::{Db, Ts};
use tokio::sync::Notify;

pub use api_load::InFlight;
pub use clock::Clock;
pub use config::{CoreConfig, SignupMode};
pub use error::{CoreError, CoreResult};

use crate::api_load::ApiLoad;
use crate::auth::cache::ReadCache;
use crate::auth::hasher::PasswordHasher;
use crate::users::read::ProfileParts;
use roster_store::changes::{ChangeMark, ChangeWatch};
use roster_store::sessions::SessionWithUser;

/// Everything a request needs, built once at start-up and passed down explicitly (no globals).
#[derive(Clone)]
pub struct Core {
    /// Private: requests, the binary and operations reach the database through the services
    /// below, so that every read and write has one place (tests and benchmarks that must look
    /// underneath use [`Core::store`]).
    db: Db,
    pub clock: Clock,
    pub config: CoreConfig,
    pub(crate) hasher: PasswordHasher,
    pub(crate) cursor_key: CursorKey,
    /// Seals TOTP seeds; keys request fingerprints (`ROSTER_SECRET_KEY`, or one kept in the
    /// database).
    pub(crate) secret_key: secrets::SecretKey,
    /// Rung after a commit that recorded jobs, so idle workers of this process start at once.
    pub(crate) wake: Arc<Notify>,
    /// Whether this process's API is serving traffic; its workers yield while it is.
    pub(crate) api_load: ApiLoad,
    /// What tells the caches below that the database changed.
    pub(crate) changes: ChangeWatch,
    /// Live sessions with their users, by token hash.
    pub(crate) sessions: Arc<ReadCache<Vec<u8>, SessionWithUser>>,
    /// The stored parts of profiles (memberships with account names, preferences), by user.
    pub(crate) profiles: Arc<ReadCache<roster_domain::UserId, ProfileParts>>,
    /// The client of calendar feeds, with its guard against private addresses.
    pub(crate) feeds: calendars::fetch::Fetcher,
}

impl Core {
    /// Build the services over a migrated database. The cursor-signing key lives in the database
    /// so every instance on it accepts the others' cursors.
    pub async fn new(db: Db, clock: Clock, config: CoreConfig) -> CoreResult<Self> {
        let now = Ts::new(clock.now());
        let mut tx = db.begin().await?;
        let secret = roster_store::secrets::get_or_create(&mut tx, "cursor", secrets::random_bytes(32), now).await?;
        let secret_key = if let Some(key) = &config.secret_key {
            key.clone()
        } else {
            let kept =
                roster_store::secrets::get_or_create(&mut tx, "secret-key", secrets::random_bytes(32), now).await?;
            tracing::warn!(
                "ROSTER_SECRET_KEY is not set: TOTP seeds are sealed with a key kept in the database itself; \
                 set ROSTER_SECRET_KEY (32 bytes, base64 or hex) so that a copy of the database alone does not open them"
            );
            secrets::SecretKey::new(
                kept.try_into().map_err(|_| CoreError::Internal("the kept secret key is not 32 bytes".to_owned()))?,
            )
        };
        tx.commit().await?;
        let hasher = PasswordHasher::new(config.hash_threads);
        let guard = calendars::fetch::Guard::new(config.allow_private_urls, config.fetch_exempt.clone());
        let feeds = calendars::fetch::Fetcher::new(guard).map_err(CoreError::Internal)?;
        Ok(Self {
            feeds,
            clock,
            config,
            hasher,
            cursor_key: CursorKey::new(secret),
            secret_key,
            wake: Arc::new(Notify::new()),
            api_load: ApiLoad::new(),
            changes: ChangeWatch::new(&db),
            sessions: Arc::default(),
            profiles: Arc::default(),
            db,
        })
    }

    /// The database underneath, for tests and tools that check what the services wrote (and
    /// inject faults). Services and handlers never use it: they call a service.
    #[doc(hidden)]
    pub fn store(&self) -> &Db {
        &self.db
    }

    /// `/readyz`: the database answers and carries this build's schema.
    pub async fn ready(&self) -> CoreResult<()> {
        Ok(self.db.ping().await?)
    }

    /// Close the database's connections (at shutdown, after the last request and job).
    pub async fn close(&self) {
        self.changes.close().await;
        self.db.close().await;
    }

    /// Whether the database holds no user at all (start-up creates the first platform admin
    /// then).
    pub async fn has_no_users(&self) -> CoreResult<bool> {
        let mut conn = self.db.conn().await?;
        Ok(roster_store::users::count_all(&mut conn).await? == 0)
    }

    /// Jobs by queue and status, for the `roster_jobs` gauges.
    pub async fn job_counts(&self) -> CoreResult<Vec<(jobs::Queue, jobs::JobStatus, i64)>> {
        let mut conn = self.db.conn().await?;
        Ok(roster_store::job_queue::counts(&mut conn).await?)
    }

    /// Tell this process's idle workers that jobs were committed (other processes learn it from
    /// PostgreSQL's NOTIFY, or by polling on SQLite).
    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
    }

    /// Commit `tx`, and when it recorded jobs wake this process's idle workers: every service
    /// commits through here, so no job waits for a poll because a wake was forgotten.
    pub(crate) async fn commit(&self, tx: roster_store::Tx) -> CoreResult<()> {
        if tx.commit().await?.0 {
            self.wake_workers();
        }
        Ok(())
    }

    /// Count a request in for as long as the returned guard lives (the HTTP layer holds one per
    /// request), so this process's workers know the API is busy.
    pub fn request_started(&self) -> InFlight {
        self.api_load.request_started()
    }

    pub(crate) fn api_busy(&self) -> bool {
        self.api_load.busy()
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        Ts::new(self.clock.now()).get()
    }
}

/// Who is calling and from where, for authorization and the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: roster_domain::user::User,
    pub session_id: roster_domain::SessionId,
    /// The account this request acts in: the session's, or the one named by `X-Account-Id`.
    pub account_id: Option<roster_domain::AccountId>,
    /// Where the database stood when this request was authenticated (for the read caches).
    pub(crate) mark: ChangeMark,
}

/// Facts about the request that go into the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
