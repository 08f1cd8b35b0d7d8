//! The Ley 1712 figures (`pqrs::reports::pqrs`): every case not annulled in exactly one standing
//! (answered on time / late / notification pending / notification failed, transferred, tacit or
//! express desistimiento, rejected, archived without clarification, open), annulled cases apart, business days to answer net of
//! the suspension of a requerimiento, and "on time" judged when the answer reached the citizen
//! (the SMTP acceptance of its mail, or the answer itself without e-mail). Both backends.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::models::CaseRow;
use pqrs::db::schema::{cases, outbox};
use pqrs::domain::PetitionKind;
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::reports::{PqrsFigures, PqrsReport};
use pqrs::workflow::lifecycle::{apply, Action, ActionError, Context};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// 10:00 Bogotá on a date, as UTC.
fn on(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(15, 0, 0).unwrap())
}

fn mail(i: usize, date: &str) -> String {
    format!(
        "Message-ID: <ley1712-{i}@x>\r\nDate: {date}\r\nFrom: Ciudadano {i} <c{i}@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: Petición {i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSolicito información sobre mi trámite.\r\n"
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
        apply(&mut self.db.conn(), &self.ctx(), case.id, "funcionario@anm.gov.co", action, on(day))
    }
    /// `n` petitions filed on Monday 2 March 2026 at 10:00, each a petición general (15 days).
    fn file(&self, n: usize) -> Vec<CaseRow> {
        (0..n)
            .map(|i| {
                let raw = mail(i, "Mon, 2 Mar 2026 10:00:00 -0500");
                let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: Some(on(d(2026, 3, 2))) };
                let Outcome::Case { radicado, .. } = self.intake.process(&mut self.db.conn(), m, false).unwrap() else { panic!("not a case") };
                let case = CaseRow::by_radicado(&mut self.db.conn(), &radicado).unwrap().unwrap();
                if case.kind == "peticion_general" {
                    case
                } else {
                    self.act(&case, Action::Reclassify { kind: PetitionKind::PeticionGeneral, reason: "revisado".into() }, d(2026, 3, 2)).unwrap()
                }
            })
            .collect()
    }
    fn bd(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        self.intake.policy.deadlines.calendar.business_days_between(a, b)
    }
    fn add(&self, a: NaiveDate, n: u32) -> NaiveDate {
        self.intake.policy.deadlines.calendar.add_business_days(a, n).unwrap()
    }
    /// Simulate the outbox worker on the case's answer mail: `Some(day)` = accepted by SMTP on
    /// that day at 11:00 Bogotá, `None` = failed for good.
    fn deliver_answer(&self, case: &CaseRow, accepted_on: Option<NaiveDate>) {
        let q = outbox::table.filter(outbox::case_id.eq(case.id)).filter(outbox::purpose.eq("respuesta"));
        let n = match accepted_on {
            Some(day) => diesel::update(q)
                .set((outbox::status.eq("sent"), outbox::sent_at.eq(Some(day.and_hms_opt(16, 0, 0).unwrap()))))
                .execute(&mut self.db.conn()),
            None => diesel::update(q).set((outbox::status.eq("failed"), outbox::last_error.eq(Some("550 no such user")))).execute(&mut self.db.conn()),
        }
        .unwrap();
        assert_eq!(n, 1, "one answer mail for case {}", case.radicado);
    }
    fn report(&self, today: NaiveDate) -> PqrsReport {
        pqrs::reports::pqrs(&mut self.db.conn(), &self.intake.policy.deadlines, d(2026, 3, 1), d(2026, 3, 31), today).unwrap()
    }
}

/// The standings every case not annulled lands in, summed.
fn standings(f: &PqrsFigures) -> i64 {
    f.answered_on_time
        + f.answered_late
        + f.notification_pending
        + f.notification_failed
        + f.transferred
        + f.desistimiento_tacito
        + f.desistimiento_expreso
        + f.rejected
        + f.archived
        + f.open
}

fn assert_standings_sum_to_received(rep: &PqrsReport, backend: Backend) {
    for (grouping, group, f) in rep.rows() {
        assert_eq!(standings(f), f.received, "{backend:?}: {grouping} {group}: {f:?}");
    }
}

common::backend_tests!(#[test] fn every_case_lands_in_exactly_one_standing_and_they_sum_to_received);
fn every_case_lands_in_exactly_one_standing_and_they_sum_to_received(backend: Backend) {
    let f = Fixture::new(backend);
    let c = f.file(13);
    let eff = c[0].effective_date;
    assert_eq!(eff, d(2026, 3, 2));
    let due = c[0].due_date.unwrap();
    let answer = |text: &str| Action::Respond { text: text.into() };
    // 0: answered, mail accepted the same day; 1: denied, accepted the same day.
    f.act(&c[0], answer("Respuesta"), f.add(eff, 3)).unwrap();
    f.deliver_answer(&c[0], Some(f.add(eff, 3)));
    f.act(&c[1], Action::RespondDenying { text: "No procede".into(), legal_basis: "Art. 24 Ley 1755 de 2015".into() }, f.add(eff, 4)).unwrap();
    f.deliver_answer(&c[1], Some(f.add(eff, 4)));
    // 2: answered, its mail not yet accepted; 3: answered, its mail failed.
    f.act(&c[2], answer("Respuesta"), f.add(eff, 5)).unwrap();
    f.act(&c[3], answer("Respuesta"), f.add(eff, 5)).unwrap();
    f.deliver_answer(&c[3], None);
    // 4: transferred (art. 21).
    f.act(&c[4], Action::Transfer { entity: "Alcaldía de Bogotá".into(), reason: "competencia".into() }, f.add(eff, 1)).unwrap();
    // 5: requerimiento, the citizen never completed: tacit desistimiento after the last day.
    let req = f.add(eff, 2);
    let case5 = f.act(&c[5], Action::RequestCompletion { message: "Aporte el número de expediente".into() }, req).unwrap();
    let last = f.intake.policy.deadlines.citizen_last_day(case5.requerimiento_on.unwrap()).unwrap();
    f.act(&case5, Action::Close { reason: Some("Auto que declara el desistimiento".into()) }, f.add(last, 1)).unwrap();
    // 6: express desistimiento (art. 18); 7: rejected (art. 19).
    f.act(&c[6], Action::Withdraw { reason: "El ciudadano retira la petición".into() }, f.add(eff, 2)).unwrap();
    f.act(&c[7], Action::Reject { reason: "Petición irrespetuosa".into() }, f.add(eff, 2)).unwrap();
    // 8: open and overdue on the report day; 9: annulled (a filing error).
    f.act(&c[9], Action::Annul { reason: "Radicado por error (correo duplicado)".into(), approved_by: "jefe@anm.gov.co".into() }, f.add(eff, 1)).unwrap();
    // 10: extended past the report day: open, not overdue.
    f.act(&c[10], Action::Extend { new_due: f.add(due, 3), reason: "Requiere concepto técnico".into() }, f.add(eff, 4)).unwrap();
    // 11: answered without e-mail: judged at the answer.
    diesel::update(cases::table.find(c[11].id)).set(cases::citizen_email.eq(None::<String>)).execute(&mut f.db.conn()).unwrap();
    f.act(&CaseRow::by_id(&mut f.db.conn(), c[11].id).unwrap(), answer("Respuesta entregada en ventanilla"), f.add(eff, 6)).unwrap();
    // 12: waiting for the citizen: open, and never overdue while suspended.
    f.act(&c[12], Action::RequestCompletion { message: "Aporte la cédula".into() }, f.add(eff, 9)).unwrap();

    let today = f.add(due, 2);
    let rep = f.report(today);
    let t = &rep.totals;
    assert_eq!(t.received, 12, "{backend:?}: the annulled case is not received: {t:?}");
    assert_eq!(t.annulled, 1, "{backend:?}: {t:?}");
    assert_eq!((t.answered_on_time, t.answered_late, t.denied, t.notification_pending, t.notification_failed), (3, 0, 1, 1, 1), "{backend:?}: {t:?}");
    assert_eq!((t.transferred, t.desistimiento_tacito, t.desistimiento_expreso, t.rejected), (1, 1, 1, 1), "{backend:?}: {t:?}");
    assert_eq!((t.open, t.open_overdue, t.extended, t.suspended), (3, 1, 1, 2), "{backend:?}: {t:?}");
    assert_eq!(t.answered(), 5);
    // Days to answer over the three whose answer reached the citizen: 3, 4 and 6.
    assert_eq!((t.max_business_days_to_answer, t.mean_business_days_to_answer), (Some(6), Some(4.3)), "{backend:?}: {t:?}");
    assert_eq!(standings(t), t.received, "{backend:?}: {t:?}");
    assert_standings_sum_to_received(&rep, backend);
    // The groups add up to the totals, annulled apart.
    for map in [&rep.by_kind, &rep.by_department, &rep.by_channel] {
        assert_eq!(map.values().map(|v| v.received).sum::<i64>(), 12, "{backend:?}");
        assert_eq!(map.values().map(|v| v.annulled).sum::<i64>(), 1, "{backend:?}");
    }
    // The CSV has a line per group with the Spanish columns.
    let csv = rep.to_csv();
    assert!(csv.starts_with("agrupacion,grupo,recibidas,respondidas_a_tiempo,"), "{csv}");
    assert!(csv.contains("\ntotal,total,12,3,0,1,1,1,1,1,1,1,0,3,1,1,2,1,4.3,6\n"), "{backend:?}: {csv}");
}

common::backend_tests!(#[test] fn an_annulled_case_is_out_of_received_and_of_every_other_figure);
fn an_annulled_case_is_out_of_received_and_of_every_other_figure(backend: Backend) {
    let f = Fixture::new(backend);
    let c = f.file(2);
    let eff = c[0].effective_date;
    // Suspended and extended before being annulled: it still counts in none of those.
    let case = f.act(&c[0], Action::Extend { new_due: f.add(c[0].due_date.unwrap(), 2), reason: "estudio".into() }, f.add(eff, 1)).unwrap();
    let case = f.act(&case, Action::RequestCompletion { message: "Aporte el anexo".into() }, f.add(eff, 2)).unwrap();
    f.act(&case, Action::Annul { reason: "Radicado dos veces".into(), approved_by: "jefe@anm.gov.co".into() }, f.add(eff, 3)).unwrap();
    let rep = f.report(f.add(eff, 40));
    let t = &rep.totals;
    assert_eq!((t.received, t.annulled, t.open, t.open_overdue, t.extended, t.suspended), (1, 1, 1, 1, 0, 0), "{backend:?}: {t:?}");
    let dept = &rep.by_department[&c[0].department];
    assert_eq!(dept.annulled, 1, "{backend:?}: {dept:?}");
    assert_standings_sum_to_received(&rep, backend);
}

common::backend_tests!(#[test] fn the_days_a_requerimiento_suspended_the_clock_are_not_days_to_answer);
fn the_days_a_requerimiento_suspended_the_clock_are_not_days_to_answer(backend: Backend) {
    let f = Fixture::new(backend);
    let c = f.file(2);
    let eff = c[0].effective_date;
    let due = c[0].due_date.unwrap();
    // 0: requerimiento 3 business days in; the citizen completes 10 business days later; the
    // answer goes out 5 business days after that and is accepted the same day.
    let req = f.add(eff, 3);
    let case = f.act(&c[0], Action::RequestCompletion { message: "Aporte el plano".into() }, req).unwrap();
    let completed = f.add(req, 10);
    let case = f.act(&case, Action::CompletionReceived { received_on: completed, via: "radicado físico".into() }, completed).unwrap();
    let answered = f.add(completed, 5);
    assert!(answered > due, "the answer comes after the unmoved due date");
    f.act(&case, Action::Respond { text: "Respuesta".into() }, answered).unwrap();
    f.deliver_answer(&case, Some(answered));
    assert_eq!(f.bd(eff, answered), 18);
    let rep = f.report(answered);
    let t = &rep.totals;
    assert_eq!((t.answered_on_time, t.answered_late, t.suspended), (1, 0, 1), "{backend:?}: {t:?}");
    assert_eq!(t.max_business_days_to_answer, Some(8), "{backend:?}: 18 business days less the 10 suspended: {t:?}");

    // 1: answered while still suspended, after the unmoved due date: the clock stopped 3 days
    // in, so 3 days to answer, on time.
    let case = f.act(&c[1], Action::RequestCompletion { message: "Aporte el plano".into() }, req).unwrap();
    let answered = f.add(due, 2);
    f.act(&case, Action::Respond { text: "Respuesta con lo aportado".into() }, answered).unwrap();
    f.deliver_answer(&case, Some(answered));
    let rep = f.report(answered);
    let t = &rep.totals;
    assert_eq!((t.answered_on_time, t.answered_late, t.suspended), (2, 0, 2), "{backend:?}: {t:?}");
    assert_eq!((t.max_business_days_to_answer, t.mean_business_days_to_answer), (Some(8), Some(5.5)), "{backend:?}: 8 and 3: {t:?}");
    assert_standings_sum_to_received(&rep, backend);
}

common::backend_tests!(#[test] fn on_time_is_judged_when_the_answer_mail_is_accepted_not_when_staff_click);
fn on_time_is_judged_when_the_answer_mail_is_accepted_not_when_staff_click(backend: Backend) {
    let f = Fixture::new(backend);
    let c = f.file(3);
    let eff = c[0].effective_date;
    let due = c[0].due_date.unwrap();
    // 0: staff answer on the due date; the mail server accepts the mail two business days later.
    f.act(&c[0], Action::Respond { text: "Respuesta".into() }, due).unwrap();
    let rep = f.report(due);
    assert_eq!((rep.totals.notification_pending, rep.totals.answered_on_time, rep.totals.answered_late), (1, 0, 0), "{backend:?}: {:?}", rep.totals);
    let accepted = f.add(due, 2);
    f.deliver_answer(&c[0], Some(accepted));
    // 1: answered and accepted on the due date.
    f.act(&c[1], Action::Respond { text: "Respuesta".into() }, due).unwrap();
    f.deliver_answer(&c[1], Some(due));
    // 2: answered on time; its mail bounced (failed, nothing accepted).
    f.act(&c[2], Action::Respond { text: "Respuesta".into() }, f.add(eff, 2)).unwrap();
    f.deliver_answer(&c[2], None);
    let rep = f.report(accepted);
    let t = &rep.totals;
    assert_eq!((t.answered_on_time, t.answered_late, t.notification_pending, t.notification_failed), (1, 1, 0, 1), "{backend:?}: {t:?}");
    let days = f.bd(eff, accepted);
    assert_eq!(t.max_business_days_to_answer, Some(days), "{backend:?}: measured to the acceptance: {t:?}");
    assert_eq!(t.mean_business_days_to_answer, Some(((days + 15) as f64 / 2.0 * 10.0).round() / 10.0), "{backend:?}: {t:?}");
    assert_standings_sum_to_received(&rep, backend);
}
