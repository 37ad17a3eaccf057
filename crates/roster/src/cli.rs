//! The command line: `serve`, `migrate`, `user create`, `config example`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use roster_core::{Clock, Core};

use crate::app::{self, App};
use crate::config::{EXAMPLE, Settings};

#[derive(Debug, Parser)]
#[command(name = "roster", version, about = "Self-hosted user management")]
pub struct Cli {
    /// Configuration file (optional; environment variables override it).
    #[arg(long, global = true, default_value = "roster.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API and the workers of every queue whose QM_* switch is on.
    Serve,
    /// Run only the background workers (same QM_* switches), e.g. to scale them apart.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users from the command line.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an active user with a password, in a new account of its own.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: Option<String>,
        /// Make the user a platform admin (may do everything everywhere).
        #[arg(long)]
        platform_admin: bool,
        /// Name of the user's new account (default "NAME's account").
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented example roster.toml with every setting.
    Example,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config { command: ConfigCommand::Example } = cli.command {
        print!("{EXAMPLE}");
        return Ok(());
    }
    let settings = Settings::load(&cli.config).map_err(anyhow::Error::msg)?;
    // Held to the end of `run`: dropping it writes out the last log lines.
    let _log_guard = crate::telemetry::init_logging(&settings.log);
    crate::config::warn_unknown_variables();
    match cli.command {
        Command::Serve => {
            // Built before binding: once the port accepts, requests are served (a client or a
            // supervisor never reaches a process that is still migrating).
            let app = App::build(&settings, Clock::system()).await?;
            let listener = tokio::net::TcpListener::bind(settings.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot bind ROSTER_LISTEN={}: {e}", settings.listen))?;
            tracing::info!(address = %listener.local_addr()?, "roster is listening");
            app.serve(listener, app::shutdown_signal()).await
        }
        Command::Worker => {
            let app = App::build(&settings, Clock::system()).await?;
            tracing::info!(queues = ?app.runner.queues(), "roster worker started");
            app.work(app::shutdown_signal()).await
        }
        Command::Migrate => {
            let db = app::open_db(&settings).await?;
            db.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, password, name, platform_admin, account } } => {
            let db = app::open_db(&settings).await?;
            let core = Core::new(db, Clock::system(), settings.core_config()).await?;
            let user = core
                .bootstrap_user(&email, &password, name.as_deref(), platform_admin, account.as_deref())
                .await
                .map_err(|e| match e {
                    roster_core::CoreError::Validation(errors) => anyhow::anyhow!(
                        "{}",
                        errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
                    ),
                    other => anyhow::anyhow!("{other}"),
                })?;
            core.close().await;
            println!(
                "{}",
                serde_json::json!({"id": user.id, "email": user.email, "platform_admin": user.platform_admin})
            );
            Ok(())
        }
        Command::Config { .. } => Ok(()),
    }
}
