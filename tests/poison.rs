//! One bad mail never blocks the ones behind it, on any door. A test trigger makes the database
//! refuse one message for good (as a constraint on that row would): the mail before it and the
//! mail after it are filed, the refused one is kept in quarantine with its raw bytes and the
//! reason, and nothing is retried for ever (no exit 75, no 503, no reconnect loop).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{server_envs, wait_until_async, Backend, TestApp, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{cases, quarantine};
use pqrs::db::AnyConnection;

/// The subject the trigger refuses.
const POISON: &str = "VENENO";

/// A trigger that refuses to store a message whose subject is [`POISON`] (a permanent error
/// for that one row; every other row is stored).
fn install_poison_trigger(conn: &mut AnyConnection) {
    let statements: &[&str] = match conn {
        AnyConnection::Sqlite(_) => &["CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.subject = 'VENENO' \
             BEGIN SELECT RAISE(ABORT, 'poison mail refused by a test trigger'); END"],
        AnyConnection::Postgresql(_) => &[
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.subject = 'VENENO' THEN \
             RAISE EXCEPTION 'poison mail refused by a test trigger' USING ERRCODE = 'check_violation'; \
             END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION poison()",
        ],
    };
    for s in statements {
        diesel::sql_query(*s).execute(conn).expect("install the test trigger");
    }
}

fn mail(mid: &str, subject: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\nFrom: Ana Pérez <ana@example.com>\r\n\
         To: contacto@anm.gov.co\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito copia del certificado de registro minero.\r\n"
    )
}

/// The three mails every door gets: good, poison, good.
fn three(tag: &str) -> [(String, String); 3] {
    [
        (format!("{tag}-1@citizen.example"), mail(&format!("{tag}-1@citizen.example"), "Certificado")),
        (format!("{tag}-2@citizen.example"), mail(&format!("{tag}-2@citizen.example"), POISON)),
        (format!("{tag}-3@citizen.example"), mail(&format!("{tag}-3@citizen.example"), "Otra petición")),
    ]
}

fn counts(db: &TestDb) -> (i64, i64) {
    let mut c = db.conn();
    (cases::table.count().get_result(&mut c).unwrap(), quarantine::table.count().get_result(&mut c).unwrap())
}

fn assert_quarantined_with_reason(db: &TestDb, backend: Backend) {
    let (reason, raw): (String, Vec<u8>) =
        quarantine::table.select((quarantine::reason, quarantine::raw)).first(&mut db.conn()).unwrap();
    assert!(reason.starts_with("store_rejected:") && reason.contains("poison mail refused"), "{backend:?}: {reason}");
    assert!(String::from_utf8_lossy(&raw).contains("Subject: VENENO"), "{backend:?}: raw bytes kept");
}

fn pqrs(db: &TestDb) -> Command {
    common::pqrs_cmd(db)
}

common::backend_tests!(#[test] fn import_files_the_mails_around_a_poison_one);
fn import_files_the_mails_around_a_poison_one(backend: Backend) {
    let db = TestDb::new(backend);
    install_poison_trigger(&mut db.conn());
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, raw)) in three("imp").iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.eml")), raw).unwrap();
    }
    let out = pqrs(&db).args(["import", "--json"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["received"].as_i64(), v["cases"].as_i64(), v["quarantined"].as_i64()), (Some(3), Some(2), Some(1)), "{backend:?}: {v}");
    assert_eq!(counts(&db), (2, 1), "{backend:?}");
    assert_quarantined_with_reason(&db, backend);
}

common::backend_tests!(#[test] fn ingest_exits_0_for_a_poison_mail_and_keeps_it);
fn ingest_exits_0_for_a_poison_mail_and_keeps_it(backend: Backend) {
    let db = TestDb::new(backend);
    install_poison_trigger(&mut db.conn());
    for (_, raw) in three("ing") {
        let mut child = pqrs(&db).args(["ingest", "--direct"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        // 75 would make the MTA retry the same mail for days.
        assert_eq!(out.status.code(), Some(0), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(counts(&db), (2, 1), "{backend:?}");
    assert_quarantined_with_reason(&db, backend);
}

common::backend_tests!(#[actix_web::test] async fn the_maildir_watcher_moves_past_a_poison_mail);
async fn the_maildir_watcher_moves_past_a_poison_mail(backend: Backend) {
    let db = TestDb::new(backend);
    install_poison_trigger(&mut db.conn());
    let app = TestApp::builder(backend).db(db).spawn().await;
    let db = &app.db;
    let maildir = app.data_dir.join("maildir");
    wait_until_async(Duration::from_secs(10), "the Maildir to exist", || maildir.join("new").is_dir()).await;
    for (i, (_, raw)) in three("mdir").iter().enumerate() {
        // Written in tmp/ and renamed into new/, as a delivery agent does.
        let tmp = maildir.join("tmp").join(format!("{i}.eml"));
        std::fs::write(&tmp, raw).unwrap();
        std::fs::rename(&tmp, maildir.join("new").join(format!("1700000000.{i}.test"))).unwrap();
    }
    wait_until_async(Duration::from_secs(20), "all three mails to leave new/", || {
        std::fs::read_dir(maildir.join("new")).map(|d| d.count() == 0).unwrap_or(false)
    })
    .await;
    assert_eq!(counts(&db), (2, 1), "{backend:?}");
    assert_quarantined_with_reason(&db, backend);
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn the_imap_worker_moves_past_a_poison_mail);
async fn the_imap_worker_moves_past_a_poison_mail(backend: Backend) {
    use futures_util::TryStreamExt;
    let Some([imap, ca]) = server_envs(["PQRS_TEST_IMAP", "PQRS_TEST_CA"]) else { return };
    let port = imap.rsplit(':').next().unwrap();
    let db = TestDb::new(backend);
    install_poison_trigger(&mut db.conn());
    let folder = format!("p{}", rand::random::<u32>());
    let url = format!("imap://pqrs:secret@localhost:{port}/{folder}");
    let tls = pqrs::tls::client_config(&ca).unwrap();
    let mut admin = pqrs::intake::imap::connect(&pqrs::intake::imap::ImapUrl::parse(&url).unwrap(), tls).await.expect("test IMAP login");
    admin.create(&folder).await.unwrap();
    for (_, raw) in three("imap") {
        admin.append(&folder, None, None, raw).await.unwrap();
    }
    let app = TestApp::builder(backend)
        .db(db)
        .env("PQRS_IMAP_URL", url.clone())
        .env("PQRS_TLS_CA_FILE", ca.clone())
        .env("PQRS_POLL_INTERVAL_SECS", "2")
        .spawn()
        .await;
    let db = &app.db;
    wait_until_async(Duration::from_secs(30), "two cases and one quarantine record", || counts(&db) == (2, 1)).await;
    assert_quarantined_with_reason(&db, backend);
    // All three are marked on the server: the poison mail is not read again and again.
    // Counted per sequence number: while this session has the folder selected, the server may
    // also push unsolicited FETCH responses for the worker's flag changes into the same stream.
    admin.select(&folder).await.unwrap();
    let seen: std::collections::BTreeSet<u32> = admin
        .fetch("1:3", "FLAGS")
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .iter()
        .filter(|f| f.flags().any(|fl| matches!(fl, async_imap::types::Flag::Seen)))
        .map(|f| f.message)
        .collect();
    assert_eq!(seen, (1..=3).collect(), "{backend:?}");
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn a_web_filing_the_store_refuses_gets_422_and_the_next_one_201);
async fn a_web_filing_the_store_refuses_gets_422_and_the_next_one_201(backend: Backend) {
    let db = TestDb::new(backend);
    install_poison_trigger(&mut db.conn());
    let app = TestApp::builder(backend).db(db).spawn().await;
    let db = &app.db;
    let base = &app.base;
    let filing = |subject: &str| {
        serde_json::json!({"name": "Ana Pérez", "document_type": "CC", "document_number": "15372886", "email": "ana@example.com",
            "subject": subject, "message": "Solicito copia del certificado de registro minero.", "consent": true})
    };
    let c = app.client();
    let bad = c.post(format!("{base}/api/v1/filings")).send_json(&filing(POISON)).await.unwrap();
    assert_eq!(bad.status().as_u16(), 422, "{backend:?}");
    let good = c.post(format!("{base}/api/v1/filings")).send_json(&filing("Certificado")).await.unwrap();
    assert_eq!(good.status().as_u16(), 201, "{backend:?}");
    assert_eq!(counts(&db).0, 1, "{backend:?}");
    app.stop().await;
}

#[test]
fn the_trigger_really_refuses_the_poison_subject() {
    // The tests above would pass vacuously if the trigger refused nothing.
    let db = TestDb::new(Backend::Sqlite);
    install_poison_trigger(&mut db.conn());
    let mut c = db.conn();
    let mut msg = common::new_message("t@x", chrono::Utc::now());
    msg.subject = POISON.into();
    let err = diesel::insert_into(pqrs::db::schema::messages::table).values(&msg).execute(&mut c);
    assert!(err.is_err());
}
