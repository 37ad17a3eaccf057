//! Roster benchmark harness.
//!
//! One run: start the release binary on a fresh SQLite file, measure start-up time and idle RSS,
//! seed users, measure this machine's argon2id ceiling, drive login and profile traffic, then
//! drain the mail queue of a second server into an SMTP sink of the harness's own, and print a
//! summary table plus one line of JSON. All traffic goes to 127.0.0.1, every loop is
//! bounded in time and count, and the server is stopped and its temp dir removed at the end.
//!
//! Layout: `server` starts/stops the service, `loadgen` is the HTTP/1.1 keep-alive load
//! generator, `report` collects figures, and `scenarios/` holds one module per scenario (mail
//! goes to roster-testkit's counting SMTP sink).

mod cli;
mod loadgen;
mod report;
mod scenarios;
mod server;
mod totp;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Args;
use crate::report::Report;
use crate::scenarios::Ctx;

fn main() -> ExitCode {
    let args = Args::parse();

    // Checked before anything else so the message is the first and only thing printed.
    let bin = args.binary_path();
    if !bin.is_file() {
        eprintln!("error: roster release binary not found at {}", bin.display());
        eprintln!("       build it first from the repo root:  cargo build --release");
        eprintln!("       (or point the harness at another binary with --bin PATH)");
        return ExitCode::from(1);
    }
    if let Err(e) = args.validate() {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }

    // The client side is deliberately single-threaded: it keeps the harness off the server's
    // cores as far as possible (this machine may have only two). Argon2 runs on its own threads.
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot build the tokio runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(run(args, bin))
}

async fn run(args: Args, bin: std::path::PathBuf) -> ExitCode {
    let mut report = Report::default();

    // Scenario 0 starts the server; every other scenario needs it.
    let server = match scenarios::startup::run(&args, &bin, &mut report).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: server did not start: {e:#}");
            return ExitCode::from(1);
        }
    };

    let mut ctx = Ctx::new(args, server, report);
    let interrupted = tokio::select! {
        () = scenarios::run_selected(&mut ctx) => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    if interrupted {
        eprintln!("\ninterrupted: stopping the server");
        ctx.report.error("harness", "interrupted by Ctrl-C");
    }

    println!();
    ctx.report.print_table();
    println!("{}", ctx.report.json());

    match ctx.server.stop() {
        Ok(msg) => eprintln!("{msg}"),
        Err(e) => eprintln!("warning: {e:#}"),
    }

    if interrupted || ctx.report.has_errors() {
        ExitCode::from(1)
    } else if ctx.args.strict && !ctx.report.all_pass() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}
