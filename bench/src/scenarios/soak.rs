//! Soak: a server of its own under `--soak-seconds` (default 600) of mixed traffic — sign-ups,
//! logins, profile reads, lists, searches and bad inputs — with its RSS sampled every 10 s, then
//! one quiet minute. It answers issue 7's memory questions: does RSS stay bounded, does it grow
//! late in the run, and does it come back once the load stops?
//!
//! With `--soak-static` the sign-ups and member creations become profile reads, so the database
//! stays as it is and any growth is a leak rather than more data to list and search.
//!
//! Targets: RSS at the end ≤ 64 MB; growth over the last 5 minutes (or the last half of a
//! shorter run, least-squares) ≤ 2 MB; one minute after the load, RSS ≤ 1.2 × (idle + the hashing threads'
//! working memory, one 19 MiB block per core); no 5xx.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use serde_json::json;

use crate::loadgen::{Body, Conn, Target};
use crate::report::Metric;
use crate::scenarios::Ctx;
use crate::server::{Server, ServerConfig};

pub const TARGET_END_MIB: f64 = 64.0;
pub const TARGET_LATE_GROWTH_MIB: f64 = 2.0;
pub const TARGET_AFTER_PCT: f64 = 120.0;
/// argon2id working memory (m = 19 456 KiB), held by each hashing thread once it has hashed.
const ARGON2_MIB: f64 = 19.0;
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_secs(60);
const PASSWORD: &str = "soak test passphrase that is long enough";
const CONNECTIONS: usize = 8;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let bin = ctx.args.binary_path();
    let mut server = Server::spawn(&ServerConfig { bin: &bin, extra_env: ctx.args.extra_env().collect() })?;
    server.wait_healthy(Duration::from_millis(10)).await?;
    let outcome = soak(ctx, &server).await;
    if outcome.is_err() {
        eprintln!("   its server's log (tail):\n{}", server.log_tail(2048));
    }
    match server.stop() {
        Ok(msg) => eprintln!("   soak {msg}"),
        Err(e) => eprintln!("   warning: {e:#}"),
    }
    outcome
}

/// What the workers saw, by kind of answer.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
}

async fn soak(ctx: &mut Ctx, server: &Server) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = mib(server.rss_kib()?);
    let target = server.target.clone();
    let token = owner_token(&target).await?;
    let duration = Duration::from_secs_f64(ctx.args.soak_seconds);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let mut workers = Vec::new();
    let fixed_data = ctx.args.soak_static;
    for worker in 0..CONNECTIONS {
        let (target, token, stop, counts) = (target.clone(), token.clone(), stop.clone(), counts.clone());
        workers.push(tokio::spawn(async move { traffic(worker, &target, &token, fixed_data, &stop, &counts).await }));
    }
    let started = Instant::now();
    let mut samples = vec![(0u64, idle)];
    eprintln!("   t=0 s RSS {idle:.1} MB (idle)");
    while started.elapsed() < duration {
        tokio::time::sleep(SAMPLE_EVERY.min(duration.saturating_sub(started.elapsed()))).await;
        let rss = mib(server.rss_kib()?);
        let t = started.elapsed().as_secs();
        eprintln!("   t={t} s RSS {rss:.1} MB, {} requests", counts.requests.load(Ordering::Relaxed));
        samples.push((t, rss));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.context("a soak worker panicked")?;
    }
    let end = samples.last().map_or(idle, |s| s.1);
    let max = samples.iter().map(|s| s.1).fold(idle, f64::max);
    // Growth late in the run: the last 5 minutes, or the last half of a shorter run, as the
    // least-squares slope of the samples times the window (two end points would read noise).
    let window = (duration.as_secs() / 2).min(300);
    let from = duration.as_secs().saturating_sub(window);
    let late: Vec<(f64, f64)> = samples.iter().filter(|s| s.0 >= from).map(|&(t, r)| (t as f64, r)).collect();
    let late_growth = slope(&late) * window as f64;
    tokio::time::sleep(QUIET).await;
    let after = mib(server.rss_kib()?);
    eprintln!("   {} s after the load: RSS {after:.1} MB", QUIET.as_secs());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as f64;
    let settled = idle + cores * ARGON2_MIB;
    let requests = counts.requests.load(Ordering::Relaxed);
    let curve: Vec<String> = samples.iter().map(|(t, r)| format!("{t}:{r:.1}")).collect();
    eprintln!("   RSS curve (s:MB) {}", curve.join(" "));
    let report = &mut ctx.report;
    report.add(Metric::new("soak_seconds", "soak duration", duration.as_secs_f64(), "s", 0));
    report.add(Metric::new("soak_requests", "soak requests", requests as f64, "", 0));
    report.add(Metric::new("soak_rps", "soak throughput", requests as f64 / duration.as_secs_f64(), "req/s", 0));
    report.add(
        Metric::new("soak_5xx", "soak 5xx answers", counts.server_errors.load(Ordering::Relaxed) as f64, "", 0)
            .at_most(0.0),
    );
    report.add(Metric::new(
        "soak_transport_errors",
        "soak transport errors",
        counts.transport_errors.load(Ordering::Relaxed) as f64,
        "",
        0,
    ));
    report.add(Metric::new("soak_idle_rss_mb", "soak RSS before", idle, "MB", 1));
    report.add(Metric::new("soak_max_rss_mb", "soak RSS peak", max, "MB", 1));
    report.add(Metric::new("soak_end_rss_mb", "soak RSS at the end", end, "MB", 1).at_most(TARGET_END_MIB));
    report.add(
        Metric::new("soak_late_growth_mb", "soak RSS growth, late window", late_growth, "MB", 1)
            .at_most(TARGET_LATE_GROWTH_MIB),
    );
    report.add(
        Metric::new("soak_after_pct", "soak RSS 60 s after, % of idle + arenas", after / settled * 100.0, "%", 1)
            .at_most(TARGET_AFTER_PCT),
    );
    Ok(())
}

/// Least-squares slope of `points` (0 for fewer than two).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let var: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if var == 0.0 { 0.0 } else { points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / var }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Sign up an owner (its account receives the members the workers create) and log in.
async fn owner_token(target: &Target) -> anyhow::Result<String> {
    let mut conn = Conn::connect(target.addr).await?;
    let reply = conn
        .send(
            target.post_json(
                "/v1/users",
                &json!({"email": "owner@soak.test", "password": PASSWORD, "name": "Soak Owner"}),
            ),
        )
        .await?;
    ensure!(reply.status == 201, "owner sign-up: {} {}", reply.status, reply.body_excerpt(200));
    let reply = conn
        .send(target.post_json("/v1/auth/login", &json!({"email": "owner@soak.test", "password": PASSWORD})))
        .await?;
    ensure!(reply.status == 200, "owner login: {} {}", reply.status, reply.body_excerpt(200));
    let body: serde_json::Value = serde_json::from_slice(&reply.body)?;
    body["token"].as_str().map(str::to_owned).context("no token in the login answer")
}

/// One connection's loop: a fixed rotation of request kinds, until `stop`.
async fn traffic(worker: usize, target: &Target, token: &str, fixed_data: bool, stop: &AtomicBool, counts: &Counts) {
    let mut conn: Option<Conn> = None;
    let mut seq: u64 = 0;
    let names = ["son", "ada", "xq", "example", "lovelace", "zz", "user", "soak"];
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let n = worker as u64 * 1_000_000 + seq;
        let term = names[(n % names.len() as u64) as usize];
        // 20 kinds in rotation: 1 sign-up, 1 member created, 2 logins (one wrong), 6 profile reads,
        // 4 lists, 2 searches, 4 bad inputs.
        let request = match seq % 20 {
            // --soak-static: the database stays as it is, so any growth is a leak, not more data.
            0 | 1 if fixed_data => target.get("/v1/users/profile", Some(token)),
            0 => target.post_json("/v1/users", &json!({"email": format!("s{n}@soak.test"), "password": PASSWORD, "name": format!("Signup {n}")})),
            1 => authed(target.post_json("/v1/users", &json!({"email": format!("m{n}@soak.test"), "password": PASSWORD, "name": format!("Member {term} {n}")})), token),
            2 => target.post_json("/v1/auth/login", &json!({"email": "owner@soak.test", "password": PASSWORD})),
            3 => target.post_json("/v1/auth/login", &json!({"email": format!("nobody{n}@soak.test"), "password": "wrong password entirely"})),
            4..=9 => target.get("/v1/users/profile", Some(token)),
            10 => target.get("/v1/users?limit=50", Some(token)),
            11 => target.get("/v1/users?sort=-name&include_total=true", Some(token)),
            12 => target.get(&format!("/v1/users?q={term}"), Some(token)),
            13 => target.get("/v1/accounts", Some(token)),
            14 => authed(target.post_json("/v1/users/search", &json!({"query": term, "limit": 20})), token),
            15 => authed(target.post_json("/v1/users/search", &json!({"filters": {"status": "active"}, "sort": "email"})), token),
            16 => raw(target, Method::POST, "/v1/users", r#"["arr@soak.test","pw",null]"#, None),
            17 => raw(target, Method::POST, "/v1/auth/login", "{\"email\": ", None),
            18 => target.get("/v1/users?sort=shoe_size&cursor=forged", Some(token)),
            _ => raw(target, Method::PUT, "/v1/users/not-an-id", r#"{"admin": true}"#, Some(token)),
        };
        if conn.is_none() {
            match Conn::connect(target.addr).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    counts.transport_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match tokio::time::timeout(Duration::from_secs(30), c.send(request)).await {
            Ok(Ok(reply)) => {
                counts.requests.fetch_add(1, Ordering::Relaxed);
                if reply.status.is_server_error() {
                    counts.server_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {
                counts.transport_errors.fetch_add(1, Ordering::Relaxed);
                conn = None;
            }
        }
    }
}

fn authed(mut request: Request<Body>, token: &str) -> Request<Body> {
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    request
}

fn raw(target: &Target, method: Method, path: &str, body: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, target.addr.to_string())
        .header(CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Body::from(body.to_owned())).expect("a valid request")
}
