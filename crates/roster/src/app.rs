//! Building and running the service: database, migrations, services, HTTP.

use std::future::Future;

use roster_core::jobs::handlers::Handlers;
use roster_core::jobs::runner::Runner;
use roster_core::notify::Notifier;
use roster_core::{Clock, Core};
use roster_http::AppState;
use roster_store::Db;
use tokio::net::TcpListener;

use crate::config::Settings;

/// How often expired idempotency records are deleted.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_mins(10);

/// How often the jobs-by-queue-and-state gauges are refreshed.
const JOB_GAUGES_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// Jobs one process runs at once.
const JOB_CONCURRENCY: usize = 32;

/// A ready-to-serve Roster: the API and the workers of the queues this process works.
pub struct App {
    pub core: Core,
    pub state: AppState,
    pub runner: Runner,
    /// Client timeouts and the shutdown deadline of the HTTP server.
    pub limits: roster_http::server::Limits,
}

/// Open (and migrate) the database named in `settings`.
pub async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open ROSTER_DATABASE_URL: {e}"))?;
    db.migrate().await.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(db)
}

impl App {
    pub async fn build(settings: &Settings, clock: Clock) -> anyhow::Result<Self> {
        Self::build_with(settings, clock, settings.core_config()).await
    }

    /// [`App::build`] with the services' settings given (tests adjust what has no variable).
    pub async fn build_with(
        settings: &Settings,
        clock: Clock,
        config: roster_core::CoreConfig,
    ) -> anyhow::Result<Self> {
        let db = open_db(settings).await?;
        let core = Core::new(db, clock, config).await?;
        if let (Some(email), Some(password)) = (&settings.admin_email, &settings.admin_password) {
            bootstrap_admin(&core, email, &password.0).await?;
        }
        let notifier = Notifier::new(settings.notify_config()).map_err(anyhow::Error::msg)?;
        let runner =
            Runner::new(core.clone(), Handlers::new(core.clone(), notifier), settings.queues(), JOB_CONCURRENCY);
        let state = AppState {
            core: core.clone(),
            trusted_proxies: settings.trusted_proxies().map_err(anyhow::Error::msg)?,
            metrics: crate::telemetry::metrics(),
            anon_limit: roster_http::middleware::anon_limit::AnonLimit::per_minute(settings.rate_limit_anon),
        };
        let limits = roster_http::server::Limits {
            shutdown_timeout: settings.shutdown_timeout.duration(),
            ..roster_http::server::Limits::default()
        };
        Ok(Self { core, state, runner, limits })
    }

    /// Serve until `shutdown` resolves, then stop accepting, finish in-flight requests (for at
    /// most the shutdown deadline) and running jobs, and close the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = Stop::new(shutdown);
        let router = router(self.state.clone());
        let background = self.background();
        let workers = tokio::spawn(self.runner.clone().run(stop.signal()));
        roster_http::server::serve(listener, router, self.limits, stop.signal()).await?;
        let _ = workers.await;
        background.abort();
        self.core.close().await;
        Ok(())
    }

    /// Run only the workers (`roster worker`) until `shutdown` resolves.
    pub async fn work(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let background = self.background();
        self.runner.clone().run(shutdown).await;
        background.abort();
        self.core.close().await;
        Ok(())
    }

    /// Periodic upkeep: Prometheus histograms, job gauges, expired idempotency records, ended
    /// sessions, unconfirmed email addresses past their link, lost calendar sync chains.
    fn background(&self) -> tokio::task::JoinHandle<()> {
        let metrics = self.state.metrics.clone();
        let core = self.core.clone();
        tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(roster_http::METRICS_UPKEEP);
            let mut gauges = tokio::time::interval(JOB_GAUGES_EVERY);
            let mut sweep = tokio::time::interval(SWEEP_EVERY);
            loop {
                tokio::select! {
                    _ = upkeep.tick() => metrics.run_upkeep(),
                    _ = gauges.tick() => crate::telemetry::record_job_gauges(&core).await,
                    _ = sweep.tick() => {
                        if let Err(e) = core.sweep_idempotency().await {
                            tracing::warn!(error = %e, "could not delete expired idempotency records");
                        }
                        if let Err(e) = core.sweep_done_jobs().await {
                            tracing::warn!(error = %e, "could not delete jobs past their retention");
                        }
                        if let Err(e) = core.sweep_sessions().await {
                            tracing::warn!(error = %e, "could not delete ended sessions");
                        }
                        if let Err(e) = core.sweep_unconfirmed_emails().await {
                            tracing::warn!(error = %e, "could not release unconfirmed email addresses");
                        }
                        if let Err(e) = core.rearm_overdue_calendars().await {
                            tracing::warn!(error = %e, "could not queue overdue calendar feeds again");
                        }
                    }
                }
            }
        })
    }
}

/// The API and the pages, behind the shared layers.
pub fn router(state: AppState) -> axum::Router {
    roster_http::router(state.clone(), roster_web::router(state))
}

/// One shutdown signal, awaited by several parts (HTTP server, workers).
struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    fn new(shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = tx.send(true);
        });
        Self(rx)
    }

    fn signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }
}

/// On a database with no users, create the platform admin named by the configuration.
async fn bootstrap_admin(core: &Core, email: &str, password: &str) -> anyhow::Result<()> {
    if !core.has_no_users().await? {
        return Ok(());
    }
    match core.bootstrap_user(email, password, None, true, None).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "created the platform admin from ROSTER_ADMIN_EMAIL");
            Ok(())
        }
        // Another instance starting at the same time created it first.
        Err(roster_core::CoreError::EmailTaken) => Ok(()),
        Err(roster_core::CoreError::Validation(errors)) => {
            let problems: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::bail!("ROSTER_ADMIN_EMAIL/ROSTER_ADMIN_PASSWORD rejected: {}", problems.join("; "))
        }
        Err(e) => Err(e.into()),
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
