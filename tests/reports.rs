//! The virtual-channel report counts exactly what DESIGN.md §3 says, bucketed by calendar month in
//! Bogotá: a known mix of mail, replies, automatic mail, duplicates, quarantine, web filings,
//! sent acknowledgements, a permanent SMTP failure and an internal digest. Served over HTTP to a
//! report token only (JSON and CSV), and by the CLI. Both backends.

mod common;

use chrono::{TimeZone, Utc};
use common::{Backend, TestApp, TestDb};
use diesel::prelude::*;
use pqrs::db::models::OutboxRow;
use pqrs::db::schema::outbox;
use pqrs::intake::web_form::{validate, FilingInput};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::mailer::{record_result, SendError};

fn mail(mid: &str, from: &str, extra: &str) -> String {
    format!("Message-ID: <{mid}>\r\nFrom: {from}\r\nTo: contacto@anm.gov.co\r\nSubject: Petición\r\n{extra}\r\nSolicito información sobre un título minero.\r\n")
}

fn feed(intake: &Intake, db: &TestDb, raw: &str, at: chrono::DateTime<Utc>) -> Outcome {
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Imap, source_ref: None, source_time: Some(at) };
    intake.process(&mut db.conn(), m, false).unwrap()
}

common::backend_tests!(#[actix_web::test] async fn the_year_report_counts_a_known_mix_exactly);
async fn the_year_report_counts_a_known_mix_exactly(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    // 31 January 23:30 in Bogotá = 1 February 04:30 UTC: January.
    let jan31 = Utc.with_ymd_and_hms(2026, 2, 1, 4, 30, 0).unwrap();
    assert!(matches!(feed(&intake, &db, &mail("jan@x", "ana@example.com", ""), jan31), Outcome::Case { .. }));
    let feb = Utc.with_ymd_and_hms(2026, 2, 10, 15, 0, 0).unwrap();
    assert!(matches!(feed(&intake, &db, &mail("feb1@x", "beto@example.com", ""), feb), Outcome::Case { .. }));
    assert!(matches!(feed(&intake, &db, &mail("feb2@x", "carla@example.com", ""), feb), Outcome::Case { .. }));
    assert!(matches!(feed(&intake, &db, &mail("feb3@x", "ana@example.com", "In-Reply-To: <jan@x>\r\n"), feb), Outcome::Reply { .. }));
    assert!(matches!(feed(&intake, &db, &mail("feb4@x", "boletin@example.com", "Precedence: bulk\r\n"), feb), Outcome::Automatic { .. }));
    assert_eq!(feed(&intake, &db, &mail("feb1@x", "beto@example.com", ""), feb), Outcome::Duplicate);
    // March: one quarantined mail and two web filings.
    let mar = Utc.with_ymd_and_hms(2026, 3, 5, 15, 0, 0).unwrap();
    assert!(matches!(feed(&intake, &db, "\u{0}garbage", mar), Outcome::Quarantined { .. }));
    for i in 0..2 {
        let input = FilingInput { name: format!("Web {i}"), email: format!("web{i}@example.com"), subject: "Regalías".into(),
            message: "Quiero pagar las regalías por cuotas.".into(), consent: true, ..Default::default() };
        intake.file_web(&mut db.conn(), validate(input, vec![]).unwrap(), None, pqrs::domain::Channel::RadicadorWeb, "web", mar).unwrap();
    }
    // Outgoing: the January acknowledgement sent 1 Feb 01:00 Bogotá (February); two sent in
    // March; one permanent failure; one internal digest sent in March.
    let rows: Vec<OutboxRow> = outbox::table.order(outbox::id).select(OutboxRow::as_select()).load(&mut db.conn()).unwrap();
    assert_eq!(rows.len(), 5, "{backend:?}: one acknowledgement per case with an address");
    let mut conn = db.conn();
    record_result(&mut conn, &rows[0], &Ok(()), Utc.with_ymd_and_hms(2026, 2, 1, 6, 0, 0).unwrap()).unwrap();
    record_result(&mut conn, &rows[1], &Ok(()), Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0).unwrap()).unwrap();
    record_result(&mut conn, &rows[2], &Err(SendError::Permanent("550 no such user".into())), mar).unwrap();
    record_result(&mut conn, &rows[3], &Ok(()), mar).unwrap();
    // rows[4] stays pending: not counted.
    diesel::insert_into(outbox::table).values((
        outbox::purpose.eq("resumen_diario"), outbox::internal.eq(true), outbox::to_addr.eq("vct@anm.test"),
        outbox::subject.eq("Resumen"), outbox::body_text.eq("x"), outbox::message_id.eq("digest1@pqrs.test"),
        outbox::status.eq("pending"), outbox::next_attempt_at.eq(mar.naive_utc()), outbox::created_at.eq(mar.naive_utc()),
    )).execute(&mut conn).unwrap();
    let digest: OutboxRow = outbox::table.filter(outbox::message_id.eq("digest1@pqrs.test")).select(OutboxRow::as_select()).first(&mut conn).unwrap();
    record_result(&mut conn, &digest, &Ok(()), mar).unwrap();

    let r = pqrs::reports::virtual_channel(&mut conn, 2026).unwrap();
    // The rollup agrees with the rows it summarises, and a rebuild gives the same.
    assert_eq!(r, pqrs::reports::recompute_virtual_channel(&mut conn, 2026).unwrap(), "{backend:?}: rollup drifted");
    pqrs::reports::rebuild_rollup(&mut conn).unwrap();
    assert_eq!(r, pqrs::reports::virtual_channel(&mut conn, 2026).unwrap());
    let pick = |m: usize| { let x = &r.months[m - 1]; (x.correo_contacto, x.radicador_web, x.incoming, x.outgoing, x.total, x.internal) };
    assert_eq!(pick(1), (1, 0, 1, 0, 1, 0), "{backend:?}: January");
    assert_eq!(pick(2), (4, 0, 4, 1, 5, 0), "{backend:?}: February");
    assert_eq!(pick(3), (1, 2, 3, 2, 5, 1), "{backend:?}: March");
    assert_eq!((r.totals.incoming, r.totals.outgoing, r.totals.total, r.totals.internal), (8, 3, 11, 1));
    assert_eq!(r.months[0].name, "Enero");
    assert!(r.months[3..].iter().all(|m| m.total == 0));

    // The app's outbox worker would send the pending acknowledgement now (November 2026):
    // give it up first so the figures stay those above.
    record_result(&mut conn, &rows[4], &Err(SendError::Permanent("550".into())), mar).unwrap();
    // A quarantined mail that a retry files afterwards still counts once.
    let qid: i64 = pqrs::db::schema::quarantine::table.select(pqrs::db::schema::quarantine::id).first(&mut conn).unwrap();
    let _ = intake.retry_quarantined(&mut conn, qid);
    assert_eq!(pqrs::reports::virtual_channel(&mut conn, 2026).unwrap(), pqrs::reports::recompute_virtual_channel(&mut conn, 2026).unwrap());

    // Over HTTP: report token yes (JSON and CSV), department token and nobody no.
    let report_token = db.role_token("report");
    db.add_staff("vct@anm.test", "department", Some("VCT"));
    let dept_token = db.user_token("vct@anm.test");
    let app = TestApp::builder(backend).db(db).spawn().await;
    let base = app.url("/api/v1/metrics/virtual-channel?year=2026");
    let c = app.client();
    let mut res = c.get(&base).bearer_auth(&report_token).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["year"], 2026);
    assert_eq!(v["months"].as_array().unwrap().len(), 12);
    assert_eq!(v["months"][1]["correo_contacto"], 4);
    assert_eq!(v["totals"]["total"], 11);
    let mut csv = c.get(&base).bearer_auth(&report_token).insert_header(("Accept", "text/csv")).send().await.unwrap();
    let text = String::from_utf8(csv.body().await.unwrap().to_vec()).unwrap();
    assert!(text.starts_with("mes,nombre,correo_contacto") && text.contains("3,Marzo,1,2,3,2,5,1"), "{text}");
    assert_eq!(c.get(&base).bearer_auth(&dept_token).send().await.unwrap().status().as_u16(), 403);
    assert_eq!(c.get(&base).send().await.unwrap().status().as_u16(), 401);
    assert_eq!(c.get(&base).bearer_auth("pqrs_forged").send().await.unwrap().status().as_u16(), 401);
    app.stop().await;
}
