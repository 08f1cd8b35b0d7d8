//! Test support: a fresh database per test on each backend, the real app on port 0 ([`TestApp`]),
//! the real servers the tests need, waits on conditions, and builders for filings.
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
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
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
                let url = DbUrl::Postgres(replace_db_name(&admin, &name).into());
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
            DbUrl::Postgres(u) => u.expose().to_string(),
        }
    }

    /// The intake pipeline on this database with the repository's rules (to file mails before
    /// or beside an app).
    pub fn intake(&self) -> pqrs::intake::Intake {
        let config = config_with(&[("PQRS_DATABASE_URL", self.url_string()), ("PQRS_RULES_DIR", RULES.into())]);
        pqrs::intake::Intake::load(Arc::new(config)).expect("intake")
    }

    /// A staff user with password [`PASSWORD`]; `department` is that of a `department` user.
    pub fn add_staff(&self, email: &str, role: &str, department: Option<&str>) {
        let known: Vec<String> = department.map(str::to_string).into_iter().collect();
        pqrs::staff::add_user(&mut self.conn(), email, role, department, PASSWORD, &known).expect("add staff user");
    }

    /// A bearer token acting as the staff user `email`.
    pub fn user_token(&self, email: &str) -> String {
        pqrs::staff::create_token(&mut self.conn(), None, Some(email)).expect("create token")
    }

    /// A bearer token for `role` (such as `report`), with no user.
    pub fn role_token(&self, role: &str) -> String {
        pqrs::staff::create_token(&mut self.conn(), Some(role), None).expect("create token")
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

/// The repository's rules folder.
pub const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

/// The `pqrs` binary with a clean `PQRS_*` environment (the `PQRS_TEST_*` variables kept),
/// pointed at `db` and the repository's rules.
pub fn pqrs_cmd(db: &TestDb) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pqrs"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
            c.env_remove(k);
        }
    }
    c.env("PQRS_DATABASE_URL", db.url_string()).env("PQRS_RULES_DIR", RULES);
    c
}
/// The password of the staff users the tests create.
pub const PASSWORD: &str = "una clave larga y segura";

/// The real application (`pqrs serve` in process) on `127.0.0.1:0`, with its own fresh database
/// ([`TestDb`]) and data folder (a temp dir: Maildir, file outbox), running on the test's runtime.
///
/// ```ignore
/// let app = TestApp::spawn(backend).await;                      // fresh database
/// let db = TestDb::new(backend); /* seed it */
/// let app = TestApp::builder(backend).db(db).env("PQRS_IMAP_URL", url).spawn().await;
/// let res = app.client().get(app.url("/healthz")).send().await.unwrap();
/// app.stop().await;                                             // fails the test on an error
/// ```
///
/// Defaults: the repository's rules, `PQRS_FILING_BURST=1000` (the rate limit is tested on its
/// own); `env` pairs override them. [`TestApp::stop`] stops and joins the app and fails the test
/// if it stopped with an error; [`TestApp::restart`] does the same and starts it again on the same
/// database, data folder and settings. A test that panics leaves the app to its runtime's end.
pub struct TestApp {
    pub db: TestDb,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub port: u16,
    /// `PQRS_DATA_DIR` (the Maildir is `data_dir/maildir`, the file outbox `data_dir/outbox`).
    pub data_dir: PathBuf,
    stopper: pqrs::startup::Stopper,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
    env: Vec<(String, String)>,
    _data: tempfile::TempDir,
}

/// Settings for a [`TestApp`] before it starts.
pub struct TestAppBuilder {
    backend: Backend,
    db: Option<TestDb>,
    env: Vec<(String, String)>,
}

impl TestAppBuilder {
    /// Sets (or overrides) one `PQRS_*` setting, such as a proxied `PQRS_DATABASE_URL`.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Runs the app on `db` (already seeded) instead of a fresh database.
    pub fn db(mut self, db: TestDb) -> Self {
        assert_eq!(db.backend, self.backend, "TestApp::builder(backend).db(db): db is on another backend");
        self.db = Some(db);
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = self.db.unwrap_or_else(|| TestDb::new(self.backend));
        TestApp::start(db, tempfile::tempdir().expect("tempdir"), self.env).await
    }
}

impl TestApp {
    /// The app on a fresh database of `backend`, default settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::builder(backend).spawn().await
    }

    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder { backend, db: None, env: Vec::new() }
    }

    async fn start(db: TestDb, data: tempfile::TempDir, env: Vec<(String, String)>) -> TestApp {
        let data_dir = data.path().to_path_buf();
        let mut pairs = vec![
            ("PQRS_DATABASE_URL", db.url_string()),
            ("PQRS_LISTEN", "127.0.0.1:0".to_string()),
            ("PQRS_DATA_DIR", data_dir.display().to_string()),
            ("PQRS_RULES_DIR", RULES.to_string()),
            ("PQRS_FILING_BURST", "1000".to_string()),
            // Training the model costs seconds of CPU in a debug build: the tests that need it
            // set PQRS_ROUTING_MODEL=true.
            ("PQRS_ROUTING_MODEL", "false".to_string()),
        ];
        pairs.extend(env.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let app = pqrs::startup::Application::build(config_with(&pairs)).await.expect("build the app");
        let port = app.port();
        let stopper = app.stopper();
        let handle = actix_web::rt::spawn(app.run_until_stopped());
        TestApp { db, base: format!("http://127.0.0.1:{port}"), port, data_dir, stopper, handle, env, _data: data }
    }

    /// `base` + `path` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An HTTP client that does not follow redirects (tests look at the 303s), 30 s timeout.
    /// Cookies are the test's: take them from a response (`res.cookie(..)`) and send them on.
    pub fn client(&self) -> awc::Client {
        awc::Client::builder().disable_redirects().timeout(Duration::from_secs(30)).finish()
    }

    /// `/healthz`: its status code and body.
    pub async fn health(&self) -> (u16, serde_json::Value) {
        let mut res = self.client().get(self.url("/healthz")).send().await.expect("GET /healthz");
        let body = res.json().await.expect("/healthz JSON");
        (res.status().as_u16(), body)
    }

    /// Waits (10 s at most) until `/healthz` reports the intake (Maildir or IMAP worker) ok.
    pub async fn wait_for_intake_ok(&self) {
        for _ in 0..100 {
            if self.health().await.1["intake"]["status"] == "ok" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("intake never became healthy: {}", self.health().await.1);
    }

    /// Logs in through the staff form; the session cookie, or the status of a refused login.
    pub async fn login(&self, email: &str, password: &str) -> Result<awc::cookie::Cookie<'static>, actix_web::http::StatusCode> {
        let res = self.client().post(self.url("/personal")).send_form(&[("email", email), ("password", password)]).await.unwrap();
        if res.status() != actix_web::http::StatusCode::SEE_OTHER {
            return Err(res.status());
        }
        Ok(res.cookie("pqrs_session").expect("session cookie").into_owned())
    }

    /// Stops the app (in-flight requests finish, then the workers), waits for it and fails the
    /// test if it stopped with an error. Returns the database for checks afterwards.
    pub async fn stop(self) -> TestDb {
        self.join().await.0
    }

    /// [`TestApp::stop`], then the app again on the same database, data folder and settings (on
    /// a new port).
    pub async fn restart(self) -> TestApp {
        let (db, data, env) = self.join().await;
        TestApp::start(db, data, env).await
    }

    async fn join(self) -> (TestDb, tempfile::TempDir, Vec<(String, String)>) {
        self.stopper.stop().await;
        match self.handle.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("the app stopped with an error: {e:#}"),
            Err(e) => panic!("the app's task failed: {e}"),
        }
        (self.db, self._data, self.env)
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
        extension_limit: None,
        routing: serde_json::json!({}),
        entities: serde_json::json!({}),
        linked_radicado: None,
        actor: "system".into(),
        requester: None,
        demographics: None,
        folded_body: None,
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
        "PQRS_TEST_AXE" => ("axe-core (npm; tests/servers.sh ensure installs it)", Probe::File(value.to_string())),
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
