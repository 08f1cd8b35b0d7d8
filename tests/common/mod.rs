//! Test support: a fresh database per test on each backend, and builders for filings.
//!
//! SQLite is always tested (a temp file). PostgreSQL is tested when `PQRS_TEST_PG_URL` names an
//! admin URL that may create databases (the README's test command sets it); each [`TestDb`] gets
//! its own database, dropped at the end. With `PQRS_TEST_REQUIRE_PG=1` a missing PostgreSQL fails
//! the test instead of skipping that backend, so CI can never pass on SQLite alone.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use pqrs::db::{self, AnyConnection, DbUrl, Pool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends this run must cover.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    match std::env::var("PQRS_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => v.push(Backend::Postgres),
        _ => {
            if std::env::var("PQRS_TEST_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("PQRS_TEST_REQUIRE_PG=1 but PQRS_TEST_PG_URL is not set");
            }
            eprintln!("note: PQRS_TEST_PG_URL not set; PostgreSQL not tested in this run");
        }
    }
    v
}

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

/// Environment variable required by tests that need a real server; `PQRS_TEST_REQUIRE_PG=1`
/// (set by the test command) makes its absence a failure instead of a skip.
pub fn server_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("PQRS_TEST_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("{name} is not set: run the suite with `bash tests/run.sh`");
            }
            eprintln!("note: {name} not set; skipping the part that needs that server");
            None
        }
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
