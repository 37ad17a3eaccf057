//! The cases a console user runs all day, timed one request after another on one keep-alive
//! connection: 5 warm-up requests, then `SAMPLES` timed ones per case.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use hyper::header::{AUTHORIZATION, HeaderValue};
use hyper::{Request, StatusCode};
use serde_json::{Value, json};

use crate::loadgen::{Body, Conn, Target};

pub const SAMPLES: usize = 50;
const WARM_UP: usize = 5;
/// Page 500 is reached through 499 cursors.
pub const DEEP_PAGE: usize = 500;

/// A request to time.
#[derive(Clone)]
pub enum Ask {
    Get(String),
    Search(Value),
    /// A console page, as htmx asks for it while one types (with the session cookie).
    Page(String),
}

/// Median and p99 of one case, with what its first answer held.
pub struct Timing {
    pub median: Duration,
    pub p99: Duration,
    pub items: usize,
    pub total: Option<(i64, bool)>,
}

pub struct Client {
    pub target: Target,
    pub token: String,
    /// The console's session cookie (`name=value`), once signed in on the page.
    pub cookie: String,
    conn: Conn,
}

impl Client {
    pub async fn new(target: Target, token: String) -> anyhow::Result<Self> {
        let conn = Conn::connect(target.addr).await?;
        Ok(Self { target, token, cookie: String::new(), conn })
    }

    fn request(&self, ask: &Ask) -> Request<Body> {
        match ask {
            Ask::Get(path) => self.target.get(path, Some(&self.token)),
            Ask::Page(path) => {
                let mut req = self.target.get_page(path, &self.cookie);
                req.headers_mut().insert("hx-request", HeaderValue::from_static("true"));
                req
            }
            Ask::Search(body) => {
                let mut req = self.target.post_json("/v1/users/search", body);
                let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token)).expect("a token is ASCII");
                req.headers_mut().insert(AUTHORIZATION, bearer);
                req
            }
        }
    }

    /// One request; the body as JSON (non-200 is an error). A page answers its row count as
    /// `data` (its rows' checkboxes), so both read alike.
    pub async fn ask(&mut self, ask: &Ask) -> anyhow::Result<Value> {
        let reply = self.conn.send(self.request(ask)).await?;
        if reply.status != StatusCode::OK {
            bail!("{}: {}", reply.status, reply.body_excerpt(300));
        }
        if let Ask::Page(_) = ask {
            let html = String::from_utf8_lossy(&reply.body);
            let rows = html.matches("name=\"user\" value=").count();
            return Ok(json!({"data": vec![Value::Null; rows]}));
        }
        serde_json::from_slice(&reply.body).context("a list answer is JSON")
    }

    /// The whole body of `path` (a console download), and how long it took.
    pub async fn download(&mut self, path: &str) -> anyhow::Result<(bytes::Bytes, Duration)> {
        let t0 = Instant::now();
        let reply = self.conn.send(self.target.get_page(path, &self.cookie)).await?;
        if reply.status != StatusCode::OK {
            bail!("{path}: {}: {}", reply.status, reply.body_excerpt(300));
        }
        Ok((reply.body, t0.elapsed()))
    }

    pub async fn time(&mut self, ask: &Ask) -> anyhow::Result<Timing> {
        Ok(self.time_all(std::slice::from_ref(ask)).await?.remove(0))
    }

    /// Time several requests taking turns, so that each sees the same machine (their ratio is
    /// then not the noise of a busier moment).
    pub async fn time_all(&mut self, asks: &[Ask]) -> anyhow::Result<Vec<Timing>> {
        let mut firsts = Vec::with_capacity(asks.len());
        for ask in asks {
            firsts.push(self.ask(ask).await?);
            for _ in 1..WARM_UP {
                self.ask(ask).await?;
            }
        }
        let mut samples = vec![Vec::with_capacity(SAMPLES); asks.len()];
        for _ in 0..SAMPLES {
            for (ask, samples) in asks.iter().zip(&mut samples) {
                let t0 = Instant::now();
                self.ask(ask).await?;
                samples.push(t0.elapsed());
            }
        }
        Ok(firsts
            .into_iter()
            .zip(samples)
            .map(|(first, mut samples)| {
                samples.sort();
                let total = first["total"].as_i64().map(|n| (n, first["total_exact"].as_bool().unwrap_or(true)));
                Timing {
                    median: samples[SAMPLES / 2],
                    p99: samples[(SAMPLES * 99).div_ceil(100) - 1],
                    items: first["data"].as_array().map_or(0, Vec::len),
                    total,
                }
            })
            .collect())
    }

    /// The cursor that opens page `page` of a list (following `next_cursor` from page 1).
    pub async fn cursor_of_page(&mut self, path: &str, page: usize) -> anyhow::Result<String> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut cursor: Option<String> = None;
        for n in 1..page {
            let ask = match &cursor {
                None => Ask::Get(path.to_owned()),
                Some(c) => Ask::Get(format!("{path}{sep}cursor={c}")),
            };
            let body = self.ask(&ask).await?;
            let next = body["next_cursor"].as_str().map(str::to_owned);
            ensure!(next.is_some(), "{path}: no page {} (page {n} was the last)", n + 1);
            cursor = next;
        }
        cursor.context("page 1 has no cursor")
    }
}

/// `/v1/users?…` for a list with these query parameters.
pub fn list(query: &str) -> Ask {
    Ask::Get(if query.is_empty() { "/v1/users".to_owned() } else { format!("/v1/users?{query}") })
}

pub fn search(term: &str, include_total: bool) -> Ask {
    Ask::Search(json!({"query": term, "include_total": include_total}))
}

/// `/console/users?…` as the search box asks for it.
pub fn page(query: &str) -> Ask {
    Ask::Page(if query.is_empty() { "/console/users".to_owned() } else { format!("/console/users?{query}") })
}
