//! Crash safety of intake: `pqrs import` killed with SIGKILL at random moments and run again
//! leaves every mail filed exactly once, radicados gap-free, no orphan rows, and exactly one
//! acknowledgement queued per case.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{case_events, cases, messages, outbox};

const N: usize = 3000;
const KILLS: usize = 20;

fn import(db: &TestDb, dir: &std::path::Path) -> Command {
    let mut c = common::pqrs_cmd(db);
    c.env("PQRS_ACK_PER_SENDER_PER_HOUR", "5")
        .args(["import", "--json", "--batch", "40"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    c
}

common::backend_tests!(#[test] fn an_import_killed_at_random_moments_and_run_again_files_every_mail_exactly_once);
fn an_import_killed_at_random_moments_and_run_again_files_every_mail_exactly_once(backend: Backend) {
    let corpus = tempfile::tempdir().unwrap();
    for i in 0..N {
        std::fs::write(corpus.path().join(format!("{i:05}.eml")), pqrs::intake::synthetic::synthetic_mail(i)).unwrap();
    }
    let db = TestDb::new(backend);
    let mut kills = 0;
    let count = || messages::table.count().get_result::<i64>(&mut db.conn()).unwrap_or(0);
    for _ in 0..KILLS {
        let before = count();
        let mut child = import(&db, corpus.path()).spawn().unwrap();
        // Kill while it is filing: wait for new rows, then a random moment more.
        let start = std::time::Instant::now();
        while count() <= before && start.elapsed() < Duration::from_secs(20) && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rand::random::<u64>() % 120));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
        if count() as usize >= N {
            break;
        }
    }
    assert!(kills >= 10, "{backend:?}: only {kills} kills landed during the import");
    let out = import(&db, corpus.path()).output().unwrap();
    assert!(out.status.success(), "{backend:?}: final import failed");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["received"], N as u64, "{backend:?}");
    assert_eq!(summary["quarantined"], 0);
    eprintln!("{backend:?}: {kills} kills; final run {summary}");

    let mut conn = db.conn();
    let n_msgs: i64 = messages::table.count().get_result(&mut conn).unwrap();
    let n_cases: i64 = cases::table.count().get_result(&mut conn).unwrap();
    assert_eq!((n_msgs, n_cases), (N as i64, N as i64), "{backend:?}: every mail exactly once");
    let mut seqs: Vec<i64> = cases::table.select(cases::radicado_seq).load(&mut conn).unwrap();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=N as i64).collect::<Vec<_>>(), "{backend:?}: radicados not gap-free");
    let orphans: i64 = messages::table.filter(messages::case_id.is_null()).count().get_result(&mut conn).unwrap();
    assert_eq!(orphans, 0, "{backend:?}: a message without its case");
    let with_event: BTreeSet<i64> = case_events::table
        .filter(case_events::event_type.eq("radicado"))
        .select(case_events::case_id)
        .load::<i64>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(with_event.len(), N, "{backend:?}: a case without its first event");
    let acks: Vec<i64> = outbox::table.select(outbox::case_id.assume_not_null()).load(&mut conn).unwrap();
    let distinct: BTreeSet<i64> = acks.iter().copied().collect();
    assert_eq!((acks.len(), distinct.len()), (N, N), "{backend:?}: acknowledgements lost or doubled");
    // The report rollup, kept in the same transactions, agrees with the rows.
    assert_eq!(pqrs::reports::virtual_channel(&mut conn, 2026).unwrap(), pqrs::reports::recompute_virtual_channel(&mut conn, 2026).unwrap());
}
