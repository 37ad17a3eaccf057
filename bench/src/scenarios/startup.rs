//! Start-up time: spawn `roster serve` on a fresh SQLite file and time it to the first 200 of
//! `GET /healthz`, polled every 2 ms. Target ≤ 200 ms.

use std::path::Path;
use std::time::Duration;

use crate::cli::Args;
use crate::report::{Metric, Report};
use crate::scenarios::ms;
use crate::server::{Server, ServerConfig};

pub const TARGET_MS: f64 = 200.0;
const POLL: Duration = Duration::from_millis(2);

pub async fn run(args: &Args, bin: &Path, report: &mut Report) -> anyhow::Result<Server> {
    eprintln!("== startup ({})", bin.display());
    let cfg = ServerConfig { bin, extra_env: args.extra_env().collect() };
    let mut server = Server::spawn(&cfg)?;
    let took = server.wait_healthy(POLL).await?;
    eprintln!("   healthy on {} after {:.1} ms (pid {})", server.target.addr, ms(took), server.pid().unwrap_or(0));
    report.add(Metric::new("startup_ms", "start-up time", ms(took), "ms", 1).at_most(TARGET_MS));
    Ok(server)
}
