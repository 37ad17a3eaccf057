//! Logs as JSON lines (one object per event, [`json_lines`]) and the Prometheus recorder.

mod json_lines;

use std::sync::OnceLock;

use metrics_exporter_prometheus::PrometheusHandle;
use tracing_subscriber::EnvFilter;

/// Lines a busy server may queue before a request waits for the log thread.
const LINES_QUEUED: usize = 8192;

/// Install the JSON log subscriber. Later calls (tests build many apps) are no-ops and return
/// `None`.
///
/// Lines are written to stderr by a thread of their own, through a buffer flushed whenever no
/// line is waiting: a request does not wait for a write(2) of its log line, and a busy server
/// writes many lines at a time (request logs cost ~17 % of a token check's throughput when each
/// was written on the request's thread). None is dropped: a full queue makes the logging
/// thread wait. Keep the guard until exit: dropping it flushes what is left.
pub fn init_logging(filter: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        // The queue's slots are allocated and touched up front: tracing-appender's default of
        // 128 000 lines is 4 MB of resident memory; 8 192 (256 KiB) hold a burst of ~2 MB of lines.
        .buffered_lines_limit(LINES_QUEUED)
        .thread_name("roster-log")
        .finish(std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    tracing_subscriber::fmt()
        .event_format(json_lines::JsonLines)
        .fmt_fields(json_lines::JsonFields)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init()
        .ok()
        .map(|()| guard)
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
    match core.job_counts().await {
        Ok(rows) => {
            // Every queue and state, zero included, so a series never just disappears.
            for queue in roster_core::jobs::Queue::ALL {
                for status in roster_core::jobs::JobStatus::ALL {
                    let n = rows.iter().find(|(q, s, _)| *q == queue && *s == status).map_or(0, |(_, _, n)| *n);
                    metrics::gauge!("roster_jobs", "queue" => queue.as_str(), "status" => status.as_str())
                        .set(n as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not count jobs for metrics"),
    }
}
