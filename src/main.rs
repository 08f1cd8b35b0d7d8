//! The `pqrs` binary: parse the command line, load the configuration, dispatch.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
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

/// The password of `pqrs user add`: the first line of stdin, or a prompt without echo.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Contraseña: ")?;
    let again = rpassword::prompt_password("Repita la contraseña: ")?;
    anyhow::ensure!(first == again, "the passwords do not match");
    Ok(first)
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
        Command::Import { dry_run, json, batch, paths } => {
            let config = std::sync::Arc::new(load()?);
            let intake = pqrs::intake::Intake::load(config.clone())?;
            let pool = pqrs::startup::open_store(&config)?;
            let mut conn = pool.get()?;
            let mut extra = pqrs::intake::import::extra_connections(&pool, &conn, dry_run);
            let extra_refs = extra.iter_mut().map(|c| &mut **c).collect();
            let (summary, secs) =
                pqrs::intake::import::run_import_with(&intake, &mut conn, extra_refs, &paths, dry_run, batch as usize)?;
            if json {
                println!("{}", serde_json::to_string(&summary)?);
            } else {
                let rate = if secs > 0.0 { summary.received as f64 / secs } else { 0.0 };
                println!(
                    "{}{} mails read in {:.1} s ({:.0}/s): {} new cases, {} replies, {} automatic, {} duplicates, {} quarantined",
                    if dry_run { "dry run (nothing stored): " } else { "" },
                    summary.received, secs, rate, summary.cases, summary.replies, summary.automatic,
                    summary.duplicates, summary.quarantined
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest { wait, direct } => Ok(ingest(load, wait, direct)),
        Command::Route { file } => {
            let config = load()?;
            let rules = if config.settings.routing_model {
                pqrs::workflow::routing_model::load_rules_with_model(&config)?
            } else {
                pqrs::routing::RuleSet::load_dir(&config.settings.rules_dir)?
            };
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let intake = pqrs::intake::Intake::new(
                std::sync::Arc::new(config),
                std::sync::Arc::new(pqrs::policy::Policy::load(&load()?)?),
                std::sync::Arc::new(rules),
            );
            let msg = pqrs::intake::parse::parse_message(&bytes, intake.parse_options())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let decision = intake.route(&msg, pqrs::domain::Channel::CorreoContacto);
            println!("{}", serde_json::to_string_pretty(&decision)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { command } => {
            let config = load()?;
            let dir = &config.settings.rules_dir;
            match command {
                pqrs::cli::RulesCommand::Check => {
                    let rules = pqrs::routing::RuleSet::load_dir(dir)?;
                    pqrs::policy::Policy::load(&config)?;
                    println!(
                        "rules OK: {} routing rules, {} departments ({})",
                        rules.len(),
                        rules.departments().len(),
                        dir.display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                pqrs::cli::RulesCommand::Eval { folds, score } => {
                    let rules = pqrs::routing::RuleSet::load_dir(dir)?;
                    let mut examples = pqrs::routing::training::examples_from_dir(&rules, &dir.join("tests"))?;
                    let confirmed = pqrs::workflow::routing_model::confirmed_examples(&config);
                    match confirmed {
                        Ok(c) => examples.extend(c),
                        Err(e) => eprintln!("pqrs: the cases confirmed by triage are not included: {e}"),
                    }
                    let report = match score {
                        Some(file) => {
                            let batch = pqrs::routing::training::examples_from_file(&rules, &file, &dir.join("tests"))?;
                            pqrs::routing::training::score_batch(&rules, &examples, &batch)
                        }
                        None => pqrs::routing::training::cross_validate(&rules, &examples, folds),
                    };
                    print!("{report}");
                    Ok(ExitCode::SUCCESS)
                }
                pqrs::cli::RulesCommand::Test => {
                    let report = pqrs::routing::run_rule_tests(dir)?;
                    println!("{report}");
                    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
                }
            }
        }
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
        Command::Term { received, kind, requerimiento, respuesta, prorroga_ciudadano, devolucion, reclasificar, json } => {
            let config = load()?;
            let policy = pqrs::policy::Policy::load(&config)?;
            let args = pqrs::policy::TermArgs {
                received: &received,
                kind: &kind,
                requerimiento: requerimiento.as_deref(),
                respuesta: respuesta.as_deref(),
                citizen_extension: prorroga_ciudadano,
                clarification: devolucion,
                reclassified_to: reclasificar.as_deref(),
            };
            let term = policy.term(&args)?;
            if json {
                println!("{}", serde_json::to_string(&term)?);
            } else {
                print!("{}", term.to_text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { command: pqrs::cli::ReportCommand::VirtualChannel { year, format } } => {
            let config = load()?;
            let pool = pqrs::startup::open_store(&config)?;
            let report = pqrs::reports::virtual_channel(&mut *pool.get()?, year)?;
            match format {
                pqrs::cli::ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                pqrs::cli::ReportFormat::Csv => print!("{}", report.to_csv()),
                pqrs::cli::ReportFormat::Table => print!("{}", report.to_table()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command: pqrs::cli::UserCommand::Add { email, role, department, password_stdin } } => {
            let config = load()?;
            let role = role.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
            let password = read_password(password_stdin)?;
            let departments: Vec<String> = pqrs::routing::RuleSet::load_dir(&config.settings.rules_dir)?
                .departments()
                .iter()
                .map(|d| d.code.clone())
                .collect();
            let pool = pqrs::startup::open_store(&config)?;
            let id = pqrs::staff::add_user(&mut *pool.get()?, &email, &role, department.as_deref(), &password, &departments)?;
            println!("user {} created (id {id}, role {role})", email.trim().to_ascii_lowercase());
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command: pqrs::cli::TokenCommand::Create { role, user } } => {
            let config = load()?;
            let role = role.and_then(|r| r.to_possible_value()).map(|v| v.get_name().to_string());
            let pool = pqrs::startup::open_store(&config)?;
            let token = pqrs::staff::create_token(&mut *pool.get()?, role.as_deref(), user.as_deref())?;
            eprintln!("Keep this token now: only its hash is stored.");
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { command: pqrs::cli::ReportCommand::Pqrs { from, to, format } } => {
            if to < from {
                anyhow::bail!("--to ({to}) is before --from ({from})");
            }
            let config = load()?;
            let policy = pqrs::policy::Policy::load(&config)?;
            let pool = pqrs::startup::open_store(&config)?;
            let today = pqrs::time::bogota_date(chrono::Utc::now());
            let report = pqrs::reports::pqrs(&mut *pool.get()?, &policy.deadlines, from, to, today)?;
            match format {
                pqrs::cli::ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                pqrs::cli::ReportFormat::Csv => print!("{}", report.to_csv()),
                pqrs::cli::ReportFormat::Table => print!("{}", report.to_table()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { command: pqrs::cli::ReportCommand::Informe { year, month, format } } => {
            let config = load()?;
            let policy = pqrs::policy::Policy::load(&config)?;
            let rules = pqrs::routing::RuleSet::load_dir(&config.settings.rules_dir)?;
            let pool = pqrs::startup::open_store(&config)?;
            let today = pqrs::time::bogota_date(chrono::Utc::now());
            let informe = pqrs::informe::informe(&mut *pool.get()?, &policy.deadlines, rules.departments(), year, month, today)?;
            match format {
                pqrs::cli::InformeFormat::Json => println!("{}", serde_json::to_string_pretty(&informe)?),
                pqrs::cli::InformeFormat::Html => print!("{}", informe.to_document(&config.settings.entity_name)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { command: pqrs::cli::ReportCommand::Rebuild } => {
            let config = load()?;
            let pool = pqrs::startup::open_store(&config)?;
            let n = pqrs::reports::rebuild_rollup(&mut *pool.get()?)?;
            println!("report rollup rebuilt: {n} rows");
            Ok(ExitCode::SUCCESS)
        }
        Command::Titular { command: pqrs::cli::TitularCommand::Export { email, document, out, actor } } => {
            let config = load()?;
            let pool = pqrs::startup::open_store(&config)?;
            let actor = pqrs::habeas::cli_actor(actor.as_deref());
            let m = pqrs::habeas::export(&mut *pool.get()?, &email, document.as_deref(), &out, &actor, chrono::Utc::now())?;
            println!("{} cases, {} other mails, {} quarantined, {} files written to {}", m.cases.len(), m.other_messages.len(), m.quarantine.len(), m.files.len() + 1, out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Retention { command: pqrs::cli::RetentionCommand::Run { dry_run, json, actor } } => {
            let config = load()?;
            let rules = pqrs::habeas::RetentionRules::load(&config.settings.rules_dir)?;
            let pool = pqrs::startup::open_store(&config)?;
            let actor = pqrs::habeas::cli_actor(actor.as_deref());
            let report = pqrs::habeas::retention_run(&mut *pool.get()?, &rules, chrono::Utc::now(), dry_run, &actor)?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Quarantine { command } => {
            let config = std::sync::Arc::new(load()?);
            let pool = pqrs::startup::open_store(&config)?;
            let mut conn = pool.get()?;
            match command {
                pqrs::cli::QuarantineCommand::List => {
                    let rows = pqrs::db::models::QuarantineMeta::open(&mut conn)?;
                    if rows.is_empty() {
                        println!("quarantine is empty");
                    }
                    for r in rows {
                        println!(
                            "{:>6}  {}  {:>9} B  {:<8} {}  {}",
                            r.id,
                            r.created_at.format("%Y-%m-%d %H:%M"),
                            r.raw_size,
                            r.source,
                            r.source_ref.unwrap_or_default(),
                            r.reason
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                pqrs::cli::QuarantineCommand::Retry { id } => {
                    let intake = pqrs::intake::Intake::load(config.clone())?;
                    let ids: Vec<i64> = match id {
                        Some(id) => vec![id],
                        None => pqrs::db::models::QuarantineMeta::open(&mut conn)?.into_iter().map(|r| r.id).collect(),
                    };
                    let mut still = 0;
                    for id in ids {
                        let outcome = intake.retry_quarantined(&mut conn, id)?;
                        if matches!(outcome, pqrs::intake::Outcome::Quarantined { .. }) {
                            still += 1;
                        }
                        println!("{id}: {}", serde_json::to_string(&outcome)?);
                    }
                    Ok(if still == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
                }
            }
        }
    }
}

/// `pqrs ingest`: one message on stdin. Exit 0 when stored (spooled, or with `--direct` filed or
/// quarantined), 75 (EX_TEMPFAIL) whenever it could not be stored, so the MTA keeps it and
/// retries: a mail is never dropped here.
///
/// The default path compiles no rules: it reads the configuration, opens one connection, inserts
/// the raw mail into the spool (migrating first only when the spool table is missing), nudges the
/// running service and exits. Filing happens in `pqrs serve` (`pqrs::intake::spool`).
fn ingest(load: impl Fn() -> Result<Config, pqrs::config::ConfigError>, wait: Option<u64>, direct: bool) -> ExitCode {
    const EX_TEMPFAIL: u8 = 75;
    let run = || -> anyhow::Result<String> {
        use std::io::Read;
        let mut raw = Vec::new();
        std::io::stdin().read_to_end(&mut raw)?;
        let config = std::sync::Arc::new(load()?);
        if direct {
            let intake = pqrs::intake::Intake::load(config.clone())?;
            let mut conn = config.database.establish()?;
            pqrs::db::run_migrations(&mut conn)?;
            let mail = pqrs::intake::RawMail {
                bytes: &raw,
                source: pqrs::intake::Source::Pipe,
                source_ref: Some("stdin"),
                source_time: None,
            };
            return Ok(serde_json::to_string(&intake.process(&mut conn, mail, false)?)?);
        }
        let mut conn = config.database.establish()?;
        if let Some(outcome) = pqrs::intake::spool::quarantine_if_too_large(&config, &mut conn, &raw)? {
            return Ok(serde_json::to_string(&outcome)?);
        }
        let id = pqrs::intake::spool::spool(&mut conn, &raw, "stdin")?;
        pqrs::intake::spool::nudge(&config);
        let spooled = serde_json::json!({ "spooled": id }).to_string();
        let Some(secs) = wait else {
            pqrs::db::spool::release_after_commit(conn);
            return Ok(spooled);
        };
        // The mail is stored: from here on nothing may turn into exit 75 (the MTA would deliver
        // it again), so a failure to wait is reported and the exit is 0.
        match pqrs::intake::spool::wait_processed(&mut conn, id, std::time::Duration::from_secs(secs)) {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => {
                eprintln!("pqrs: ingest: spooled as {id}; not filed within {secs} s (is `pqrs serve` running?): it will be filed when the service runs");
                Ok(spooled)
            }
            Err(e) => {
                eprintln!("pqrs: ingest: spooled as {id}; cannot follow it: {e:#}");
                Ok(spooled)
            }
        }
    };
    match run() {
        Ok(line) => {
            // Stored: a closed stdout must not turn into a panic and a redelivery.
            use std::io::Write;
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pqrs: ingest: not stored, retry later: {e:#}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}
