//! Seeding: `--users` users through open sign-up (`POST /v1/users` → 201), `--connections` at a
//! time. Each gets a unique 20+ character password that is neither common nor like its email or
//! name. Records sign-ups per second (informational: each one hashes a password) and failures.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use hyper::StatusCode;
use serde_json::json;

use crate::loadgen::{Limits, Target, run_each};
use crate::report::Metric;
use crate::scenarios::{Ctx, SeededUser};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let n = ctx.args.users;
    let SignUps { users, failures, first_failure, took } = sign_up(&ctx.target(), ctx.limits(), n).await;
    eprintln!("   {} of {n} users created in {:.2} s", users.len(), took.as_secs_f64());
    if let Some(f) = &first_failure {
        eprintln!("   first failure: {f}");
    }

    ctx.report.add(Metric::new("seed_users", "users seeded", users.len() as f64, "", 0));
    ctx.report.add(Metric::new(
        "seed_per_s",
        "sign-up throughput",
        users.len() as f64 / took.as_secs_f64().max(1e-9),
        "users/s",
        1,
    ));
    ctx.report.add(Metric::new("seed_failures", "sign-up failures", failures as f64, "", 0).at_most(0.0));

    ctx.users = users;
    if ctx.users.is_empty() {
        bail!("no user could be created; first failure: {}", first_failure.unwrap_or_default());
    }
    Ok(())
}

/// What [`sign_up`] did.
pub struct SignUps {
    /// The users created, in order.
    pub users: Vec<SeededUser>,
    pub failures: u64,
    pub first_failure: Option<String>,
    pub took: Duration,
}

/// `n` sign-ups through `POST /v1/users`, `limits.connections` at a time.
pub async fn sign_up(target: &Target, limits: Limits, n: usize) -> SignUps {
    sign_up_as(target, limits, "bench", n).await
}

/// [`sign_up`] with emails `{prefix}{i}@example.com`, for scenarios that need users of their own.
pub async fn sign_up_as(target: &Target, limits: Limits, prefix: &str, n: usize) -> SignUps {
    let salt = run_salt();
    let users: Vec<SeededUser> = (0..n)
        .map(|i| SeededUser {
            email: format!("{prefix}{i}@example.com"),
            password: format!("{salt}-violet-harbor-compass-{i:05}"),
        })
        .collect();

    let bodies: Vec<serde_json::Value> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            json!({
                "email": u.email,
                "password": u.password,
                "name": format!("Bench User {i}"),
            })
        })
        .collect();
    let t = target.clone();
    let t0 = Instant::now();
    let results = run_each(target, limits, n, move |i| t.post_json("/v1/users", &bodies[i])).await;
    let took = t0.elapsed();

    let mut ok = Vec::with_capacity(n);
    let mut failures = 0u64;
    let mut first_failure = None;
    for (user, result) in users.into_iter().zip(results) {
        match result {
            Ok(reply) if reply.status == StatusCode::CREATED => ok.push(user),
            Ok(reply) => {
                failures += 1;
                first_failure.get_or_insert_with(|| format!("{}: {}", reply.status, reply.body_excerpt(300)));
            }
            Err(e) => {
                failures += 1;
                first_failure.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    SignUps { users: ok, failures, first_failure, took }
}

/// A short per-run string so passwords differ between runs (the database is fresh anyway, but
/// the server might keep a breached-password or reuse list one day).
fn run_salt() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mixed = (nanos as u64 ^ u64::from(std::process::id()).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("Qz{:012x}", mixed >> 16)
}
