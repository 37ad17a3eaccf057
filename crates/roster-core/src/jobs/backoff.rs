//! When a failed job runs again: about 1 s, 2 s, 4 s … doubling per attempt, capped at ten
//! minutes (API.md §9), with ±20 % jitter so jobs that failed together do not retry together.

use rand::RngExt;
use time::Duration;

const FIRST: f64 = 1.0;
const CAP: f64 = 600.0;

/// The delay before the run after `attempts` failed runs (`attempts` ≥ 1).
pub fn delay(attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 30);
    let base = (FIRST * f64::from(1u32 << exponent)).min(CAP);
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::seconds_f64(base * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_about_a_second_and_stops_at_ten_minutes() {
        for (attempts, expected) in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 512.0), (11, 600.0), (40, 600.0)] {
            let seconds = delay(attempts).as_seconds_f64();
            assert!(seconds >= expected * 0.8 && seconds <= expected * 1.2, "attempt {attempts}: {seconds}");
        }
    }
}
