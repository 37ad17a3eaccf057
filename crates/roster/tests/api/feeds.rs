//! A local HTTP server of iCalendar feeds for the calendar tests: each path answers what the
//! test put there — a feed with its ETag (304 to a matching `If-None-Match`), a redirect, a
//! status, raw bytes, a body that never ends (fast, or a trickle) — and every request is
//! recorded with its `If-None-Match`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What a path answers.
#[derive(Debug, Clone)]
pub enum Feed {
    /// `200` with this text (as `text/calendar`), and this ETag if any.
    Ics { body: String, etag: Option<String> },
    /// `302` to this URL.
    Redirect(String),
    /// This status, no body.
    Status(u16),
    /// `200` with these bytes.
    Bytes(Vec<u8>),
    /// `200` with a `Content-Length` of this many bytes (the body is never sent).
    Announced(u64),
    /// `200`, chunked, 64 KiB chunks without end.
    Endless,
    /// `200`, chunked, one short line every 100 ms without end.
    Trickle,
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub if_none_match: Option<String>,
}

#[derive(Default)]
struct Shared {
    feeds: Mutex<HashMap<String, Feed>>,
    hits: Mutex<Vec<Hit>>,
}

pub struct FeedServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FeedServer {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0").await
    }

    /// On `[::1]`, for the IPv6 loopback case.
    pub async fn start_v6() -> Self {
        Self::start_on("[::1]:0").await
    }

    async fn start_on(bind: &str) -> Self {
        let listener = TcpListener::bind(bind).await.expect("bind the feed server");
        let addr = listener.local_addr().expect("the feed server's address");
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new().fallback(answer).with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Serve `feed` at `path` from now on.
    pub fn put(&self, path: &str, feed: Feed) {
        self.shared.feeds.lock().unwrap().insert(format!("/{}", path.trim_start_matches('/')), feed);
    }

    /// Every request so far, oldest first.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    /// The requests for `path`.
    pub fn hits_of(&self, path: &str) -> Vec<Hit> {
        let path = format!("/{}", path.trim_start_matches('/'));
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    shared.hits.lock().unwrap().push(Hit { path: uri.path().to_owned(), if_none_match: if_none_match.clone() });
    let feed = shared.feeds.lock().unwrap().get(uri.path()).cloned();
    match feed {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Feed::Ics { body, etag }) => {
            if etag.is_some() && etag == if_none_match {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            let mut response = ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response();
            if let Some(etag) = etag {
                response.headers_mut().insert(header::ETAG, etag.parse().unwrap());
            }
            response
        }
        Some(Feed::Redirect(to)) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Some(Feed::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
        Some(Feed::Bytes(bytes)) => bytes.into_response(),
        Some(Feed::Announced(length)) => {
            let body = Body::from_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>());
            let mut response = Response::new(body);
            response.headers_mut().insert(header::CONTENT_LENGTH, length.into());
            response
        }
        Some(Feed::Endless) => {
            let chunk = format!("BEGIN:VCALENDAR\r\n{}", "X-FILLER:0123456789abcdef\r\n".repeat(2500));
            let stream = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone().into_bytes()));
            Response::new(Body::from_stream(stream))
        }
        Some(Feed::Trickle) => {
            let stream = futures::stream::unfold(0u64, |n| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let line = if n == 0 { "BEGIN:VCALENDAR\r\n".to_owned() } else { format!("X-N:{n}\r\n") };
                Some((Ok::<_, std::io::Error>(line.into_bytes()), n + 1))
            });
            Response::new(Body::from_stream(stream))
        }
    }
}

/// A feed around `events` (VEVENT blocks, CRLF line ends).
pub fn calendar(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Roster tests//EN\r\n{events}END:VCALENDAR\r\n")
}
