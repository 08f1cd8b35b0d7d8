//! Intake throughput: parse-only against the whole pipeline (parse → dedupe → thread → route →
//! date → file with acknowledgement), on SQLite and, when `PQRS_TEST_PG_URL` names an admin URL,
//! on PostgreSQL. Run: `cargo bench --bench intake` (optionally `-- 20000` mails).
//! Prints a Markdown table for the README.

use std::sync::Arc;
use std::time::Instant;

use diesel::prelude::*;
use pqrs::intake::parse::{parse_message, ParseOptions};
use pqrs::intake::synthetic::synthetic_mail;
use pqrs::intake::{Intake, RawMail, Source};

/// Up to `n` mails from the files in `dir` (each file one mail), repeated in turn until there are
/// `n`, each copy given its own Message-ID so none is a duplicate of another.
fn corpus_from(dir: &std::path::Path, n: usize) -> Vec<Vec<u8>> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.extension().is_some_and(|x| x == "yml" || x == "json" || x == "toml"))
        .collect();
    files.sort();
    let originals: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!originals.is_empty(), "no mail files in {}", dir.display());
    let mid = regex::bytes::Regex::new(r"(?im)^message-id:[^\r\n]*(\r?\n[ \t][^\r\n]*)*").unwrap();
    (0..n)
        .map(|i| {
            let m = &originals[i % originals.len()];
            let new = format!("Message-ID: <bench-{i}@bench.example>");
            if mid.is_match(m) {
                mid.replace(m, regex::bytes::NoExpand(new.as_bytes())).into_owned()
            } else {
                [new.as_bytes(), b"\n", m].concat()
            }
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5000);
    // `--corpus DIR` (or PQRS_BENCH_CORPUS): real-world mails instead of synthetic ones.
    let corpus_dir = args
        .iter()
        .position(|a| a == "--corpus")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var("PQRS_BENCH_CORPUS").ok().filter(|s| !s.is_empty()));
    let corpus: Vec<Vec<u8>> = match &corpus_dir {
        Some(d) => corpus_from(std::path::Path::new(d), n),
        None => (0..n).map(synthetic_mail).collect(),
    };
    let what = if corpus_dir.is_some() { "real-world" } else { "synthetic" };
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let opts = ParseOptions::default();

    // The reference: mail-parser's own parse, nothing of ours.
    let t = Instant::now();
    for m in &corpus {
        std::hint::black_box(mail_parser::MessageParser::default().parse(m));
    }
    let reference = n as f64 / t.elapsed().as_secs_f64();

    // Parse only.
    let t = Instant::now();
    let mut ok = 0;
    for m in &corpus {
        if parse_message(m, &opts).is_ok() {
            ok += 1;
        }
    }
    let parse_rate = n as f64 / t.elapsed().as_secs_f64();
    if corpus_dir.is_none() {
        assert_eq!(ok, n);
    }

    let mean = bytes as f64 / n as f64;
    let row = |label: &str, rate: f64| println!("| {label} | {rate:.0} | {:.1} | {:.2} |", rate * mean / 1e6, rate / reference);
    println!("| measurement ({n} {what} mails, {:.1} KB mean) | mails/s | MB/s | ratio to mail-parser alone |", mean / 1024.0);
    println!("|---|---:|---:|---:|");
    row("mail-parser's parse alone (the reference)", reference);
    row("parse only (mail-parser + our conversion)", parse_rate);

    // Parse and route (no storage).
    {
        let env: std::collections::BTreeMap<String, String> =
            [("PQRS_RULES_DIR".to_string(), concat!(env!("CARGO_MANIFEST_DIR"), "/rules").to_string())].into_iter().collect();
        let intake = Intake::load(Arc::new(pqrs::config::Config::load_from(None, &env).unwrap())).unwrap();
        let t = Instant::now();
        for m in &corpus {
            if let Ok(msg) = parse_message(m, &opts) {
                std::hint::black_box(intake.route(&msg, pqrs::domain::Channel::CorreoContacto));
            }
        }
        let rate = n as f64 / t.elapsed().as_secs_f64();
        row(&format!("parse + route ({} rules)", intake.rules().len()), rate);
    }

    let dir = tempfile::tempdir().unwrap();
    for Target { label, url, pg } in targets(dir.path(), "bench") {
        // The bench's acknowledgement limit: nearly every filing gets its own acknowledgement.
        let (pool, intake) = open(url, Some("1000"));
        let mut conn = pool.get().unwrap();
        // Live path (IMAP, Maildir, ingest): one transaction per mail, committed before the mail
        // is marked on the server. First half of the corpus.
        let half = n / 2;
        let t = Instant::now();
        for m in &corpus[..half] {
            let mail = RawMail { bytes: m, source: Source::Import, source_ref: None, source_time: None };
            intake.process(&mut conn, mail, false).unwrap();
        }
        let rate = half as f64 / t.elapsed().as_secs_f64();
        row(&format!("whole pipeline, {label}, one transaction per mail (live intake)"), rate);
        // Bulk path: `pqrs import` of .eml files (read from disk, batched commits). Second half.
        let files = eml_dir(&corpus[half..]);
        let rate = import_rate(&intake, &pool, conn, files.path(), n - half);
        row(&format!("whole pipeline, {label}, `pqrs import` of .eml files (batched commits)"), rate);
        drop(pool);
        drop_database(pg);
    }

    // An archive imported as `pqrs import` does from the command line: every mail into a new
    // database, with the default configuration. Its acknowledgement limit (5 per sender and
    // hour) sends a corpus of few senders down the combined acknowledgement path, which the
    // rows above (limit 1000) hardly take.
    let archive = eml_dir(&corpus);
    for Target { label, url, pg } in targets(dir.path(), "archive") {
        let (pool, intake) = open(url, None);
        let conn = pool.get().unwrap();
        let rate = import_rate(&intake, &pool, conn, archive.path(), n);
        row(&format!("whole pipeline, {label}, `pqrs import` of all {n} into a new database, default configuration"), rate);
        drop(pool);
        drop_database(pg);
    }
}

/// A database to file into: SQLite always, PostgreSQL when `PQRS_TEST_PG_URL` names an admin
/// URL (`pg`: that URL and the database created, dropped by [`drop_database`]).
struct Target {
    label: &'static str,
    url: String,
    pg: Option<(String, String)>,
}

fn targets(dir: &std::path::Path, name: &str) -> Vec<Target> {
    let mut targets = vec![Target { label: "SQLite (WAL)", url: dir.join(format!("{name}.db")).display().to_string(), pg: None }];
    if let Ok(admin) = std::env::var("PQRS_TEST_PG_URL") {
        if !admin.is_empty() {
            let db = format!("pqrs_{name}_{}", std::process::id());
            let mut c = diesel::PgConnection::establish(&admin).expect("PQRS_TEST_PG_URL");
            diesel::sql_query(format!("CREATE DATABASE {db}")).execute(&mut c).unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin).to_string();
            targets.push(Target { label: "PostgreSQL", url: format!("{base}/{db}"), pg: Some((admin, db)) });
        }
    }
    targets
}

fn drop_database(pg: Option<(String, String)>) {
    if let Some((admin, db)) = pg {
        let mut c = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("DROP DATABASE {db} WITH (FORCE)")).execute(&mut c).unwrap();
    }
}

/// The store (migrated) and the intake for `url`, with the repository's rules and, when given,
/// that acknowledgement limit per sender and hour (else the default).
fn open(url: String, ack_limit: Option<&str>) -> (pqrs::db::Pool, Intake) {
    let mut env: std::collections::BTreeMap<String, String> = [
        ("PQRS_DATABASE_URL".to_string(), url),
        ("PQRS_RULES_DIR".to_string(), concat!(env!("CARGO_MANIFEST_DIR"), "/rules").to_string()),
    ]
    .into_iter()
    .collect();
    if let Some(limit) = ack_limit {
        env.insert("PQRS_ACK_PER_SENDER_PER_HOUR".to_string(), limit.to_string());
    }
    let config = Arc::new(pqrs::config::Config::load_from(None, &env).unwrap());
    let pool = pqrs::startup::open_store(&config).unwrap();
    (pool, Intake::load(config).unwrap())
}

/// Each mail as an .eml file of a new directory.
fn eml_dir(mails: &[Vec<u8>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (i, m) in mails.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i:06}.eml")), m).unwrap();
    }
    dir
}

/// Mails a second of importing the `expected` files of `dir` as `pqrs import` does: on
/// PostgreSQL two more connections store at the same time, on SQLite one checkpoints.
fn import_rate(intake: &Intake, pool: &pqrs::db::Pool, mut conn: pqrs::db::PooledConn, dir: &std::path::Path, expected: usize) -> f64 {
    let t = Instant::now();
    let mut extra = pqrs::intake::import::extra_connections(pool, &conn, false);
    let refs = extra.iter_mut().map(|c| &mut **c).collect();
    let (summary, _) =
        pqrs::intake::import::run_import_with(intake, &mut conn, refs, &[dir.to_path_buf()], false, pqrs::intake::import::BATCH_MAILS).unwrap();
    let rate = expected as f64 / t.elapsed().as_secs_f64();
    assert_eq!((summary.received - summary.duplicates - summary.quarantined) as usize, expected, "{summary:?}");
    rate
}
