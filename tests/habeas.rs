//! Habeas data (Ley 1581 de 2012): `pqrs titular export` gives every case of the titular (and
//! only theirs) with the raw mails whose SHA-256 match the store; a rectification records the old
//! and the new value; `pqrs retention run` erases the personal data of a case past its retention
//! period, leaves the others and the report figures as they were, changes nothing when dry, erases
//! nothing new the second time, and writes the audit log. Both backends.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{pqrs_cmd, Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::habeas::ERASED;
use pqrs::db::models::{CaseRow, OutboxRow};
use pqrs::db::schema::{case_events, cases, communications, filing_demographics, messages, outbox, requester_details};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::workflow::lifecycle::{apply, Action, CitizenField};
use sha2::Digest;

fn plain(mid: &str, from: &str, subject: &str, extra: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Mon, 2 Mar 2026 10:00:00 -0500\r\nFrom: {from}\r\nTo: contacto@anm.gov.co\r\nSubject: {subject}\r\n{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito información sobre mi título minero. Mi cédula es 1020304050.\r\n"
    )
}

fn with_attachment(mid: &str, from: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Tue, 3 Mar 2026 10:00:00 -0500\r\nFrom: {from}\r\nTo: contacto@anm.gov.co\r\nSubject: Queja por demora\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Presento queja: no me han respondido.\r\n--b1\r\nContent-Type: application/pdf; name=\"soporte.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"soporte.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKc29wb3J0ZQo=\r\n--b1--\r\n"
    )
}

fn feed(intake: &Intake, db: &TestDb, raw: &str, day: u32) -> Outcome {
    let at = Utc.with_ymd_and_hms(2026, 3, day, 15, 0, 0).unwrap();
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Imap, source_ref: None, source_time: Some(at) };
    intake.process(&mut db.conn(), m, false).unwrap()
}

fn case_of(db: &TestDb, o: &Outcome) -> CaseRow {
    let Outcome::Case { radicado, .. } = o else { panic!("not a case: {o:?}") };
    CaseRow::by_radicado(&mut db.conn(), radicado).unwrap().expect("case")
}

/// The Res. 1519 details a web filing stores (a postal reply), and an enfoque-diferencial answer.
fn add_requester(conn: &mut pqrs::db::AnyConnection, case_id: i64) {
    diesel::insert_into(requester_details::table)
        .values((
            requester_details::case_id.eq(case_id),
            requester_details::requester_type.eq("juridica"),
            requester_details::razon_social.eq(Some("Minera Pérez S.A.S.")),
            requester_details::reply_by.eq(Some("postal")),
            requester_details::postal_address.eq(Some("Calle 10 # 4-21, Sogamoso")),
            requester_details::region.eq(Some("Boyacá")),
            requester_details::country.eq(Some("Colombia")),
            requester_details::privacy_notice_version.eq(Some("2026-12-01")),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(filing_demographics::table)
        .values((filing_demographics::case_id.eq(case_id), filing_demographics::gender.eq(Some("mujer"))))
        .execute(conn)
        .unwrap();
}

fn sha(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

common::backend_tests!(#[test] fn export_gives_every_case_of_the_titular_and_no_other);
fn export_gives_every_case_of_the_titular_and_no_other(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let a1 = case_of(&db, &feed(&intake, &db, &plain("a1@x", "Ana Pérez <Ana.Perez@Example.COM>", "Petición de información", ""), 2));
    let a2 = case_of(&db, &feed(&intake, &db, &with_attachment("a2@x", "Ana Pérez <ana.perez@example.com>"), 3));
    let b = case_of(&db, &feed(&intake, &db, &plain("b1@x", "Beto Ruiz <beto@example.com>", "Otra petición", ""), 4));
    // Automatic mail from Ana's address: stored, on no case.
    assert!(matches!(feed(&intake, &db, &plain("a3@x", "ana.perez@example.com", "Boletín", "Precedence: bulk\r\n"), 5), Outcome::Automatic { .. }));

    add_requester(&mut db.conn(), a1.id);

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("export");
    let run = pqrs_cmd(&db)
        .args(["titular", "export", "--email", "ANA.perez@example.com", "--out"])
        .arg(&dir)
        .args(["--actor", "auditor@anm.gov.co"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&run.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let radicados: Vec<&str> = manifest["cases"].as_array().unwrap().iter().map(|c| c["radicado"].as_str().unwrap()).collect();
    assert_eq!(radicados, vec![a1.radicado.as_str(), a2.radicado.as_str()], "{backend:?}: both of Ana's cases, in order");
    assert!(!radicados.contains(&b.radicado.as_str()), "{backend:?}: another citizen's case is not exported");
    assert!(!serde_json::to_string(&manifest).unwrap().contains("beto@example.com"), "{backend:?}: nothing of Beto's");
    assert!(manifest["generated_at"].as_str().is_some());
    assert_eq!(manifest["titular"]["email"], "ana.perez@example.com");
    let mut conn = db.conn();
    for (case, c) in [&a1, &a2].iter().zip(manifest["cases"].as_array().unwrap()) {
        for k in ["kind", "department", "status", "received_at", "effective_date"] {
            assert!(!c[k].is_null(), "{backend:?}: {k}");
        }
        let stored: Vec<(i64, String)> = messages::table.filter(messages::case_id.eq(case.id)).select((messages::id, messages::sha256)).load(&mut conn).unwrap();
        assert!(!stored.is_empty());
        for (id, digest) in stored {
            let m = c["messages"].as_array().unwrap().iter().find(|m| m["id"] == id).expect("message in manifest");
            let bytes = std::fs::read(dir.join(m["file"].as_str().unwrap())).unwrap();
            assert_eq!(sha(&bytes), digest, "{backend:?}: the .eml is the raw mail stored");
            let listed = c["files"].as_array().unwrap().iter().find(|f| f["path"] == m["file"]).expect("listed in files");
            assert_eq!(listed["sha256"], digest.as_str());
        }
        assert!(!c["events"].as_array().unwrap().is_empty(), "{backend:?}: events exported");
    }
    // What the web filing stored about her: the requester details and her own statistics answers.
    assert_eq!(manifest["cases"][0]["requester"]["postal_address"], "Calle 10 # 4-21, Sogamoso", "{backend:?}");
    assert_eq!(manifest["cases"][0]["requester"]["razon_social"], "Minera Pérez S.A.S.");
    assert_eq!(manifest["cases"][0]["demographics"]["gender"], "mujer");
    assert!(manifest["cases"][1]["requester"].is_null(), "{backend:?}: a mailed case has none");
    // The attachment of the second case, extracted from its mail.
    let files = manifest["cases"][1]["files"].as_array().unwrap();
    let att = files.iter().find(|f| f["kind"] == "anexo").expect("attachment exported");
    assert_eq!(std::fs::read(dir.join(att["path"].as_str().unwrap())).unwrap(), b"%PDF-1.4\nsoporte\n");
    // The acknowledgement sent to Ana is there.
    assert!(files.iter().any(|f| f["kind"] == "correo_enviado"), "{backend:?}: mails sent to the titular");
    // The automatic mail from her address, on no case.
    assert_eq!(manifest["other_messages"].as_array().unwrap().len(), 1, "{backend:?}: loose mail from the address");
    // Audited: who, what.
    let audit = pqrs::db::habeas::audit_rows(&mut conn, "exportacion_titular").unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].1, "auditor@anm.gov.co");
    assert!(audit[0].3.contains(&a1.radicado) && audit[0].3.contains(&a2.radicado) && !audit[0].3.contains(&b.radicado));
    // By document number too (and not into a non-empty folder).
    let again = pqrs_cmd(&db).args(["titular", "export", "--email", "nadie@example.com", "--out"]).arg(&dir).output().unwrap();
    assert!(!again.status.success(), "{backend:?}: a non-empty folder is refused");
}

common::backend_tests!(#[test] fn rectification_records_old_and_new_values);
fn rectification_records_old_and_new_values(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    let case = case_of(&db, &feed(&intake, &db, &plain("r1@x", "Ana Peres <ana@example.com>", "Petición", ""), 2));
    assert_eq!(case.citizen_name.as_deref(), Some("Ana Peres"));
    let mut conn = db.conn();
    let act = |conn: &mut pqrs::db::AnyConnection, field, value: &str, reason: &str| {
        apply(conn, &ctx, case.id, "funcionaria@anm.gov.co", Action::Rectify { field, value: value.into(), reason: reason.into() }, Utc::now())
    };
    let after = act(&mut conn, CitizenField::Name, "Ana Pérez Gómez", "Solicitud de la titular, radicado de entrada 2026...").unwrap();
    assert_eq!(after.citizen_name.as_deref(), Some("Ana Pérez Gómez"));
    let after = act(&mut conn, CitizenField::DocNumber, "1020304050", "Copia de la cédula aportada").unwrap();
    assert_eq!(after.citizen_doc_number.as_deref(), Some("1020304050"));
    // Refused: an invalid address, no reason, the same value.
    assert!(act(&mut conn, CitizenField::Email, "no es correo", "x").is_err());
    assert!(act(&mut conn, CitizenField::Email, "ana.nueva@example.com", " ").is_err());
    assert!(act(&mut conn, CitizenField::Name, "Ana Pérez Gómez", "otra vez").is_err());
    let events: Vec<(String, String, Option<String>, String)> = case_events::table
        .filter(case_events::case_id.eq(case.id))
        .filter(case_events::event_type.eq("datos_rectificados"))
        .order(case_events::id)
        .select((case_events::actor, case_events::payload, case_events::reason, case_events::event_type))
        .load(&mut conn)
        .unwrap();
    assert_eq!(events.len(), 2, "{backend:?}: one event per accepted rectification");
    let p: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(p["field"], "citizen_name");
    assert_eq!(p["old"], "Ana Peres");
    assert_eq!(p["new"], "Ana Pérez Gómez");
    assert_eq!(events[0].0, "funcionaria@anm.gov.co");
    assert!(events[0].2.as_deref().unwrap().starts_with("Solicitud de la titular"));
    let p: serde_json::Value = serde_json::from_str(&events[1].1).unwrap();
    assert_eq!((p["old"].clone(), p["new"].clone()), (serde_json::Value::Null, serde_json::json!("1020304050")));
}

fn reports(conn: &mut pqrs::db::AnyConnection, intake: &Intake) -> (serde_json::Value, serde_json::Value, serde_json::Value, serde_json::Value) {
    let vc = serde_json::to_value(pqrs::reports::virtual_channel(conn, 2026).unwrap()).unwrap();
    let recount = serde_json::to_value(pqrs::reports::recompute_virtual_channel(conn, 2026).unwrap()).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let p = serde_json::to_value(pqrs::reports::pqrs(conn, &intake.policy.deadlines, from, to, today).unwrap()).unwrap();
    let rules = intake.rules();
    let informe = pqrs::informe::informe(conn, &intake.policy.deadlines, rules.departments(), 2026, 3, today).unwrap();
    (vc, recount, p, serde_json::to_value(informe).unwrap())
}

common::backend_tests!(#[test] fn retention_erases_expired_cases_and_keeps_the_figures);
fn retention_erases_expired_cases_and_keeps_the_figures(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    let old = case_of(&db, &feed(&intake, &db, &with_attachment("old@x", "Ana Pérez <ana@example.com>"), 2));
    let recent = case_of(&db, &feed(&intake, &db, &plain("recent@x", "Beto Ruiz <beto@example.com>", "Petición", ""), 3));
    let open = case_of(&db, &feed(&intake, &db, &plain("open@x", "Carla Díaz <carla@example.com>", "Consulta", ""), 4));
    // A reply from Ana on her case, and an automatic mail.
    assert!(matches!(feed(&intake, &db, &plain("old-reply@x", "Ana Pérez <ana@example.com>", "Re: Queja", "In-Reply-To: <old@x>\r\n"), 5), Outcome::Reply { .. }));
    let mut conn = db.conn();
    add_requester(&mut conn, old.id);
    add_requester(&mut conn, recent.id);
    for c in [&old, &recent] {
        apply(&mut conn, &ctx, c.id, "funcionario@anm.gov.co", Action::Respond { text: "Señora Ana Pérez: le informamos que su título está vigente.".into() }, Utc::now()).unwrap();
        apply(&mut conn, &ctx, c.id, "funcionario@anm.gov.co", Action::Close { reason: Some("Respondida a Ana Pérez".into()) }, Utc::now()).unwrap();
    }
    // Every mail of the outbox delivered (the figures count them).
    let rows: Vec<OutboxRow> = outbox::table.order(outbox::id).select(OutboxRow::as_select()).load(&mut conn).unwrap();
    for r in &rows {
        pqrs::mailer::record_result(&mut conn, r, &Ok(()), Utc.with_ymd_and_hms(2026, 3, 20, 15, 0, 0).unwrap()).unwrap();
    }
    // The old case was closed long ago (its retention, 10 years for a queja, is over).
    let kind: String = cases::table.find(old.id).select(cases::kind).first(&mut conn).unwrap();
    let long_ago = Utc.with_ymd_and_hms(2014, 6, 1, 15, 0, 0).unwrap().naive_utc();
    pqrs::db::habeas::set_closed_at(&mut conn, old.id, long_ago).unwrap();
    let before = reports(&mut conn, &intake);
    let cli_report = |db: &TestDb| {
        let o = pqrs_cmd(db).args(["report", "virtual-channel", "--year", "2026", "--format", "json"]).output().unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let cli_before = cli_report(&db);
    let snapshot = |conn: &mut pqrs::db::AnyConnection| -> (Vec<(Option<String>, String)>, Vec<(i64, Vec<u8>, String)>, Vec<(Option<String>, String)>) {
        (
            cases::table.order(cases::id).select((cases::citizen_name, cases::subject)).load(conn).unwrap(),
            messages::table.order(messages::id).select((messages::id, messages::raw, messages::body_text)).load(conn).unwrap(),
            case_events::table.order(case_events::id).select((case_events::reason, case_events::payload)).load(conn).unwrap(),
        )
    };

    // Dry run: lists the old case only, changes nothing.
    let rules = pqrs::habeas::RetentionRules::load(std::path::Path::new(common::RULES)).unwrap();
    let snap = snapshot(&mut conn);
    let dry = pqrs::habeas::retention_run(&mut conn, &rules, Utc::now(), true, "prueba").unwrap();
    assert_eq!(dry.cases.iter().map(|c| c.radicado.as_str()).collect::<Vec<_>>(), vec![old.radicado.as_str()], "{backend:?}: {kind}");
    assert_eq!(dry.erased, 0);
    assert!(dry.cases[0].rows.messages >= 2);
    assert_eq!(snapshot(&mut conn), snap, "{backend:?}: a dry run changes nothing");
    assert!(pqrs::db::habeas::audit_rows(&mut conn, "supresion_datos").unwrap().is_empty());

    // The run, from the CLI.
    let o = pqrs_cmd(&db).args(["retention", "run", "--json", "--actor", "archivo@anm.gov.co"]).output().unwrap();
    assert!(o.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(run["erased"], 1, "{backend:?}: {run}");
    assert_eq!(run["cases"][0]["radicado"], old.radicado.as_str());

    // The old case: no personal data, no mail contents.
    let c = CaseRow::by_id(&mut conn, old.id).unwrap();
    assert_eq!(c.citizen_name.as_deref(), Some(ERASED));
    assert_eq!(c.citizen_email.as_deref(), Some(ERASED));
    assert_eq!((c.radicado.as_str(), c.kind.as_str(), c.department.as_str()), (old.radicado.as_str(), kind.as_str(), old.department.as_str()));
    assert_eq!(c.closed_at, Some(long_ago), "{backend:?}: dates kept");
    let msgs: Vec<(Vec<u8>, String, Option<String>, String, String, i64)> = messages::table
        .filter(messages::case_id.eq(old.id))
        .select((messages::raw, messages::body_text, messages::body_html, messages::headers, messages::subject, messages::raw_size))
        .load(&mut conn)
        .unwrap();
    assert_eq!(msgs.len(), 2, "{backend:?}: the rows stay (the mail and the reply)");
    for (raw, body, html, headers, subject, size) in &msgs {
        assert!(raw.is_empty() && body.is_empty() && html.is_none(), "{backend:?}: contents erased");
        assert!(!headers.contains("ana") && subject == ERASED);
        assert!(*size > 0, "{backend:?}: the size (a count) stays");
    }
    let bodies: Vec<(String, String)> = communications::table.filter(communications::case_id.eq(old.id)).select((communications::body, communications::addressee_name)).load(&mut conn).unwrap();
    assert!(!bodies.is_empty() && bodies.iter().all(|(b, n)| b == ERASED && n == ERASED));
    let to: Vec<(String, String)> = outbox::table.filter(outbox::case_id.eq(old.id)).select((outbox::to_addr, outbox::body_text)).load(&mut conn).unwrap();
    assert!(to.iter().all(|(t, b)| t == ERASED && b.is_empty()));
    let events: Vec<(String, Option<String>, String)> =
        case_events::table.filter(case_events::case_id.eq(old.id)).select((case_events::event_type, case_events::reason, case_events::payload)).load(&mut conn).unwrap();
    for (t, reason, payload) in &events {
        assert!(!payload.contains("Ana") && !reason.clone().unwrap_or_default().contains("Ana") && !payload.contains("ana@"), "{backend:?}: {t} {payload}");
    }
    assert!(events.iter().any(|e| e.0 == "respondido") && events.iter().any(|e| e.0 == "cerrado"), "{backend:?}: event types kept");
    assert!(events.iter().any(|e| e.0 == "datos_suprimidos"));

    // The requester's names and addresses go; the codes and the statistics answer stay.
    let rd: (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>) = requester_details::table
        .find(old.id)
        .select((requester_details::requester_type, requester_details::razon_social, requester_details::reply_by, requester_details::postal_address,
            requester_details::region, requester_details::country, requester_details::privacy_notice_version))
        .first(&mut conn)
        .unwrap();
    let e = Some(ERASED.to_string());
    assert_eq!(rd, ("juridica".into(), e.clone(), Some("postal".into()), e.clone(), e.clone(), e.clone(), Some("2026-12-01".into())), "{backend:?}");
    let gender: Option<String> = filing_demographics::table.find(old.id).select(filing_demographics::gender).first(&mut conn).unwrap();
    assert_eq!(gender.as_deref(), Some("mujer"), "{backend:?}: the informe still counts it");
    let kept: Option<String> = requester_details::table.find(recent.id).select(requester_details::postal_address).first(&mut conn).unwrap();
    assert_eq!(kept.as_deref(), Some("Calle 10 # 4-21, Sogamoso"), "{backend:?}: the recent case keeps its address");

    // The others untouched.
    for c in [&recent, &open] {
        let now = CaseRow::by_id(&mut conn, c.id).unwrap();
        assert_eq!(now.citizen_name, c.citizen_name, "{backend:?}");
        assert!(now.citizen_name.as_deref().is_some_and(|n| n != ERASED));
        let raw: Vec<Vec<u8>> = messages::table.filter(messages::case_id.eq(c.id)).select(messages::raw).load(&mut conn).unwrap();
        assert!(raw.iter().all(|r| !r.is_empty()), "{backend:?}: {} keeps its mail", c.radicado);
    }

    // The same figures, also after the rollup is rebuilt from the rows.
    assert_eq!(reports(&mut conn, &intake), before, "{backend:?}: the reports did not change");
    assert_eq!(cli_report(&db), cli_before);
    pqrs::reports::rebuild_rollup(&mut conn).unwrap();
    assert_eq!(reports(&mut conn, &intake), before, "{backend:?}: the rebuilt rollup did not change");

    // Again: nothing new.
    let snap = snapshot(&mut conn);
    let again = pqrs::habeas::retention_run(&mut conn, &rules, Utc::now(), false, "prueba").unwrap();
    assert_eq!((again.erased, again.cases.len()), (0, 0), "{backend:?}: idempotent");
    assert_eq!(snapshot(&mut conn), snap);

    // Audit: one erasure, by the CLI's actor, of that case.
    let audit = pqrs::db::habeas::audit_rows(&mut conn, "supresion_datos").unwrap();
    assert_eq!(audit.len(), 1, "{backend:?}");
    assert_eq!((audit[0].1.as_str(), audit[0].2), ("archivo@anm.gov.co", Some(old.id)));
    // A rectification of an erased case is refused.
    let r = apply(&mut conn, &ctx, old.id, "f", Action::Rectify { field: CitizenField::Name, value: "Ana".into(), reason: "x".into() }, Utc::now());
    assert!(r.is_err(), "{backend:?}: nothing to rectify once erased");
}
