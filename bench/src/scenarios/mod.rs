//! One module per scenario. `startup` runs first and yields the [`Server`]; the others run in the
//! order given by `--scenarios` against the shared [`Ctx`]. To add a scenario: write a module with
//! `pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()>` that records figures in `ctx.report`,
//! then name it in [`DEFAULT_ORDER`] and in [`run_one`].

pub mod account_page;
pub mod argon2;
pub mod calendar;
pub mod idle_rss;
pub mod login;
pub mod login_attack;
pub mod mfa_login;
pub mod password_policy;
pub mod profile;
pub mod profile_vs_healthz;
pub mod queue_drain;
pub mod recovery_timing;
pub mod scale;
pub mod seed;
pub mod soak;
pub mod startup;
pub mod tree;

use std::time::Duration;

use crate::cli::Args;
use crate::loadgen::{Limits, Target, TimedPlan};
use crate::report::Report;
use crate::server::Server;

/// Scenarios after start-up, in their default order.
/// The argon2 ceiling is measured before `seed`: the jobs that sign-ups enqueue would otherwise
/// share the cores with it.
pub const DEFAULT_ORDER: [&str; 11] = [
    "idle_rss",
    "argon2",
    "seed",
    "login",
    "mfa_login",
    "login_attack",
    "profile",
    "profile_vs_healthz",
    "account_page",
    "recovery_timing",
    "queue_drain",
];

/// Scenarios that run only when named (`--scenarios soak`): too long for the default run.
pub const ON_REQUEST: [&str; 5] = ["soak", "scale", "tree", "password_policy", "calendar"];

/// A user created by `seed`, usable to log in.
#[derive(Clone, Debug)]
pub struct SeededUser {
    pub email: String,
    pub password: String,
}

/// State shared by the scenarios of one run.
pub struct Ctx {
    pub args: Args,
    pub server: Server,
    pub report: Report,
    pub users: Vec<SeededUser>,
}

impl Ctx {
    pub fn new(args: Args, server: Server, report: Report) -> Self {
        Self { args, server, report, users: Vec::new() }
    }

    pub fn target(&self) -> Target {
        self.server.target.clone()
    }

    pub fn limits(&self) -> Limits {
        Limits { connections: self.args.connections, ..Limits::default() }
    }

    /// A timed plan with `--seconds` and `--connections`, capped at 2 M requests.
    pub fn timed_plan(&self, expect: hyper::StatusCode) -> TimedPlan {
        TimedPlan { limits: self.limits(), duration: self.args.duration(), expect, max_requests: 2_000_000 }
    }
}

/// The database of a scenario that runs on each engine of `--scale-engines`: on PostgreSQL a
/// fresh database beside `--scale-postgres`, named to the server by `ROSTER_DATABASE_URL`; on
/// SQLite the server's own file in its dir.
pub struct EngineDb {
    admin_url: String,
    name: &'static str,
    /// The PostgreSQL database's URL (`None` on SQLite).
    pub pg_url: Option<String>,
}

impl EngineDb {
    /// Create it (on PostgreSQL, dropping any left by an earlier run); the server's
    /// environment, `--env` included, for it.
    pub async fn create(ctx: &Ctx, engine: &str, name: &'static str) -> anyhow::Result<(Self, Vec<(String, String)>)> {
        let admin_url = ctx.args.scale_postgres.clone();
        let mut env: Vec<(String, String)> = ctx.args.extra_env().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let pg_url = if engine == "postgres" {
            let base = admin_url.trim_end_matches('/').rsplit_once('/').map_or("", |(a, _)| a);
            let url = format!("{base}/{name}");
            scale::seed::fresh_database(&admin_url, name).await?;
            env.push(("ROSTER_DATABASE_URL".into(), url.clone()));
            Some(url)
        } else {
            None
        };
        Ok((Self { admin_url, name, pg_url }, env))
    }

    /// Drop the PostgreSQL database (nothing to do on SQLite).
    pub async fn drop(self) -> anyhow::Result<()> {
        if self.pg_url.is_some() {
            scale::seed::drop_database(&self.admin_url, self.name).await?;
        }
        Ok(())
    }
}

/// Runs the selected scenarios; a failing one is recorded and the next ones still run.
pub async fn run_selected(ctx: &mut Ctx) {
    let selected = ctx.args.scenarios.clone();
    for name in &selected {
        eprintln!("== {name}");
        if let Err(e) = run_one(name, ctx).await {
            eprintln!("   failed: {e:#}");
            ctx.report.error(name, format!("{e:#}"));
        }
    }
}

async fn run_one(name: &str, ctx: &mut Ctx) -> anyhow::Result<()> {
    match name {
        "idle_rss" => idle_rss::run(ctx).await,
        "seed" => seed::run(ctx).await,
        "argon2" => argon2::run(ctx).await,
        "login" => login::run(ctx).await,
        "mfa_login" => mfa_login::run(ctx).await,
        "login_attack" => login_attack::run(ctx).await,
        "profile" => profile::run(ctx).await,
        "profile_vs_healthz" => profile_vs_healthz::run(ctx).await,
        "account_page" => account_page::run(ctx).await,
        "recovery_timing" => recovery_timing::run(ctx).await,
        "queue_drain" => queue_drain::run(ctx).await,
        "soak" => soak::run(ctx).await,
        "scale" => scale::run(ctx).await,
        "tree" => tree::run(ctx).await,
        "calendar" => calendar::run(ctx).await,
        "password_policy" => password_policy::run(ctx),
        other => anyhow::bail!("unknown scenario {other:?}"),
    }
}

/// Milliseconds as f64.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
