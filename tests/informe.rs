//! The monthly informe (`pqrs::informe`, `pqrs report informe`, `/reportes/informe`) on a known
//! mix: mail, a web filing, verbal petitions in person and by phone, a "Te llamamos" callback,
//! cases of the month before (one still open, one answered, one transferred) and one of the month
//! after. The figures are exact: interactions per channel, correo contacto against Radicador Web,
//! the PQRS followed up per department, and the month's Ley 1712 figures. Both backends.

mod common;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{Backend, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use pqrs::db::models::OutboxRow;
use pqrs::db::schema::{cases, outbox};
use pqrs::domain::Channel;
use pqrs::intake::web_form::{validate, FilingInput};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::mailer::record_result;
use pqrs::workflow::lifecycle::{apply, Action};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// 10:00 Bogotá on a date, as UTC.
fn on(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(15, 0, 0).unwrap())
}

/// A mail case filed at 10:00 Bogotá on `day`; its radicado.
fn mail(intake: &Intake, db: &TestDb, n: usize, day: NaiveDate) -> String {
    let raw = format!(
        "Message-ID: <informe-{n}@example.com>\r\nFrom: Ciudadano {n} <c{n}@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: Solicitud {n}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSolicito información sobre el estado de mi trámite número {n}.\r\n"
    );
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Imap, source_ref: None, source_time: Some(on(day)) };
    match intake.process(&mut db.conn(), m, false).unwrap() {
        Outcome::Case { radicado, .. } => radicado,
        other => panic!("not a case: {other:?}"),
    }
}

fn web(intake: &Intake, db: &TestDb, channel: Channel, who: &str, day: NaiveDate) -> String {
    let input = FilingInput {
        name: format!("Persona {who}"),
        email: format!("{who}@example.com"),
        subject: "Regalías".into(),
        message: "Quiero pagar las regalías de mi título por cuotas.".into(),
        consent: true,
        // Two of the filings answer the optional enfoque-diferencial questions.
        ethnic_group: if matches!(who, "web" | "ventanilla") { "raizal".into() } else { String::new() },
        gender: if who == "web" { "mujer".into() } else { String::new() },
        ..Default::default()
    };
    intake.file_web(&mut db.conn(), validate(input, vec![]).unwrap(), None, channel, "prueba", on(day)).unwrap().radicado
}

fn callback(intake: &Intake, db: &TestDb, day: NaiveDate) -> String {
    let input = pqrs::intake::callback::CallbackInput {
        name: "Luisa Gómez".into(),
        phone: "+57 310 555 0101".into(),
        topic: "Quiero saber en qué va mi solicitud de legalización.".into(),
        consent: true,
        ..Default::default()
    };
    let v = pqrs::intake::callback::validate(input).unwrap().into_filing();
    intake.file_web(&mut db.conn(), v, None, Channel::TeLlamamos, "prueba", on(day)).unwrap().radicado
}

struct Mix {
    db: TestDb,
    /// radicado -> department.
    departments: BTreeMap<String, String>,
    /// The cases the informe of March 2026 must follow up.
    followed: Vec<String>,
    /// Of them, filed in March.
    received_in_march: Vec<String>,
    answered_in_march: String,
}

fn mix(backend: Backend) -> Mix {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let codes = intake.department_codes();
    let ctx = intake.lifecycle_context(&codes);
    let case_id = |r: &str| -> i64 { cases::table.filter(cases::radicado.eq(r)).select(cases::id).first(&mut db.conn()).unwrap() };
    let act = |r: &str, a: Action, day: NaiveDate| {
        apply(&mut db.conn(), &ctx, case_id(r), "funcionario@anm.gov.co", a, on(day)).unwrap();
    };

    // February: one still open in March, one answered in February, one transferred in February.
    let open_feb = mail(&intake, &db, 1, d(2026, 2, 16));
    let answered_feb = mail(&intake, &db, 2, d(2026, 2, 16));
    act(&answered_feb, Action::Respond { text: "Respuesta de febrero.".into() }, d(2026, 2, 20));
    let transferred_feb = mail(&intake, &db, 3, d(2026, 2, 17));
    act(&transferred_feb, Action::Transfer { entity: "Alcaldía de Bogotá".into(), reason: "competencia".into() }, d(2026, 2, 18));
    // March: three mails (one answered on the 10th), a web filing, verbal petitions in person and
    // by phone, a callback request.
    let c: Vec<String> = (10..13).map(|n| mail(&intake, &db, n, d(2026, 3, 2))).collect();
    act(&c[0], Action::Respond { text: "Respuesta de marzo.".into() }, d(2026, 3, 10));
    let w = web(&intake, &db, Channel::RadicadorWeb, "web", d(2026, 3, 3));
    let p = web(&intake, &db, Channel::Presencial, "ventanilla", d(2026, 3, 4));
    let t = web(&intake, &db, Channel::Telefonico, "telefono", d(2026, 3, 4));
    let l = callback(&intake, &db, d(2026, 3, 4));
    // April: not in March.
    mail(&intake, &db, 20, d(2026, 4, 1));

    // Outgoing: the acknowledgement and the answer of c[0] reach the SMTP server in March; the
    // February answer in February; the rest stay pending (not counted).
    let rows: Vec<OutboxRow> = outbox::table.order(outbox::id).select(OutboxRow::as_select()).load(&mut db.conn()).unwrap();
    let mut conn = db.conn();
    for r in &rows {
        if r.case_id == Some(case_id(&c[0])) {
            record_result(&mut conn, r, &Ok(()), on(d(2026, 3, 10))).unwrap();
        } else if r.case_id == Some(case_id(&answered_feb)) {
            record_result(&mut conn, r, &Ok(()), on(d(2026, 2, 20))).unwrap();
        }
    }
    let departments = cases::table.select((cases::radicado, cases::department)).load::<(String, String)>(&mut conn).unwrap().into_iter().collect();
    let mut received_in_march = c.clone();
    received_in_march.extend([w, p, t, l]);
    let mut followed = vec![open_feb];
    followed.extend(received_in_march.iter().cloned());
    drop(conn);
    Mix { db, departments, followed, received_in_march, answered_in_march: c[0].clone() }
}

fn march(db: &TestDb) -> pqrs::informe::Informe {
    let intake = db.intake();
    let rules = intake.rules();
    pqrs::informe::informe(&mut db.conn(), &intake.policy.deadlines, rules.departments(), 2026, 3, d(2026, 4, 15)).unwrap()
}

common::backend_tests!(#[test] fn the_informe_counts_a_known_month_exactly);
fn the_informe_counts_a_known_month_exactly(backend: Backend) {
    let m = mix(backend);
    let inf = march(&m.db);
    assert_eq!((inf.from, inf.to, inf.month_name), (d(2026, 3, 1), d(2026, 3, 31), "Marzo"));

    // Virtual: 3 mails + 1 web filing in, 2 mails out. Verbal petitions and the callback are not mail.
    let vc = &inf.virtual_channel;
    assert_eq!((vc.correo_contacto, vc.radicador_web, vc.incoming, vc.outgoing, vc.total), (3, 1, 4, 2, 6), "{backend:?}: {vc:?}");
    let by: BTreeMap<&str, &pqrs::informe::ChannelInteractions> = inf.interactions.iter().map(|c| (c.channel, c)).collect();
    assert_eq!(by["virtual"].interactions, 6);
    assert_eq!(by["presencial"].interactions, 1);
    assert_eq!(by["telefonico"].interactions, 2, "a verbal petition by phone and a callback");
    let tel: BTreeMap<&str, i64> = by["telefonico"].detail.iter().map(|(k, _, n)| (*k, *n)).collect();
    assert_eq!((tel["telefonico"], tel["te_llamamos"]), (1, 1));
    assert_eq!(inf.total_interactions, 9);

    // Follow-up: the February case still open, and the seven of March. Not the one answered nor
    // the one transferred in February, nor April's.
    assert_eq!(inf.follow_up.followed_up, m.followed.len() as i64, "{backend:?}: {:?}", inf.follow_up);
    assert_eq!(inf.follow_up.followed_up, 8);
    assert_eq!(inf.follow_up.received, 7);
    assert_eq!(inf.follow_up.answered, 1);
    assert_eq!(inf.follow_up.open_at_month_end, 7);
    let mut expected: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for r in &m.followed {
        let e = expected.entry(m.departments[r].clone()).or_default();
        e.0 += 1;
        e.1 += i64::from(m.received_in_march.contains(r));
        e.2 += i64::from(*r == m.answered_in_march);
    }
    for (dept, f) in &inf.follow_up_by_department {
        let (followed, received, answered) = expected.get(dept).copied().unwrap_or_default();
        assert_eq!((f.followed_up, f.received, f.answered), (followed, received, answered), "{backend:?}: department {dept}");
    }
    assert!(expected.keys().all(|k| inf.follow_up_by_department.contains_key(k)), "a department is missing");

    // The month's Ley 1712 figures: the seven of March, one answered.
    assert_eq!(inf.pqrs.totals.received, 7);
    assert_eq!(inf.pqrs.by_channel["te_llamamos"].received, 1);

    // The optional enfoque-diferencial answers, counted only.
    assert_eq!(inf.enfoque_diferencial["ethnic_group"]["raizal"], 2, "{:?}", inf.enfoque_diferencial);
    assert_eq!(inf.enfoque_diferencial["gender"].values().sum::<i64>(), 1);
    assert!(!inf.enfoque_diferencial.contains_key("disability"));

    // The HTML carries each chart (inline SVG with an accessible name) and its table.
    let html = inf.to_document("Agencia Nacional de Minería");
    assert!(html.contains("Informe de Servicios y Atención al Usuario · Marzo de 2026"), "{html}");
    assert_eq!(html.matches("<svg").count(), 3, "three charts");
    assert!(html.contains("aria-label=\"Interacciones por canal en Marzo de 2026\""));
    assert!(html.contains("Solicitudes de llamada (Te llamamos)"));
}

common::backend_tests!(#[test] fn pqrs_report_informe_prints_json_and_html);
fn pqrs_report_informe_prints_json_and_html(backend: Backend) {
    let m = mix(backend);
    let out = common::pqrs_cmd(&m.db).args(["report", "informe", "--year", "2026", "--month", "3", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total_interactions"], 9, "{v}");
    assert_eq!(v["follow_up"]["followed_up"], 8);
    assert_eq!(v["virtual_channel"]["correo_contacto"], 3);
    let out = common::pqrs_cmd(&m.db).args(["report", "informe", "--year", "2026", "--month", "3"]).output().unwrap();
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("lang=\"es-CO\""), "{html}");
    assert!(html.contains("Marzo de 2026"));
    let bad = common::pqrs_cmd(&m.db).args(["report", "informe", "--year", "2026", "--month", "13"]).output().unwrap();
    assert!(!bad.status.success(), "month 13 accepted");
}

common::backend_tests!(#[actix_web::test] async fn the_informe_page_is_for_report_staff);
async fn the_informe_page_is_for_report_staff(backend: Backend) {
    let m = mix(backend);
    m.db.add_staff("reportes@anm.test", "report", None);
    let dept = m.departments.values().next().unwrap().clone();
    m.db.add_staff("dependencia@anm.test", "department", Some(&dept));
    let app = TestApp::builder(backend).db(m.db).spawn().await;
    let c = app.client();
    let cookie = app.login("reportes@anm.test", PASSWORD).await.unwrap();
    let mut res = c.get(app.url("/reportes/informe?year=2026&month=3")).cookie(cookie.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap();
    assert!(html.contains("Marzo de 2026") && html.contains("<svg"), "{html}");
    // A bad month is not a 500: the current month, with a message.
    let res = c.get(app.url("/reportes/informe?year=2026&month=99")).cookie(cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A department user may not see the entity's informe.
    let cookie = app.login("dependencia@anm.test", PASSWORD).await.unwrap();
    let res = c.get(app.url("/reportes/informe?year=2026&month=3")).cookie(cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}
