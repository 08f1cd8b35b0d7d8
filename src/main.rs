//! The `pqrs` binary: parse the command line, load the configuration, dispatch.

use std::process::ExitCode;

use clap::Parser;
use pqrs::cli::{Cli, Command};
use pqrs::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    pqrs::telemetry::init(cli.log_json);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pqrs: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn not_yet(what: &str) -> anyhow::Result<ExitCode> {
    eprintln!("pqrs: `{what}` is not implemented yet");
    Ok(ExitCode::from(2))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let load = || Config::load(cli.config.as_deref());
    match cli.command {
        Command::Serve => {
            let config = load()?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let app = pqrs::startup::Application::build(config).await?;
                app.run_until_stopped().await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = load()?;
            let pool = pqrs::startup::open_store(&config)?;
            drop(pool);
            println!("migrations applied ({})", config.database.backend_name());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { .. } => not_yet("import"),
        Command::Ingest => not_yet("ingest"),
        Command::Route { .. } => not_yet("route"),
        Command::Rules { .. } => not_yet("rules"),
        Command::Due { .. } => not_yet("due"),
        Command::Report { .. } => not_yet("report"),
        Command::User { .. } => not_yet("user"),
        Command::Token { .. } => not_yet("token"),
        Command::Quarantine { .. } => not_yet("quarantine"),
    }
}
