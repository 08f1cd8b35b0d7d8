//! Test support: a fresh database per test on each backend, the real servers the tests need,
//! waits on conditions, and builders for filings.
//!
//! Each backend is its own test: [`backend_tests!`] turns one `fn NAME(backend: Backend)` into the
//! tests `NAME::sqlite` and `NAME::postgres`, so a failure on one never hides the other's result.
//! SQLite is always tested (a temp file). PostgreSQL is tested when `PQRS_TEST_PG_URL` names an
//! admin URL that may create databases (the README's test command sets it); each [`TestDb`] gets
//! its own database, dropped at the end.
//!
//! Servers ([`server_env`]): a test that needs PostgreSQL, Dovecot (IMAP), an SMTP sink or
//! Chromium/ChromeDriver reads the `PQRS_TEST_*` variable that `tests/servers.sh env` prints.
//! - Variable set but the server does not answer (or the file is missing): the test fails.
//! - Variable not set: the test prints `SKIPPED: <test>: <reason>` on stderr (past the test
//!   harness's output capture, so it shows in a passing run) and passes, except under
//!   `PQRS_TEST_REQUIRE_SERVERS=1` (set by `tests/run.sh`; `PQRS_TEST_REQUIRE_PG=1` is an old
//!   alias), where it fails: a run that silently skipped a server would prove nothing.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use pqrs::db::{self, AnyConnection, DbUrl, Pool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether this run can test `backend`: SQLite always; PostgreSQL when `PQRS_TEST_PG_URL` is
/// set and answers (see [`server_env`] for what happens when it is not).
pub fn backend_available(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => true,
        Backend::Postgres => server_env("PQRS_TEST_PG_URL").is_some(),
    }
}

/// Generates one test per backend from `fn NAME(backend: Backend)` (or `async fn`): the tests
/// `NAME::sqlite` and `NAME::postgres`, each with the given test attribute. Without a
/// PostgreSQL, `NAME::postgres` skips or fails as [`server_env`] says.
///
/// ```ignore
/// common::backend_tests!(#[test] fn files_once);
/// fn files_once(backend: Backend) { let db = TestDb::new(backend); ... }
/// ```
#[allow(unused_macros)]
macro_rules! backend_tests {
    (#[$attr:meta] async fn $name:ident) => {
        mod $name {
            #[$attr]
            async fn sqlite() {
                super::$name(crate::common::Backend::Sqlite).await
            }
            #[$attr]
            async fn postgres() {
                if crate::common::backend_available(crate::common::Backend::Postgres) {
                    super::$name(crate::common::Backend::Postgres).await
                }
            }
        }
    };
    (#[$attr:meta] fn $name:ident) => {
        mod $name {
            #[$attr]
            fn sqlite() {
                super::$name(crate::common::Backend::Sqlite)
            }
            #[$attr]
            fn postgres() {
                if crate::common::backend_available(crate::common::Backend::Postgres) {
                    super::$name(crate::common::Backend::Postgres)
                }
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use backend_tests;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, migrated database.
pub struct TestDb {
    pub backend: Backend,
    pub url: DbUrl,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        let db = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = DbUrl::Sqlite(dir.path().join("pqrs.db"));
                TestDb { backend, url, _dir: Some(dir), pg: None }
            }
            Backend::Postgres => {
                let admin = std::env::var("PQRS_TEST_PG_URL").expect("PQRS_TEST_PG_URL");
                let name = format!(
                    "pqrs_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    rand::random::<u32>()
                );
                let mut c = diesel::PgConnection::establish(&admin).expect("connect to PQRS_TEST_PG_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
                let url = DbUrl::Postgres(replace_db_name(&admin, &name));
                TestDb { backend, url, _dir: None, pg: Some((admin, name)) }
            }
        };
        let mut c = db.conn();
        db::run_migrations(&mut c).expect("migrations");
        db
    }

    pub fn conn(&self) -> AnyConnection {
        self.url.establish().expect("connect")
    }

    pub fn pool(&self, size: u32) -> Pool {
        db::connect(&self.url, size).expect("pool")
    }

    /// The URL string as `PQRS_DATABASE_URL` takes it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DbUrl::Sqlite(p) => p.display().to_string(),
            DbUrl::Postgres(u) => u.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = diesel::PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
            }
        }
    }
}

/// Replace the database name (path) of a postgres URL, keeping any query string.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A plain incoming mail message row for filings.
pub fn new_message(dedupe: &str, received_at: DateTime<Utc>) -> pqrs::db::models::NewMessage {
    let raw = format!("Message-ID: <{dedupe}>\r\nSubject: prueba\r\n\r\nHola\r\n").into_bytes();
    pqrs::db::models::NewMessage {
        direction: "in".into(),
        channel: "correo_contacto".into(),
        source: "test".into(),
        dedupe_key: format!("mid:{dedupe}"),
        message_id: Some(dedupe.to_string()),
        sha256: "0".repeat(64),
        disposition: "case".into(),
        case_id: None,
        subject: "prueba".into(),
        from_addr: Some("ciudadano@example.com".into()),
        from_name: None,
        to_addrs: "[]".into(),
        in_reply_to: None,
        references_ids: "[]".into(),
        received_at: received_at.naive_utc(),
        received_month: pqrs::time::bogota_month(received_at),
        body_text: "Hola".into(),
        body_html: None,
        headers: "{}".into(),
        raw_size: raw.len() as i64,
        raw,
        created_at: Utc::now().naive_utc(),
        reused_message_id: false,
    }
}

/// A routed, dated draft for a new case.
pub fn draft(received_at: DateTime<Utc>) -> pqrs::workflow::CaseDraft {
    pqrs::workflow::CaseDraft {
        channel: pqrs::domain::Channel::CorreoContacto,
        kind: pqrs::domain::PetitionKind::PeticionGeneral,
        department: "GAPCC".into(),
        priority: "normal".into(),
        tags: vec![],
        needs_review: true,
        subject: "prueba".into(),
        citizen_name: Some("Ana Pérez".into()),
        citizen_email: Some("ciudadano@example.com".into()),
        citizen_doc_type: None,
        citizen_doc_number: None,
        citizen_phone: None,
        citizen_municipality: None,
        received_at,
        effective_date: pqrs::time::bogota_date(received_at),
        term_days: Some(15),
        due_date: None,
        routing: serde_json::json!({}),
        entities: serde_json::json!({}),
        linked_radicado: None,
        actor: "system".into(),
    }
}

/// A validated configuration from defaults plus the given `PQRS_*` pairs.
pub fn config_with(pairs: &[(&str, String)]) -> pqrs::config::Config {
    let env: std::collections::BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    pqrs::config::Config::load_from(None, &env).expect("config")
}

/// Whether missing servers fail the tests (`PQRS_TEST_REQUIRE_SERVERS=1`, or the older
/// `PQRS_TEST_REQUIRE_PG=1`) instead of skipping them.
pub fn servers_required() -> bool {
    ["PQRS_TEST_REQUIRE_SERVERS", "PQRS_TEST_REQUIRE_PG"].iter().any(|k| std::env::var(k).as_deref() == Ok("1"))
}

const HOW_TO_START: &str = "start the test servers with `bash tests/servers.sh ensure && eval \"$(bash tests/servers.sh env)\"`, \
                            or run the whole suite with `bash tests/run.sh`";

/// The server behind a `PQRS_TEST_*` variable, and how to check that it is there: a TCP address
/// to connect to, or a file that must exist.
fn server_of(name: &str, value: &str) -> (&'static str, Probe) {
    match name {
        "PQRS_TEST_PG_URL" => ("PostgreSQL", pg_address(value).map_or(Probe::None, Probe::Tcp)),
        "PQRS_TEST_IMAP" | "PQRS_TEST_IMAPS" => ("Dovecot (IMAP)", Probe::Tcp(value.to_string())),
        "PQRS_TEST_CA" => ("the test CA of Dovecot and the SMTP sinks", Probe::File(value.to_string())),
        "PQRS_TEST_MAILDIR_ROOT" => ("the Dovecot Maildirs", Probe::File(value.to_string())),
        n if n.starts_with("PQRS_TEST_SMTP") => ("the SMTP sink (aiosmtpd)", Probe::Tcp(value.to_string())),
        "PQRS_TEST_CHROMEDRIVER" => ("ChromeDriver", Probe::File(value.to_string())),
        "PQRS_TEST_CHROMIUM" => ("Chromium", Probe::File(value.to_string())),
        _ => ("a test server", Probe::None),
    }
}

enum Probe {
    Tcp(String),
    File(String),
    None,
}

/// `host:port` of a `postgres://user:pass@host:port/db?…` URL (port 5432 when absent); `None`
/// when the URL names no host (a Unix socket).
fn pg_address(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if hostport.is_empty() {
        return None;
    }
    Some(if hostport.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        hostport.to_string()
    } else {
        format!("{hostport}:5432")
    })
}

/// Why the server at `probe` is not usable, or `None` when it answers.
fn probe_fails(probe: &Probe) -> Option<String> {
    match probe {
        Probe::None => None,
        Probe::File(path) => (!std::path::Path::new(path).exists()).then(|| format!("{path} does not exist")),
        Probe::Tcp(addr) => {
            let addrs = match addr.to_socket_addrs() {
                Ok(a) => a.collect::<Vec<_>>(),
                Err(e) => return Some(format!("cannot resolve {addr}: {e}")),
            };
            let mut last = format!("{addr} resolves to no address");
            for a in addrs {
                match TcpStream::connect_timeout(&a, Duration::from_secs(3)) {
                    Ok(_) => return None,
                    Err(e) => last = format!("nothing answers on {addr}: {e}"),
                }
            }
            Some(last)
        }
    }
}

/// Prints `SKIPPED: <test>: <reason>` on the process's stderr, past the test harness's output
/// capture, so the line shows even when the test passes.
pub fn skipped(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

/// The value of `PQRS_TEST_*` variable `name`, naming a server a test needs, once that server
/// answers (a TCP connection, or the file exists). `None` (skip the test, with a `SKIPPED` line)
/// when the variable is not set; a panic instead under `PQRS_TEST_REQUIRE_SERVERS=1`, and always
/// when the variable is set but the server does not answer.
pub fn server_env(name: &str) -> Option<String> {
    server_envs([name]).map(|[v]| v)
}

/// [`server_env`] for several variables at once, with one `SKIPPED` line naming all that are
/// missing.
pub fn server_envs<const N: usize>(names: [&str; N]) -> Option<[String; N]> {
    let mut missing = Vec::new();
    let values = names.map(|name| match std::env::var(name) {
        Ok(v) if !v.is_empty() => {
            let (server, probe) = server_of(name, &v);
            if let Some(why) = probe_fails(&probe) {
                panic!("{server} is not available ({name}={v}: {why}); {HOW_TO_START}");
            }
            v
        }
        _ => {
            missing.push(format!("{} ({name})", server_of(name, "").0));
            String::new()
        }
    });
    if missing.is_empty() {
        return Some(values);
    }
    let missing = missing.join(", ");
    if servers_required() {
        panic!("this test needs {missing}, not set (missing servers fail under PQRS_TEST_REQUIRE_SERVERS=1); {HOW_TO_START}");
    }
    skipped(&format!("needs {missing}, not set; {HOW_TO_START}"));
    None
}

/// Polls `cond` every 50 ms until it holds; panics after `timeout`, saying what it waited for.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if cond() {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`wait_until`] for async tests whose app runs on the same runtime: sleeps without blocking it.
pub async fn wait_until_async(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if cond() {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait until a file under `dir` contains `needle`; returns its content.
pub fn wait_for_mail(dir: &std::path::Path, needle: &str, timeout: std::time::Duration) -> Option<String> {
    let start = std::time::Instant::now();
    loop {
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                for e in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(e.path()) {
                        if text.contains(needle) {
                            return Some(text);
                        }
                    }
                }
            }
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
