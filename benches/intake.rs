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

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5000);
    let corpus: Vec<Vec<u8>> = (0..n).map(synthetic_mail).collect();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let opts = ParseOptions::default();

    // Parse only.
    let t = Instant::now();
    let mut ok = 0;
    for m in &corpus {
        if parse_message(m, &opts).is_ok() {
            ok += 1;
        }
    }
    let parse_rate = n as f64 / t.elapsed().as_secs_f64();
    assert_eq!(ok, n);

    println!("| measurement ({n} synthetic mails, {:.1} KB mean) | mails/s | MB/s |", bytes as f64 / n as f64 / 1024.0);
    println!("|---|---:|---:|");
    println!("| parse only (mail-parser + our conversion) | {parse_rate:.0} | {:.1} |", parse_rate * bytes as f64 / n as f64 / 1e6);

    // Parse and route (no storage).
    {
        let env: std::collections::BTreeMap<String, String> =
            [("PQRS_RULES_DIR".to_string(), concat!(env!("CARGO_MANIFEST_DIR"), "/rules").to_string())].into_iter().collect();
        let intake = Intake::load(Arc::new(pqrs::config::Config::load_from(None, &env).unwrap())).unwrap();
        let t = Instant::now();
        for m in &corpus {
            let msg = parse_message(m, &opts).unwrap();
            std::hint::black_box(intake.route(&msg, pqrs::domain::Channel::CorreoContacto));
        }
        let rate = n as f64 / t.elapsed().as_secs_f64();
        println!("| parse + route ({} rules) | {rate:.0} | {:.1} |", intake.rules().len(), rate * bytes as f64 / n as f64 / 1e6);
    }

    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![("SQLite (WAL)", dir.path().join("bench.db").display().to_string(), None)];
    if let Ok(admin) = std::env::var("PQRS_TEST_PG_URL") {
        if !admin.is_empty() {
            let name = format!("pqrs_bench_{}", std::process::id());
            let mut c = diesel::PgConnection::establish(&admin).expect("PQRS_TEST_PG_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin).to_string();
            targets.push(("PostgreSQL", format!("{base}/{name}"), Some((admin, name))));
        }
    }
    for (label, url, cleanup) in targets {
        let env: std::collections::BTreeMap<String, String> = [
            ("PQRS_DATABASE_URL".to_string(), url),
            ("PQRS_RULES_DIR".to_string(), concat!(env!("CARGO_MANIFEST_DIR"), "/rules").to_string()),
            ("PQRS_ACK_PER_SENDER_PER_HOUR".to_string(), "1000".to_string()),
        ]
        .into_iter()
        .collect();
        let config = Arc::new(pqrs::config::Config::load_from(None, &env).unwrap());
        let pool = pqrs::startup::open_store(&config).unwrap();
        let intake = Intake::load(config).unwrap();
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
        println!("| whole pipeline, {label}, one transaction per mail (live intake) | {rate:.0} | {:.1} |", rate * bytes as f64 / n as f64 / 1e6);
        // Bulk path: `pqrs import` of .eml files (read from disk, batched commits). Second half.
        let files = tempfile::tempdir().unwrap();
        for (i, m) in corpus[half..].iter().enumerate() {
            std::fs::write(files.path().join(format!("{i:06}.eml")), m).unwrap();
        }
        let t = Instant::now();
        let (summary, _) = pqrs::intake::import::run_import(&intake, &mut conn, &[files.path().to_path_buf()], false).unwrap();
        let rate = (n - half) as f64 / t.elapsed().as_secs_f64();
        assert_eq!(summary.cases as usize, n - half);
        println!("| whole pipeline, {label}, `pqrs import` of .eml files (batched commits) | {rate:.0} | {:.1} |", rate * bytes as f64 / n as f64 / 1e6);
        drop(conn);
        drop(pool);
        if let Some((admin, name)) = cleanup {
            let mut c = diesel::PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut c).unwrap();
        }
    }
}
