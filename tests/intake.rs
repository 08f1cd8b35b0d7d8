//! The mailbox pipeline end to end through its doors (`pqrs import`, `pqrs ingest`, the library):
//! every mail ends as a case, a reply, an automatic mail, a bounce, a duplicate or a quarantine
//! record, exactly once, on both backends.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::{config_with, Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{case_events, cases, messages, outbox, quarantine};
use pqrs::intake::{Intake, Outcome, RawMail, Source};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

fn mail(mid: &str, from: &str, subject: &str, body: &str, extra: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\nFrom: {from}\r\n\
         To: contacto@anm.gov.co\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

fn intake_for(db: &TestDb) -> Intake {
    let config = config_with(&[
        ("PQRS_DATABASE_URL", db.url_string()),
        ("PQRS_RULES_DIR", RULES.to_string()),
        ("PQRS_MESSAGE_ID_DOMAIN", "pqrs.test".to_string()),
    ]);
    Intake::load(Arc::new(config)).expect("intake")
}

fn feed(intake: &Intake, conn: &mut pqrs::db::AnyConnection, raw: &str) -> Outcome {
    let mail = RawMail { bytes: raw.as_bytes(), source: Source::Pipe, source_ref: None, source_time: None };
    intake.process(conn, mail, false).expect("process")
}

fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).unwrap();
}

fn pqrs(db: &TestDb) -> Command {
    common::pqrs_cmd(db)
}

fn import_json(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let out = pqrs(db).arg("import").arg("--json").args(args).output().unwrap();
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json summary")
}

common::backend_tests!(#[test] fn import_prints_exact_counts_and_a_second_run_adds_nothing);
fn import_prints_exact_counts_and_a_second_run_adds_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.eml", &mail("a@citizen.example", "Ana <ana@example.com>", "Certificado de registro minero", "Solicito el certificado de registro minero de la placa JLC-16401.", ""));
    write(d, "b.eml", &mail("b@citizen.example", "beto@example.com", "Denuncia", "Hay minería ilegal con dragas en el río.", ""));
    // The same mail again under another name (a mail sent to two of our addresses).
    write(d, "b-copy.eml", &mail("b@citizen.example", "beto@example.com", "Denuncia", "Hay minería ilegal con dragas en el río.", ""));
    write(d, "c-auto.eml", &mail("c@mailer.example", "vacaciones@example.com", "Fuera de la oficina", "Estoy de vacaciones.", "Auto-Submitted: auto-replied\r\n"));
    write(d, "d-garbage.eml", "\u{0}\u{1}this is not a mail at all");
    // Two mails in an mbox.
    let mbox = format!(
        "From ana@example.com Tue Mar 10 10:00:00 2026\n{}\nFrom carlos@example.com Tue Mar 10 11:00:00 2026\n{}\n",
        mail("m1@citizen.example", "carla@example.com", "Consulta", "¿Cuál es el trámite para una autorización temporal?", "").replace("\r\n", "\n"),
        mail("m2@citizen.example", "carlos@example.com", "Regalías", "Quiero pagar las regalías atrasadas por cuotas.", "").replace("\r\n", "\n"),
    );
    write(d, "e.mbox", &mbox);
    // A different mail that reuses b's Message-ID (a broken mailer, a ticketing system): filed
    // in its own right and counted apart; and a redelivery of b with transport headers added.
    write(d, "b-reused-id.eml", &mail("b@citizen.example", "dora@example.com", "Solicitud de visita", "Pido una visita de fiscalización a la mina.", ""));
    write(d, "b-redelivered.eml", &format!("Received: from relay.example by mx.anm.example; Tue, 3 Mar 2026 10:00:05 -0500\r\nDelivered-To: contacto@anm.example\r\nX-Spam-Score: 0.1\r\n{}", mail("b@citizen.example", "beto@example.com", "Denuncia", "Hay minería ilegal con dragas en el río.", "")));
    // A reply to the first mail (threads by In-Reply-To), named to be read last.
    write(d, "z-reply.eml", &mail("z@citizen.example", "ana@example.com", "Re: Certificado", "Adjunto lo que faltaba.", "In-Reply-To: <a@citizen.example>\r\n"));
    // A reply to that reply alone (the PostgreSQL import stores it after the replies it names).
    write(d, "zz-reply.eml", &mail("zz@citizen.example", "ana@example.com", "Re: Re: Certificado", "Y esta es la última página.", "In-Reply-To: <z@citizen.example>\r\n"));

    // A dry run predicts the real import exactly, duplicates inside the batch included.
    let out = pqrs(&db).args(["import", "--dry-run", "--json"]).arg(d).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let predicted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = import_json(&db, &[d.to_str().unwrap()]);
    assert_eq!(predicted, first, "{backend:?}: dry run vs import");
    assert_eq!(
        first,
        serde_json::json!({"received": 11, "cases": 5, "replies": 2, "automatic": 1, "duplicates": 2, "quarantined": 1, "reused_message_id": 1}),
        "{backend:?}"
    );
    let second = import_json(&db, &[d.to_str().unwrap()]);
    assert_eq!(
        second,
        serde_json::json!({"received": 11, "cases": 0, "replies": 0, "automatic": 0, "duplicates": 11, "quarantined": 0, "reused_message_id": 0}),
        "{backend:?}"
    );
    let mut conn = db.conn();
    let n_cases: i64 = cases::table.count().get_result(&mut conn).unwrap();
    let n_msgs: i64 = messages::table.count().get_result(&mut conn).unwrap();
    let n_quarantine: i64 = quarantine::table.count().get_result(&mut conn).unwrap();
    let n_acks: i64 = outbox::table.count().get_result(&mut conn).unwrap();
    assert_eq!((n_cases, n_msgs, n_quarantine, n_acks), (5, 8, 1, 5), "{backend:?}");
    // On PostgreSQL the import commits without waiting for the WAL flush, so its
    // acknowledgements are due later than their filing (never sent before they are durable);
    // on SQLite each batch commits durably and they are due at once.
    let due: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)> =
        outbox::table.select((outbox::created_at, outbox::next_attempt_at)).load(&mut conn).unwrap();
    let hold = match backend {
        Backend::Postgres => pqrs::workflow::intake::IMPORT_ACK_HOLD,
        Backend::Sqlite => chrono::Duration::zero(),
    };
    assert!(due.iter().all(|(created, next)| *next - *created == hold), "{backend:?}: {due:?}");
    let flagged: Vec<Option<String>> = messages::table
        .filter(messages::reused_message_id.eq(true))
        .select(messages::from_addr)
        .load(&mut conn)
        .unwrap();
    assert_eq!(flagged, vec![Some("dora@example.com".to_string())], "{backend:?}");
    // The mbox From_ line gave the received time (10:00 local is before the cutoff).
    let received: Vec<String> = cases::table.select(cases::received_month).load(&mut conn).unwrap();
    assert!(received.iter().all(|m| m == "2026-03"), "{received:?}");
    // The same files in batches of two, into an empty database: on PostgreSQL each batch is
    // prepared while the one before it is stored, so several are in flight; the same counts.
    let db2 = TestDb::new(backend);
    let out = pqrs(&db2).args(["import", "--json", "--batch", "2"]).arg(d).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let batched: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(batched, first, "{backend:?}: batches of two");
    let mut conn2 = db2.conn();
    let seqs: Vec<i64> = cases::table.select(cases::radicado_seq).order(cases::radicado_seq).load(&mut conn2).unwrap();
    assert_eq!(seqs, (1..=5).collect::<Vec<i64>>(), "{backend:?}: radicados without a gap");
}

#[test]
fn a_dry_run_stores_nothing() {
    let db = TestDb::new(common::Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.eml", &mail("dry@x", "ana@example.com", "Hola", "Petición", ""));
    let out = pqrs(&db).args(["import", "--dry-run", "--json"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cases"], 1);
    let n: i64 = messages::table.count().get_result(&mut db.conn()).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn ingest_stores_quarantines_and_asks_the_mta_to_retry_when_the_database_is_down() {
    let db = TestDb::new(common::Backend::Sqlite);
    let run = |cmd: &mut Command, input: &[u8]| {
        let mut child = cmd.args(["ingest", "--direct"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = run(&mut pqrs(&db), mail("ing@x", "ana@example.com", "Petición", "Necesito información.", "").as_bytes());
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("\"outcome\":\"case\""));

    let bad = run(&mut pqrs(&db), b"\x00\x01\x02 binary junk");
    assert_eq!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("quarantined"));

    let mut down = pqrs(&db);
    down.env("PQRS_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
    let retry = run(&mut down, mail("ing2@x", "ana@example.com", "Petición", "Hola", "").as_bytes());
    assert_eq!(retry.status.code(), Some(75), "{}", String::from_utf8_lossy(&retry.stderr));
}

common::backend_tests!(#[test] fn a_radicado_in_the_subject_threads_only_for_the_same_citizen);
fn a_radicado_in_the_subject_threads_only_for_the_same_citizen(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = intake_for(&db);
    let mut conn = db.conn();
    let Outcome::Case { radicado, .. } = feed(&intake, &mut conn, &mail("t1@x", "ana@example.com", "Petición", "Solicito información.", "")) else {
        panic!("expected a case");
    };
    let same = feed(&intake, &mut conn, &mail("t2@x", "Ana <ANA@example.com>", &format!("Re: radicado {radicado}"), "Más datos.", ""));
    assert_eq!(same, Outcome::Reply { radicado: radicado.clone() }, "{backend:?}");
    let other = feed(&intake, &mut conn, &mail("t3@x", "otro@example.com", &format!("Sobre el radicado {radicado}"), "Yo también.", ""));
    let Outcome::Case { radicado: new_r, .. } = other else { panic!("{other:?}") };
    let linked: Option<String> = cases::table.filter(cases::radicado.eq(&new_r)).select(cases::linked_radicado).first(&mut conn).unwrap();
    assert_eq!(linked, Some(radicado.clone()));
    // The reply is an event the department sees.
    let events: Vec<String> = case_events::table.select(case_events::event_type).load(&mut conn).unwrap();
    assert!(events.contains(&"respuesta_ciudadano".to_string()), "{events:?}");
}

common::backend_tests!(#[test] fn automatic_mail_is_stored_never_acknowledged_and_a_bounce_marks_our_mail_failed);
fn automatic_mail_is_stored_never_acknowledged_and_a_bounce_marks_our_mail_failed(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = intake_for(&db);
    let mut conn = db.conn();
    assert!(matches!(feed(&intake, &mut conn, &mail("c1@x", "ana@example.com", "Petición", "Hola, pido información.", "")), Outcome::Case { acknowledged: true, .. }));
    let ack_mid: String = outbox::table.select(outbox::message_id).first(&mut conn).unwrap();
    for (i, extra) in ["Precedence: bulk\r\n", "List-Id: <noticias.example.com>\r\n", "Auto-Submitted: auto-generated\r\n"].iter().enumerate() {
        let o = feed(&intake, &mut conn, &mail(&format!("auto{i}@x"), "boletin@example.com", "Boletín", "Noticias", extra));
        assert!(matches!(o, Outcome::Automatic { .. }), "{extra}: {o:?}");
    }
    let dsn = format!(
        "Message-ID: <dsn1@mx.example>\r\nFrom: MAILER-DAEMON@mx.example\r\nTo: pqrs@pqrs.test\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
         Final-Recipient: rfc822; ana@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{ack_mid}>\r\nSubject: acuse\r\n\r\n--B--\r\n"
    );
    let o = feed(&intake, &mut conn, &dsn);
    assert!(matches!(o, Outcome::Bounce { outbox_id: Some(_) }), "{backend:?}: {o:?}");
    let status: String = outbox::table.filter(outbox::message_id.eq(&ack_mid)).select(outbox::status).first(&mut conn).unwrap();
    assert_eq!(status, "failed");
    let acks: i64 = outbox::table.count().get_result(&mut conn).unwrap();
    assert_eq!(acks, 1, "automatic mail must never be acknowledged");
    let n_cases: i64 = cases::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n_cases, 1);
    let auto: i64 = messages::table.filter(messages::disposition.eq("automatic")).count().get_result(&mut conn).unwrap();
    assert_eq!(auto, 3, "automatic mail is stored and counted");
}

#[test]
fn acknowledgements_are_limited_per_sender_and_hour() {
    let db = TestDb::new(common::Backend::Sqlite);
    let intake = intake_for(&db);
    let mut conn = db.conn();
    for i in 0..7 {
        feed(&intake, &mut conn, &mail(&format!("flood{i}@x"), "flood@example.com", "Petición", &format!("Petición número {i}"), ""));
    }
    let acks: i64 = outbox::table.filter(outbox::purpose.eq("acuse")).count().get_result(&mut conn).unwrap();
    assert_eq!(acks, 5);
    // Beyond the limit, one combined acknowledgement (tests/ack_combined.rs has the detail).
    let combined: i64 = outbox::table.filter(outbox::purpose.eq("acuse_agrupado")).count().get_result(&mut conn).unwrap();
    assert_eq!(combined, 1);
    let n_cases: i64 = cases::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n_cases, 7, "every mail is still filed");
}

#[test]
fn an_oversized_mail_is_quarantined_raw_with_the_reason() {
    let db = TestDb::new(common::Backend::Sqlite);
    let config = config_with(&[
        ("PQRS_DATABASE_URL", db.url_string()),
        ("PQRS_RULES_DIR", RULES.to_string()),
        ("PQRS_MAX_MESSAGE_BYTES", "2048".to_string()),
    ]);
    let intake = Intake::load(Arc::new(config)).unwrap();
    let mut conn = db.conn();
    let big = mail("big@x", "ana@example.com", "Anexo grande", &"x".repeat(10_000), "");
    let o = feed(&intake, &mut conn, &big);
    assert!(matches!(&o, Outcome::Quarantined { reason } if reason.contains("too_large") || reason.contains("limit")), "{o:?}");
    let (raw, reason): (Vec<u8>, String) = quarantine::table.select((quarantine::raw, quarantine::reason)).first(&mut conn).unwrap();
    assert_eq!(raw, big.as_bytes());
    assert!(!reason.is_empty());
}
