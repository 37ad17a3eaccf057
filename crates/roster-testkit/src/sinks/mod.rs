//! Sinks that a test starts to receive what Roster delivers: mail over SMTP (`smtp`) and
//! webhooks over HTTP (`http`). Both listen on 127.0.0.1 with a port of the system's choosing and
//! stop when dropped.

mod http;
mod smtp;

use std::time::Duration;

pub use http::{HTTP_SINK_FAILURE_BODY, HttpSink, ReceivedRequest};
pub use smtp::{CountingSmtpSink, ReceivedMail, SmtpSink};

/// Whether a sink's counter reaches `n` within `timeout`.
pub(crate) async fn reached(count: &tokio::sync::watch::Sender<usize>, n: usize, timeout: Duration) -> bool {
    let mut count = count.subscribe();
    tokio::time::timeout(timeout, count.wait_for(|c| *c >= n)).await.is_ok()
}
