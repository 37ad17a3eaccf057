//! Token checks against the bare HTTP stack, in one run: `GET /healthz` (no database) and
//! `GET /v1/users/profile` (session, user, memberships and preferences) on the same server,
//! and the same profile load on a second server started with `ROSTER_LOG=warn`, which logs no
//! requests (the cost of request logging), taking turns in four rounds so that all three see
//! the same machine (the two profile loads swap places each round). Targets: profile ≥ 50 % of healthz; logging ≤ 5 %.

use std::time::Duration;

use anyhow::ensure;
use hyper::StatusCode;

use crate::loadgen::{LoadReport, Target, TimedPlan, run_timed};
use crate::report::Metric;
use crate::scenarios::profile::log_in_as;
use crate::scenarios::{Ctx, seed};
use crate::server::{Server, ServerConfig};

pub const TARGET_RATIO: f64 = 0.5;
pub const TARGET_LOGGING_PCT: f64 = 5.0;
const ROUNDS: u32 = 4;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    ensure!(!ctx.users.is_empty(), "no seeded users (run the seed scenario first)");
    // The same binary without request logs, measured in the same rounds.
    let bin = ctx.args.binary_path();
    let mut env: Vec<(&str, &str)> = ctx.args.extra_env().collect();
    env.push(("ROSTER_LOG", "warn"));
    let mut quiet = Server::spawn(&ServerConfig { bin: &bin, extra_env: env })?;
    quiet.wait_healthy(Duration::from_millis(10)).await?;
    let signed = seed::sign_up(&quiet.target, ctx.limits(), ctx.args.connections).await;
    ensure!(!signed.users.is_empty(), "no sign-up on the quiet server: {:?}", signed.first_failure);

    let plan = TimedPlan { duration: ctx.args.duration() / ROUNDS, ..ctx.timed_plan(StatusCode::OK) };
    let connections = ctx.args.connections;
    let tokens = log_in_as(&ctx.target(), plan.limits, &ctx.users, connections).await?;
    let quiet_tokens = log_in_as(&quiet.target, plan.limits, &signed.users, connections).await?;
    let (mut healthz, mut profile, mut unlogged) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let t = ctx.target();
        healthz.push(run_timed(&ctx.target(), plan, move |_, _| t.get("/healthz", None)).await);
        // The two profile loads change places every round: whichever ran second measured a few
        // per cent slower when both servers logged nothing.
        if round % 2 == 0 {
            profile.push(profile_load(&ctx.target(), plan, &tokens).await);
            unlogged.push(profile_load(&quiet.target, plan, &quiet_tokens).await);
        } else {
            unlogged.push(profile_load(&quiet.target, plan, &quiet_tokens).await);
            profile.push(profile_load(&ctx.target(), plan, &tokens).await);
        }
    }
    let _ = quiet.stop();
    let (healthz, profile, unlogged) = (rate(&healthz)?, rate(&profile)?, rate(&unlogged)?);
    let ratio = profile / healthz;
    let cost = 100.0 * (1.0 - profile / unlogged);
    eprintln!("   healthz {healthz:.0} req/s, profile {profile:.0} req/s: {ratio:.2}");
    eprintln!("   without request logs: profile {unlogged:.0} req/s; logging costs {cost:.1} %");
    ctx.report.add(Metric::new("pvh_healthz_rps", "healthz throughput (same run)", healthz, "req/s", 0));
    ctx.report.add(Metric::new("pvh_profile_rps", "profile throughput (same run)", profile, "req/s", 0));
    ctx.report.add(Metric::new("profile_vs_healthz", "profile / healthz", ratio, "", 2).at_least(TARGET_RATIO));
    ctx.report.add(Metric::new("pvh_profile_unlogged_rps", "profile throughput, no request log", unlogged, "req/s", 0));
    ctx.report
        .add(Metric::new("request_log_cost_pct", "request logging cost", cost, "%", 1).at_most(TARGET_LOGGING_PCT));
    Ok(())
}

async fn profile_load(target: &Target, plan: TimedPlan, tokens: &[String]) -> LoadReport {
    let (t, tokens) = (target.clone(), tokens.to_vec());
    run_timed(target, plan, move |w, _| t.get("/v1/users/profile", Some(&tokens[w]))).await
}

fn rate(runs: &[LoadReport]) -> anyhow::Result<f64> {
    for r in runs {
        ensure!(
            r.unexpected == 0 && r.errors == 0,
            "{} non-200, {} errors: {:?}",
            r.unexpected,
            r.errors,
            r.first_problem
        );
    }
    let responses: u64 = runs.iter().map(|r| r.responses).sum();
    let seconds: f64 = runs.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    Ok(responses as f64 / seconds.max(1e-9))
}
