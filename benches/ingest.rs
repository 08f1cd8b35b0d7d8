//! `pqrs ingest` as an MTA runs it: one process a mail, sequentially, N mails (default 300, the
//! mails of rules/tests/mail/ in turn, each with a fresh Message-ID). On SQLite always and on
//! PostgreSQL when `PQRS_TEST_PG_URL` names an admin URL, a fresh database each run, it prints
//! mails/s for:
//! - spool only: `pqrs ingest` with no service running (each run ends when the row is committed);
//! - spool + service: `pqrs serve` running (its spool worker files them as they come); the time
//!   is until the last mail is filed;
//! - `--direct`: the old in-process path (rules compiled in every process), the reference.
//!
//! Run: `cargo bench --bench ingest` (optional arg: N). Uses the release binary cargo builds
//! for the bench.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_pqrs");
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300);
    let mails = corpus(n);
    let mean = mails.iter().map(Vec::len).sum::<usize>() / mails.len().max(1);
    let mut backends = vec!["SQLite"];
    let admin = std::env::var("PQRS_TEST_PG_URL").ok().filter(|u| !u.is_empty());
    if admin.is_some() {
        backends.push("PostgreSQL");
    }
    println!("{n} mails (rules/tests/mail, mean {mean} B), one `pqrs ingest` process each, sequential");
    println!("| backend | mode | mails/s | seconds | × --direct |");
    println!("|---|---|---:|---:|---:|");
    for backend in backends {
        let direct = run(backend, admin.as_deref(), &mails, Mode::Direct);
        let spool = run(backend, admin.as_deref(), &mails, Mode::SpoolOnly);
        let served = run(backend, admin.as_deref(), &mails, Mode::WithService);
        for (label, secs) in [("spool only (no service)", spool), ("spool + service filing (until the last is filed)", served), ("`--direct` (old path)", direct)] {
            println!("| {backend} | {label} | {:.0} | {:.2} | {:.1} |", n as f64 / secs, secs, direct / secs);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    SpoolOnly,
    WithService,
    Direct,
}

/// N raw mails from rules/tests/mail, each with its own Message-ID (so none is a duplicate).
fn corpus(n: usize) -> Vec<Vec<u8>> {
    let dir = Path::new(RULES).join("tests/mail");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("rules/tests/mail")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .eml under {}", dir.display());
    let stamp = std::process::id();
    (0..n)
        .map(|i| {
            let raw = std::fs::read(&files[i % files.len()]).unwrap();
            let text = String::from_utf8_lossy(&raw);
            let kept: String = text
                .split_inclusive('\n')
                .enumerate()
                .filter(|(_, l)| !l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|(_, l)| l)
                .collect();
            format!("Message-ID: <bench-{stamp}-{i}@bench.example>\r\n{kept}").into_bytes()
        })
        .collect()
}

fn command(url: &str, data: &Path) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") {
            c.env_remove(k);
        }
    }
    c.env("PQRS_DATABASE_URL", url)
        .env("PQRS_RULES_DIR", RULES)
        .env("PQRS_DATA_DIR", data)
        .env("PQRS_ACK_PER_SENDER_PER_HOUR", "100000000")
        .env("PQRS_ROUTING_MODEL", "false");
    c
}

/// A fresh database: (URL, what to drop afterwards).
fn fresh_db(backend: &str, admin: Option<&str>, dir: &Path) -> (String, Option<(String, String)>) {
    if backend == "SQLite" {
        return (dir.join("bench.db").display().to_string(), None);
    }
    let admin = admin.unwrap();
    let name = format!("pqrs_ingest_bench_{}_{}", std::process::id(), rand::random::<u32>());
    let mut c = diesel::PgConnection::establish(admin).expect("PQRS_TEST_PG_URL");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).unwrap();
    let base = admin.split('?').next().unwrap().rsplit_once('/').map(|(b, _)| b).unwrap_or(admin).to_string();
    (format!("{base}/{name}"), Some((admin.to_string(), name)))
}

/// Seconds for the N mails in `mode`, on a fresh database.
fn run(backend: &str, admin: Option<&str>, mails: &[Vec<u8>], mode: Mode) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (url, cleanup) = fresh_db(backend, admin, dir.path());
    let migrated = command(&url, &data).arg("migrate").output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let service = (mode == Mode::WithService).then(|| start_service(&url, &data));
    let start = Instant::now();
    for raw in mails {
        let mut c = command(&url, &data);
        c.arg("ingest");
        if mode == Mode::Direct {
            c.arg("--direct");
        }
        let mut child = c.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "ingest: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut conn = pqrs::db::DbUrl::parse(&url).unwrap().establish().unwrap();
    if mode == Mode::WithService {
        while pqrs::db::spool::backlog(&mut conn).unwrap() > 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    // Every mail arrived once: as a spool row (spool modes) or a message (all but spool only).
    let filed: i64 = pqrs::db::schema::messages::table.count().get_result(&mut conn).unwrap();
    let expected = if mode == Mode::SpoolOnly { 0 } else { mails.len() as i64 };
    assert_eq!(filed, expected, "messages stored");
    drop(conn);
    if let Some(mut s) = service {
        stop(&mut s);
    }
    if let Some((admin, name)) = cleanup {
        let mut c = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut c).unwrap();
    }
    secs
}

/// `pqrs serve` on a free port; returns once its spool worker listens on its nudge socket.
fn start_service(url: &str, data: &Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = command(url, data)
        .env("PQRS_LISTEN", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sock = data.join("spool.sock");
    let start = Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "pqrs serve did not start its spool worker");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
}
