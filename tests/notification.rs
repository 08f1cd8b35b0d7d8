//! Proof of notification (legal engine issue): an answer accepted by a real SMTP server (aiosmtpd)
//! and then bounced (a DSN fed through `pqrs ingest`, the MTA-pipe door of the intake pipeline)
//! puts its case in triage as "notificación fallida", once, in the transaction that stores the
//! bounce; a delay report changes nothing on the case; a permanent refusal does the same as a
//! bounce; the case page shows the mark, the bounce and each mail's delivery state, escaped; staff
//! clear the mark by recording what they did. Both backends.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::{server_env, wait_until_async, Backend, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use pqrs::db::models::{CaseEvent, CaseRow, OutboxRow};
use pqrs::db::schema::{case_events, cases, messages, outbox};
use pqrs::intake::{Outcome, RawMail, Source};

const STAFF: &str = "triage@anm.test";

fn petition(mid: &str, from: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Mon, 30 Nov 2026 09:00:00 -0500\r\nFrom: Ana Pérez <{from}>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: Solicitud de certificado\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Solicito el certificado de registro minero de la placa JLC-16401.\r\n"
    )
}

/// A delivery status notification (RFC 3464) for our mail `original`, with `action` and `status`.
fn dsn(id: &str, original: &str, action: &str, status: &str, subject: &str) -> String {
    format!(
        "Return-Path: <>\r\nMessage-ID: <{id}>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n\
         To: pqrs@pqrs.localhost\r\nSubject: {subject}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         This is the mail system at host mx.example.com.\r\nI'm sorry to have to inform you that your message could not\r\n\
         be delivered to one or more recipients: <ana@example.com>: mailbox unavailable.\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
         Final-Recipient: rfc822; ana@example.com\r\nAction: {action}\r\nStatus: {status}\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{original}>\r\nSubject: Respuesta\r\n\r\n--B--\r\n"
    )
}

/// `pqrs ingest` with `raw` on stdin (the real MTA-pipe door): the outcome it printed.
fn ingest(db: &TestDb, raw: &str) -> serde_json::Value {
    let mut child = common::pqrs_cmd(db)
        .args(["ingest", "--direct"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pqrs ingest");
    child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "ingest: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("ingest prints the outcome")
}

fn outbox_row(db: &TestDb, case_id: i64, purpose: &str) -> Option<OutboxRow> {
    outbox::table
        .filter(outbox::case_id.eq(case_id))
        .filter(outbox::purpose.eq(purpose))
        .select(OutboxRow::as_select())
        .first(&mut db.conn())
        .optional()
        .unwrap()
}

fn events(db: &TestDb, case_id: i64, kind: &str) -> Vec<CaseEvent> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::event_type.eq(kind))
        .select(CaseEvent::as_select())
        .load(&mut db.conn())
        .unwrap()
}

fn case(db: &TestDb, id: i64) -> CaseRow {
    cases::table.find(id).select(CaseRow::as_select()).first(&mut db.conn()).unwrap()
}

/// A case filed by mail, assigned (which clears routing's review flag) and answered through the
/// case API of the running app, whose outbox worker delivers to the real SMTP sink.
struct Answered {
    app: TestApp,
    radicado: String,
    case_id: i64,
}

async fn answered(backend: Backend, citizen: &str) -> Option<Answered> {
    let smtp = server_env("PQRS_TEST_SMTP")?;
    let db = TestDb::new(backend);
    let intake = db.intake();
    let mid = format!("n{}@citizen.example", rand::random::<u32>());
    let raw = petition(&mid, "ana@example.com");
    let mail = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: None };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), mail, false).unwrap() else { panic!("expected a case") };
    let case_id: i64 = cases::table.filter(cases::radicado.eq(&radicado)).select(cases::id).first(&mut db.conn()).unwrap();
    if citizen != "ana@example.com" {
        diesel::update(cases::table.find(case_id)).set(cases::citizen_email.eq(citizen)).execute(&mut db.conn()).unwrap();
    }
    db.add_staff(STAFF, "triage", None);
    let token = db.user_token(STAFF);
    let app = TestApp::builder(backend).db(db).env("PQRS_SMTP_URL", format!("smtp://{smtp}")).spawn().await;
    let c = app.client();
    for body in [
        serde_json::json!({ "action": "assign", "department": "VCT" }),
        serde_json::json!({ "action": "respond", "text": "Adjuntamos el certificado solicitado." }),
    ] {
        let mut res = c
            .post(app.url(&format!("/api/v1/cases/{radicado}/actions")))
            .bearer_auth(&token)
            .send_json(&body)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&res.body().await.unwrap()).to_string();
        assert_eq!(res.status().as_u16(), 200, "{body}: {text}");
    }
    assert!(!case(&app.db, case_id).needs_review, "assigning clears the routing review flag");
    Some(Answered { app, radicado, case_id })
}

/// Waits until the outbox worker has finished with the answer (sent or failed).
async fn answer_settled(a: &Answered, status: &str) -> OutboxRow {
    let db = &a.app.db;
    wait_until_async(Duration::from_secs(30), &format!("the answer to be {status}"), || {
        outbox_row(db, a.case_id, "respuesta").is_some_and(|r| r.status == status)
    })
    .await;
    outbox_row(db, a.case_id, "respuesta").unwrap()
}

common::backend_tests!(#[actix_web::test] async fn a_bounced_answer_puts_the_case_in_triage_once);
async fn a_bounced_answer_puts_the_case_in_triage_once(backend: Backend) {
    let Some(a) = answered(backend, "ana@example.com").await else { return };
    let sent = answer_settled(&a, "sent").await;
    assert!(sent.sent_at.is_some(), "{backend:?}: SMTP acceptance is recorded");
    let db = &a.app.db;
    assert!(events(db, a.case_id, "notificacion_fallida").is_empty());

    let bounce = dsn("dsn-a@mx.example.com", &sent.message_id, "failed", "5.1.1", "Undelivered Mail Returned to Sender");
    let out = ingest(db, &bounce);
    assert_eq!(out["outcome"], "bounce", "{backend:?}: {out}");
    assert_eq!(out["outbox_id"], sent.id, "{backend:?}: {out}");

    let bounce_row: i64 = messages::table.filter(messages::disposition.eq("bounce")).select(messages::id).first(&mut db.conn()).unwrap();
    let after = outbox_row(db, a.case_id, "respuesta").unwrap();
    assert_eq!((after.status.as_str(), after.bounce_message_row_id), ("failed", Some(bounce_row)), "{backend:?}");
    let c = case(db, a.case_id);
    assert!(c.needs_review, "{backend:?}: the case is back in triage");
    assert_eq!(c.status, "respondido", "the case keeps its status");
    let failed = events(db, a.case_id, "notificacion_fallida");
    assert_eq!(failed.len(), 1, "{backend:?}");
    assert_eq!(failed[0].actor, "system");
    let p: serde_json::Value = serde_json::from_str(&failed[0].payload).unwrap();
    assert_eq!(p["outbox_id"], sent.id);
    assert_eq!(p["purpose"], "respuesta");
    assert_eq!(p["radicado"].as_str(), c.response_radicado.as_deref(), "the answer's outgoing radicado: {p}");
    assert!(p["radicado"].as_str().is_some_and(|r| r.ends_with('1')), "{p}");
    assert!(p["error"].as_str().is_some_and(|e| e.contains("5.1.1")), "{p}");
    assert_eq!(p["bounce_message_row_id"], bounce_row, "{p}");

    // The same bounce again (a redelivery), then another report of the same failure: no second event.
    assert_eq!(ingest(db, &bounce)["outcome"], "duplicate");
    let second = dsn("dsn-b@mx.example.com", &sent.message_id, "failed", "5.1.1", "Delivery Status Notification (Failure)");
    assert_eq!(ingest(db, &second)["outcome"], "bounce");
    assert_eq!(events(db, a.case_id, "notificacion_fallida").len(), 1, "{backend:?}: a second bounce adds no event");
    assert_eq!(outbox_row(db, a.case_id, "respuesta").unwrap().bounce_message_row_id, Some(bounce_row), "the first bounce stays linked");
    a.app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn a_delay_report_records_nothing_on_the_case);
async fn a_delay_report_records_nothing_on_the_case(backend: Backend) {
    let Some(a) = answered(backend, "ana@example.com").await else { return };
    let sent = answer_settled(&a, "sent").await;
    let db = &a.app.db;
    let delay = dsn("dsn-d@mx.example.com", &sent.message_id, "delayed", "4.4.7", "Delivery Status Notification (Delay)");
    let out = ingest(db, &delay);
    assert_eq!(out["outcome"], "bounce", "{backend:?}: {out}");
    let stored: i64 = messages::table
        .filter(messages::disposition.eq("bounce"))
        .filter(messages::case_id.eq(a.case_id))
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(stored, 1, "the delay report is stored on the case");
    let after = outbox_row(db, a.case_id, "respuesta").unwrap();
    assert_eq!((after.status.as_str(), after.bounce_message_row_id), ("sent", None), "{backend:?}");
    assert!(!case(db, a.case_id).needs_review, "{backend:?}: a delay is not a failure");
    assert!(events(db, a.case_id, "notificacion_fallida").is_empty(), "{backend:?}");
    a.app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn a_permanent_refusal_of_the_answer_is_a_failed_notification);
async fn a_permanent_refusal_of_the_answer_is_a_failed_notification(backend: Backend) {
    // An address the mailer refuses for good: the answer never leaves.
    let Some(a) = answered(backend, "not an address").await else { return };
    let failed = answer_settled(&a, "failed").await;
    let db = &a.app.db;
    assert!(case(db, a.case_id).needs_review, "{backend:?}");
    let ev = events(db, a.case_id, "notificacion_fallida");
    assert_eq!(ev.len(), 1, "{backend:?}");
    let p: serde_json::Value = serde_json::from_str(&ev[0].payload).unwrap();
    assert_eq!((p["outbox_id"].as_i64(), p["purpose"].as_str()), (Some(failed.id), Some("respuesta")), "{p}");
    assert_eq!(p["error"].as_str(), failed.last_error.as_deref(), "{p}");
    assert!(p["bounce_message_row_id"].is_null(), "{p}");
    a.app.stop().await;
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).expect("a form with csrf").split('"').next().unwrap().to_string()
}

async fn page(app: &TestApp, cookie: &awc::cookie::Cookie<'static>, path: &str) -> String {
    let mut res = app.client().get(app.url(path)).cookie(cookie.clone()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap()
}

common::backend_tests!(#[actix_web::test] async fn the_case_page_and_triage_show_the_failed_notification_until_staff_handle_it);
async fn the_case_page_and_triage_show_the_failed_notification_until_staff_handle_it(backend: Backend) {
    let Some(a) = answered(backend, "ana@example.com").await else { return };
    let sent = answer_settled(&a, "sent").await;
    let db = &a.app.db;
    wait_until_async(Duration::from_secs(30), "the acknowledgement sent", || {
        outbox_row(db, a.case_id, "acuse").is_some_and(|r| r.status == "sent")
    })
    .await;
    // The bounce's subject carries markup: it must come out escaped.
    let bounce = dsn("dsn-c@mx.example.com", &sent.message_id, "failed", "5.1.1", "Undelivered <b>Mail</b> Returned");
    assert_eq!(ingest(db, &bounce)["outcome"], "bounce");
    let bounce_row: i64 = messages::table.filter(messages::disposition.eq("bounce")).select(messages::id).first(&mut db.conn()).unwrap();

    let cookie = a.app.login(STAFF, PASSWORD).await.unwrap();
    let html = page(&a.app, &cookie, &format!("/casos/{}", a.radicado)).await;
    assert!(html.contains("Notificación fallida"), "{backend:?}: no mark on the case page");
    assert!(html.contains(&format!("href=\"#mensaje-{bounce_row}\"")), "the bounce is linked");
    assert!(html.contains(&format!("id=\"mensaje-{bounce_row}\"")), "the stored bounce is on the page");
    assert!(html.contains("mailbox unavailable"), "an excerpt of the bounce is shown");
    assert!(html.contains("rebotado (rebote (estado 5.1.1): Undelivered &lt;b&gt;Mail&lt;/b&gt; Returned)"), "{backend:?}: delivery state of the answer");
    assert!(!html.contains("<b>Mail</b>"), "the bounce subject is escaped");
    let accepted = regex::Regex::new(r"enviado \(aceptado por el servidor de correo el \d{2}/\d{2}/\d{4} \d{2}:\d{2}, hora de Bogotá\)").unwrap();
    assert!(accepted.is_match(&html), "{backend:?}: the acknowledgement's delivery state");

    let triage = page(&a.app, &cookie, "/triage").await;
    let listed = triage.split("Notificación fallida (1)").nth(1).unwrap_or_else(|| panic!("{backend:?}: not in triage"));
    let listed = listed.split("Por revisar").next().unwrap();
    assert!(listed.contains(&a.radicado) && listed.contains("5.1.1"), "{backend:?}: the mark and the reason in triage");

    // Staff record how they notified: the mark goes, the record stays.
    let csrf = csrf_of(&html);
    let res = a
        .app
        .client()
        .post(a.app.url(&format!("/casos/{}/acciones", a.radicado)))
        .cookie(cookie.clone())
        .send_form(&[("csrf", csrf.as_str()), ("action", "notificacion_atendida"), ("reason", "Notificada por aviso (art. 69 CPACA)")])
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers().get("location").unwrap().to_str().unwrap(), format!("/casos/{}", a.radicado), "no error");
    assert!(!case(db, a.case_id).needs_review, "{backend:?}");
    assert_eq!(events(db, a.case_id, "notificacion_atendida").len(), 1);
    let html = page(&a.app, &cookie, &format!("/casos/{}", a.radicado)).await;
    assert!(!html.contains("notificacion-fallida"), "{backend:?}: the mark is gone");
    assert!(html.contains("rebotado ("), "the delivery state stays");
    assert!(page(&a.app, &cookie, "/triage").await.contains("Notificación fallida (0)"));
    a.app.stop().await;
}
