//! Follow-up with a set clock: a case walks through requerimiento, the citizen's reply,
//! extension, response and close, and the due date moves exactly as the law says; invalid
//! transitions are refused with a clear message and change nothing. Both backends.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
#[allow(unused_imports)]
use chrono::Datelike;
use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::models::CaseRow;
use pqrs::db::schema::{case_events, outbox};
use pqrs::domain::PetitionKind;
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::workflow::lifecycle::{apply, Action, ActionError, Context};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// 10:00 Bogotá on a date, as UTC.
fn at(y: i32, m: u32, day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, 15, 0, 0).unwrap()
}

fn mail(mid: &str, subject: &str, extra: &str, date: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: {date}\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: {subject}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito información sobre mi trámite.\r\n"
    )
}

struct Fixture {
    db: TestDb,
    intake: Intake,
    departments: Vec<String>,
}

impl Fixture {
    fn new(backend: common::Backend) -> Fixture {
        let db = TestDb::new(backend);
        let intake = db.intake();
        let departments = intake.department_codes();
        Fixture { db, intake, departments }
    }
    fn ctx(&self) -> Context<'_> {
        self.intake.lifecycle_context(&self.departments)
    }
    fn act(&self, case: &CaseRow, action: Action, when: chrono::DateTime<Utc>) -> Result<CaseRow, ActionError> {
        apply(&mut self.db.conn(), &self.ctx(), case.id, "funcionario@anm.gov.co", action, when)
    }
    fn file(&self, raw: &str, received: chrono::DateTime<Utc>) -> Outcome {
        let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: Some(received) };
        self.intake.process(&mut self.db.conn(), m, false).unwrap()
    }
    fn case(&self, radicado: &str) -> CaseRow {
        CaseRow::by_radicado(&mut self.db.conn(), radicado).unwrap().unwrap()
    }
}

common::backend_tests!(#[test] fn a_case_walks_through_requerimiento_reply_extension_response_and_close);
fn a_case_walks_through_requerimiento_reply_extension_response_and_close(backend: Backend) {
    let f = Fixture::new(backend);
    // Filed Friday 10 July 2026, 10:00: effective day the same Friday.
    let Outcome::Case { radicado, .. } = f.file(&mail("life1@x", "Petición", "", "Fri, 10 Jul 2026 10:00:00 -0500"), at(2026, 7, 10)) else {
        panic!()
    };
    let case = f.act(&f.case(&radicado), Action::Reclassify { kind: PetitionKind::PeticionGeneral, reason: "revisado".into() }, at(2026, 7, 10)).unwrap();
    assert_eq!(case.due_date, Some(d(2026, 8, 4)), "{backend:?}: 15 business days after Fri 10 July (13 and 20 July are holidays)");
    let case = f.act(&case, Action::Assign { department: "VCT".into(), assignee: None, reason: None }, at(2026, 7, 13)).unwrap();
    assert_eq!(case.status, "asignado");

    // Requerimiento on Wed 15 July: the clock stops with 13 business days left in (15 Jul, 4 Aug]
    // (16, 17, 21–24, 27–31 July, 3, 4 August; 20 July is a holiday).
    // The extension limit: 30 business days from the effective day (10 July) = Thu 27 August.
    assert_eq!(case.extension_limit, Some(d(2026, 8, 27)), "{backend:?}");
    let case = f.act(&case, Action::RequestCompletion { message: "Copia de la cédula".into() }, at(2026, 7, 15)).unwrap();
    assert_eq!((case.status.as_str(), case.suspended_on), ("requerimiento", Some(d(2026, 7, 15))));
    let req: (String, Option<String>) = outbox::table.filter(outbox::purpose.eq("requerimiento"))
        .select((outbox::subject, outbox::radicado)).first(&mut f.db.conn()).unwrap();
    assert!(req.1.as_deref().is_some_and(|r| r.ends_with('1')), "an outgoing radicado (type 1): {req:?}");

    // The citizen replies by mail on Mon 27 July, threading on our requerimiento.
    let req_mid: String = outbox::table.filter(outbox::purpose.eq("requerimiento")).select(outbox::message_id).first(&mut f.db.conn()).unwrap();
    let reply = mail("life2@x", "Re: Solicitud para completar", &format!("In-Reply-To: <{req_mid}>\r\n"), "Mon, 27 Jul 2026 09:00:00 -0500");
    assert_eq!(f.file(&reply, at(2026, 7, 27)), Outcome::Reply { radicado: radicado.clone() });
    let case = f.case(&radicado);
    // 13 business days counted from Tue 28 July: 28–31 Jul, 3–6 Aug, (7 Aug holiday),
    // 10–14 Aug → Fri 14 August.
    assert_eq!((case.status.as_str(), case.due_date), ("en_tramite", Some(d(2026, 8, 14))), "{backend:?}");
    // The extension limit moves the same way: 28 business days were left in (15 Jul, 27 Aug],
    // counted again after 27 July: 14 August plus 15 (17 August is a holiday) = Mon 7 September.
    assert_eq!(case.extension_limit, Some(d(2026, 9, 7)), "{backend:?}: the limit ignores the suspension");

    // Extension on 10 August to 8 September is refused (beyond the moved limit); to 2 September,
    // past the unmoved limit of 27 August, it is granted.
    let refused = f.act(&case, Action::Extend { new_due: d(2026, 9, 8), reason: "Visita técnica".into() }, at(2026, 8, 10)).unwrap_err();
    assert!(matches!(refused, ActionError::Extension(_)), "{refused:?}");
    assert!(refused.message_es().contains("máximo legal (2026-09-07)"), "{}", refused.message_es());
    let case = f.act(&case, Action::Extend { new_due: d(2026, 9, 2), reason: "Visita técnica".into() }, at(2026, 8, 10)).unwrap();
    assert_eq!((case.due_date, case.original_due_date), (Some(d(2026, 9, 2)), Some(d(2026, 8, 14))));
    // A second extension is refused, and changes nothing.
    let before = f.case(&radicado);
    let again = f.act(&case, Action::Extend { new_due: d(2026, 8, 24), reason: "otra".into() }, at(2026, 8, 11)).unwrap_err();
    assert!(matches!(again, ActionError::AlreadyExtended(_)), "{again:?}");
    assert_eq!(f.case(&radicado).updated_at, before.updated_at);

    // Respond, then close.
    let case = f.act(&case, Action::Respond { text: "Adjuntamos la información solicitada.".into() }, at(2026, 8, 20)).unwrap();
    assert_eq!(case.status, "respondido");
    let out = case.response_radicado.clone().unwrap();
    assert!(out.ends_with('1'));
    let case = f.act(&case, Action::Close { reason: None }, at(2026, 8, 21)).unwrap();
    assert_eq!(case.status, "cerrado");

    let events: Vec<String> = case_events::table.filter(case_events::case_id.eq(case.id))
        .order(case_events::id).select(case_events::event_type).load(&mut f.db.conn()).unwrap();
    assert_eq!(events, ["radicado", "reclasificado", "asignado", "requerimiento", "respuesta_ciudadano", "reanudado", "prorroga", "respondido", "cerrado"], "{backend:?}");
    let purposes: Vec<String> = outbox::table.order(outbox::id).select(outbox::purpose).load(&mut f.db.conn()).unwrap();
    assert_eq!(purposes, ["acuse", "requerimiento", "prorroga", "respuesta"]);
}

common::backend_tests!(#[test] fn invalid_transitions_are_refused_and_change_nothing);
fn invalid_transitions_are_refused_and_change_nothing(backend: Backend) {
    let f = Fixture::new(backend);
    let Outcome::Case { radicado, .. } = f.file(&mail("inv1@x", "Petición", "", "Mon, 2 Mar 2026 10:00:00 -0500"), at(2026, 3, 2)) else { panic!() };
    let case = f.case(&radicado);
    let due = case.due_date.unwrap();
    // An extension after the due date.
    let late = f.act(&case, Action::Extend { new_due: due + chrono::Duration::days(7), reason: "tarde".into() }, at(2026, 4, 30)).unwrap_err();
    assert!(matches!(late, ActionError::Extension(_)), "{late:?}");
    // Closing an open case.
    assert!(matches!(f.act(&case, Action::Close { reason: None }, at(2026, 3, 3)), Err(ActionError::InvalidTransition { .. })));
    // Annul, then respond to the annulled case.
    let annulled = f.act(&case, Action::Annul { reason: "Radicado por error (duplicado físico)".into(), approved_by: "Jefe OAC".into() }, at(2026, 3, 3)).unwrap();
    assert_eq!((annulled.status.as_str(), annulled.radicado.as_str()), ("anulado", radicado.as_str()));
    let before = f.case(&radicado);
    let e = f.act(&annulled, Action::Respond { text: "x".into() }, at(2026, 3, 4)).unwrap_err();
    assert!(matches!(e, ActionError::InvalidTransition { .. }), "{e:?}");
    assert!(e.message_es().contains("Anulado"), "{}", e.message_es());
    let after = f.case(&radicado);
    assert_eq!((after.status, after.updated_at, after.response_radicado), (before.status, before.updated_at, None));
    // Annulling needs a reason; reassigning to an unknown department is refused.
    let Outcome::Case { radicado: r2, .. } = f.file(&mail("inv2@x", "Petición", "", "Mon, 2 Mar 2026 10:00:00 -0500"), at(2026, 3, 2)) else { panic!() };
    let c2 = f.case(&r2);
    assert!(matches!(f.act(&c2, Action::Annul { reason: "  ".into(), approved_by: "Jefe OAC".into() }, at(2026, 3, 3)), Err(ActionError::Invalid(_))));
    assert!(matches!(f.act(&c2, Action::Assign { department: "NOPE".into(), assignee: None, reason: None }, at(2026, 3, 3)), Err(ActionError::Invalid(_))));
    // A transfer within 5 business days (filed Mon 2 March: until Mon 9 March) is on time; one
    // after is still made (the duty to remit remains, art. 21) and recorded as late.
    let ok = f.act(&c2, Action::Transfer { entity: "Alcaldía de Segovia".into(), reason: "competencia".into() }, at(2026, 3, 6)).unwrap();
    assert_eq!(ok.status, "trasladado");
    let Outcome::Case { radicado: r3, .. } = f.file(&mail("inv3@x", "Petición", "", "Mon, 2 Mar 2026 10:00:00 -0500"), at(2026, 3, 2)) else { panic!() };
    let late = f.act(&f.case(&r3), Action::Transfer { entity: "Alcaldía de Segovia".into(), reason: "competencia".into() }, at(2026, 3, 20)).unwrap();
    assert_eq!(late.status, "trasladado", "{backend:?}: a late transfer is not refused");
    let payloads: Vec<(i64, String)> = case_events::table
        .filter(case_events::event_type.eq("trasladado"))
        .select((case_events::case_id, case_events::payload))
        .load(&mut f.db.conn())
        .unwrap();
    let late_of = |id: i64| payloads.iter().find(|p| p.0 == id).map(|p| serde_json::from_str::<serde_json::Value>(&p.1).unwrap()["late"].clone());
    assert_eq!((late_of(ok.id), late_of(late.id)), (Some(false.into()), Some(true.into())), "{backend:?}: {payloads:?}");
}

common::backend_tests!(#[test] fn follow_up_alerts_are_sent_once_and_skip_suspended_cases);
fn follow_up_alerts_are_sent_once_and_skip_suspended_cases(backend: Backend) {
    use pqrs::workflow::follow_up;
    let f = Fixture::new(backend);
    let list: Vec<pqrs::db::models::Department> = f.intake.rules().departments().iter().map(|d| pqrs::db::models::Department {
        code: d.code.clone(), name: d.name.clone(), description: d.description.clone(),
        email: Some(format!("{}@anm.test", d.code.to_lowercase())), head_email: None, active: true,
    }).collect();
    pqrs::db::models::Department::sync(&mut f.db.conn(), &list).unwrap();
    // Two cases filed Monday 2 March 2026; the rules read them as requests for information
    // (10 business days): due Monday 16 March.
    let mut radicados = vec![];
    for i in 0..2 {
        let Outcome::Case { radicado, .. } = f.file(&mail(&format!("fu{i}@x"), "Petición", "", "Mon, 2 Mar 2026 10:00:00 -0500"), at(2026, 3, 2)) else { panic!() };
        radicados.push(radicado);
    }
    let due = f.case(&radicados[0]).due_date.unwrap();
    assert_eq!(due, d(2026, 3, 16));
    // The second waits for the citizen: its clock is stopped, no alert.
    let c2 = f.case(&radicados[1]);
    f.act(&c2, Action::RequestCompletion { message: "Falta la cédula".into() }, at(2026, 3, 4)).unwrap();

    let run = |when| follow_up::run(&mut f.db.conn(), &f.intake.policy, "pqrs.test", "http://x", when).unwrap();
    // Thu 12 March: 2 business days left → due soon, one digest.
    let r = run(at(2026, 3, 12));
    assert_eq!((r.due_soon, r.overdue, r.digests_queued, r.escalations_queued), (1, 0, 1, 0), "{backend:?}: {r:?}");
    // Same day again (a restart): nothing new.
    let r = run(at(2026, 3, 12));
    assert_eq!((r.digests_queued, r.escalations_queued), (0, 0), "{backend:?}");
    // Tue 17 March: overdue → one escalation and that day's digest; again → nothing.
    let r = run(at(2026, 3, 17));
    assert_eq!((r.overdue, r.digests_queued, r.escalations_queued), (1, 1, 1), "{backend:?}: {r:?}");
    let r = run(at(2026, 3, 17));
    assert_eq!((r.digests_queued, r.escalations_queued), (0, 0));
    // Requerimiento on Wed 4 March: the citizen's month ends Sat 4 April, moved to Mon 6 April
    // (the business day after Holy Week). Desistimiento is proposed once, from Tue 7 April.
    assert_eq!(run(at(2026, 4, 6)).desistimiento_proposed, 0, "{backend:?}: proposed on the citizen's last day");
    let r = run(at(2026, 4, 7));
    assert_eq!(r.desistimiento_proposed, 1);
    assert_eq!(run(at(2026, 4, 8)).desistimiento_proposed, 0);
    let internal: Vec<(String, bool)> = outbox::table.filter(outbox::internal.eq(true)).select((outbox::purpose, outbox::internal)).load(&mut f.db.conn()).unwrap();
    // Digests on 12 Mar, 17 Mar, 6, 7 and 8 Apr (one a day while overdue), one escalation.
    assert_eq!(internal.len(), 6, "{internal:?}");
}

common::backend_tests!(#[test] fn ley_1712_figures_count_on_time_late_open_overdue_transferred_and_extended);
fn ley_1712_figures_count_on_time_late_open_overdue_transferred_and_extended(backend: Backend) {
    let f = Fixture::new(backend);
    let mut r = vec![];
    for i in 0..5 {
        let Outcome::Case { radicado, .. } = f.file(&mail(&format!("l{i}@x"), "Petición", "", "Mon, 2 Mar 2026 10:00:00 -0500"), at(2026, 3, 2)) else { panic!() };
        r.push(f.case(&radicado));
    }
    let due = r[0].due_date.unwrap(); // every case has the same term and date
    let cal = &f.intake.policy.deadlines.calendar;
    let late = cal.next_business_day(due).unwrap();
    // 0: answered on time, 3 business days after filing.
    f.act(&r[0], Action::Respond { text: "Respuesta".into() }, at(2026, 3, 5)).unwrap();
    // 1: answered late, the day after the due date.
    f.act(&r[1], Action::Respond { text: "Respuesta".into() }, chrono::Utc.from_utc_datetime(&late.and_hms_opt(15, 0, 0).unwrap())).unwrap();
    // 2: transferred.
    f.act(&r[2], Action::Transfer { entity: "Alcaldía".into(), reason: "competencia".into() }, at(2026, 3, 3)).unwrap();
    // 3: extended and still open; 4: open and overdue.
    f.act(&r[3], Action::Extend { new_due: cal.add_business_days(due, 3).unwrap(), reason: "estudio".into() }, at(2026, 3, 4)).unwrap();
    // The answers' mails are accepted by the mail server the day they were answered (on time is
    // judged at the first accepted delivery: tests/ley_1712.rs).
    for (case, day) in [(&r[0], d(2026, 3, 5)), (&r[1], late)] {
        diesel::update(outbox::table.filter(outbox::case_id.eq(case.id)).filter(outbox::purpose.eq("respuesta")))
            .set((outbox::status.eq("sent"), outbox::sent_at.eq(Some(day.and_hms_opt(16, 0, 0).unwrap()))))
            .execute(&mut f.db.conn())
            .unwrap();
    }
    let today = cal.add_business_days(due, 2).unwrap();
    let rep = pqrs::reports::pqrs(&mut f.db.conn(), &f.intake.policy.deadlines, d(2026, 3, 1), d(2026, 3, 31), today).unwrap();
    let t = &rep.totals;
    assert_eq!((t.received, t.answered_on_time, t.answered_late, t.transferred, t.extended), (5, 1, 1, 1, 1), "{backend:?}: {t:?}");
    assert_eq!((t.notification_pending, t.annulled), (0, 0), "{backend:?}: {t:?}");
    assert_eq!((t.open, t.open_overdue), (2, 1), "{backend:?}: {t:?}");
    let late_days = cal.business_days_between(d(2026, 3, 2), late);
    assert_eq!(t.max_business_days_to_answer, Some(late_days));
    assert_eq!(t.mean_business_days_to_answer, Some(((3 + late_days) as f64 / 2.0 * 10.0).round() / 10.0));
    assert_eq!(rep.by_channel["correo_contacto"].received, 5);
    assert_eq!(rep.by_department.values().map(|v| v.received).sum::<i64>(), 5);
}
