//! One combined acknowledgement, never none (legal engine issue): a sender over
//! `ack_per_sender_per_hour` (default 5) gets, for the further filings of the hour, one combined
//! acknowledgement (`acuse_agrupado`) listing each radicado with its subject, filing date and due
//! date, due when the hour frees up; a combined row already claimed by the sender is never
//! changed: the next filing starts a new one. Automatic mail stays unacknowledged. Both backends.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::models::{CaseRow, OutboxRow};
use pqrs::db::schema::{case_events, cases, outbox};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::mailer::templates::{combined_ack_line, combined_acknowledgement, fecha_larga};

fn mail(i: usize, extra: &str) -> String {
    format!(
        "Message-ID: <flood{i}@citizen.example>\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: Petición número {i}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Solicito información sobre el título minero número {i}.\r\n"
    )
}

fn file(intake: &Intake, db: &TestDb, raw: &str) -> Outcome {
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: None };
    intake.process(&mut db.conn(), m, false).unwrap()
}

fn rows(db: &TestDb, purpose: &str) -> Vec<OutboxRow> {
    outbox::table.filter(outbox::purpose.eq(purpose)).order(outbox::id.asc()).select(OutboxRow::as_select()).load(&mut db.conn()).unwrap()
}

fn case(db: &TestDb, radicado: &str) -> CaseRow {
    CaseRow::by_radicado(&mut db.conn(), radicado).unwrap().unwrap()
}

/// The outbox ids named by the `acuse_agrupado` events of a case.
fn combined_events(db: &TestDb, case_id: i64) -> Vec<i64> {
    let payloads: Vec<String> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::event_type.eq("acuse_agrupado"))
        .select(case_events::payload)
        .load(&mut db.conn())
        .unwrap();
    payloads.iter().map(|p| serde_json::from_str::<serde_json::Value>(p).unwrap()["outbox_id"].as_i64().unwrap()).collect()
}

/// Each of `cases` is listed in `body` with its subject, filing date and due date.
fn lists(body: &str, c: &CaseRow) -> bool {
    let received = c.received_at.and_utc().with_timezone(&chrono_tz::America::Bogota).date_naive();
    let line = body.lines().find(|l| l.contains(&c.radicado));
    line.is_some_and(|l| {
        l.contains(&c.subject) && l.contains(&fecha_larga(received)) && l.contains(&fecha_larga(c.due_date.unwrap()))
    })
}

common::backend_tests!(#[test] fn a_sender_over_the_limit_gets_one_combined_acknowledgement_never_none);
fn a_sender_over_the_limit_gets_one_combined_acknowledgement_never_none(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let started = Utc::now().naive_utc();
    let mut radicados = Vec::new();
    for i in 1..=7 {
        match file(&intake, &db, &mail(i, "")) {
            Outcome::Case { radicado, acknowledged: true, .. } => radicados.push(radicado),
            other => panic!("{backend:?}: filing {i}: {other:?}"),
        }
    }
    let single = rows(&db, "acuse");
    assert_eq!(single.len(), 5, "{backend:?}");
    let combined = rows(&db, "acuse_agrupado");
    assert_eq!(combined.len(), 1, "{backend:?}: one combined acknowledgement for filings 6 and 7");
    let comb = &combined[0];
    assert_eq!((comb.status.as_str(), comb.to_addr.as_str(), comb.internal), ("pending", "ana@example.com", false));
    // Due when the hour of the first acknowledgement ends, so the later filings of the hour join it.
    let window_end = single[0].created_at + Duration::hours(1);
    assert_eq!(comb.next_attempt_at, window_end, "{backend:?}");
    assert!(comb.next_attempt_at > started + Duration::minutes(59));
    let cases: Vec<CaseRow> = radicados.iter().map(|r| case(&db, r)).collect();
    // Until it is claimed the row holds its first case; the list is composed at the claim.
    assert!(lists(&comb.body_text, &cases[5]), "{backend:?}:\n{}", comb.body_text);
    for c in &cases[..5] {
        assert!(!comb.body_text.contains(&c.radicado), "{backend:?}: {} already had its own acknowledgement", c.radicado);
    }
    assert!(comb.body_text.contains("Ley 1581 de 2012"));
    // Every case is acknowledged: its own row, or an event naming the combined row.
    for (i, c) in cases.iter().enumerate() {
        let own = single.iter().filter(|r| r.case_id == Some(c.id)).count();
        let joined = combined_events(&db, c.id);
        if i < 5 {
            assert_eq!((own, joined.len()), (1, 0), "{backend:?}: case {}", i + 1);
        } else {
            assert_eq!((own, joined), (0, vec![comb.id]), "{backend:?}: case {}", i + 1);
        }
    }
    let omitted: i64 = case_events::table.filter(case_events::event_type.eq("acuse_omitido")).count().get_result(&mut db.conn()).unwrap();
    assert_eq!(omitted, 0, "no petition goes unacknowledged");

    // Automatic mail from the same address is still never acknowledged, nor added.
    let auto = file(&intake, &db, &mail(99, "Auto-Submitted: auto-generated\r\n"));
    assert!(matches!(auto, Outcome::Automatic { .. }), "{auto:?}");
    assert_eq!(rows(&db, "acuse_agrupado")[0].body_text, comb.body_text);

    // The sender claims the combined row (the outbox worker's claim, once it is due): an 8th
    // filing does not change it and starts a new combined row.
    let mut conn = db.conn();
    let claimed = loop {
        let row = pqrs::db::outbox::claim_next(&mut conn, window_end + Duration::seconds(1), "test").unwrap().expect("a due row");
        if row.purpose == "acuse_agrupado" {
            break row;
        }
    };
    assert_eq!((claimed.id, claimed.status.as_str()), (comb.id, "sending"), "{backend:?}");
    // Claimed, it lists filings 6 and 7 (and none of the first five), exactly as composing it
    // for the two from the start would.
    for c in &cases[5..] {
        assert!(lists(&claimed.body_text, c), "{backend:?}: {} missing or incomplete in:\n{}", c.radicado, claimed.body_text);
    }
    for c in &cases[..5] {
        assert!(!claimed.body_text.contains(&c.radicado), "{backend:?}: {} already had its own acknowledgement", c.radicado);
    }
    assert!(claimed.subject.contains(&radicados[5]) && claimed.subject.contains(&radicados[6]), "{}", claimed.subject);
    let config = common::config_with(&[]);
    let lines: Vec<(String, String)> = cases[5..].iter().map(|c| (c.radicado.clone(), combined_ack_line(c))).collect();
    let expected = combined_acknowledgement(&config.settings.entity_name, &config.settings.public_base_url, &lines);
    assert_eq!((&claimed.subject, &claimed.body_text), (&expected.0, &expected.1), "{backend:?}");
    let stored = rows(&db, "acuse_agrupado");
    assert_eq!((&stored[0].subject, &stored[0].body_text), (&claimed.subject, &claimed.body_text), "the claim returns the row as stored");
    // Composing it again (a claim taken over after its sender died) changes nothing.
    pqrs::db::intake::compose_combined_ack(&mut conn, &mut stored[0].clone()).unwrap();
    assert_eq!(rows(&db, "acuse_agrupado")[0].body_text, claimed.body_text);
    let Outcome::Case { radicado: r8, acknowledged: true, .. } = file(&intake, &db, &mail(8, "")) else { panic!("8th filing") };
    let combined = rows(&db, "acuse_agrupado");
    assert_eq!(combined.len(), 2, "{backend:?}: a new combined row for the 8th filing");
    assert_eq!((combined[0].status.as_str(), &combined[0].body_text), ("sending", &claimed.body_text), "{backend:?}: the claimed row is unchanged");
    let c8 = case(&db, &r8);
    assert_eq!(combined[1].status, "pending");
    assert!(lists(&combined[1].body_text, &c8), "{backend:?}:\n{}", combined[1].body_text);
    assert!(!combined[1].body_text.contains(&radicados[5]), "only the 8th filing in the new row");
    assert_eq!(combined_events(&db, c8.id), vec![combined[1].id]);
    let n: i64 = cases::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 8);
}

/// PostgreSQL, where a filing and the outbox worker's claim run at once: a filing joins a
/// combined acknowledgement only while it is pending. A claim that took the row first (not yet
/// committed) makes the join wait for it; once the claim commits, the join finds the row no
/// longer pending and joins nothing (the filing then starts a new row). Without the claim, the
/// same statement joins.
#[test]
fn on_postgresql_a_join_waits_for_a_claim_and_then_leaves_the_claimed_row_alone() {
    use diesel::connection::SimpleConnection;
    use pqrs::db::cached::JoinPendingCombined;
    use pqrs::db::AnyConnection;
    if !common::backend_available(Backend::Postgres) {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    let intake = db.intake();
    let mut radicados = Vec::new();
    for i in 1..=6 {
        match file(&intake, &db, &mail(i, "")) {
            Outcome::Case { radicado, .. } => radicados.push(radicado),
            other => panic!("filing {i}: {other:?}"),
        }
    }
    let comb = rows(&db, "acuse_agrupado").remove(0);
    let members = |db: &TestDb| -> i64 {
        pqrs::db::schema::combined_ack_members::table
            .filter(pqrs::db::schema::combined_ack_members::outbox_id.eq(comb.id))
            .count()
            .get_result(&mut db.conn())
            .unwrap()
    };
    assert_eq!(members(&db), 1, "the sixth filing");
    // A case of the sender's that had its own acknowledgement stands in for a new filing.
    let first = case(&db, &radicados[0]);
    let join = move |conn: &mut AnyConnection| -> Option<i64> {
        let AnyConnection::Postgresql(pg) = conn else { panic!("a PostgreSQL connection") };
        JoinPendingCombined { to_addr: "ana@example.com", purpose: "acuse_agrupado", case_id: first.id, radicado: &first.radicado, line: "línea" }
            .get_result::<i64>(pg)
            .optional()
            .unwrap()
    };

    // Pending and not claimed: it joins (rolled back, so the row stays as it was).
    let mut joiner = db.conn();
    joiner.batch_execute("BEGIN").unwrap();
    assert_eq!(join(&mut joiner), Some(comb.id));
    joiner.batch_execute("ROLLBACK").unwrap();
    assert_eq!(members(&db), 1);

    // The claim takes the row first and holds it.
    let mut claimer = db.conn();
    claimer.batch_execute("BEGIN").unwrap();
    let claimed = diesel::update(outbox::table.find(comb.id).filter(outbox::status.eq("pending")))
        .set(outbox::status.eq("sending"))
        .execute(&mut claimer)
        .unwrap();
    assert_eq!(claimed, 1);
    let join_thread = std::thread::spawn(move || {
        joiner.batch_execute("BEGIN").unwrap();
        let joined = join(&mut joiner);
        joiner.batch_execute("COMMIT").unwrap();
        joined
    });
    // The join waits on the claim's row lock (seen from the server, not guessed from a sleep).
    let mut watcher = db.conn();
    let waiting = (0..200).any(|_| {
        let n: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')",
        ))
        .get_result(&mut watcher)
        .unwrap();
        n == 1 || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            false
        }
    });
    assert!(waiting, "the join never waited for the claim");
    assert!(!join_thread.is_finished());
    claimer.batch_execute("COMMIT").unwrap();
    assert_eq!(join_thread.join().unwrap(), None, "a row claimed in the meantime was joined");
    assert_eq!(members(&db), 1, "the claimed row's list is as the claim composed it");
}
