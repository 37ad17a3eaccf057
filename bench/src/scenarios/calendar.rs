//! Calendar (issue 11 §7): one iCalendar feed of 2 000 events — 1 600 single ones in three time
//! zones and 400 weekly ones (20 occurrences each, two EXDATEs) — served by the harness on
//! 127.0.0.1, subscribed through the API on a server that allows private URLs, on each engine
//! of `--scale-engines`. Measured from outside: from `POST /v1/users/calendars` to the calendar
//! listed `status: ok` (polled every 5 ms), so fetch, parse, expansion and storage of ~9 600
//! occurrences in one transaction, plus the queue's wake-up. Target ≤ 1 s. The baseline, in the
//! same run, is a feed of one event: what the same path costs with nothing to read.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::loadgen::Conn;
use crate::report::Metric;
use crate::scenarios::{Ctx, EngineDb, ms};
use crate::server::{Server, ServerConfig, make_temp_dir};

const PG_DATABASE: &str = "roster_bench_calendar";
const PASSWORD: &str = "violet harbor compass, kept under the stairs 7";
const SINGLE: usize = 1_600;
const WEEKLY: usize = 400;
const ROUNDS: usize = 3;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let engines = ctx.args.scale_engines.clone();
    let feeds = FeedServer::start(big_feed(), small_feed()).await?;
    let mut failed = None;
    for engine in engines {
        eprintln!("   -- {engine}");
        if let Err(e) = one_engine(ctx, &engine, &feeds).await {
            eprintln!("   {engine} failed: {e:#}");
            failed = Some(e.context(engine));
        }
    }
    failed.map_or(Ok(()), Err)
}

async fn one_engine(ctx: &mut Ctx, engine: &str, feeds: &FeedServer) -> anyhow::Result<()> {
    let (database, mut env) = EngineDb::create(ctx, engine, PG_DATABASE).await?;
    env.push(("ROSTER_ALLOW_PRIVATE_URLS".into(), "true".into()));
    let bin = ctx.args.binary_path();
    let cfg = ServerConfig { bin: &bin, extra_env: env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect() };
    let dir = make_temp_dir()?;
    let result = async {
        let mut server = Server::spawn_in(&cfg, dir.clone())?;
        server.wait_healthy(Duration::from_millis(10)).await?;
        let measured = measure(ctx, engine, &server, feeds).await;
        if measured.is_err() {
            eprintln!("   server log (tail):\n{}", server.log_tail(2048));
        }
        server.stop()?;
        measured
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    database.drop().await?;
    result
}

async fn measure(ctx: &mut Ctx, engine: &str, server: &Server, feeds: &FeedServer) -> anyhow::Result<()> {
    let mut conn = Conn::connect(server.target.addr).await?;
    let token = sign_up_and_in(&mut conn, server).await?;
    let (mut big, mut small, mut count) = (Vec::new(), Vec::new(), 0);
    for round in 0..ROUNDS {
        // Taking turns, so that both see the same machine.
        let (took, _) = subscribe_until_ok(&mut conn, server, &token, &feeds.url("small.ics"), round).await?;
        small.push(took);
        let (took, events) = subscribe_until_ok(&mut conn, server, &token, &feeds.url("big.ics"), round).await?;
        big.push(took);
        count = events;
    }
    big.sort();
    small.sort();
    let (big, small) = (big[ROUNDS / 2], small[ROUNDS / 2]);
    eprintln!("   {count} occurrences stored; median of {ROUNDS}: {:.1} ms (one event: {:.1} ms)", ms(big), ms(small));
    ctx.report.add(
        Metric::new(
            format!("calendar_{engine}_2000_events_ms"),
            format!("{engine}: feed of 2 000 events ({count} occurrences) fetched, parsed, stored"),
            ms(big),
            "ms",
            1,
        )
        .at_most(1000.0),
    );
    ctx.report.add(Metric::new(
        format!("calendar_{engine}_1_event_ms"),
        format!("{engine}: baseline, a feed of 1 event"),
        ms(small),
        "ms",
        1,
    ));
    ctx.report.add(Metric::new(
        format!("calendar_{engine}_ratio"),
        format!("{engine}: 2 000 events / 1 event"),
        big.as_secs_f64() / small.as_secs_f64().max(1e-9),
        "x",
        1,
    ));
    Ok(())
}

async fn sign_up_and_in(conn: &mut Conn, server: &Server) -> anyhow::Result<String> {
    let t = &server.target;
    let email = "calendar@bench.test";
    let reply =
        conn.send(t.post_json("/v1/users", &json!({"email": email, "password": PASSWORD, "name": "Cal"}))).await?;
    ensure!(reply.status.is_success(), "sign-up: {} {}", reply.status, reply.body_excerpt(300));
    let reply = conn.send(t.post_json("/v1/auth/login", &json!({"email": email, "password": PASSWORD}))).await?;
    ensure!(reply.status.is_success(), "login: {}", reply.status);
    let login: Value = serde_json::from_slice(&reply.body)?;
    Ok(login["token"].as_str().context("a token")?.to_owned())
}

/// Subscribe to `url` and poll the list until the calendar is `ok`; the time it took and its
/// `event_count`.
async fn subscribe_until_ok(
    conn: &mut Conn,
    server: &Server,
    token: &str,
    url: &str,
    round: usize,
) -> anyhow::Result<(Duration, i64)> {
    let t = &server.target;
    let mut request =
        t.post_json("/v1/users/calendars", &json!({"provider": "ics", "name": format!("round {round}"), "url": url}));
    request.headers_mut().insert(hyper::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    let started = Instant::now();
    let reply = conn.send(request).await?;
    ensure!(reply.status.is_success(), "subscribe: {} {}", reply.status, reply.body_excerpt(300));
    let created: Value = serde_json::from_slice(&reply.body)?;
    let id = created["id"].as_str().context("an id")?.to_owned();
    loop {
        let reply = conn.send(t.get("/v1/users/calendars", Some(token))).await?;
        let list: Value = serde_json::from_slice(&reply.body)?;
        let mine = list["data"].as_array().and_then(|d| d.iter().find(|c| c["id"] == id.as_str())).cloned();
        let status = mine.as_ref().and_then(|c| c["status"].as_str()).unwrap_or("");
        ensure!(status != "error", "the feed failed: {mine:?}");
        if status == "ok" {
            let took = started.elapsed();
            let delete = hyper::Request::builder()
                .method(hyper::Method::DELETE)
                .uri(format!("/v1/users/calendars/{id}"))
                .header(hyper::header::HOST, t.addr.to_string())
                .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
                .body(http_body_util::Full::new(bytes::Bytes::new()))?;
            conn.send(delete).await?;
            return Ok((took, mine.and_then(|c| c["event_count"].as_i64()).unwrap_or(0)));
        }
        ensure!(started.elapsed() < Duration::from_secs(60), "not ok after 60 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Occurrences between now − 30 days and now + 365 days: the feed's events start in that window.
fn big_feed() -> String {
    let zones = ["Europe/Paris", "America/New_York", "UTC"];
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//roster-bench//EN\r\n");
    for i in 0..SINGLE {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let zone = zones[i % 3];
        let start = if zone == "UTC" {
            format!("DTSTART:2027{month:02}{day:02}T{:02}0000Z", 8 + i % 9)
        } else {
            format!("DTSTART;TZID={zone}:2027{month:02}{day:02}T{:02}0000", 8 + i % 9)
        };
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:single-{i}@bench\r\nSUMMARY:Meeting {i}\r\nLOCATION:Room {}\r\n{start}\r\nDURATION:PT45M\r\nEND:VEVENT\r\n",
            i % 40
        ));
    }
    for i in 0..WEEKLY {
        let day = 1 + i % 28;
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:weekly-{i}@bench\r\nSUMMARY:Weekly {i}\r\nDTSTART;TZID=Europe/Paris:202701{day:02}T093000\r\n\
             DTEND;TZID=Europe/Paris:202701{day:02}T100000\r\nRRULE:FREQ=WEEKLY;COUNT=20\r\n\
             EXDATE;TZID=Europe/Paris:202702{day:02}T093000,202703{day:02}T093000\r\nEND:VEVENT\r\n"
        ));
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn small_feed() -> String {
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:one@bench\r\nDTSTART:20270115T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        .to_owned()
}

/// The feeds, over plain HTTP/1.1 on 127.0.0.1 (one response per connection).
struct FeedServer {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FeedServer {
    async fn start(big: String, small: String) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (big, small) = (std::sync::Arc::new(big), std::sync::Arc::new(small));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (big, small) = (big.clone(), small.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = if head.starts_with(b"GET /big.ics") { big } else { small };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.write_all(body.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
