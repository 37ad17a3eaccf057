//! Password policy: what one check costs (length, the shipped list, the user's words and the
//! zxcvbn strength estimate), on this machine, for passwords a sign-up sends — accepted ones
//! of 15, 30 and 128 characters, and refused ones (guessable, or made of the user's words, which
//! costs a second estimate). The service's own `PasswordPolicy`, called in-process: the figure
//! decides whether the check must leave the async threads (it does above ~1 ms). Compared with
//! one argon2id hash, the other work a sign-up does per password.

use std::time::{Duration, Instant};

use roster_domain::password::PasswordPolicy;

use crate::report::Metric;
use crate::scenarios::{Ctx, ms};

const ROUNDS: usize = 200;

/// (label, password, whether the policy accepts it).
const CASES: [(&str, &str, bool); 5] = [
    ("15 characters, accepted", "violet tugboat!", true),
    ("30 characters, accepted", "violet tugboat under 9 moons!!", true),
    (
        "128 characters, accepted",
        "violet tugboat under nine moons, a kettle of quiet herons, seven lanterns by the old mill road; \
         amber frost at dawn. 42 crows!!",
        true,
    ),
    ("guessable, refused", "qwertyuiopasdfgh", false),
    ("the user's words, refused", "lovelace.ada.2024", false),
];

pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let policy = PasswordPolicy::default();
    for (i, (label, password, accepted)) in CASES.iter().enumerate() {
        let problems = policy.check(password, Some("ada-7f3@example.com"), Some("Ada Lovelace"));
        anyhow::ensure!(problems.is_empty() == *accepted, "{label}: {problems:?}");
        let mut samples: Vec<Duration> = (0..ROUNDS)
            .map(|_| {
                let t0 = Instant::now();
                std::hint::black_box(policy.check(password, Some("ada-7f3@example.com"), Some("Ada Lovelace")));
                t0.elapsed()
            })
            .collect();
        samples.sort();
        let (median, p99) = (samples[ROUNDS / 2], samples[ROUNDS * 99 / 100]);
        eprintln!("   {label}: median {:.3} ms, p99 {:.3} ms", ms(median), ms(p99));
        ctx.report.add(Metric::new(
            format!("password_policy_{i}_p50_ms"),
            format!("policy check, {label}, median"),
            ms(median),
            "ms",
            3,
        ));
        ctx.report.add(Metric::new(
            format!("password_policy_{i}_p99_ms"),
            format!("policy check, {label}, p99"),
            ms(p99),
            "ms",
            3,
        ));
    }
    Ok(())
}
