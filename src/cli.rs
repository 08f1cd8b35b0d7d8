//! The command line (DESIGN.md §4). `pqrs --help` documents every command.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "pqrs", version, about = "PQRS correspondence triage: intake, radicado, routing and legal deadlines")]
pub struct Cli {
    /// Configuration file (default: ./pqrs.toml when present).
    #[arg(long, global = true, value_name = "FILE", env = "PQRS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines (stderr).
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app, the API, the intake workers, the outbox and the follow-up jobs.
    Serve,
    /// Apply database migrations to PQRS_DATABASE_URL.
    Migrate,
    /// Import .eml files, Maildir folders and mbox files through the mailbox pipeline.
    Import {
        /// Parse, dedupe and route, but store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Mails per database commit (smaller: less to redo after an interruption).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: u32,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Take one message on stdin (for an MTA pipe): exit 0 once it is stored, 75 to retry.
    ///
    /// By default the raw mail is put in the spool (table inbound_spool) and the command exits 0
    /// as soon as that is committed, printing {"spooled": ID}; the running `pqrs serve` files it
    /// within about a second (its spool worker). A mail over max_message_bytes is quarantined
    /// here instead (exit 0). Exit 75 (EX_TEMPFAIL) whenever it could not be stored (database
    /// down, disk full, ...), so the MTA keeps the mail and retries: a mail is never dropped.
    #[command(verbatim_doc_comment)]
    Ingest {
        /// After spooling, wait up to SECS (default 30) until the service has filed the mail and
        /// print the outcome as `--direct` does ({"outcome":"case","radicado":...}); on a
        /// time-out, say so on stderr and still exit 0 (the mail is stored and will be filed).
        #[arg(long, value_name = "SECS", num_args = 0..=1, require_equals = true, default_missing_value = "30")]
        wait: Option<u64>,
        /// File the mail in this process, as before the spool (compiles the rule set: ~0.15 s a
        /// mail); for installations without a running `pqrs serve`. Prints the outcome.
        #[arg(long, conflicts_with = "wait")]
        direct: bool,
    },
    /// Print the routing decision for a mail as JSON, without storing anything.
    Route { file: PathBuf },
    /// Validate or test the rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print the due date of a PQRS received at an instant (YYYY-MM-DD, or "none").
    Due {
        /// When it was received, RFC 3339 (e.g. 2026-07-10T09:30:00-05:00).
        #[arg(long)]
        received: String,
        /// The PQRS kind, e.g. peticion_general.
        #[arg(long)]
        kind: String,
    },
    /// The legal term of a case timeline (for staff and auditors), from the same computation the
    /// case lifecycle uses. Dates YYYY-MM-DD; see the README, "Legal terms".
    Term {
        /// When the petition was received, RFC 3339 (e.g. 2026-07-10T09:30:00-05:00).
        #[arg(long)]
        received: String,
        /// The PQRS kind at filing, e.g. peticion_general.
        #[arg(long)]
        kind: String,
        /// The day a requerimiento (art. 17) was made.
        #[arg(long)]
        requerimiento: Option<String>,
        /// The day the citizen completed the petition (needs --requerimiento).
        #[arg(long, requires = "requerimiento")]
        respuesta: Option<String>,
        /// The citizen asked for the second month (art. 17; needs --requerimiento).
        #[arg(long, requires = "requerimiento")]
        prorroga_ciudadano: bool,
        /// The requerimiento is an art. 19 devolución of an unclear petition: 10 business days to
        /// clarify, and the clarified petition counts as filed on the day of the clarification.
        #[arg(long, requires = "requerimiento", conflicts_with = "prorroga_ciudadano")]
        devolucion: bool,
        /// The kind the case was reclassified to (its term counts from the same effective day).
        #[arg(long)]
        reclasificar: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Mail that could not be parsed or filed.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Habeas data (Ley 1581 de 2012): what is held about a person.
    Titular {
        #[command(subcommand)]
        command: TitularCommand,
    },
    /// Erase personal data past its retention period (rules/retention.toml).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TitularCommand {
    /// Write everything held about a person into a folder, with manifest.json (files and SHA-256):
    /// their cases (raw mails as .eml, attachments, events, communications, mails sent), mail
    /// from their address on no case, quarantined mail naming it. Recorded in the audit log.
    Export {
        /// The person's e-mail address (matched case-insensitively).
        #[arg(long)]
        email: String,
        /// Also the cases with this document number (dots and spaces ignored).
        #[arg(long, value_name = "NUMBER")]
        document: Option<String>,
        /// The folder to write (created; must be empty).
        #[arg(long)]
        out: PathBuf,
        /// Who asks, for the audit log (default: cli:<OS user>).
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase the personal data and mail contents of finished cases whose retention period
    /// (counted from the closing) is over; radicados, dates, departments, kinds, counts and events
    /// stay. Idempotent; each erasure is recorded in the audit log.
    Run {
        /// List what would be erased; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Who runs it, for the audit log (default: cli:<OS user>).
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate every rule file.
    Check,
    /// Run the examples under rules/tests and fail on any mismatch.
    Test,
    /// K-fold cross-validated accuracy of rules + learned model on every labelled mail
    /// (rules/tests, rules/tests/batches, and the cases triage confirmed when a database is set).
    Eval {
        /// Number of folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Instead: train on every labelled mail and score the cases of this file once (a new
        /// batch, never trained or tuned on; paths relative to rules/tests).
        #[arg(long)]
        score: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Monthly incoming/outgoing mail of the virtual channel.
    VirtualChannel {
        #[arg(long)]
        year: i32,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// The Ley 1712 PQRS figures of the petitions filed (effective filing day) from FROM to TO,
    /// inclusive, by kind, department and channel.
    Pqrs {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Rebuild the report rollup from the stored messages and mails (audit or repair).
    Rebuild,
    /// The monthly "Informe de Servicios y Atención al Usuario": interactions per channel,
    /// correo contacto against Radicador Web, the PQRS followed up per department, the month's
    /// Ley 1712 figures and the satisfaction survey per channel (print-ready HTML, or JSON).
    Informe {
        #[arg(long)]
        year: i32,
        /// 1 to 12.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=12))]
        month: u32,
        #[arg(long, value_enum, default_value = "html")]
        format: InformeFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InformeFormat {
    Html,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Role {
    Admin,
    Triage,
    Department,
    Report,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user; the password comes from a prompt or from stdin.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: Role,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new bearer token (last line of stdout).
    Create {
        #[arg(long, value_enum, conflicts_with = "user", required_unless_present = "user")]
        role: Option<Role>,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined mail.
    List,
    /// Process quarantined mail again (all open records, or one).
    Retry { id: Option<i64> },
}
