//! The sinks of `roster-testkit` (SMTP and HTTP), under the name the tests use.
pub use roster_testkit::sinks::*;
