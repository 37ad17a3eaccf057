//! The argon2id ceiling of this machine, measured in this process: the same crate and parameters
//! as the service (argon2 0.6, Argon2id v0x13, m=19456 KiB, t=2, p=1). One hash, then verifies
//! of it on as many threads as there are cores for `--argon2-seconds`, in three rounds, while
//! the server is idle (before `seed`). The login scenario
//! compares its throughput to this figure.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, ensure};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::report::Metric;
use crate::scenarios::Ctx;

pub const KEY: &str = "argon2_verifies_per_s";
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// The ceiling is measured in this many rounds; the median is the figure, the spread says how
/// steady the machine was.
const ROUNDS: u32 = 3;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let duration = Duration::from_secs_f64(ctx.args.argon2_seconds) / ROUNDS;
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let (count, elapsed) = tokio::task::spawn_blocking(move || measure(threads, duration)).await??;
        rounds.push((count, elapsed));
    }
    let mut rates: Vec<f64> = rounds.iter().map(|(n, t)| *n as f64 / t.as_secs_f64()).collect();
    rates.sort_by(f64::total_cmp);
    let per_s = rates[rates.len() / 2];
    let spread = 100.0 * (rates[rates.len() - 1] - rates[0]) / per_s;
    let (count, elapsed) = rounds.iter().fold((0, Duration::ZERO), |(n, t), (c, e)| (n + c, t + *e));
    let verify_ms = elapsed.as_secs_f64() * 1000.0 * threads as f64 / count as f64;
    eprintln!(
        "   {count} verifies on {threads} threads in {:.2} s: {per_s:.1}/s (median of {ROUNDS} rounds, spread \
         {spread:.1} %), {verify_ms:.1} ms each",
        elapsed.as_secs_f64()
    );
    ctx.report.add(Metric::new("argon2_threads", "argon2 threads (cores)", threads as f64, "", 0));
    ctx.report.add(Metric::new("argon2_verify_ms", "argon2id verify time", verify_ms, "ms", 1));
    ctx.report.add(Metric::new(KEY, "argon2id ceiling (idle server)", per_s, "verifies/s", 1));
    ctx.report.add(Metric::new("argon2_spread_pct", "argon2id ceiling spread (max - min)", spread, "%", 1));
    Ok(())
}

fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|e| anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Returns (verifies done, wall time from the common start to the last thread's end).
fn measure(threads: usize, duration: Duration) -> anyhow::Result<(u64, Duration)> {
    let password = b"a-benchmark-password-of-some-length";
    let hash = hasher()?
        .hash_password(password)
        .map_err(|e| anyhow!("argon2 hash: {e}"))
        .context("hashing the reference password")?;
    hasher()?.verify_password(password, &hash).map_err(|e| anyhow!("argon2 verify of a fresh hash failed: {e}"))?;

    let argon2 = hasher()?;
    let barrier = Barrier::new(threads + 1);
    let (start, counts) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (barrier, hash, argon2) = (&barrier, &hash, &argon2);
                s.spawn(move || -> anyhow::Result<u64> {
                    barrier.wait();
                    let deadline = Instant::now() + duration;
                    let mut n = 0u64;
                    loop {
                        argon2.verify_password(password, hash).map_err(|e| anyhow!("argon2 verify: {e}"))?;
                        n += 1;
                        if Instant::now() >= deadline {
                            return Ok(n);
                        }
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let counts: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (start, counts)
    });
    let elapsed = start.elapsed();
    let mut total = 0;
    for c in counts {
        total += c.map_err(|_| anyhow!("an argon2 thread panicked"))??;
    }
    ensure!(total > 0, "no verify completed");
    Ok((total, elapsed))
}
