//! Radicado allocation: gap-free, unique and strictly increasing per (year, type), also with two
//! pools (as two instances would) filing concurrently, on both backends.

mod common;

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use common::{draft, new_message, Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::models::NewOutbox;
use pqrs::db::schema::cases;
use pqrs::domain::radicado::{Radicado, UnitCode};
use pqrs::workflow::filing::{file_new_case, AckPolicy};
use pqrs::workflow::FilingOutcome;

fn no_ack() -> Box<pqrs::workflow::filing::AckComposer<'static>> {
    Box::new(|_, _| None)
}

const POLICY: AckPolicy = AckPolicy { per_sender_per_hour: 5, entity_name: "Agencia Nacional de Minería", public_base_url: "http://x" };

fn file_one(conn: &mut pqrs::db::AnyConnection, key: &str) -> FilingOutcome {
    let at = Utc.with_ymd_and_hms(2026, 3, 10, 15, 0, 0).unwrap();
    file_new_case(conn, &UnitCode::default(), new_message(key, at), draft(at), &[], POLICY, no_ack())
        .expect("filing")
}

common::backend_tests!(#[test] fn two_pools_times_fifty_concurrent_filings_give_one_hundred_consecutive_numbers);
fn two_pools_times_fifty_concurrent_filings_give_one_hundred_consecutive_numbers(backend: Backend) {
    let db = TestDb::new(backend);
    let pools = [db.pool(5), db.pool(5)];
    std::thread::scope(|s| {
        for (p, pool) in pools.iter().enumerate() {
            for t in 0..5 {
                s.spawn(move || {
                    let mut conn = pool.get().expect("conn");
                    for i in 0..10 {
                        let out = file_one(&mut conn, &format!("p{p}-t{t}-{i}@test"));
                        assert!(matches!(out, FilingOutcome::NewCase { .. }), "{out:?}");
                    }
                });
            }
        }
    });
    let mut conn = db.conn();
    let rows: Vec<(i64, String, i64)> = cases::table
        .select((cases::id, cases::radicado, cases::radicado_seq))
        .order(cases::id.asc())
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 100, "{backend:?}");
    // In the order the filings took their numbers, numbers strictly increase by one. That order
    // is the order of their first events, written with the number held. (Not of the case ids:
    // PostgreSQL reserves a case's id before it takes the number.)
    let in_order: Vec<i64> = pqrs::db::schema::case_events::table
        .filter(pqrs::db::schema::case_events::event_type.eq("radicado"))
        .order(pqrs::db::schema::case_events::id.asc())
        .select(pqrs::db::schema::case_events::case_id)
        .load(&mut conn)
        .unwrap();
    let seq_of: std::collections::BTreeMap<i64, i64> = rows.iter().map(|r| (r.0, r.2)).collect();
    let seqs: Vec<i64> = in_order.iter().map(|id| seq_of[id]).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>(), "{backend:?}: not consecutive in filing order");
    let distinct: BTreeSet<&String> = rows.iter().map(|r| &r.1).collect();
    assert_eq!(distinct.len(), 100);
    for (_, r, seq) in &rows {
        let parsed = Radicado::parse(r).expect("well-formed radicado");
        assert_eq!((parsed.year, parsed.seq, parsed.unit.as_str()), (2026, *seq, "100"));
    }
}

common::backend_tests!(#[test] fn a_rolled_back_filing_leaves_no_gap);
fn a_rolled_back_filing_leaves_no_gap(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.conn();
    let at = Utc.with_ymd_and_hms(2026, 5, 4, 14, 0, 0).unwrap();
    let ack = |mid: &str| -> Box<pqrs::workflow::filing::AckComposer<'static>> {
        let mid = mid.to_string();
        Box::new(move |_, _| {
            Some(NewOutbox {
                case_id: None,
                purpose: "acuse".into(),
                internal: false,
                radicado: None,
                to_addr: "ciudadano@example.com".into(),
                subject: "acuse".into(),
                body_text: "x".into(),
                message_id: mid,
                in_reply_to: None,
                status: pqrs::domain::OutboxStatus::Pending,
                next_attempt_at: Utc::now().naive_utc(),
                created_at: Utc::now().naive_utc(),
            })
        })
    };
    let unit = UnitCode::default();
    let first = file_new_case(&mut conn, &unit, new_message("a@t", at), draft(at), &[], POLICY, ack("same@x"));
    assert!(matches!(first, Ok(FilingOutcome::NewCase { .. })), "{backend:?}: {first:?}");
    // The acknowledgement's Message-ID collides: the whole filing must roll back...
    let failed = file_new_case(&mut conn, &unit, new_message("b@t", at), draft(at), &[], POLICY, ack("same@x"));
    assert!(failed.is_err(), "{backend:?}: {failed:?}");
    // ...and the next filing takes the number the failed one had.
    let third = file_new_case(&mut conn, &unit, new_message("c@t", at), draft(at), &[], POLICY, ack("other@x"));
    match third {
        Ok(FilingOutcome::NewCase { radicado, .. }) => assert_eq!(radicado, "20261000000022"),
        other => panic!("{backend:?}: {other:?}"),
    }
    let n: i64 = pqrs::db::schema::messages::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 2, "{backend:?}: the failed filing left its message behind");
}

common::backend_tests!(#[test] fn the_same_message_twice_is_filed_once);
fn the_same_message_twice_is_filed_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.conn();
    let first = file_one(&mut conn, "dup@test");
    let second = file_one(&mut conn, "dup@test");
    let FilingOutcome::NewCase { message_row_id, .. } = first else { panic!("{first:?}") };
    assert_eq!(second, FilingOutcome::Duplicate { message_row_id });
    let n: i64 = cases::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 1);
}

common::backend_tests!(#[test] fn numbering_restarts_each_year);
fn numbering_restarts_each_year(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.conn();
    let unit = UnitCode::default();
    // 31 Dec 2026 23:30 Bogotá is 1 Jan 2027 04:30 UTC: still a 2026 filing.
    let late = Utc.with_ymd_and_hms(2027, 1, 1, 4, 30, 0).unwrap();
    let next = Utc.with_ymd_and_hms(2027, 1, 1, 5, 30, 0).unwrap();
    let a = file_new_case(&mut conn, &unit, new_message("y1@t", late), draft(late), &[], POLICY, no_ack()).unwrap();
    let b = file_new_case(&mut conn, &unit, new_message("y2@t", next), draft(next), &[], POLICY, no_ack()).unwrap();
    let get = |o: FilingOutcome| match o {
        FilingOutcome::NewCase { radicado, .. } => radicado,
        other => panic!("{other:?}"),
    };
    assert_eq!(get(a), "20261000000012");
    assert_eq!(get(b), "20271000000012");
    let _ = backend == Backend::Sqlite;
}
