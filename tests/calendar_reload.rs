//! A día cívico added to `rules/calendar.toml` moves the open cases whose term it touches, at
//! start and on SIGHUP, each with an event naming the day; closed cases and cases it does not
//! touch stay; the moved dates equal `pqrs term` under the new calendar. Both backends.

mod common;

use std::path::Path;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{wait_until_async, Backend, TestApp, TestDb};
use diesel::prelude::*;
use pqrs::db::models::CaseRow;
use pqrs::db::schema::case_events;
use pqrs::domain::calendar::{BusinessCalendar, NonBusinessDay};
use pqrs::domain::PetitionKind;
use pqrs::intake::{Outcome, RawMail, Source};
use pqrs::workflow::lifecycle::{apply, Action};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(15, 0, 0).unwrap())
}

/// A general petition filed at 10:00 on `day`.
fn file(db: &TestDb, mid: &str, day: NaiveDate) -> CaseRow {
    let intake = db.intake();
    let raw = format!(
        "Message-ID: <{mid}>\r\nDate: {}\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: Petición\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSolicito información sobre mi trámite.\r\n",
        at(day).to_rfc2822()
    );
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: Some(at(day)) };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), m, false).unwrap() else { panic!("not filed") };
    let case = CaseRow::by_radicado(&mut db.conn(), &radicado).unwrap().unwrap();
    if case.kind == PetitionKind::PeticionGeneral {
        return case;
    }
    act(db, &case, Action::Reclassify { kind: PetitionKind::PeticionGeneral, reason: "revisado".into() }, day)
}

fn act(db: &TestDb, case: &CaseRow, action: Action, day: NaiveDate) -> CaseRow {
    let intake = db.intake();
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    apply(&mut db.conn(), &ctx, case.id, "funcionario@anm.gov.co", action, at(day)).unwrap()
}

fn reload_events(db: &TestDb, case: &CaseRow) -> Vec<serde_json::Value> {
    let rows: Vec<String> = case_events::table
        .filter(case_events::case_id.eq(case.id))
        .filter(case_events::event_type.eq("termino_recalculado"))
        .order(case_events::id)
        .select(case_events::payload)
        .load(&mut db.conn())
        .unwrap();
    rows.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
}

fn calendar_toml(days: &[(NaiveDate, &str)]) -> String {
    days.iter().map(|(d, r)| format!("[[non_business_day]]\ndate = \"{d}\"\nreason = \"{r}\"\n\n")).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn term_due(db: &TestDb, rules: &Path, case: &CaseRow, extra: &[&str]) -> Option<NaiveDate> {
    let received = Utc.from_utc_datetime(&case.received_at).to_rfc3339();
    let out = common::pqrs_cmd(db)
        .env("PQRS_RULES_DIR", rules)
        .args(["term", "--received", &received, "--kind", "peticion_general", "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["due"].as_str().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

common::backend_tests!(#[test] fn a_new_day_off_moves_the_open_cases_it_touches);
fn a_new_day_off_moves_the_open_cases_it_touches(backend: Backend) {
    let db = TestDb::new(backend);
    // Filed Mon 2 March 2026: a general petition is due Tue 24 March (23 March is a holiday).
    let open = file(&db, "cal1@x", d(2026, 3, 2));
    assert_eq!(open.due_date, Some(d(2026, 3, 24)));
    let answered = act(&db, &file(&db, "cal2@x", d(2026, 3, 2)), Action::Respond { text: "Respuesta".into() }, d(2026, 3, 3));
    let suspended = act(&db, &file(&db, "cal3@x", d(2026, 3, 2)), Action::RequestCompletion { message: "Falta la cédula".into() }, d(2026, 3, 4));
    let resumed = act(&db, &file(&db, "cal4@x", d(2026, 3, 2)), Action::RequestCompletion { message: "Falta la cédula".into() }, d(2026, 3, 4));
    let resumed = act(&db, &resumed, Action::CompletionReceived { received_on: d(2026, 3, 9), via: "presencial".into() }, d(2026, 3, 9));
    let untouched = file(&db, "cal5@x", d(2026, 6, 1)); // its term lies after the new day

    // The offices close on Tue 10 March 2026.
    let intake = db.intake();
    let old = intake.policy.current().clone();
    let mut new = old.clone();
    new.deadlines.calendar = BusinessCalendar::with_extra_days([NonBusinessDay { date: d(2026, 3, 10), reason: "Decreto 12 de 2026".into() }]);
    let mail = pqrs::db::lifecycle::MailContext { unit: &intake.config.unit, message_id_domain: &intake.config.settings.message_id_domain, survey: None };
    let report = pqrs::workflow::recalc::recompute(&mut db.conn(), &mail, Some(&old), &new, at(d(2026, 3, 5))).unwrap();
    assert_eq!((report.open, report.moved, report.skipped), (4, 3, 0), "{backend:?}: {report:?}");
    let now = |c: &CaseRow| CaseRow::by_id(&mut db.conn(), c.id).unwrap();
    // One business day later: Wed 25 March.
    assert_eq!(now(&open).due_date, Some(d(2026, 3, 25)), "{backend:?}");
    let ev = reload_events(&db, &open);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0]["days"][0]["date"].as_str(), ev[0]["days"][0]["reason"].as_str()), (Some("2026-03-10"), Some("Decreto 12 de 2026")));
    assert_eq!(ev[0]["old_due"], "2026-03-24");
    // The suspended case: its stored (pre-suspension) dates move too; the resumed one keeps its shift.
    assert_eq!(now(&suspended).due_date, Some(d(2026, 3, 25)));
    assert_eq!(now(&suspended).status, "requerimiento");
    assert!(now(&resumed).due_date > resumed.due_date, "{:?} → {:?}", resumed.due_date, now(&resumed).due_date);
    // Closed and untouched cases stay.
    assert_eq!((now(&answered).due_date, reload_events(&db, &answered).len()), (answered.due_date, 0));
    assert_eq!((now(&untouched).due_date, reload_events(&db, &untouched).len()), (untouched.due_date, 0));
    // Again: nothing moves.
    let again = pqrs::workflow::recalc::recompute(&mut db.conn(), &mail, Some(&old), &new, at(d(2026, 3, 5))).unwrap();
    assert_eq!(again.moved, 0, "{backend:?}");
    // The moved dates are those `pqrs term` gives under the new calendar.
    let rules = tempfile::tempdir().unwrap();
    copy_dir(Path::new(common::RULES), rules.path());
    std::fs::write(rules.path().join("calendar.toml"), calendar_toml(&[(d(2026, 3, 10), "Decreto 12 de 2026")])).unwrap();
    assert_eq!(term_due(&db, rules.path(), &open, &[]), now(&open).due_date);
    assert_eq!(term_due(&db, rules.path(), &resumed, &["--requerimiento", "2026-03-04", "--respuesta", "2026-03-09"]), now(&resumed).due_date);
}

common::backend_tests!(#[actix_web::test] async fn the_service_recomputes_at_start_and_on_sighup);
async fn the_service_recomputes_at_start_and_on_sighup(backend: Backend) {
    let db = TestDb::new(backend);
    let case = file(&db, "hup1@x", d(2026, 3, 2));
    assert_eq!(case.due_date, Some(d(2026, 3, 24)));
    // The service starts with a calendar that closes Tue 10 March: the case moves at start.
    let rules = tempfile::tempdir().unwrap();
    copy_dir(Path::new(common::RULES), rules.path());
    let cal = rules.path().join("calendar.toml");
    std::fs::write(&cal, calendar_toml(&[(d(2026, 3, 10), "Decreto 12 de 2026")])).unwrap();
    let app = TestApp::builder(backend).db(db).env("PQRS_RULES_DIR", rules.path().display().to_string()).spawn().await;
    let due = || CaseRow::by_id(&mut app.db.conn(), case.id).unwrap().due_date;
    wait_until_async(Duration::from_secs(20), "the case to move at start", || due() == Some(d(2026, 3, 25))).await;
    // Wed 11 March is added and the service gets SIGHUP: one more day.
    std::fs::write(&cal, calendar_toml(&[(d(2026, 3, 10), "Decreto 12 de 2026"), (d(2026, 3, 11), "Decreto 13 de 2026")])).unwrap();
    let status = std::process::Command::new("kill").args(["-HUP", &std::process::id().to_string()]).status().unwrap();
    assert!(status.success());
    wait_until_async(Duration::from_secs(20), "the case to move on SIGHUP", || due() == Some(d(2026, 3, 26))).await;
    let ev = reload_events(&app.db, &case);
    assert_eq!(ev.len(), 2, "{backend:?}: {ev:?}");
    // After the reload the old calendar is known: only the new day is named.
    let days: Vec<&str> = ev[1]["days"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(days, ["2026-03-11"], "{backend:?}");
    app.stop().await;
}
