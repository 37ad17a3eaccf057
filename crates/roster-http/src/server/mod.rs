//! Serving connections: the accept loop around the router, with the limits that keep slow or
//! hostile clients from holding the server (a request head must arrive within
//! [`Limits::head_timeout`] — which also closes idle keep-alive connections — and a body within
//! [`Limits::body_timeout`]; heads over 32 KiB or 128 headers are cut off by hyper with a bare
//! 431), and a shutdown that ends within [`Limits::shutdown_timeout`] whatever clients do.
//!
//! axum's own `serve` sets no timer, so hyper applies no timeout at all: a client that sends
//! half a request head holds its connection, and graceful shutdown waits for it forever. And
//! hyper's graceful shutdown closes a connection that has not read its request yet, unanswered:
//! the shutdown here gives such a connection a moment to start it (see [`connection`]).

mod connection;
mod deadline;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioTimer;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

pub use deadline::{BodyTimedOut, DeadlineBody};

/// How long clients may take, and how long a shutdown may wait for them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the moment a connection waits for a request (a new connection, or an idle
    /// keep-alive one) until the whole head has arrived.
    pub head_timeout: Duration,
    /// From the end of the head until the whole body has arrived.
    pub body_timeout: Duration,
    /// After the shutdown signal: how long in-flight requests may run before every connection
    /// still open is closed.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// hyper's hard caps on a request head. Below them, [`crate::middleware::head_limit`] answers
/// 16 KiB / 100 headers with a problem+json 431; past them hyper answers a bare 431 without
/// reading further.
const HARD_MAX_HEAD: usize = 32 * 1024;
const HARD_MAX_HEADERS: usize = 128;

/// Serve `router` on `listener` until `shutdown` resolves; then stop accepting — the connections
/// already waiting in the backlog are still taken — and end every connection as soon as it has
/// nothing left to answer (see [`connection`]); after `limits.shutdown_timeout`, close whatever
/// is still open.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_header_size(HARD_MAX_HEAD)
        .max_buf_size(HARD_MAX_HEAD.max(8192) * 2)
        .max_headers(HARD_MAX_HEADERS);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut connections = JoinSet::new();
    let serve_one = |stream: TcpStream, peer: SocketAddr, connections: &mut JoinSet<()>| {
        let _ = stream.set_nodelay(true);
        connections.spawn(connection::serve(&http, stream, peer, router.clone(), limits.body_timeout, stop.clone()));
    };
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        serve_one(stream, peer, &mut connections);
    }
    let _ = stopping.send(true);
    // Clients whose connection the kernel completed before the signal may have sent their
    // request already, into the listen backlog: they are served too, where closing the listener
    // would reset them.
    for (stream, peer) in connection::accept_backlog(listener) {
        serve_one(stream, peer, &mut connections);
    }
    let open = connections.len();
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_timeout, drained).await.is_err() {
        tracing::warn!(open, "shutdown deadline reached: closing the connections still open");
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}
