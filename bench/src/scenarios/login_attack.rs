//! Correct logins under a password-guessing attack: `--connections` keep-alive connections log the
//! seeded users in for `--seconds` (the baseline), then do it again while as many other
//! connections send wrong passwords for one email as fast as they can. Once that email is over its
//! limit (10 failures in 15 minutes, then the lock at 100 in a row) Roster refuses it without
//! hashing, so the attack should cost the others little. The figure is the correct logins/s under
//! attack as a share of the baseline, measured in the same run. Target ≥ 70 %.
//!
//! The attack runs against a server of its own, with users of its own: its wrong passwords put
//! the harness's address over the per-address failure limit for 15 minutes, and the scenarios
//! after it must still sign in on the shared server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::ensure;
use hyper::StatusCode;
use serde_json::json;

use crate::loadgen::{LoadReport, Target, TimedPlan, run_timed, run_timed_while};
use crate::report::Metric;
use crate::scenarios::{Ctx, SeededUser, seed};
use crate::server::{Server, ServerConfig};

pub const TARGET_PCT_OF_BASELINE: f64 = 70.0;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let bin = ctx.args.binary_path();
    let mut server = Server::spawn(&ServerConfig { bin: &bin, extra_env: ctx.args.extra_env().collect() })?;
    server.wait_healthy(std::time::Duration::from_millis(10)).await?;
    let outcome = attack(ctx, &server.target).await;
    if outcome.is_err() {
        eprintln!("   its server's log (tail):\n{}", server.log_tail(2048));
    }
    match server.stop() {
        Ok(msg) => eprintln!("   login_attack {msg}"),
        Err(e) => eprintln!("   warning: {e:#}"),
    }
    outcome
}

async fn attack(ctx: &mut Ctx, target: &Target) -> anyhow::Result<()> {
    // As many users as the shared server's seed (at least one per connection and the victim).
    let n = ctx.args.users.max(ctx.args.connections + 1);
    let users = seed::sign_up_as(target, ctx.limits(), "attack", n).await.users;
    ensure!(users.len() > 1, "the attack's server has no users");
    // The first user is the victim; the others log in.
    let victim = users[0].email.clone();
    let baseline = logins(ctx, target, &users[1..]).await;
    eprintln!("   baseline: {:.1} logins/s", baseline.ok_per_second());

    let stop = Arc::new(AtomicBool::new(false));
    let t = target.clone();
    let attack_plan = TimedPlan { max_requests: 50_000_000, ..ctx.timed_plan(StatusCode::TOO_MANY_REQUESTS) };
    let attacker = {
        let (target, stop) = (target.clone(), stop.clone());
        tokio::spawn(async move {
            let body = json!({"email": victim, "password": "a wrong guess at the password"});
            run_timed_while(&target, attack_plan, stop, move |_, _| t.post_json("/v1/auth/login", &body)).await
        })
    };
    let attacked = logins(ctx, target, &users[1..]).await;
    stop.store(true, Ordering::Relaxed);
    let attack = attacker.await?;
    let (ok, base) = (attacked.ok_per_second(), baseline.ok_per_second());
    eprintln!(
        "   under attack: {ok:.1} logins/s; the attack sent {:.0} requests/s ({} answered 429, p50 {:.2} ms)",
        attack.rps(),
        attack.responses - attack.unexpected,
        attack.percentile_ms(50.0)
    );
    ctx.report.add(Metric::new("attack_baseline_logins_per_s", "logins/s without attack", base, "logins/s", 1));
    ctx.report.add(Metric::new("attack_logins_per_s", "logins/s under attack", ok, "logins/s", 1));
    ctx.report.add(Metric::new("attack_rejects_per_s", "wrong-password requests answered/s", attack.rps(), "req/s", 0));
    ctx.report.add(Metric::new("attack_reject_p50_ms", "a refused guess, p50", attack.percentile_ms(50.0), "ms", 2));
    ctx.report.add(
        Metric::new("attack_pct_of_baseline", "logins under attack vs without", 100.0 * ok / base.max(1e-9), "%", 1)
            .at_least(TARGET_PCT_OF_BASELINE),
    );
    ctx.report.add(
        Metric::new("attack_login_non_200", "correct logins refused under attack", attacked.unexpected as f64, "", 0)
            .at_most(0.0),
    );
    Ok(())
}

/// Correct logins of `users`, for `--seconds`.
async fn logins(ctx: &Ctx, target: &Target, users: &[SeededUser]) -> LoadReport {
    let connections = ctx.args.connections;
    let bodies: Vec<serde_json::Value> =
        users.iter().map(|u| json!({"email": u.email, "password": u.password})).collect();
    let t = target.clone();
    run_timed(target, ctx.timed_plan(StatusCode::OK), move |worker, seq| {
        let i = (worker + seq as usize * connections) % bodies.len();
        t.post_json("/v1/auth/login", &bodies[i])
    })
    .await
}
