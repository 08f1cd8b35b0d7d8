//! The legal engine's "wrong today" items (legal engine issue), each on both backends: the
//! case lifecycle's dates equal `pqrs term` for the same timeline, reclassification keeps the
//! suspension and the extension, one requerimiento within 10 business days, a completion after
//! the citizen's month resumes nothing, staff record a completion that came on paper, the
//! citizen's second month, desistimiento only after the last day, annulment only before an
//! answer, the outcomes the Ley 1712 figures count, priority.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::models::CaseRow;
use pqrs::db::schema::{case_events, outbox};
use pqrs::domain::{PetitionKind, PriorityReason};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::workflow::lifecycle::{apply, Action, ActionError, Context};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// 10:00 Bogotá on a date, as UTC.
fn at(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(15, 0, 0).unwrap())
}

fn mail(mid: &str, extra: &str, day: NaiveDate) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: {}\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: Petición\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito información sobre mi trámite.\r\n",
        at(day).to_rfc2822()
    )
}

struct Fixture {
    db: TestDb,
    intake: Intake,
    departments: Vec<String>,
}

impl Fixture {
    fn new(backend: Backend) -> Fixture {
        let db = TestDb::new(backend);
        let intake = db.intake();
        let departments = intake.department_codes();
        Fixture { db, intake, departments }
    }
    fn ctx(&self) -> Context<'_> {
        self.intake.lifecycle_context(&self.departments)
    }
    fn act(&self, case: &CaseRow, action: Action, day: NaiveDate) -> Result<CaseRow, ActionError> {
        apply(&mut self.db.conn(), &self.ctx(), case.id, "funcionario@anm.gov.co", action, at(day))
    }
    fn file_raw(&self, raw: &str, day: NaiveDate) -> Outcome {
        let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: Some(at(day)) };
        self.intake.process(&mut self.db.conn(), m, false).unwrap()
    }
    /// A new case filed at 10:00 on `day`, of `kind`.
    fn file(&self, mid: &str, day: NaiveDate, kind: PetitionKind) -> CaseRow {
        let Outcome::Case { radicado, .. } = self.file_raw(&mail(mid, "", day), day) else { panic!("not filed") };
        let case = self.case(&radicado);
        if case.kind == kind {
            return case;
        }
        self.act(&case, Action::Reclassify { kind, reason: "revisado".into() }, day).unwrap()
    }
    fn case(&self, radicado: &str) -> CaseRow {
        CaseRow::by_radicado(&mut self.db.conn(), radicado).unwrap().unwrap()
    }
    fn events(&self, case: &CaseRow) -> Vec<(String, serde_json::Value)> {
        let rows: Vec<(String, String)> = case_events::table
            .filter(case_events::case_id.eq(case.id))
            .order(case_events::id)
            .select((case_events::event_type, case_events::payload))
            .load(&mut self.db.conn())
            .unwrap();
        rows.into_iter().map(|(t, p)| (t, serde_json::from_str(&p).unwrap())).collect()
    }
    /// `pqrs term --json` for the timeline `args` (after `--received … --kind …` of the case).
    fn term(&self, case: &CaseRow, kind: PetitionKind, args: &[&str]) -> serde_json::Value {
        let received = Utc.from_utc_datetime(&case.received_at).to_rfc3339();
        let out = common::pqrs_cmd(&self.db)
            .args(["term", "--received", &received, "--kind", kind.as_str(), "--json"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "pqrs term {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn date(v: &serde_json::Value) -> Option<NaiveDate> {
    v.as_str().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

common::backend_tests!(#[test] fn reclassifying_after_a_suspension_keeps_it_and_equals_pqrs_term);
fn reclassifying_after_a_suspension_keeps_it_and_equals_pqrs_term(backend: Backend) {
    let f = Fixture::new(backend);
    // Filed Fri 10 July 2026 (effective the same day) as a general petition: due 4 August.
    let case = f.file("rc1@x", d(2026, 7, 10), PetitionKind::PeticionGeneral);
    assert_eq!(case.due_date, Some(d(2026, 8, 4)));
    let t = f.term(&case, PetitionKind::PeticionGeneral, &[]);
    assert_eq!((date(&t["due"]), date(&t["extension_limit"])), (case.due_date, case.extension_limit), "{backend:?}");
    // Requerimiento Wed 15 July, completed on paper Mon 27 July, recorded by staff: due 14 Aug.
    let case = f.act(&case, Action::RequestCompletion { message: "Copia de la cédula".into() }, d(2026, 7, 15)).unwrap();
    let case = f
        .act(&case, Action::CompletionReceived { received_on: d(2026, 7, 27), via: "Radicado físico en ventanilla".into() }, d(2026, 7, 28))
        .unwrap();
    assert_eq!((case.status.as_str(), case.due_date, case.completed_on), ("en_tramite", Some(d(2026, 8, 14)), Some(d(2026, 7, 27))));
    let args = ["--requerimiento", "2026-07-15", "--respuesta", "2026-07-27"];
    let t = f.term(&case, PetitionKind::PeticionGeneral, &args);
    assert_eq!((date(&t["due"]), date(&t["extension_limit"])), (case.due_date, case.extension_limit), "{backend:?}");
    // Reclassified on 29 July as a consultation (30 days): counted from the same effective day
    // and shifted by the same suspension. Without the shift it would be 27 August.
    let case = f.act(&case, Action::Reclassify { kind: PetitionKind::Consulta, reason: "es una consulta".into() }, d(2026, 7, 29)).unwrap();
    let t = f.term(&case, PetitionKind::PeticionGeneral, &[&args[..], &["--reclasificar", "consulta"]].concat());
    assert_eq!((date(&t["due"]), date(&t["extension_limit"])), (case.due_date, case.extension_limit), "{backend:?}");
    assert_ne!(case.due_date, Some(d(2026, 8, 27)), "{backend:?}: the suspension was dropped");
    assert_eq!(t["term_days"], 30);
}

common::backend_tests!(#[test] fn reclassifying_keeps_a_granted_extension_within_the_new_limit);
fn reclassifying_keeps_a_granted_extension_within_the_new_limit(backend: Backend) {
    let f = Fixture::new(backend);
    let cal = &f.intake.policy.deadlines.calendar;
    // Two general petitions filed Mon 2 March 2026, each extended on 4 March.
    let day = d(2026, 3, 2);
    let d15 = cal.add_business_days(day, 15).unwrap();
    let (d10, d20) = (cal.add_business_days(day, 10).unwrap(), cal.add_business_days(day, 20).unwrap());
    let kept = f.file("ext1@x", day, PetitionKind::PeticionGeneral);
    let kept = f.act(&kept, Action::Extend { new_due: cal.add_business_days(d15, 3).unwrap(), reason: "visita".into() }, d(2026, 3, 4)).unwrap();
    let clamped = f.file("ext2@x", day, PetitionKind::PeticionGeneral);
    let clamped = f.act(&clamped, Action::Extend { new_due: cal.add_business_days(d15, 10).unwrap(), reason: "visita".into() }, d(2026, 3, 4)).unwrap();
    // Both reclassified as requests for documents (10 days, limit 20).
    let k = f.act(&kept, Action::Reclassify { kind: PetitionKind::PeticionDocumentos, reason: "documentos".into() }, d(2026, 3, 5)).unwrap();
    let c = f.act(&clamped, Action::Reclassify { kind: PetitionKind::PeticionDocumentos, reason: "documentos".into() }, d(2026, 3, 5)).unwrap();
    // The extension granted (18th day) is within the new limit (20th): it stays. The other
    // (25th) is beyond it: the new limit. Neither falls back to the bare 10th day.
    assert_eq!((k.due_date, k.extension_limit, k.original_due_date), (kept.due_date, Some(d20), Some(d10)), "{backend:?}");
    assert_eq!(c.due_date, Some(d20), "{backend:?}");
    assert!(k.extended_at.is_some() && c.extended_at.is_some());
    let ext = |case: &CaseRow| f.events(case).last().unwrap().1["extension"].clone();
    assert_eq!((ext(&k), ext(&c)), ("kept".into(), "clamped".into()));
    // One extension only, still.
    let again = f.act(&k, Action::Extend { new_due: d20, reason: "otra".into() }, d(2026, 3, 6)).unwrap_err();
    assert!(matches!(again, ActionError::AlreadyExtended(_)), "{again:?}");
}

common::backend_tests!(#[test] fn one_requerimiento_only_and_within_ten_business_days);
fn one_requerimiento_only_and_within_ten_business_days(backend: Backend) {
    let f = Fixture::new(backend);
    let cal = &f.intake.policy.deadlines.calendar;
    let day = d(2026, 3, 2);
    let window = cal.add_business_days(day, 10).unwrap();
    // The 11th business day is too late, and changes nothing.
    let late = f.file("rq1@x", day, PetitionKind::Consulta);
    let e = f.act(&late, Action::RequestCompletion { message: "Falta el plano".into() }, cal.next_business_day(window).unwrap()).unwrap_err();
    assert!(e.message_es().contains("10 días hábiles"), "{backend:?}: {}", e.message_es());
    assert_eq!(f.case(&late.radicado).status, "radicado");
    // The 10th is on time; after the completion a second requerimiento is refused.
    let case = f.act(&late, Action::RequestCompletion { message: "Falta el plano".into() }, window).unwrap();
    assert_eq!((case.status.as_str(), case.requerimiento_on), ("requerimiento", Some(window)));
    let case = f.act(&case, Action::CompletionReceived { received_on: window, via: "presencial".into() }, window).unwrap();
    let e = f.act(&case, Action::RequestCompletion { message: "Otra cosa".into() }, window).unwrap_err();
    assert!(e.message_es().contains("uno solo"), "{backend:?}: {}", e.message_es());
    // `pqrs term` refuses the same late timeline.
    let out = common::pqrs_cmd(&f.db)
        .args(["term", "--received", "2026-03-02T10:00:00-05:00", "--kind", "consulta", "--requerimiento"])
        .arg(cal.next_business_day(window).unwrap().to_string())
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("10 business days"), "{out:?}");
}

common::backend_tests!(#[test] fn a_completion_after_the_citizens_month_resumes_nothing_and_goes_to_triage);
fn a_completion_after_the_citizens_month_resumes_nothing_and_goes_to_triage(backend: Backend) {
    let f = Fixture::new(backend);
    // Requerimiento Wed 4 March 2026: the citizen's month ends Sat 4 April → Mon 6 April.
    let mut cases = vec![];
    for (i, reply_on) in [d(2026, 4, 6), d(2026, 4, 8)].into_iter().enumerate() {
        let case = f.file(&format!("late{i}@x"), d(2026, 3, 2), PetitionKind::PeticionGeneral);
        f.act(&case, Action::RequestCompletion { message: "Falta la cédula".into() }, d(2026, 3, 4)).unwrap();
        let req_mid: String = outbox::table
            .filter(outbox::case_id.eq(case.id))
            .filter(outbox::purpose.eq("requerimiento"))
            .select(outbox::message_id)
            .first(&mut f.db.conn())
            .unwrap();
        let reply = mail(&format!("late{i}-reply@x"), &format!("In-Reply-To: <{req_mid}>\r\n"), reply_on);
        assert_eq!(f.file_raw(&reply, reply_on), Outcome::Reply { radicado: case.radicado.clone() });
        cases.push(f.case(&case.radicado));
    }
    // On the last day: the clock resumes.
    assert_eq!(cases[0].status, "en_tramite", "{backend:?}");
    let t = f.term(&cases[0], PetitionKind::PeticionGeneral, &["--requerimiento", "2026-03-04", "--respuesta", "2026-04-06"]);
    assert_eq!(date(&t["due"]), cases[0].due_date, "{backend:?}");
    // Two days later: kept on the case, still in requerimiento, sent to triage.
    let late = &cases[1];
    assert_eq!((late.status.as_str(), late.needs_review), ("requerimiento", true), "{backend:?}");
    let events: Vec<String> = f.events(late).into_iter().map(|e| e.0).collect();
    assert!(events.ends_with(&["respuesta_ciudadano".to_string(), "respuesta_extemporanea".to_string()]), "{events:?}");
    // Staff cannot resume it either: desistimiento applies.
    let e = f.act(late, Action::CompletionReceived { received_on: d(2026, 4, 8), via: "correo".into() }, d(2026, 4, 8)).unwrap_err();
    assert!(e.message_es().contains("desistimiento"), "{}", e.message_es());
}

common::backend_tests!(#[test] fn the_citizens_second_month_moves_desistimiento);
fn the_citizens_second_month_moves_desistimiento(backend: Backend) {
    use pqrs::workflow::follow_up;
    let f = Fixture::new(backend);
    let case = f.file("ce1@x", d(2026, 3, 2), PetitionKind::PeticionGeneral);
    let case = f.act(&case, Action::RequestCompletion { message: "Falta el plano".into() }, d(2026, 3, 4)).unwrap();
    // Desistimiento on 7 April would be lawful (last day 6 April), but the citizen asked on
    // 20 March for the second month: last day Mon 4 May 2026, desistimiento from 5 May.
    let case = f.act(&case, Action::CitizenExtension { requested_on: d(2026, 3, 20) }, d(2026, 3, 20)).unwrap();
    assert!(case.citizen_extension);
    let t = f.term(&case, PetitionKind::PeticionGeneral, &["--requerimiento", "2026-03-04", "--prorroga-ciudadano"]);
    assert_eq!((date(&t["citizen_last_day"]), date(&t["desistimiento_from"])), (Some(d(2026, 5, 4)), Some(d(2026, 5, 5))), "{backend:?}");
    let again = f.act(&case, Action::CitizenExtension { requested_on: d(2026, 3, 21) }, d(2026, 3, 21)).unwrap_err();
    assert!(matches!(again, ActionError::Invalid(_)), "{again:?}");
    let run = |day| follow_up::run(&mut f.db.conn(), &f.intake.policy, "pqrs.test", "http://x", at(day)).unwrap();
    assert_eq!(run(d(2026, 4, 7)).desistimiento_proposed, 0, "{backend:?}: proposed inside the second month");
    let early = f.act(&case, Action::Close { reason: Some("Resolución 1 de 2026".into()) }, d(2026, 5, 4)).unwrap_err();
    assert!(early.message_es().contains("2026-05-04"), "{}", early.message_es());
    assert_eq!(run(d(2026, 5, 5)).desistimiento_proposed, 1);
    let closed = f.act(&case, Action::Close { reason: Some("Resolución 1 de 2026".into()) }, d(2026, 5, 5)).unwrap();
    assert_eq!((closed.status.as_str(), closed.outcome.as_deref()), ("cerrado", Some("desistimiento_tacito")));
    // The act is notified to the citizen with an outgoing radicado.
    let purposes: Vec<String> = outbox::table.filter(outbox::case_id.eq(case.id)).order(outbox::id).select(outbox::purpose).load(&mut f.db.conn()).unwrap();
    assert_eq!(purposes, ["acuse", "requerimiento", "prorroga_ciudadano", "desistimiento"], "{backend:?}");
}

common::backend_tests!(#[test] fn annulment_only_before_an_answer_with_an_approver);
fn annulment_only_before_an_answer_with_an_approver(backend: Backend) {
    let f = Fixture::new(backend);
    let day = d(2026, 3, 2);
    let answered = f.file("an1@x", day, PetitionKind::PeticionGeneral);
    let answered = f.act(&answered, Action::Respond { text: "Respuesta".into() }, d(2026, 3, 3)).unwrap();
    let e = f.act(&answered, Action::Annul { reason: "error".into(), approved_by: "Jefe OAC".into() }, d(2026, 3, 4)).unwrap_err();
    assert!(matches!(e, ActionError::InvalidTransition { .. }), "{backend:?}: {e:?}");
    let transferred = f.file("an2@x", day, PetitionKind::PeticionGeneral);
    let transferred = f.act(&transferred, Action::Transfer { entity: "Alcaldía".into(), reason: "competencia".into() }, d(2026, 3, 3)).unwrap();
    assert!(f.act(&transferred, Action::Annul { reason: "error".into(), approved_by: "Jefe OAC".into() }, d(2026, 3, 4)).is_err());
    let open = f.file("an3@x", day, PetitionKind::PeticionGeneral);
    let e = f.act(&open, Action::Annul { reason: "duplicado".into(), approved_by: " ".into() }, d(2026, 3, 4)).unwrap_err();
    assert!(matches!(e, ActionError::Invalid(_)), "{e:?}");
    let a = f.act(&open, Action::Annul { reason: "duplicado".into(), approved_by: "Jefe OAC".into() }, d(2026, 3, 4)).unwrap();
    assert_eq!((a.status.as_str(), a.outcome.as_deref()), ("anulado", Some("anulada")));
    assert_eq!(f.events(&a).last().unwrap().1["approved_by"], "Jefe OAC");
}

common::backend_tests!(#[test] fn outcomes_denial_rejection_withdrawal_and_priority);
fn outcomes_denial_rejection_withdrawal_and_priority(backend: Backend) {
    use pqrs::workflow::follow_up;
    let f = Fixture::new(backend);
    let day = d(2026, 3, 2);
    let denied = f.file("o1@x", day, PetitionKind::PeticionDocumentos);
    let e = f.act(&denied, Action::RespondDenying { text: "No es posible entregar el expediente.".into(), legal_basis: " ".into() }, d(2026, 3, 3));
    assert!(matches!(e, Err(ActionError::Invalid(_))), "a denial names its legal basis: {e:?}");
    let denied = f
        .act(&denied, Action::RespondDenying { text: "No es posible entregar el expediente.".into(), legal_basis: "Art. 24 num. 6, Ley 1755 de 2015".into() }, d(2026, 3, 3))
        .unwrap();
    assert_eq!((denied.status.as_str(), denied.outcome.as_deref()), ("respondido", Some("denegada")), "{backend:?}");
    let body: String = outbox::table.filter(outbox::case_id.eq(denied.id)).filter(outbox::purpose.eq("respuesta")).select(outbox::body_text).first(&mut f.db.conn()).unwrap();
    assert!(body.contains("Art. 24 num. 6"), "{body}");

    let rejected = f.file("o2@x", day, PetitionKind::Queja);
    let rejected = f.act(&rejected, Action::Reject { reason: "Contiene expresiones injuriosas.".into() }, d(2026, 3, 3)).unwrap();
    assert_eq!((rejected.status.as_str(), rejected.outcome.as_deref()), ("cerrado", Some("rechazada")));
    assert!(rejected.response_radicado.as_deref().is_some_and(|r| r.ends_with('1')), "{rejected:?}");

    let withdrawn = f.file("o3@x", day, PetitionKind::Queja);
    let withdrawn = f.act(&withdrawn, Action::Withdraw { reason: "El ciudadano desiste por correo del 3 de marzo.".into() }, d(2026, 3, 3)).unwrap();
    assert_eq!((withdrawn.status.as_str(), withdrawn.outcome.as_deref()), ("cerrado", Some("desistimiento_expreso")));

    // Priority: alerts come earlier (6 business days left is "due soon" only for it).
    let normal = f.file("o4@x", day, PetitionKind::PeticionGeneral);
    let urgent = f.file("o5@x", day, PetitionKind::PeticionGeneral);
    let urgent = f.act(&urgent, Action::Prioritize { reason: Some(PriorityReason::AdultoMayor), note: Some("83 años".into()) }, day).unwrap();
    assert_eq!((urgent.priority.as_str(), urgent.priority_reason.as_deref()), ("alta", Some("adulto_mayor")));
    let cal = &f.intake.policy.deadlines.calendar;
    let mut six_left = normal.due_date.unwrap();
    while !(cal.is_business_day(six_left) && f.intake.policy.deadlines.days_left(six_left, normal.due_date.unwrap()) == 6) {
        six_left = six_left.pred_opt().unwrap();
    }
    let r = follow_up::run(&mut f.db.conn(), &f.intake.policy, "pqrs.test", "http://x", at(six_left)).unwrap();
    assert_eq!(r.due_soon, 1, "{backend:?}: {r:?}");
    // And the queue lists it first.
    let filter = pqrs::db::cases::CaseFilter { per_page: 50, ..Default::default() };
    let (rows, _) = pqrs::db::cases::list(&mut f.db.conn(), &filter).unwrap();
    let open: Vec<&str> = rows.iter().filter(|c| c.status.is_open()).map(|c| c.radicado.as_str()).collect();
    assert_eq!(open.first().copied(), Some(urgent.radicado.as_str()), "{backend:?}: {open:?}");
}

common::backend_tests!(#[test] fn an_unclear_petition_is_returned_clarified_or_archived);
fn an_unclear_petition_is_returned_clarified_or_archived(backend: Backend) {
    use pqrs::workflow::follow_up;
    let f = Fixture::new(backend);
    // Filed Mon 2 March 2026, returned on Wed 4 March: 10 business days to clarify, to Wed 18 March.
    let mut cases = vec![];
    for i in 0..2 {
        let case = f.file(&format!("dv{i}@x"), d(2026, 3, 2), PetitionKind::PeticionGeneral);
        let case = f.act(&case, Action::ReturnForClarification { message: "No se entiende qué título minero consulta.".into() }, d(2026, 3, 4)).unwrap();
        assert_eq!((case.status.as_str(), case.clarification), ("requerimiento", true), "{backend:?}");
        cases.push(case);
    }
    let t = f.term(&cases[0], PetitionKind::PeticionGeneral, &["--requerimiento", "2026-03-04", "--devolucion"]);
    assert_eq!((date(&t["citizen_last_day"]), date(&t["desistimiento_from"])), (Some(d(2026, 3, 18)), Some(d(2026, 3, 19))));
    let e = f.act(&cases[0], Action::CitizenExtension { requested_on: d(2026, 3, 5) }, d(2026, 3, 5)).unwrap_err();
    assert!(e.message_es().contains("10 días hábiles"), "{}", e.message_es());

    // The first is clarified by mail on Thu 12 March: it counts as filed that day.
    let mid: String = outbox::table
        .filter(outbox::case_id.eq(cases[0].id))
        .filter(outbox::purpose.eq("devolucion"))
        .select(outbox::message_id)
        .first(&mut f.db.conn())
        .unwrap();
    let reply = mail("dv0-reply@x", &format!("In-Reply-To: <{mid}>\r\n"), d(2026, 3, 12));
    assert_eq!(f.file_raw(&reply, d(2026, 3, 12)), Outcome::Reply { radicado: cases[0].radicado.clone() });
    let clarified = f.case(&cases[0].radicado);
    assert_eq!((clarified.status.as_str(), clarified.effective_date), ("en_tramite", d(2026, 3, 12)), "{backend:?}");
    let cal = &f.intake.policy.deadlines.calendar;
    assert_eq!(clarified.due_date, cal.add_business_days(d(2026, 3, 12), 15), "{backend:?}");
    let t = f.term(&clarified, PetitionKind::PeticionGeneral, &["--requerimiento", "2026-03-04", "--devolucion", "--respuesta", "2026-03-12"]);
    assert_eq!((date(&t["effective_day"]), date(&t["due"])), (Some(clarified.effective_date), clarified.due_date), "{backend:?}");

    // The second is not: archived only after the 10th business day, the act notified.
    let early = f.act(&cases[1], Action::Close { reason: Some("Auto 7 de 2026".into()) }, d(2026, 3, 18)).unwrap_err();
    assert!(early.message_es().contains("2026-03-18"), "{}", early.message_es());
    let r = follow_up::run(&mut f.db.conn(), &f.intake.policy, "pqrs.test", "http://x", at(d(2026, 3, 19))).unwrap();
    assert_eq!(r.desistimiento_proposed, 1, "{backend:?}");
    assert!(f.events(&cases[1]).iter().any(|e| e.0 == "archivo_propuesto"));
    let archived = f.act(&cases[1], Action::Close { reason: Some("Auto 7 de 2026".into()) }, d(2026, 3, 19)).unwrap();
    assert_eq!((archived.status.as_str(), archived.outcome.as_deref()), ("cerrado", Some("archivada")), "{backend:?}");
    let purposes: Vec<String> = outbox::table.filter(outbox::case_id.eq(archived.id)).order(outbox::id).select(outbox::purpose).load(&mut f.db.conn()).unwrap();
    assert_eq!(purposes, ["acuse", "devolucion", "archivado"], "{backend:?}");
}
