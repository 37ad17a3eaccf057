//! A small HTTP/1.1 keep-alive load generator over hyper's connection-level client.
//!
//! One [`Conn`] is one TCP connection; each load worker owns one and sends requests on it back to
//! back (no pipelining), reconnecting only after a transport error. Two drivers:
//! [`run_each`] sends a fixed list of requests over N connections (seeding, log-ins), and
//! [`run_timed`] loops requests over N connections for a fixed duration, recording latencies
//! ([`run_timed_while`]: or until told to stop).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

pub type Body = Full<Bytes>;

/// Where the server listens; builds requests with the right `Host`.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    host: HeaderValue,
}

impl Target {
    pub fn new(addr: SocketAddr) -> Self {
        let host = HeaderValue::from_str(&addr.to_string()).expect("a socket address is ASCII");
        Self { addr, host }
    }

    pub fn get(&self, path: &str, bearer: Option<&str>) -> Request<Body> {
        let mut b = Request::builder().method(Method::GET).uri(path).header(HOST, self.host.clone());
        if let Some(token) = bearer {
            b = b.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        b.body(Body::default()).expect("valid GET request")
    }

    /// A JSON request with a bearer token.
    pub fn json(&self, method: Method, path: &str, bearer: &str, body: &serde_json::Value) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, format!("Bearer {bearer}"))
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("valid JSON request")
    }

    /// A page as a browser asks for it: with its cookie.
    pub fn get_page(&self, path: &str, cookie: &str) -> Request<Body> {
        Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(hyper::header::ACCEPT, "text/html")
            .header(hyper::header::COOKIE, cookie)
            .body(Body::default())
            .expect("valid GET request")
    }

    /// A form posted from a page of the server's own origin.
    pub fn post_form(&self, path: &str, form: &str) -> Request<Body> {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(hyper::header::ORIGIN, format!("http://{}", self.addr))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .expect("valid POST request")
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Request<Body> {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("valid POST request")
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as text, cut to `max` characters, for error messages.
    pub fn body_excerpt(&self, max: usize) -> String {
        String::from_utf8_lossy(&self.body).chars().take(max).collect()
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    sender: http1::SendRequest<Body>,
    driver: JoinHandle<()>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(async move {
            // The connection ends when the sender is dropped or the peer closes; either is fine.
            let _ = conn.await;
        });
        Ok(Self { sender, driver })
    }

    pub async fn send(&mut self, req: Request<Body>) -> anyhow::Result<Reply> {
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await?.to_bytes();
        Ok(Reply { status, headers, body })
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Limits shared by both drivers.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Concurrent connections (one worker each).
    pub connections: usize,
    /// Longest wait for one response before the connection is dropped as broken.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { connections: 16, request_timeout: Duration::from_secs(30) }
    }
}

/// Sends `count` requests built by `make(i)` over `limits.connections` connections and returns
/// each outcome by index. Transport errors are returned, not retried.
pub async fn run_each<F>(target: &Target, limits: Limits, count: usize, make: F) -> Vec<anyhow::Result<Reply>>
where
    F: Fn(usize) -> Request<Body> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..limits.connections.min(count) {
        let (make, next, addr) = (make.clone(), next.clone(), target.addr);
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut conn: Option<Conn> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let result = tokio::time::timeout(limits.request_timeout, async {
                    if conn.is_none() {
                        conn = Some(Conn::connect(addr).await?);
                    }
                    let c = conn.as_mut().expect("connected above");
                    c.send(make(i)).await
                })
                .await
                .unwrap_or_else(|_| Err(anyhow::anyhow!("timed out")));
                if result.is_err() {
                    conn = None;
                }
                out.push((i, result));
            }
            out
        }));
    }
    let mut results: Vec<Option<anyhow::Result<Reply>>> = (0..count).map(|_| None).collect();
    for w in workers {
        match w.await {
            Ok(done) => {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
            Err(e) => eprintln!("warning: load worker failed: {e}"),
        }
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("not sent")))).collect()
}

/// What a timed run saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Responses received (any status).
    pub responses: u64,
    /// Responses whose status was not the expected one.
    pub unexpected: u64,
    /// Transport errors and time-outs (no response).
    pub errors: u64,
    /// Wall time from the start until the last worker finished.
    pub elapsed: Duration,
    /// Latency of every response, in microseconds, sorted ascending.
    pub latencies_us: Vec<u32>,
    /// The first unexpected response or error, for the log.
    pub first_problem: Option<String>,
}

impl LoadReport {
    pub fn per_second(&self, n: u64) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { n as f64 / s } else { 0.0 }
    }

    /// All responses per second.
    pub fn rps(&self) -> f64 {
        self.per_second(self.responses)
    }

    /// Expected-status responses per second.
    pub fn ok_per_second(&self) -> f64 {
        self.per_second(self.responses - self.unexpected)
    }

    /// Nearest-rank percentile of the latencies, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let n = self.latencies_us.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let idx = rank.clamp(1, n) - 1;
        f64::from(self.latencies_us[idx]) / 1000.0
    }
}

/// A timed run: how long, the status every response should have, and a safety cap on requests.
#[derive(Clone, Copy, Debug)]
pub struct TimedPlan {
    pub limits: Limits,
    pub duration: Duration,
    pub expect: StatusCode,
    /// Hard cap on requests over all workers, so a run is bounded in count as well as time.
    pub max_requests: u64,
}

/// Each worker loops `make(worker, seq)` on its own connection until the duration is over (a
/// request in flight at the deadline is awaited and counted). Latency is measured from just before
/// the request is written to the end of the response body.
pub async fn run_timed<F>(target: &Target, plan: TimedPlan, make: F) -> LoadReport
where
    F: Fn(usize, u64) -> Request<Body> + Send + Sync + 'static,
{
    run_timed_while(target, plan, Arc::new(AtomicBool::new(false)), make).await
}

/// [`run_timed`] that also ends, early, once `stop` is set: each worker finishes the request it
/// has in flight and sends no more.
pub async fn run_timed_while<F>(target: &Target, plan: TimedPlan, stop: Arc<AtomicBool>, make: F) -> LoadReport
where
    F: Fn(usize, u64) -> Request<Body> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let connections = plan.limits.connections.max(1);
    let per_worker_cap = (plan.max_requests / connections as u64).max(1);
    let start = Instant::now();
    let deadline = start + plan.duration;
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (make, addr, stop) = (make.clone(), target.addr, stop.clone());
        workers.push(tokio::spawn(async move {
            let mut r = LoadReport::default();
            let mut conn: Option<Conn> = None;
            let mut seq = 0u64;
            while seq < per_worker_cap && Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                if conn.is_none() {
                    match tokio::time::timeout(plan.limits.request_timeout, Conn::connect(addr)).await {
                        Ok(Ok(c)) => conn = Some(c),
                        Ok(Err(e)) => {
                            note_error(&mut r, format!("connect: {e:#}"));
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                        Err(_) => {
                            note_error(&mut r, "connect: timed out".to_owned());
                            continue;
                        }
                    }
                }
                let req = make(worker, seq);
                seq += 1;
                let c = conn.as_mut().expect("connected above");
                let t0 = Instant::now();
                match tokio::time::timeout(plan.limits.request_timeout, c.send(req)).await {
                    Ok(Ok(reply)) => {
                        let us = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
                        r.latencies_us.push(us);
                        r.responses += 1;
                        if reply.status != plan.expect {
                            r.unexpected += 1;
                            r.first_problem
                                .get_or_insert_with(|| format!("{}: {}", reply.status, reply.body_excerpt(300)));
                        }
                    }
                    Ok(Err(e)) => {
                        note_error(&mut r, format!("request: {e:#}"));
                        conn = None;
                    }
                    Err(_) => {
                        note_error(&mut r, "request: timed out".to_owned());
                        conn = None;
                    }
                }
            }
            r
        }));
    }

    let mut total = LoadReport::default();
    for w in workers {
        match w.await {
            Ok(r) => {
                total.responses += r.responses;
                total.unexpected += r.unexpected;
                total.errors += r.errors;
                total.latencies_us.extend(r.latencies_us);
                if total.first_problem.is_none() {
                    total.first_problem = r.first_problem;
                }
            }
            Err(e) => note_error(&mut total, format!("load worker failed: {e}")),
        }
    }
    total.elapsed = start.elapsed();
    total.latencies_us.sort_unstable();
    total
}

fn note_error(r: &mut LoadReport, msg: String) {
    r.errors += 1;
    r.first_problem.get_or_insert(msg);
}
