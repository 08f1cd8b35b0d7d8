//! On PostgreSQL a running bulk import must not make web filings wait for the rest of its
//! batch: the import takes the radicado sequence lock for one mail at a time, so filings made
//! while it runs are numbered in between its mails. (Had the import held the lock for its
//! 500-mail batch, each sequential filing would wait for a batch commit, and at most one filing
//! per batch boundary could fall inside the import's numbers.) The filing latencies are printed,
//! not asserted.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestApp, RULES};
use diesel::prelude::*;
use pqrs::db::schema::{cases, messages};

const MAILS: usize = 1000;
const FILINGS: usize = 20;

#[actix_web::test]
async fn web_filings_are_numbered_in_between_a_running_import_on_postgres() {
    if !common::backend_available(Backend::Postgres) {
        return;
    }
    let corpus = tempfile::tempdir().unwrap();
    for i in 0..MAILS {
        std::fs::write(corpus.path().join(format!("{i:05}.eml")), pqrs::intake::synthetic::synthetic_mail(i)).unwrap();
    }
    let app = TestApp::builder(Backend::Postgres).env("PQRS_FILING_RATE_PER_MINUTE", "10000").spawn().await;
    let (db, base) = (&app.db, &app.base);

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pqrs"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
            cmd.env_remove(k);
        }
    }
    let mut import = cmd
        .env("PQRS_DATABASE_URL", db.url_string())
        .env("PQRS_RULES_DIR", RULES)
        .args(["import", "--json", "--batch", "500"])
        .arg(corpus.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stored = || messages::table.filter(messages::source.eq("import")).count().get_result::<i64>(&mut db.conn()).unwrap_or(0);
    common::wait_until_async(Duration::from_secs(60), "the import to start filing", || stored() > 20).await;

    let client = app.client();
    let mut during: Vec<(String, Duration)> = Vec::new();
    for i in 0..FILINGS {
        let body = serde_json::json!({"name": "Ana Pérez", "document_type": "CC", "document_number": "15372886",
            "email": format!("ana{i}@example.com"), "subject": "Certificado de registro",
            "message": "Solicito el certificado de registro minero de la placa JLC-16401.", "consent": true});
        let t = Instant::now();
        let mut res = client.post(format!("{base}/api/v1/filings")).send_json(&body).await.unwrap();
        let took = t.elapsed();
        assert_eq!(res.status().as_u16(), 201);
        let v: serde_json::Value = res.json().await.unwrap();
        // Only filings answered while the import still ran say anything about waiting for it.
        if import.try_wait().unwrap().is_none() {
            during.push((v["radicado"].as_str().unwrap().to_string(), took));
        }
    }
    assert!(import.wait().unwrap().success(), "the import failed");
    assert!(during.len() >= 5, "the import ended too soon to measure ({} filings during it)", during.len());

    let mut conn = db.conn();
    let import_seqs: Vec<i64> = cases::table.filter(cases::channel.eq("correo_contacto")).select(cases::radicado_seq).load(&mut conn).unwrap();
    let (lo, hi) = (*import_seqs.iter().min().unwrap(), *import_seqs.iter().max().unwrap());
    let inside = during
        .iter()
        .filter(|(r, _)| {
            let seq: i64 = cases::table.filter(cases::radicado.eq(r)).select(cases::radicado_seq).first(&mut conn).unwrap();
            seq > lo && seq < hi
        })
        .count();
    let mut lat: Vec<Duration> = during.iter().map(|d| d.1).collect();
    lat.sort();
    let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    eprintln!(
        "PostgreSQL: {} filings during an import of {MAILS} mails: p50 {:.1} ms, p99 {:.1} ms; {inside} numbered inside the import's range",
        during.len(),
        p(0.5),
        p(0.99)
    );
    assert!(inside >= 3, "only {inside} of {} filings were numbered between the import's mails: they waited for its batches", during.len());
    app.stop().await;
}
