//! Whether this process's API is serving traffic, for the workers that share its CPU.
//!
//! A request in flight right now is not the whole answer: on a saturated server there are
//! instants between responses with none in flight, and workers that took those instants for
//! idleness ran bursts of jobs that showed in the API's tail latency. So the API counts as
//! busy while a request is in flight and for [`QUIET`] after the last one ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long the API must have had no request before workers take it for idle.
const QUIET: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub(crate) struct ApiLoad {
    inner: Arc<Inner>,
}

struct Inner {
    in_flight: AtomicUsize,
    /// When the last request started or ended, in ms since `origin`.
    last_seen_ms: AtomicU64,
    origin: Instant,
}

impl ApiLoad {
    pub(crate) fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                in_flight: AtomicUsize::new(0),
                last_seen_ms: AtomicU64::new(0),
                origin: Instant::now(),
            }),
        }
    }

    /// Count a request in for as long as the returned guard lives.
    pub(crate) fn request_started(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        self.inner.seen();
        InFlight(Arc::clone(&self.inner))
    }

    pub(crate) fn busy(&self) -> bool {
        if self.inner.in_flight.load(Ordering::Relaxed) > 0 {
            return true;
        }
        let last_seen = Duration::from_millis(self.inner.last_seen_ms.load(Ordering::Relaxed));
        // Before any request at all, `last_seen` is the origin: a fresh process counts as busy
        // for its first QUIET, which costs nothing.
        self.inner.origin.elapsed().saturating_sub(last_seen) < QUIET
    }
}

impl Inner {
    fn seen(&self) {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_seen_ms.fetch_max(now, Ordering::Relaxed);
    }
}

/// One request being served (see [`crate::Core::request_started`]).
pub struct InFlight(Arc<Inner>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.seen();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_while_serving_and_for_a_quiet_period_after() {
        let load = ApiLoad::new();
        std::thread::sleep(QUIET + Duration::from_millis(20));
        assert!(!load.busy(), "no request yet");
        let request = load.request_started();
        assert!(load.busy());
        std::thread::sleep(QUIET + Duration::from_millis(20));
        assert!(load.busy(), "a long request keeps the API busy");
        drop(request);
        assert!(load.busy(), "just after a request");
        std::thread::sleep(QUIET + Duration::from_millis(20));
        assert!(!load.busy(), "quiet again");
    }
}
