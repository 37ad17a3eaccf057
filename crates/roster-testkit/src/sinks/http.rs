//! [`HttpSink`]: records every request, for the SMS, push and events webhooks, and answers as
//! the test tells it (a failure status, a delay).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::reached;

/// One request as the HTTP sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub headers: HeaderMap,
    /// The body exactly as sent (what signatures are computed over).
    pub raw: String,
    /// The body parsed as JSON (`null` when it is not JSON).
    pub body: serde_json::Value,
    /// The status the sink answered.
    pub status: u16,
    /// When it arrived.
    pub received_at: std::time::Instant,
}

impl ReceivedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An HTTP server that records every request and answers 200, or what [`HttpSink::fail_next`]
/// asks for.
pub struct HttpSink {
    addr: SocketAddr,
    shared: Arc<HttpShared>,
    task: JoinHandle<()>,
}

#[derive(Default)]
struct HttpShared {
    requests: Mutex<Vec<ReceivedRequest>>,
    count: watch::Sender<usize>,
    /// How many of the next requests fail, and with which status.
    failures: Mutex<(usize, u16)>,
    /// How long each answer takes (a slow provider).
    delay: Mutex<Duration>,
}

impl HttpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the HTTP sink");
        let addr = listener.local_addr().expect("the HTTP sink's address");
        let shared = Arc::new(HttpShared::default());
        let app = axum::Router::new().fallback(record).with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT/{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Every request received so far (failed ones too), oldest first.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Answer the next `n` requests with `status` (e.g. 503), then 200 again.
    pub fn fail_next(&self, n: usize, status: u16) {
        *self.shared.failures.lock().unwrap() = (n, status);
    }

    /// Take `delay` over every answer from now on, as a slow provider does.
    pub fn answer_after(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// Wait until at least `n` requests have arrived (failed ones count), and return all of
    /// them; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        assert!(
            reached(&self.shared.count, n, timeout).await,
            "HTTP sink: {} of {n} requests after {timeout:?}",
            self.requests().len()
        );
        self.requests()
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The failure body the sink answers with (tests may look for it in a recorded error).
pub const HTTP_SINK_FAILURE_BODY: &str = "the sink was told to fail this request";

async fn record(
    State(shared): State<Arc<HttpShared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let status = {
        let mut failures = shared.failures.lock().unwrap();
        if failures.0 > 0 {
            failures.0 -= 1;
            StatusCode::from_u16(failures.1).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
        } else {
            StatusCode::OK
        }
    };
    let raw = String::from_utf8_lossy(&body).into_owned();
    let request = ReceivedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers,
        body: serde_json::from_str(&raw).unwrap_or(serde_json::Value::Null),
        raw,
        status: status.as_u16(),
        received_at: std::time::Instant::now(),
    };
    let count = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(request);
        requests.len()
    };
    shared.count.send_replace(count);
    let delay = *shared.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    (status, if status.is_success() { "ok" } else { HTTP_SINK_FAILURE_BODY })
}
