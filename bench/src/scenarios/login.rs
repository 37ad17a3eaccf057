//! Login throughput: `--connections` keep-alive connections loop `POST /v1/auth/login` over the
//! seeded users for `--seconds`. Each login verifies one argon2id hash, so the figure that matters
//! is successful logins/s as a share of this machine's argon2 ceiling. Target ≥ 80 %.

use anyhow::ensure;
use hyper::StatusCode;
use serde_json::json;

use crate::loadgen::run_timed;
use crate::report::Metric;
use crate::scenarios::{Ctx, argon2};

pub const TARGET_PCT_OF_CEILING: f64 = 80.0;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    ensure!(!ctx.users.is_empty(), "no seeded users (run the seed scenario first)");
    let connections = ctx.args.connections;
    let bodies: Vec<serde_json::Value> =
        ctx.users.iter().map(|u| json!({"email": u.email, "password": u.password})).collect();
    let t = ctx.target();
    // Worker w takes users w, w+C, w+2C, … so connections spread over all users.
    let r = run_timed(&ctx.target(), ctx.timed_plan(StatusCode::OK), move |worker, seq| {
        let i = (worker + seq as usize * connections) % bodies.len();
        t.post_json("/v1/auth/login", &bodies[i])
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
    ctx.report.add_load("login", "login", &r, None);
    let ok_per_s = r.ok_per_second();
    ctx.report.add(Metric::new("login_ok_per_s", "successful logins", ok_per_s, "logins/s", 1));
    match ctx.report.value(argon2::KEY) {
        Some(ceiling) if ceiling > 0.0 => ctx.report.add(
            Metric::new("login_pct_of_argon2", "logins vs argon2 ceiling", 100.0 * ok_per_s / ceiling, "%", 1)
                .at_least(TARGET_PCT_OF_CEILING),
        ),
        _ => eprintln!("   (no argon2 ceiling measured: share of ceiling not reported)"),
    }
    Ok(())
}
