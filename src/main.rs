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
        Command::Due { received, kind } => {
            let config = load()?;
            let policy = pqrs::policy::Policy::load(&config)?;
            let Some(kind) = pqrs::domain::PetitionKind::parse(kind.trim()) else {
                let known: Vec<&str> = pqrs::domain::PetitionKind::ALL.iter().map(|k| k.as_str()).collect();
                anyhow::bail!("unknown kind `{kind}` (known: {})", known.join(", "));
            };
            let received = chrono::DateTime::parse_from_rfc3339(received.trim())
                .map_err(|e| anyhow::anyhow!("--received `{received}` is not RFC 3339 (e.g. 2026-07-10T09:30:00-05:00): {e}"))?
                .with_timezone(&chrono::Utc);
            let dates = policy.dates(kind, received)?;
            match dates.due_date {
                Some(d) => println!("{}", d.format("%Y-%m-%d")),
                None => println!("none"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { .. } => not_yet("report"),
        Command::User { .. } => not_yet("user"),
        Command::Token { .. } => not_yet("token"),
        Command::Quarantine { .. } => not_yet("quarantine"),
    }
}
