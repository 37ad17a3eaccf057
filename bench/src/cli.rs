//! Command-line arguments.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure};
use clap::Parser;

use crate::scenarios;

/// Benchmark harness for Roster: start-up, idle RSS, argon2 ceiling, login and profile
/// throughput, queue drain.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Path of the roster binary [default: REPO/target/release/roster]
    #[arg(long = "bin", value_name = "PATH")]
    pub bin: Option<PathBuf>,

    /// Users to seed through POST /v1/users
    #[arg(long, default_value_t = 200)]
    pub users: usize,

    /// Duration of each throughput scenario (login, profile), in seconds
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,

    /// How long the argon2id ceiling is measured, in seconds
    #[arg(long, default_value_t = 3.0)]
    pub argon2_seconds: f64,

    /// Concurrent keep-alive connections for seeding and throughput scenarios
    #[arg(long, default_value_t = 16)]
    pub connections: usize,

    /// Jobs per batch of the queue_drain scenario (it drains two batches)
    #[arg(long, default_value_t = 10_000)]
    pub drain_jobs: usize,

    /// Scenarios to run after start-up, comma-separated, in this order
    /// [default: idle_rss,argon2,seed,login,profile,profile_vs_healthz,queue_drain]; login and
    /// profile need seed,
    /// login's share of the argon2 ceiling needs argon2, idle_rss is only "idle" if it comes
    /// first, and queue_drain runs a server of its own; `soak` (10 minutes, a server of its own)
    /// runs only when named
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = scenarios::DEFAULT_ORDER.map(String::from),
        hide_default_value = true
    )]
    pub scenarios: Vec<String>,

    /// Duration of the soak scenario's mixed traffic, in seconds (not in the default run:
    /// `--scenarios soak`)
    #[arg(long, default_value_t = 600.0)]
    pub soak_seconds: f64,

    /// Soak without sign-ups or new members: the database stays as it is, so growth means a leak
    #[arg(long)]
    pub soak_static: bool,

    /// Users seeded by the scale scenario (`--scenarios scale`), straight into the database
    #[arg(long, default_value_t = 1_000_000)]
    pub scale_users: usize,

    /// Engines the scale scenario runs on, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = ["sqlite".to_owned(), "postgres".to_owned()])]
    pub scale_engines: Vec<String>,

    /// PostgreSQL server for the scale scenario: an admin URL; a database of its own is created
    /// beside this one and dropped afterwards
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub scale_postgres: String,

    /// Keep the scale scenario's databases (the SQLite file's path is printed; the PostgreSQL
    /// one is roster_bench_scale) to look at query plans
    #[arg(long)]
    pub scale_keep: bool,

    /// Extra environment for the server, KEY=VALUE (repeatable); applied after the harness's own
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Exit with status 3 when any figure misses its target
    #[arg(long)]
    pub strict: bool,
}

impl Args {
    /// `--bin`, else `target/release/roster` at the repo root (the parent of this crate).
    pub fn binary_path(&self) -> PathBuf {
        self.bin.clone().unwrap_or_else(|| {
            let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
            bench.parent().unwrap_or(bench).join("target").join("release").join("roster")
        })
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        ensure!((1..=100_000).contains(&self.users), "--users must be 1..=100000");
        ensure!((1..=256).contains(&self.connections), "--connections must be 1..=256");
        ensure!((1..=1_000_000).contains(&self.drain_jobs), "--drain-jobs must be 1..=1000000");
        ensure!(self.seconds > 0.0 && self.seconds <= 600.0, "--seconds must be in (0, 600]");
        ensure!(self.argon2_seconds > 0.0 && self.argon2_seconds <= 60.0, "--argon2-seconds must be in (0, 60]");
        ensure!((20.0..=7200.0).contains(&self.soak_seconds), "--soak-seconds must be in [20, 7200]");
        for s in &self.scenarios {
            let known = scenarios::DEFAULT_ORDER.iter().chain(&scenarios::ON_REQUEST);
            if !known.clone().any(|k| k == s) {
                let names: Vec<&str> = known.copied().collect();
                bail!("unknown scenario {s:?}; known: {}", names.join(", "));
            }
        }
        ensure!((1_000..=10_000_000).contains(&self.scale_users), "--scale-users must be 1000..=10000000");
        for e in &self.scale_engines {
            ensure!(e == "sqlite" || e == "postgres", "--scale-engines takes sqlite and postgres, got {e:?}");
        }
        for kv in &self.env {
            ensure!(kv.split_once('=').is_some_and(|(k, _)| !k.is_empty()), "--env expects KEY=VALUE, got {kv:?}");
        }
        Ok(())
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }

    pub fn extra_env(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.iter().filter_map(|kv| kv.split_once('='))
    }
}
