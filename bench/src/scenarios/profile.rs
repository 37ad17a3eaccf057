//! Profile throughput: each connection logs in once as a seeded user for a bearer token, then
//! loops `GET /v1/users/profile` for `--seconds`. Target ≥ 5000 req/s.

use anyhow::{Context, anyhow, ensure};
use hyper::StatusCode;
use serde_json::json;

use crate::loadgen::{Limits, Target, run_each, run_timed};
use crate::report::Goal;
use crate::scenarios::{Ctx, SeededUser};

pub const TARGET_RPS: f64 = 5000.0;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    ensure!(!ctx.users.is_empty(), "no seeded users (run the seed scenario first)");
    let connections = ctx.args.connections;
    let tokens = log_in(ctx, connections).await?;

    let t = ctx.target();
    let r = run_timed(&ctx.target(), ctx.timed_plan(StatusCode::OK), move |worker, _| {
        t.get("/v1/users/profile", Some(&tokens[worker]))
    })
    .await;
    eprintln!(
        "   {} responses in {:.2} s, {} non-200, {} errors",
        r.responses,
        r.elapsed.as_secs_f64(),
        r.unexpected,
        r.errors
    );
    if let Some(p) = &r.first_problem {
        eprintln!("   first problem: {p}");
    }
    ctx.report.add_load("profile", "profile", &r, Some(Goal::AtLeast(TARGET_RPS)));
    Ok(())
}

/// One login per connection (users 0, 1, … wrapping), returning each connection's token.
async fn log_in(ctx: &Ctx, connections: usize) -> anyhow::Result<Vec<String>> {
    log_in_as(&ctx.target(), ctx.limits(), &ctx.users, connections).await
}

/// One login per connection as `users` 0, 1, … (wrapping), returning each connection's token.
pub async fn log_in_as(
    target: &Target,
    limits: Limits,
    users: &[SeededUser],
    connections: usize,
) -> anyhow::Result<Vec<String>> {
    ensure!(!users.is_empty(), "no users to log in as");
    let bodies: Vec<serde_json::Value> = (0..connections)
        .map(|w| {
            let u = &users[w % users.len()];
            json!({"email": u.email, "password": u.password})
        })
        .collect();
    let t = target.clone();
    let replies = run_each(target, limits, connections, move |i| t.post_json("/v1/auth/login", &bodies[i])).await;
    replies
        .into_iter()
        .map(|reply| {
            let reply = reply.context("login for a profile token")?;
            ensure!(
                reply.status == StatusCode::OK,
                "login for a profile token: {}: {}",
                reply.status,
                reply.body_excerpt(300)
            );
            let v: serde_json::Value = serde_json::from_slice(&reply.body).context("login response is not JSON")?;
            v.get("token")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("login response has no string `token`: {v}"))
        })
        .collect()
}
