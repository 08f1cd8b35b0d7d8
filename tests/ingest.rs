//! `pqrs ingest` (the MTA pipe) through the spool: the command stores the raw mail and exits 0
//! once it is committed; the service's spool worker files it and marks the row processed with
//! the outcome in the same transaction. `--wait` prints the radicado; `--direct` is the old
//! in-process path. Exit 75 whenever the mail could not be stored. Every test on both backends.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chrono::Timelike;

use common::{pqrs_cmd, wait_until_async, Backend, TestApp, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{cases, inbound_spool, messages, quarantine};
use pqrs::db::AnyConnection;

fn mail(mid: &str, subject: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\nFrom: Ana Pérez <ana@example.com>\r\n\
         To: contacto@anm.gov.co\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito copia del certificado de registro minero.\r\n"
    )
}

/// Runs `cmd` with `input` on stdin.
fn run(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("pqrs ingest");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn ingest(db: &TestDb, args: &[&str], input: &str) -> Output {
    let mut c = pqrs_cmd(db);
    c.arg("ingest").args(args);
    run(c, input.as_bytes())
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// (id, processed, outcome) of every spool row.
fn spool_rows(conn: &mut AnyConnection) -> Vec<(i64, bool, Option<String>)> {
    inbound_spool::table
        .order(inbound_spool::id.asc())
        .select((inbound_spool::id, inbound_spool::processed_at.is_not_null(), inbound_spool::outcome))
        .load(conn)
        .unwrap()
}

fn backlog(db: &TestDb) -> i64 {
    pqrs::db::spool::backlog(&mut db.conn()).unwrap()
}

fn outcome(row: &(i64, bool, Option<String>)) -> serde_json::Value {
    serde_json::from_str(row.2.as_deref().unwrap_or("null")).unwrap()
}

fn radicados(conn: &mut AnyConnection) -> Vec<String> {
    cases::table.order(cases::radicado.asc()).select(cases::radicado).load(conn).unwrap()
}

common::backend_tests!(#[actix_web::test] async fn a_spooled_mail_is_filed_when_the_service_starts);
async fn a_spooled_mail_is_filed_when_the_service_starts(backend: Backend) {
    let db = TestDb::new(backend);
    let arrived = (chrono::Utc::now() - chrono::Duration::days(3)).naive_utc().with_nanosecond(0).unwrap();
    // No service: spooled, exit 0, nothing filed yet.
    let v = stdout_json(&ingest(&db, &[], &mail("sp-1@citizen.example", "Certificado")));
    let id = v["spooled"].as_i64().unwrap_or_else(|| panic!("{v}"));
    // --wait with no service: still exit 0 (the mail is stored), and stderr says so.
    let waited = ingest(&db, &["--wait=1"], &mail("sp-2@citizen.example", "Otra petición"));
    let w = stdout_json(&waited);
    assert!(w["spooled"].as_i64().is_some(), "{w}");
    assert!(String::from_utf8_lossy(&waited.stderr).contains("not filed within 1 s"), "{}", String::from_utf8_lossy(&waited.stderr));
    {
        let mut c = db.conn();
        let rows = spool_rows(&mut c);
        assert_eq!(rows.len(), 2, "{backend:?}");
        assert!(rows.iter().all(|r| !r.1), "nothing processed without a service: {rows:?}");
        assert_eq!(rows[0].0, id);
        assert!(radicados(&mut c).is_empty());
        // The service was down for three days: the mail is dated from its arrival in the spool.
        diesel::update(inbound_spool::table.find(id)).set(inbound_spool::spooled_at.eq(arrived)).execute(&mut c).unwrap();
    }

    let app = TestApp::builder(backend).db(db).spawn().await;
    wait_until_async(Duration::from_secs(20), "the service to file the spooled mails", || backlog(&app.db) == 0).await;
    let mut c = app.db.conn();
    let rows = spool_rows(&mut c);
    let filed = radicados(&mut c);
    assert_eq!(filed.len(), 2, "{backend:?}: {rows:?}");
    for r in &rows {
        let o = outcome(r);
        assert_eq!(o["outcome"], "case", "{backend:?}: {o}");
        let radicado = o["radicado"].as_str().unwrap();
        assert!(filed.iter().any(|f| f == radicado), "{backend:?}: {radicado} not in {filed:?}");
    }
    // The stored message is the spooled bytes, from the pipe door.
    let (raw, source): (Vec<u8>, String) = messages::table
        .filter(messages::message_id.eq("sp-1@citizen.example"))
        .select((messages::raw, messages::source))
        .first(&mut c)
        .unwrap();
    assert_eq!((raw, source.as_str()), (mail("sp-1@citizen.example", "Certificado").into_bytes(), "pipe"));
    let received: chrono::NaiveDateTime = cases::table
        .inner_join(messages::table)
        .filter(messages::message_id.eq("sp-1@citizen.example"))
        .select(cases::received_at)
        .first(&mut c)
        .unwrap();
    assert_eq!(received, arrived, "{backend:?}: the case is dated from the spool, not from the filing");
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn wait_prints_the_radicado_with_the_service_running);
async fn wait_prints_the_radicado_with_the_service_running(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db_url = app.db.url_string();
    let data_dir = app.data_dir.clone();
    // The command blocks while the app (on this runtime) files the mail: run it off the runtime.
    let out = tokio::task::spawn_blocking(move || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pqrs"));
        for (k, _) in std::env::vars() {
            if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
                c.env_remove(k);
            }
        }
        // The same data folder as the service: its nudge socket wakes the worker at once.
        c.env("PQRS_DATABASE_URL", db_url).env("PQRS_RULES_DIR", common::RULES).env("PQRS_DATA_DIR", data_dir);
        c.args(["ingest", "--wait=20"]);
        run(c, mail("wait-1@citizen.example", "Certificado").as_bytes())
    })
    .await
    .unwrap();
    let v = stdout_json(&out);
    assert_eq!(v["outcome"], "case", "{backend:?}: {v}");
    let radicado = v["radicado"].as_str().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(radicados(&mut app.db.conn()), vec![radicado.to_string()], "{backend:?}");
    assert!(v["department"].is_string() && v["kind"].is_string(), "the --direct serialization: {v}");
    // /healthz and /metrics show the spool's backlog.
    let (status, health) = app.health().await;
    assert_eq!(status, 200);
    assert_eq!(health["spool"]["backlog"], 0, "{health}");
    assert_eq!(health["workers"]["spool"]["status"], "running", "{health}");
    let mut res = app.client().get(app.url("/metrics")).send().await.unwrap();
    let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(body.contains("pqrs_spool_backlog 0"), "{body}");
    app.stop().await;
}

/// A trigger that refuses every insert into the spool (a full disk, a broken store).
fn refuse_spool_inserts(conn: &mut AnyConnection, on: bool) {
    let statements: &[&str] = match (&*conn, on) {
        (AnyConnection::Sqlite(_), true) => &["CREATE TRIGGER refuse_spool BEFORE INSERT ON inbound_spool \
             BEGIN SELECT RAISE(ABORT, 'disk full (test trigger)'); END"],
        (AnyConnection::Sqlite(_), false) => &["DROP TRIGGER refuse_spool"],
        (AnyConnection::Postgresql(_), true) => &[
            "CREATE FUNCTION refuse_spool() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'disk full (test trigger)' USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_spool BEFORE INSERT ON inbound_spool FOR EACH ROW EXECUTE FUNCTION refuse_spool()",
        ],
        (AnyConnection::Postgresql(_), false) => &["DROP TRIGGER refuse_spool ON inbound_spool", "DROP FUNCTION refuse_spool()"],
    };
    for s in statements {
        diesel::sql_query(*s).execute(conn).expect("test trigger");
    }
}

common::backend_tests!(#[test] fn a_store_that_cannot_take_the_mail_gives_exit_75_and_loses_nothing);
fn a_store_that_cannot_take_the_mail_gives_exit_75_and_loses_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let m = mail("down-1@citizen.example", "Certificado");
    // Unreachable: no server on the port, or a SQLite path that cannot be created.
    let unreachable = match backend {
        Backend::Postgres => "postgres://nobody:x@127.0.0.1:1/none".to_string(),
        Backend::Sqlite => "/dev/null/no/pqrs.db".to_string(),
    };
    let mut c = pqrs_cmd(&db);
    c.env("PQRS_DATABASE_URL", &unreachable).arg("ingest");
    let out = run(c, m.as_bytes());
    assert_eq!(out.status.code(), Some(75), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not stored, retry later"));
    // Reachable but refusing the write: 75 too, and no row.
    refuse_spool_inserts(&mut db.conn(), true);
    let out = ingest(&db, &[], &m);
    assert_eq!(out.status.code(), Some(75), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
    let out = ingest(&db, &["--wait=1"], &m);
    assert_eq!(out.status.code(), Some(75), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(spool_rows(&mut db.conn()).is_empty());
    // The MTA retries once the store is back: stored once, filed once.
    refuse_spool_inserts(&mut db.conn(), false);
    let v = stdout_json(&ingest(&db, &[], &m));
    assert!(v["spooled"].is_i64(), "{v}");
    let intake = db.intake();
    let pool = db.pool(2);
    let pass = pqrs::intake::spool::process_due(&intake, &pool, 10, None).unwrap();
    assert_eq!(pass.filed, 1, "{backend:?}: {pass:?}");
    assert_eq!(radicados(&mut db.conn()).len(), 1);
}

common::backend_tests!(#[actix_web::test] async fn twenty_mails_ingested_in_parallel_are_all_filed_once);
async fn twenty_mails_ingested_in_parallel_are_all_filed_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (url, n) = (app.db.url_string(), 20);
    // Beside the service's worker, two more claim rows at the same time (a second and third
    // instance): the lease must give each row to one of them.
    let intake = std::sync::Arc::new(app.db.intake());
    let pool = app.db.pool(4);
    let others: Vec<_> = (0..2)
        .map(|_| {
            let (intake, pool) = (intake.clone(), pool.clone());
            tokio::task::spawn_blocking(move || {
                let mut filed = 0;
                let start = std::time::Instant::now();
                while start.elapsed() < Duration::from_secs(4) {
                    filed += pqrs::intake::spool::process_due(&intake, &pool, 5, None).map(|p| p.filed).unwrap_or(0);
                    std::thread::sleep(Duration::from_millis(5));
                }
                filed
            })
        })
        .collect();
    let outs = tokio::task::spawn_blocking(move || {
        let children: Vec<_> = (0..n)
            .map(|i| {
                let mut c = Command::new(env!("CARGO_BIN_EXE_pqrs"));
                for (k, _) in std::env::vars() {
                    if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
                        c.env_remove(k);
                    }
                }
                c.env("PQRS_DATABASE_URL", &url).env("PQRS_RULES_DIR", common::RULES).arg("ingest");
                let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
                child.stdin.take().unwrap().write_all(mail(&format!("par-{i}@citizen.example"), &format!("Petición {i}")).as_bytes()).unwrap();
                child
            })
            .collect();
        children.into_iter().map(|c| c.wait_with_output().unwrap()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for o in &outs {
        assert!(stdout_json(o)["spooled"].is_i64());
    }
    wait_until_async(Duration::from_secs(30), "the spool to be empty", || backlog(&app.db) == 0).await;
    let by_others: usize = futures_util::future::join_all(others).await.into_iter().map(|r| r.unwrap()).sum();
    let mut c = app.db.conn();
    let rows = spool_rows(&mut c);
    let filed = radicados(&mut c);
    assert_eq!((rows.len(), filed.len()), (n, n), "{backend:?}: {rows:?}");
    let mut named: Vec<String> = rows
        .iter()
        .map(|r| {
            let o = outcome(r);
            assert_eq!(o["outcome"], "case", "{backend:?}: every row ends as its own case: {o}");
            o["radicado"].as_str().unwrap().to_string()
        })
        .collect();
    named.sort();
    assert_eq!(named, filed, "{backend:?}: each row names the case it filed, once");
    eprintln!("{backend:?}: {by_others} of {n} filed by the extra workers");
    app.stop().await;
}

common::backend_tests!(#[test] fn direct_files_in_process_and_a_poison_mail_through_the_spool_ends_in_quarantine);
fn direct_files_in_process_and_a_poison_mail_through_the_spool_ends_in_quarantine(backend: Backend) {
    let db = TestDb::new(backend);
    let v = stdout_json(&ingest(&db, &["--direct"], &mail("dir-1@citizen.example", "Certificado")));
    assert_eq!(v["outcome"], "case", "{v}");
    assert_eq!(radicados(&mut db.conn()), vec![v["radicado"].as_str().unwrap().to_string()]);
    assert!(spool_rows(&mut db.conn()).is_empty(), "--direct does not spool");

    // A mail the store refuses for good, spooled: the worker quarantines it (raw kept) and marks
    // the row processed, and the mail behind it is filed.
    let statements: &[&str] = match db.conn() {
        AnyConnection::Sqlite(_) => &["CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.subject = 'VENENO' \
             BEGIN SELECT RAISE(ABORT, 'poison mail refused by a test trigger'); END"],
        AnyConnection::Postgresql(_) => &[
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.subject = 'VENENO' THEN \
             RAISE EXCEPTION 'poison mail refused by a test trigger' USING ERRCODE = 'check_violation'; \
             END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION poison()",
        ],
    };
    let mut c = db.conn();
    for s in statements {
        diesel::sql_query(*s).execute(&mut c).unwrap();
    }
    stdout_json(&ingest(&db, &[], &mail("dir-2@citizen.example", "VENENO")));
    stdout_json(&ingest(&db, &[], &mail("dir-3@citizen.example", "Otra petición")));
    // Too large for max_message_bytes: quarantined by the command itself, exit 0.
    let mut big = pqrs_cmd(&db);
    big.env("PQRS_MAX_MESSAGE_BYTES", "1024").arg("ingest");
    let big_mail = mail("dir-4@citizen.example", &"x".repeat(2000));
    let v = stdout_json(&run(big, big_mail.as_bytes()));
    assert_eq!(v["outcome"], "quarantined", "{v}");
    assert!(v["reason"].as_str().unwrap().starts_with("too_large"), "{v}");

    let intake = db.intake();
    let pool = db.pool(2);
    let pass = pqrs::intake::spool::process_due(&intake, &pool, 10, None).unwrap();
    assert_eq!((pass.filed, pass.retried), (2, 0), "{backend:?}: {pass:?}");
    let rows = spool_rows(&mut c);
    assert_eq!(rows.len(), 2, "the oversized mail is not spooled: {rows:?}");
    assert_eq!(outcome(&rows[0])["outcome"], "quarantined", "{backend:?}: {rows:?}");
    assert!(outcome(&rows[0])["reason"].as_str().unwrap().contains("poison"), "{rows:?}");
    assert_eq!(outcome(&rows[1])["outcome"], "case", "{backend:?}: {rows:?}");
    assert_eq!(radicados(&mut c).len(), 2);
    let q: Vec<(String, Vec<u8>)> = quarantine::table.order(quarantine::id.asc()).select((quarantine::source, quarantine::raw)).load(&mut c).unwrap();
    // Both kept raw, from the pipe door: the oversized one (quarantined first, by the command)
    // and the poison one (by the worker).
    assert_eq!(q.len(), 2);
    assert!(q.iter().all(|(source, _)| source == "pipe"));
    assert!(q[0].1 == big_mail.into_bytes(), "{backend:?}: the oversized mail's raw bytes");
    assert!(q[1].1 == mail("dir-2@citizen.example", "VENENO").into_bytes(), "{backend:?}: the poison mail's raw bytes");
}

/// A trigger that refuses to mark a spool row processed (the mark fails after the filing's
/// statements ran).
fn refuse_marking(conn: &mut AnyConnection, on: bool) {
    let statements: &[&str] = match (&*conn, on) {
        (AnyConnection::Sqlite(_), true) => &["CREATE TRIGGER refuse_mark BEFORE UPDATE ON inbound_spool \
             WHEN NEW.processed_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'mark refused (test trigger)'); END"],
        (AnyConnection::Sqlite(_), false) => &["DROP TRIGGER refuse_mark"],
        (AnyConnection::Postgresql(_), true) => &[
            "CREATE FUNCTION refuse_mark() RETURNS trigger AS $$ BEGIN IF NEW.processed_at IS NOT NULL THEN \
             RAISE EXCEPTION 'mark refused (test trigger)'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_mark BEFORE UPDATE ON inbound_spool FOR EACH ROW EXECUTE FUNCTION refuse_mark()",
        ],
        (AnyConnection::Postgresql(_), false) => &["DROP TRIGGER refuse_mark ON inbound_spool", "DROP FUNCTION refuse_mark()"],
    };
    for s in statements {
        diesel::sql_query(*s).execute(conn).expect("test trigger");
    }
}

common::backend_tests!(#[test] fn the_filing_and_the_mark_are_one_transaction);
fn the_filing_and_the_mark_are_one_transaction(backend: Backend) {
    let db = TestDb::new(backend);
    stdout_json(&ingest(&db, &[], &mail("tx-1@citizen.example", "Certificado")));
    let (intake, pool) = (db.intake(), db.pool(2));
    // The mark fails: the filing goes with it (no message, no case, no radicado used), and the
    // row waits for its retry with the error.
    refuse_marking(&mut db.conn(), true);
    let pass = pqrs::intake::spool::process_due(&intake, &pool, 10, None).unwrap();
    assert_eq!((pass.filed, pass.retried), (0, 1), "{backend:?}: {pass:?}");
    let mut c = db.conn();
    let n: i64 = messages::table.count().get_result(&mut c).unwrap();
    assert_eq!((n, radicados(&mut c).len()), (0, 0), "{backend:?}: a filing whose row is not marked must not stay");
    let id = spool_rows(&mut c)[0].0;
    let st = pqrs::db::spool::state(&mut c, id).unwrap().unwrap();
    assert!(st.processed_at.is_none() && st.last_error.as_deref().is_some_and(|e| e.contains("mark refused")), "{backend:?}: {st:?}");
    // Once the mark can be made, the retry files it once, and the row names its radicado.
    refuse_marking(&mut c, false);
    common::wait_until(Duration::from_secs(20), "the retry to file the mail", || {
        pqrs::intake::spool::process_due(&intake, &pool, 10, None).unwrap();
        backlog(&db) == 0
    });
    let rows = spool_rows(&mut c);
    let filed = radicados(&mut c);
    assert_eq!(filed.len(), 1, "{backend:?}");
    assert_eq!(outcome(&rows[0])["radicado"].as_str(), Some(filed[0].as_str()), "{backend:?}: {rows:?}");
    // The radicado is the first of the year: the rolled-back attempt used none.
    assert!(filed[0].ends_with("0000012"), "{backend:?}: {filed:?}");
}
