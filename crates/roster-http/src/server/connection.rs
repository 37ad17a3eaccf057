//! One client connection, and how it ends at shutdown.
//!
//! On the shutdown signal a connection that is answering a request finishes it and closes
//! (keep-alive off). One that is answering nothing — new, or idle between requests — may still
//! have a request on its way in: sent before the signal, waiting in the socket, not read yet.
//! hyper's graceful shutdown would close such a connection at once (a connection that has read
//! nothing yet, or sits idle, is closed unread), and the client would see its request dropped
//! with no answer. So it gets [`GRACE`] to start a request; one that does is answered, and the
//! connection closes after it; one that does not is closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

use super::DeadlineBody;

/// How long a connection answering nothing at the shutdown signal may take to start a request
/// that is on its way (read and parsed in microseconds when it was sent before the signal).
pub const GRACE: Duration = Duration::from_millis(250);

/// Requests of one connection: how many started (watched, so that a shutdown can wait for the
/// next one), and how many are being answered.
struct Requests {
    started: watch::Sender<usize>,
    answering: AtomicUsize,
}

/// Counts a request as being answered until it is dropped (answered, or abandoned).
struct Answering(Arc<Requests>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serve `stream` until the client leaves, or until `stop` turns true and the connection has
/// nothing left to answer (after [`GRACE`] for a request on its way).
pub fn serve(
    http: &http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    body_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) -> impl Future<Output = ()> + Send + 'static {
    let requests = Arc::new(Requests { started: watch::Sender::new(0), answering: AtomicUsize::new(0) });
    let counted = requests.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        counted.answering.fetch_add(1, Ordering::SeqCst);
        let answering = Answering(counted.clone());
        counted.started.send_modify(|n| *n += 1);
        request.extensions_mut().insert(ConnectInfo(peer));
        let request = request.map(|body| axum::body::Body::new(DeadlineBody::new(body, body_timeout)));
        let response = router.clone().oneshot(request);
        async move {
            let response = response.await;
            drop(answering);
            response
        }
    });
    let served = http.serve_connection(TokioIo::new(stream), service);
    async move {
        tokio::pin!(served);
        tokio::select! {
            ended = served.as_mut() => return log_end(ended, peer),
            _ = stop.wait_for(|stopping| *stopping) => {}
        }
        let mut started = requests.started.subscribe();
        started.mark_unchanged();
        if requests.answering.load(Ordering::SeqCst) == 0 {
            tokio::select! {
                ended = served.as_mut() => return log_end(ended, peer),
                _ = started.changed() => {}
                () = tokio::time::sleep(GRACE) => {}
            }
        }
        // Keep-alive off: a request being answered is finished, then the connection closes; one
        // answering nothing closes now.
        served.as_mut().graceful_shutdown();
        let ended = served.await;
        log_end(ended, peer);
    }
}

fn log_end(ended: hyper::Result<()>, peer: SocketAddr) {
    if let Err(e) = ended {
        tracing::debug!(error = %e, %peer, "connection ended with an error");
    }
}

/// Every connection waiting in `listener`'s backlog, accepted without waiting for more; the
/// listener is closed afterwards. Accepted with plain non-blocking calls, so that none is missed
/// for want of a readiness event the runtime has not delivered yet.
pub fn accept_backlog(listener: tokio::net::TcpListener) -> Vec<(TcpStream, SocketAddr)> {
    let listener = match listener.into_std() {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(error = %e, "could not take the connections waiting to be accepted");
            return Vec::new();
        }
    };
    let mut waiting = Vec::new();
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let stream = stream.set_nonblocking(true).and_then(|()| TcpStream::from_std(stream));
                match stream {
                    Ok(stream) => waiting.push((stream, peer)),
                    Err(e) => tracing::warn!(error = %e, %peer, "could not serve a waiting connection"),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // WouldBlock: the backlog is empty. Anything else: nothing more can be taken.
            Err(_) => break,
        }
    }
    if !waiting.is_empty() {
        tracing::info!(connections = waiting.len(), "serving the connections that arrived with the signal");
    }
    waiting
}
