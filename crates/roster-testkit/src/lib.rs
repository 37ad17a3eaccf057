//! What Roster's tests share and nothing else builds: the sinks that receive what Roster
//! delivers (mail over SMTP, webhooks over HTTP), for the API tests of `crates/roster`, the
//! notify tests of `roster-core`, and the benchmarks (`bench/`). A dev-dependency
//! only: it never reaches the release binary.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test infrastructure fails by panicking")]

pub mod sinks;

pub use sinks::{CountingSmtpSink, HTTP_SINK_FAILURE_BODY, HttpSink, ReceivedMail, ReceivedRequest, SmtpSink};
