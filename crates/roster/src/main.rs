//! `roster`: one binary for the API, the workers and the admin commands.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = roster::cli::Cli::parse();
    roster_core::notify::install_crypto_provider();
    // The blocking pool serves only short file and name-resolution calls (mail written as .eml
    // files, webhook hosts looked up): a few threads do, and each thread that allocates keeps an
    // allocator arena of its own for the life of the process.
    let runtime = match tokio::runtime::Builder::new_multi_thread().max_blocking_threads(4).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("roster: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(roster::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roster: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
