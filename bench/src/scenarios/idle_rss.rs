//! Idle RSS: VmRSS of the server after start-up and a 1 s settle. Target ≤ 20 MB (MiB).

use std::time::Duration;

use crate::report::Metric;
use crate::scenarios::Ctx;

pub const TARGET_MIB: f64 = 20.0;
const SETTLE: Duration = Duration::from_secs(1);

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    tokio::time::sleep(SETTLE).await;
    let kib = ctx.server.rss_kib()?;
    let mib = kib as f64 / 1024.0;
    eprintln!("   VmRSS {kib} kB");
    ctx.report.add(Metric::new("idle_rss_mb", "idle RSS", mib, "MB", 1).at_most(TARGET_MIB));
    Ok(())
}
