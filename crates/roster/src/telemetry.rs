//! Logs as JSON lines (one per event, with the request's span fields such as `request_id`) and
//! the Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::PrometheusHandle;
use tracing_subscriber::EnvFilter;

/// Install the JSON log subscriber. Later calls (tests build many apps) are no-ops.
pub fn init_logging(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The process's metrics handle. The `metrics` facade has one recorder per process by design,
/// so it is installed once and shared by every app built in this process.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            roster_http::middleware::metrics::install_recorder().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "metrics recorder unavailable; /metrics will be empty");
                metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder().handle()
            })
        })
        .clone()
}

/// Set the `roster_jobs{queue,status}` gauges from the database (every process sees the same
/// numbers: they describe the shared queues).
pub async fn record_job_gauges(core: &roster_core::Core) {
    let counts = async {
        let mut conn = core.db.conn().await?;
        roster_store::job_queue::counts(&mut conn).await
    };
    match counts.await {
        Ok(rows) => {
            // Every queue and state, zero included, so a series never just disappears.
            for queue in roster_core::jobs::queue::ALL {
                for status in roster_core::jobs::STATUSES {
                    let n = rows.iter().find(|(q, s, _)| q == queue && s == status).map_or(0, |(_, _, n)| *n);
                    metrics::gauge!("roster_jobs", "queue" => queue, "status" => status).set(n as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not count jobs for metrics"),
    }
}
