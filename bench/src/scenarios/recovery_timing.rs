//! Whether the time of `POST /v1/users/recovery {email}` tells which addresses have accounts.
//! One keep-alive connection asks, in interleaved rounds, for a seeded user's address and for an
//! address nobody has (a fresh one each time, so that no cache or limit of either kind differs),
//! and a second unknown address as the control. Reported: the medians, the known/unknown
//! difference and the unknown/unknown control. Target: the difference within ±10 % (a control
//! of a few per cent shows the noise of the machine).

use std::time::Instant;

use anyhow::ensure;
use hyper::StatusCode;
use serde_json::json;

use crate::loadgen::Conn;
use crate::report::Metric;
use crate::scenarios::{Ctx, ms};

const ROUNDS: usize = 300;
pub const TARGET_PCT: f64 = 10.0;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    ensure!(!ctx.users.is_empty(), "no seeded users (run the seed scenario first)");
    let target = ctx.target();
    let mut conn = Conn::connect(target.addr).await?;
    let (mut known, mut unknown, mut control) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS + 20 {
        let user = &ctx.users[round % ctx.users.len()];
        let asks = [
            (0, user.email.clone()),
            (1, format!("nobody-{round}@example.com")),
            (2, format!("noone-{round}@example.com")),
        ];
        // The order turns each round, so no kind always follows another.
        for k in 0..3 {
            let (which, email) = &asks[(k + round) % 3];
            let started = Instant::now();
            let reply = conn.send(target.post_json("/v1/users/recovery", &json!({"email": email}))).await?;
            let took = ms(started.elapsed());
            ensure!(
                reply.status == StatusCode::ACCEPTED,
                "recovery answered {}: {}",
                reply.status,
                reply.body_excerpt(200)
            );
            // The first rounds warm the connection and the server's caches.
            if round >= 20 {
                [&mut known, &mut unknown, &mut control][*which].push(took);
            }
        }
    }
    let (known, unknown, control) = (median(&mut known), median(&mut unknown), median(&mut control));
    let difference = 100.0 * (known / unknown - 1.0);
    let noise = 100.0 * (control / unknown - 1.0);
    eprintln!("   known {known:.3} ms, unknown {unknown:.3} ms: {difference:+.1} % (control {noise:+.1} %)");
    ctx.report.add(Metric::new("recovery_known_p50_ms", "recovery, known address (median)", known, "ms", 3));
    ctx.report.add(Metric::new("recovery_unknown_p50_ms", "recovery, unknown address (median)", unknown, "ms", 3));
    ctx.report.add(Metric::new("recovery_control_pct", "recovery, unknown vs unknown", noise, "%", 1));
    ctx.report.add(
        Metric::new("recovery_known_vs_unknown_pct", "recovery, known vs unknown", difference.abs(), "%", 1)
            .at_most(TARGET_PCT),
    );
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
