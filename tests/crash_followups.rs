//! Crash safety of the follow-up mail: citizens' replies to cases waiting for them
//! (requerimiento) and bounces of our own mail, imported by `pqrs import` killed with SIGKILL at
//! random moments and run again. A stored reply always comes with its case's clock resumed, and
//! a stored bounce always with its outgoing mail marked failed: each pair is one transaction, so
//! no kill can leave a case suspended after its citizen answered.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{case_events, cases, messages, outbox};

const N: usize = 300;
const KILLS: usize = 20;

fn import(db: &TestDb, dir: &std::path::Path) -> Command {
    let mut c = common::pqrs_cmd(db);
    c.env("PQRS_MESSAGE_ID_DOMAIN", "pqrs.test")
        .args(["import", "--json", "--batch", "5"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    c
}

fn reply(i: usize, to_mid: &str, citizen: &str) -> String {
    format!(
        "Message-ID: <reply-{i}@citizen.example>\r\nDate: Thu, 12 Mar 2026 09:00:00 -0500\r\nFrom: {citizen}\r\n\
         To: contacto@anm.gov.co\r\nSubject: Re: documentos faltantes\r\nIn-Reply-To: <{to_mid}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAdjunto lo que me pidieron.\r\n"
    )
}

fn bounce(i: usize, of_mid: &str) -> String {
    format!(
        "Message-ID: <dsn-{i}@mx.example>\r\nFrom: MAILER-DAEMON@mx.example\r\nTo: pqrs@pqrs.test\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
         Final-Recipient: rfc822; x@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{of_mid}>\r\nSubject: acuse\r\n\r\n--B--\r\n"
    )
}

common::backend_tests!(#[test] fn replies_and_bounces_killed_at_random_moments_never_leave_half_a_step);
fn replies_and_bounces_killed_at_random_moments_never_leave_half_a_step(backend: Backend) {
    let db = TestDb::new(backend);
    // N cases, filed normally, each with its acknowledgement queued; then every case waits for
    // its citizen (a requerimiento made on 11 March).
    let cases_dir = tempfile::tempdir().unwrap();
    for i in 0..N {
        std::fs::write(cases_dir.path().join(format!("{i:05}.eml")), pqrs::intake::synthetic::synthetic_mail(i)).unwrap();
    }
    let out = import(&db, cases_dir.path()).output().unwrap();
    assert!(out.status.success(), "{backend:?}: filing the cases failed");
    let mut conn = db.conn();
    diesel::update(cases::table)
        .set((cases::status.eq("requerimiento"), cases::suspended_on.eq(chrono::NaiveDate::from_ymd_opt(2026, 3, 11))))
        .execute(&mut conn)
        .unwrap();
    let originals: Vec<(String, Option<String>)> =
        messages::table.select((messages::message_id.assume_not_null(), messages::from_addr)).load(&mut conn).unwrap();
    let acks: Vec<String> = outbox::table.select(outbox::message_id).load(&mut conn).unwrap();
    assert_eq!((originals.len(), acks.len()), (N, N), "{backend:?}");

    // One reply per case and one bounce per acknowledgement, interleaved.
    let follow = tempfile::tempdir().unwrap();
    for (i, ((mid, from), ack)) in originals.iter().zip(&acks).enumerate() {
        let citizen = from.clone().unwrap_or_else(|| "ana@example.com".into());
        std::fs::write(follow.path().join(format!("{i:05}-a.eml")), reply(i, mid, &citizen)).unwrap();
        std::fs::write(follow.path().join(format!("{i:05}-b.eml")), bounce(i, ack)).unwrap();
    }
    let stored = || messages::table.count().get_result::<i64>(&mut db.conn()).unwrap_or(0);
    let mut kills = 0;
    for _ in 0..KILLS {
        let before = stored();
        let mut child = import(&db, follow.path()).spawn().unwrap();
        let start = std::time::Instant::now();
        while stored() <= before && start.elapsed() < Duration::from_secs(20) && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(rand::random::<u64>() % 60));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
        if stored() as usize >= 3 * N {
            break;
        }
    }
    assert!(kills >= 5, "{backend:?}: only {kills} kills landed during the import");
    let out = import(&db, follow.path()).output().unwrap();
    assert!(out.status.success(), "{backend:?}: final import failed");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{backend:?}: {kills} kills; final run {summary}");

    let mut conn = db.conn();
    let replies: i64 = messages::table.filter(messages::disposition.eq("reply")).count().get_result(&mut conn).unwrap();
    let bounces: i64 = messages::table.filter(messages::disposition.eq("bounce")).count().get_result(&mut conn).unwrap();
    assert_eq!((replies, bounces), (N as i64, N as i64), "{backend:?}: every reply and bounce stored once");
    let suspended: Vec<String> =
        cases::table.filter(cases::status.eq("requerimiento")).select(cases::radicado).load(&mut conn).unwrap();
    assert!(suspended.is_empty(), "{backend:?}: cases left suspended after their citizen's reply was stored: {suspended:?}");
    let resumed: i64 = case_events::table.filter(case_events::event_type.eq("reanudado")).count().get_result(&mut conn).unwrap();
    assert_eq!(resumed, N as i64, "{backend:?}: one resumption per reply");
    let not_failed: i64 = outbox::table.filter(outbox::status.ne("failed")).count().get_result(&mut conn).unwrap();
    assert_eq!(not_failed, 0, "{backend:?}: a bounce stored without its outgoing mail marked failed");
}
