//! The clock is part of [`crate::Core`], so tests can pin and move time instead of sleeping.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    pinned: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { pinned: None }
    }

    /// A clock that stands still at `at` until moved with [`Clock::advance`].
    pub fn pinned(at: OffsetDateTime) -> Self {
        Self { pinned: Some(Arc::new(Mutex::new(at))) }
    }

    pub fn now(&self) -> OffsetDateTime {
        match &self.pinned {
            Some(at) => *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// Move a pinned clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: Duration) {
        if let Some(at) = &self.pinned {
            let mut at = at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *at += by;
        }
    }
}
