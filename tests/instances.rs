//! Several `pqrs serve` on one database (issue 15): one poller per mailbox and one follow-up job
//! across instances, held under a lease (`leases`, `src/db/lease.rs`, `Supervisor::spawn_leased`)
//! and taken over when the holder dies; the outbox claimed row by row, so every mail goes out once;
//! `/healthz` saying which instance holds what.
//!
//! The two-process tests start the built binary twice on one fresh database. Several instances
//! are a PostgreSQL feature in production, but SQLite (WAL, one machine, two processes on one
//! file) behaves the same here, so every test runs on both backends.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{server_envs, wait_until_async, Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::lease;
use pqrs::db::schema::{cases, mailbox_checkpoints, messages, outbox};
use pqrs::intake::imap::{connect, ImapUrl};

// ---------------------------------------------------------------------------------------------
// The lease statement itself.

common::backend_tests!(#[test] fn a_lease_is_held_by_one_holder_renewed_by_it_and_taken_only_once_expired);
fn a_lease_is_held_by_one_holder_renewed_by_it_and_taken_only_once_expired(backend: Backend) {
    let db = TestDb::new(backend);
    let mut c = db.conn();
    // Whole seconds: PostgreSQL keeps microseconds, Rust has nanoseconds.
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap().naive_utc();
    let ttl = chrono::Duration::seconds(10);
    let s = chrono::Duration::seconds;
    let a = lease::acquire(&mut c, "mailbox:x", "a", ttl, t0).unwrap().expect("a takes a free lease");
    assert_eq!((a.holder.as_str(), a.acquired_at, a.expires_at), ("a", t0, t0 + ttl));
    assert!(lease::acquire(&mut c, "mailbox:x", "b", ttl, t0 + s(5)).unwrap().is_none(), "{backend:?}: b took a's live lease");
    let renewed = lease::acquire(&mut c, "mailbox:x", "a", ttl, t0 + s(6)).unwrap().expect("a renews");
    assert_eq!((renewed.acquired_at, renewed.renewed_at, renewed.expires_at), (t0, t0 + s(6), t0 + s(16)), "{backend:?}");
    // Expired: b takes it, with a new acquisition time; a cannot renew it any more.
    let b = lease::acquire(&mut c, "mailbox:x", "b", ttl, t0 + s(17)).unwrap().expect("b takes an expired lease");
    assert_eq!((b.holder.as_str(), b.acquired_at), ("b", t0 + s(17)), "{backend:?}");
    assert!(lease::acquire(&mut c, "mailbox:x", "a", ttl, t0 + s(18)).unwrap().is_none(), "{backend:?}: a renewed b's lease");
    // Releasing: only the holder's release counts, and the other may take it at once.
    assert!(!lease::release(&mut c, "mailbox:x", "a", t0 + s(19)).unwrap());
    assert!(lease::acquire(&mut c, "mailbox:x", "a", ttl, t0 + s(19)).unwrap().is_none());
    assert!(lease::release(&mut c, "mailbox:x", "b", t0 + s(19)).unwrap());
    assert!(lease::acquire(&mut c, "mailbox:x", "a", ttl, t0 + s(20)).unwrap().is_some(), "{backend:?}: a released lease is free");
    assert_eq!(lease::list(&mut c).unwrap().len(), 1);
}

common::backend_tests!(#[test] fn instances_racing_for_an_expired_lease_give_it_to_exactly_one);
fn instances_racing_for_an_expired_lease_give_it_to_exactly_one(backend: Backend) {
    let db = TestDb::new(backend);
    let ttl = chrono::Duration::seconds(10);
    let t0 = Utc::now().naive_utc();
    lease::acquire(&mut db.conn(), "job:follow_up", "dead", ttl, t0).unwrap().unwrap();
    for round in 1..=10i64 {
        // Each round the lease has expired for everyone: eight holders try at the same moment.
        let now = t0 + chrono::Duration::seconds(11 * round);
        let barrier = Arc::new(Barrier::new(8));
        let winners: Vec<String> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|i| {
                    let (barrier, mut c) = (barrier.clone(), db.conn());
                    s.spawn(move || {
                        let me = format!("i{i}");
                        barrier.wait();
                        lease::acquire(&mut c, "job:follow_up", &me, ttl, now).unwrap().map(|_| me)
                    })
                })
                .collect();
            hs.into_iter().filter_map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(winners.len(), 1, "{backend:?} round {round}: {winners:?} all hold the lease");
        let rows = lease::list(&mut db.conn()).unwrap();
        assert_eq!(rows[0].holder, winners[0]);
    }
}

// ---------------------------------------------------------------------------------------------
// What several instances share besides leases: the outbox and the dedupe of a mail.

common::backend_tests!(#[test] fn two_senders_claiming_the_outbox_at_once_take_each_row_once);
fn two_senders_claiming_the_outbox_at_once_take_each_row_once(backend: Backend) {
    let db = TestDb::new(backend);
    let now = Utc::now().naive_utc();
    let mut c = db.conn();
    for i in 0..60 {
        diesel::insert_into(outbox::table)
            .values((
                outbox::purpose.eq("acuse"),
                outbox::internal.eq(false),
                outbox::to_addr.eq(format!("c{i}@example.com")),
                outbox::subject.eq("Acuse"),
                outbox::body_text.eq("Radicado"),
                outbox::message_id.eq(format!("claim-{i}@pqrs.test")),
                outbox::status.eq("pending"),
                outbox::next_attempt_at.eq(now - chrono::Duration::seconds(i)),
                outbox::created_at.eq(now),
            ))
            .execute(&mut c)
            .unwrap();
    }
    let barrier = Arc::new(Barrier::new(4));
    let claimed: Vec<i64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (barrier, mut c) = (barrier.clone(), db.conn());
                s.spawn(move || {
                    barrier.wait();
                    let mut mine = Vec::new();
                    // A sender that finds nothing at once may have lost five races in a row: it
                    // looks again, as the worker does after its pause.
                    let mut empty = 0;
                    while empty < 20 {
                        match pqrs::db::outbox::claim_next(&mut c, Utc::now().naive_utc(), "sender").unwrap() {
                            Some(row) => mine.push(row.id),
                            None => empty += 1,
                        }
                    }
                    mine
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "{backend:?}: a row was claimed by two senders");
    assert_eq!(distinct.len(), 60, "{backend:?}: rows left unclaimed");
}

common::backend_tests!(#[test] fn a_row_claimed_by_a_dead_instance_is_taken_at_once_and_one_of_a_live_instance_is_not);
fn a_row_claimed_by_a_dead_instance_is_taken_at_once_and_one_of_a_live_instance_is_not(backend: Backend) {
    use pqrs::db::outbox::{claim_next, instance_lease_name};
    let db = TestDb::new(backend);
    let mut c = db.conn();
    // Whole seconds: PostgreSQL keeps microseconds, Rust has nanoseconds.
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap().naive_utc();
    let (s, ttl) = (chrono::Duration::seconds, chrono::Duration::seconds(10));
    let insert = |c: &mut pqrs::db::AnyConnection, key: &str| {
        diesel::insert_into(outbox::table)
            .values((
                outbox::purpose.eq("acuse"),
                outbox::internal.eq(false),
                outbox::to_addr.eq("c@example.com"),
                outbox::subject.eq("Acuse"),
                outbox::body_text.eq("Radicado"),
                outbox::message_id.eq(format!("{key}@pqrs.test")),
                outbox::status.eq("pending"),
                outbox::next_attempt_at.eq(t0 - s(1)),
                outbox::created_at.eq(t0),
            ))
            .returning(outbox::id)
            .get_result::<i64>(c)
            .unwrap()
    };
    let row = insert(&mut c, "dead-a");
    for who in ["a", "b", "c"] {
        lease::acquire(&mut c, &instance_lease_name(who), who, ttl, t0).unwrap().expect("instance lease");
    }
    let claimed = claim_next(&mut c, t0, "a").unwrap().expect("a claims the due row");
    assert_eq!((claimed.id, claimed.claimed_by.as_deref(), claimed.status.as_str()), (row, Some("a"), "sending"), "{backend:?}");
    // a is alive (its lease renewed until t0 + 16 s): b does not take its row, however often it looks.
    lease::acquire(&mut c, &instance_lease_name("a"), "a", ttl, t0 + s(6)).unwrap().unwrap();
    lease::acquire(&mut c, &instance_lease_name("b"), "b", ttl, t0 + s(6)).unwrap().unwrap();
    for t in [1, 9, 15] {
        assert!(claim_next(&mut c, t0 + s(t), "b").unwrap().is_none(), "{backend:?}: b took live a's row at t0 + {t} s");
    }
    // a dies (no renewal after t0 + 6 s): once its lease has expired, b takes the row at once,
    // ten minutes before its claim would have expired.
    lease::acquire(&mut c, &instance_lease_name("b"), "b", ttl, t0 + s(14)).unwrap().unwrap();
    let taken = claim_next(&mut c, t0 + s(17), "b").unwrap().expect("b takes dead a's row");
    assert_eq!((taken.id, taken.claimed_by.as_deref(), taken.attempts), (row, Some("b"), 0), "{backend:?}");
    assert_eq!(taken.next_attempt_at, t0 + s(17) + chrono::Duration::minutes(10), "{backend:?}: a new claim");
    // b's claim is now the live one: c does not take it from b.
    assert!(claim_next(&mut c, t0 + s(18), "c").unwrap().is_none(), "{backend:?}: c took live b's row");

    // A released lease (a clean stop) counts as dead too; a claimer that never held an instance
    // lease does not (its rows wait for their claim, as before the column).
    let released = insert(&mut c, "released-b");
    let by_b = claim_next(&mut c, t0 + s(18), "b").unwrap().unwrap();
    let ghost = insert(&mut c, "ghost");
    let by_ghost = claim_next(&mut c, t0 + s(18), "ghost").unwrap().unwrap();
    assert_eq!((by_b.id, by_ghost.id), (released, ghost), "{backend:?}");
    assert!(lease::release(&mut c, &instance_lease_name("b"), "b", t0 + s(19)).unwrap());
    lease::acquire(&mut c, &instance_lease_name("c"), "c", ttl, t0 + s(19)).unwrap().unwrap();
    let mut got = BTreeSet::new();
    while let Some(r) = claim_next(&mut c, t0 + s(20), "c").unwrap() {
        assert_eq!(r.claimed_by.as_deref(), Some("c"));
        got.insert(r.id);
    }
    assert_eq!(got, BTreeSet::from([row, released]), "{backend:?}: c takes stopped b's rows, not the ghost's");
}

common::backend_tests!(#[test] fn survivors_racing_for_a_dead_instances_rows_take_each_once);
fn survivors_racing_for_a_dead_instances_rows_take_each_once(backend: Backend) {
    use pqrs::db::outbox::{claim_next, instance_lease_name};
    let db = TestDb::new(backend);
    let mut c = db.conn();
    let t0 = Utc::now().naive_utc();
    let ttl = chrono::Duration::seconds(10);
    for i in 0..20 {
        diesel::insert_into(outbox::table)
            .values((
                outbox::purpose.eq("acuse"),
                outbox::internal.eq(false),
                outbox::to_addr.eq(format!("c{i}@example.com")),
                outbox::subject.eq("Acuse"),
                outbox::body_text.eq("Radicado"),
                outbox::message_id.eq(format!("orphan-{i}@pqrs.test")),
                outbox::status.eq("pending"),
                outbox::next_attempt_at.eq(t0 - chrono::Duration::seconds(i)),
                outbox::created_at.eq(t0),
            ))
            .execute(&mut c)
            .unwrap();
    }
    lease::acquire(&mut c, &instance_lease_name("dead"), "dead", ttl, t0).unwrap().unwrap();
    while claim_next(&mut c, t0, "dead").unwrap().is_some() {}
    // Every row is `sending`, claimed by `dead` until t0 + 10 min; its lease expires at t0 + 10 s.
    let now = t0 + chrono::Duration::seconds(11);
    let barrier = Arc::new(Barrier::new(4));
    let claimed: Vec<i64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let (barrier, mut c) = (barrier.clone(), db.conn());
                s.spawn(move || {
                    let me = format!("survivor-{i}");
                    lease::acquire(&mut c, &instance_lease_name(&me), &me, ttl, now).unwrap().unwrap();
                    barrier.wait();
                    // Bounded: survivors taking each other's rows would loop for ever.
                    let (mut mine, mut empty) = (Vec::new(), 0);
                    while empty < 20 && mine.len() < 200 {
                        match claim_next(&mut c, now, &me).unwrap() {
                            Some(row) => mine.push(row.id),
                            None => empty += 1,
                        }
                    }
                    mine
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "{backend:?}: a dead instance's row was taken by two survivors");
    assert_eq!(distinct.len(), 20, "{backend:?}: rows of the dead instance left");
}

common::backend_tests!(#[test] fn the_same_mail_filed_by_two_instances_at_the_same_moment_is_filed_once);
fn the_same_mail_filed_by_two_instances_at_the_same_moment_is_filed_once(backend: Backend) {
    // During a takeover both pollers may see the same UID: the unique (direction, dedupe_key)
    // index makes the loser's filing a Duplicate, not an error that would be retried for ever.
    let db = TestDb::new(backend);
    let intake = Arc::new(db.intake());
    for i in 0..20 {
        let raw = mail(&format!("race-{i}@citizen.example"), i, "Petición repetida");
        let barrier = Arc::new(Barrier::new(2));
        let outcomes: Vec<pqrs::intake::Outcome> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let (barrier, intake, raw, mut c) = (barrier.clone(), intake.clone(), raw.clone(), db.conn());
                    s.spawn(move || {
                        let mail = pqrs::intake::RawMail { bytes: raw.as_bytes(), source: pqrs::intake::Source::Imap, source_ref: Some("INBOX/1"), source_time: None };
                        barrier.wait();
                        intake.process(&mut c, mail, false).expect("no error for the loser")
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let cases = outcomes.iter().filter(|o| matches!(o, pqrs::intake::Outcome::Case { .. })).count();
        let dups = outcomes.iter().filter(|o| matches!(o, pqrs::intake::Outcome::Duplicate)).count();
        assert_eq!((cases, dups), (1, 1), "{backend:?} mail {i}: {outcomes:?}");
    }
    let mut c = db.conn();
    assert_eq!(cases::table.count().get_result::<i64>(&mut c).unwrap(), 20);
    assert_eq!(messages::table.count().get_result::<i64>(&mut c).unwrap(), 20);
    let acks: i64 = outbox::table.filter(outbox::purpose.eq("acuse")).count().get_result(&mut c).unwrap();
    assert_eq!(acks, 20, "{backend:?}: one acknowledgement per mail");
}

// ---------------------------------------------------------------------------------------------
// Two `pqrs serve` processes.

fn mail(mid: &str, i: usize, subject: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\nFrom: Ciudadano {i} <ciudadano{i}@example.com>\r\n\
         To: contacto@anm.gov.co\r\nSubject: {subject} {i}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito copia del certificado de registro minero número {i}.\r\n"
    )
}

/// A `pqrs serve` child, stopped (SIGTERM, then SIGKILL) when dropped.
struct Serve {
    child: Option<Child>,
    id: String,
    base: String,
    log: PathBuf,
}

impl Serve {
    fn start(db: &TestDb, id: &str, data: &Path, env: &[(&str, String)]) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = data.join(format!("{id}.log"));
        let mut cmd = common::pqrs_cmd(db);
        cmd.env("PQRS_LISTEN", format!("127.0.0.1:{port}"))
            .env("PQRS_DATA_DIR", data.join(id))
            .env("PQRS_INSTANCE_ID", id)
            .env("PQRS_ROUTING_MODEL", "false")
            .env("RUST_LOG", "info")
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start pqrs serve");
        Serve { child: Some(child), id: id.to_string(), base: format!("http://127.0.0.1:{port}"), log }
    }

    /// `/healthz`, or `None` while it does not answer.
    async fn health(&self) -> Option<serde_json::Value> {
        let client = awc::Client::builder().timeout(Duration::from_secs(5)).finish();
        let mut res = client.get(format!("{}/healthz", self.base)).send().await.ok()?;
        res.json().await.ok()
    }

    /// The names of the leases `/healthz` says this instance holds.
    async fn held(&self) -> BTreeSet<String> {
        let Some(h) = self.health().await else { return BTreeSet::new() };
        h["leases"]
            .as_array()
            .map(|ls| ls.iter().filter(|l| l["held"] == true).filter_map(|l| l["name"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    async fn worker_status(&self, worker: &str) -> Option<String> {
        self.health().await.and_then(|h| h["workers"][worker]["status"].as_str().map(str::to_string))
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            let _ = c.wait();
        }
    }

    /// SIGTERM, and wait for a clean exit.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let status = c.wait().unwrap();
            assert!(status.success(), "{} stopped with {status}: {}", self.id, self.log_text());
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            for _ in 0..50 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn wait_async<F, Fut>(timeout: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every file of the citizen's Maildir (where the SMTP sink delivers), read once.
fn delivered_mail(root: &str) -> Vec<String> {
    let dir = Path::new(root).join("citizen/Maildir");
    ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(dir.join(sub)).ok())
        .flat_map(|d| d.flatten())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

common::backend_tests!(#[actix_web::test] async fn two_instances_on_one_mailbox_one_killed_halfway_file_every_mail_once);
async fn two_instances_on_one_mailbox_one_killed_halfway_file_every_mail_once(backend: Backend) {
    let Some([imap, ca, smtp, root]) = server_envs(["PQRS_TEST_IMAP", "PQRS_TEST_CA", "PQRS_TEST_SMTP", "PQRS_TEST_MAILDIR_ROOT"]) else {
        return;
    };
    let port = imap.rsplit(':').next().unwrap();
    let folder = format!("inst{}", rand::random::<u32>());
    let url = format!("imap://pqrs:secret@localhost:{port}/{folder}");
    let parsed = ImapUrl::parse(&url).unwrap();
    let mut admin = connect(&parsed, pqrs::tls::client_config(&ca).unwrap()).await.expect("test IMAP login");
    admin.create(&folder).await.unwrap();

    let db = TestDb::new(backend);
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("PQRS_IMAP_URL", url.clone()),
        ("PQRS_TLS_CA_FILE", ca.clone()),
        ("PQRS_SMTP_URL", format!("smtp://{smtp}")),
        ("PQRS_POLL_INTERVAL_SECS", "30".to_string()),
    ];
    // inst-a, the one killed, sends to an SMTP server that accepts connections and never
    // answers: the acknowledgement it claims stays `sending` until the kill, and never reached a
    // server (so it must be delivered exactly once, by the survivor, after the takeover).
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let env_a: Vec<(&str, String)> = env
        .iter()
        .cloned()
        .map(|(k, v)| if k == "PQRS_SMTP_URL" { (k, format!("smtp://{}", hang.local_addr().unwrap())) } else { (k, v) })
        .collect();
    std::thread::spawn(move || {
        let held: Vec<_> = hang.incoming().map_while(Result::ok).collect();
        drop(held);
    });
    let mailbox = parsed.lease_name();
    // inst-a starts first and holds the mailbox; inst-b waits.
    let a = Serve::start(&db, "inst-a", data.path(), &env_a);
    wait_async(Duration::from_secs(60), "inst-a to take the mailbox", || {
        let (a, m) = (&a, &mailbox);
        async move { a.held().await.contains(m) && a.worker_status("imap").await.as_deref() == Some("running") }
    })
    .await;
    let b = Serve::start(&db, "inst-b", data.path(), &env);
    let mut instances = [a, b];
    let holder = 0;
    let other = 1 - holder;
    wait_async(Duration::from_secs(30), "the other instance to be on standby", || {
        let s = &instances[other];
        async move { s.worker_status("imap").await.as_deref() == Some("standby") }
    })
    .await;
    let other_health = instances[other].health().await.unwrap();
    assert_eq!(other_health["intake"]["status"], "standby", "{other_health}");
    assert_eq!(other_health["instance"], instances[other].id.as_str());
    let lease_row = other_health["leases"].as_array().unwrap().iter().find(|l| l["name"] == mailbox.as_str()).cloned().unwrap();
    assert_eq!((lease_row["holder"].as_str(), &lease_row["held"]), (Some(instances[holder].id.as_str()), &serde_json::json!(false)));

    let run = rand::random::<u32>();
    let mid = |i: usize| format!("inst-{run}-{i}@citizen.example");
    let count_cases = || cases::table.count().get_result::<i64>(&mut db.conn()).unwrap_or(0);
    for i in 0..10 {
        admin.append(&folder, None, None, mail(&mid(i), i, "Certificado")).await.unwrap();
    }
    let claimed_by_a = || {
        outbox::table
            .filter(outbox::status.eq("sending"))
            .filter(outbox::claimed_by.eq("inst-a"))
            .count()
            .get_result::<i64>(&mut db.conn())
            .unwrap_or(0)
    };
    wait_until_async(Duration::from_secs(30), "inst-a to claim an acknowledgement", || claimed_by_a() == 1).await;
    for i in 10..30 {
        admin.append(&folder, None, None, mail(&mid(i), i, "Certificado")).await.unwrap();
    }
    wait_until_async(Duration::from_secs(60), "more mails to be filed", || count_cases() >= 15).await;
    let filed_before_kill = count_cases();
    instances[holder].kill();
    let killed = Instant::now();
    let killed_at = Utc::now().naive_utc();
    eprintln!("{backend:?}: killed {} with {filed_before_kill} of 30 filed", instances[holder].id);
    // The rows the killed instance had claimed (it sends one at a time): read at once, its
    // instance lease (10 s) has not expired yet, so no survivor has taken them. Each may or may
    // not have reached the SMTP server before the kill.
    let killed_id = instances[holder].id.clone();
    let orphaned: BTreeSet<i64> = outbox::table
        .filter(outbox::status.eq("sending"))
        .filter(outbox::claimed_by.eq(&killed_id))
        .select(outbox::id)
        .load::<i64>(&mut db.conn())
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(orphaned.len(), 1, "{backend:?}: {orphaned:?} claimed by the killed instance (it sends one at a time)");
    for i in 30..60 {
        admin.append(&folder, None, None, mail(&mid(i), i, "Certificado")).await.unwrap();
    }

    // The survivor takes the mailbox over once the lease expires, and files everything.
    let survivor = &instances[other];
    let m = &mailbox;
    wait_async(Duration::from_secs(60), "the survivor to take the mailbox over", || async move { survivor.held().await.contains(m) })
    .await;
    // A measurement, not an assertion: SIGKILL to the survivor's /healthz holding the lease.
    eprintln!("{backend:?}: takeover {} ms after SIGKILL (lease_secs 10)", killed.elapsed().as_millis());
    wait_until_async(Duration::from_secs(120), "all 60 mails to be filed", || count_cases() >= 60).await;
    eprintln!("{backend:?}: all 60 filed {} ms after SIGKILL", killed.elapsed().as_millis());
    // Counted once the poller has passed every mail of the folder.
    let last_uid = i64::from(admin.select(&folder).await.unwrap().uid_next.expect("UIDNEXT")) - 1;
    wait_until_async(Duration::from_secs(30), "the IMAP checkpoint to reach the last UID", || {
        mailbox_checkpoints::table.select(mailbox_checkpoints::last_uid).load::<i64>(&mut db.conn()).is_ok_and(|u| u.iter().any(|&u| u >= last_uid))
    })
    .await;

    let mut c = db.conn();
    let mids: Vec<String> = messages::table.filter(messages::direction.eq("in")).select(messages::message_id.assume_not_null()).load(&mut c).unwrap();
    let mut per_mid: BTreeMap<String, usize> = BTreeMap::new();
    mids.iter().for_each(|m| *per_mid.entry(m.clone()).or_default() += 1);
    assert_eq!(per_mid.len(), 60, "{backend:?}: {per_mid:?}");
    assert!(per_mid.values().all(|&n| n == 1), "{backend:?}: a mail stored twice: {per_mid:?}");
    assert!((0..60).all(|i| per_mid.contains_key(&mid(i))), "{backend:?}: a mail missing");
    let n_cases: i64 = cases::table.count().get_result(&mut c).unwrap();
    assert_eq!(n_cases, 60, "{backend:?}: every mail filed once");
    let mut seqs: Vec<i64> = cases::table.select(cases::radicado_seq).load(&mut c).unwrap();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=60).collect::<Vec<i64>>(), "{backend:?}: radicados with a gap");
    let acks: Vec<(i64, String, String)> = outbox::table
        .filter(outbox::purpose.eq("acuse"))
        .select((outbox::case_id.assume_not_null(), outbox::message_id, outbox::status))
        .load(&mut c)
        .unwrap();
    let per_case: BTreeSet<i64> = acks.iter().map(|a| a.0).collect();
    assert_eq!((acks.len(), per_case.len()), (60, 60), "{backend:?}: not one acknowledgement per case");

    // Every acknowledgement sent, the killed instance's claimed row included: the survivor takes
    // it over once the killed instance's lease (lease_secs 10) has expired, not after its
    // 10-minute claim.
    let sent_all = Duration::from_secs(2 * 10 + 30);
    let orphan_sent = || {
        outbox::table
            .filter(outbox::id.eq_any(orphaned.iter().copied().collect::<Vec<i64>>()))
            .filter(outbox::status.eq("sent"))
            .count()
            .get_result::<i64>(&mut db.conn())
            .unwrap_or(0)
            == orphaned.len() as i64
    };
    wait_until_async(sent_all, "the killed instance's claimed acknowledgement to be sent by the survivor", orphan_sent).await;
    // A measurement, not an assertion: SIGKILL to the taken-over row's `sent_at` (the survivor's
    // clock, the same machine's).
    let sent_at: Vec<Option<chrono::NaiveDateTime>> =
        outbox::table.filter(outbox::id.eq_any(orphaned.iter().copied().collect::<Vec<i64>>())).select(outbox::sent_at).load(&mut db.conn()).unwrap();
    for t in sent_at.into_iter().flatten() {
        eprintln!("{backend:?}: the killed instance's claimed row sent {} ms after SIGKILL", (t - killed_at).num_milliseconds());
    }
    wait_until_async(sent_all, "the survivor to send every acknowledgement, the killed instance's claim included", || {
        outbox::table.filter(outbox::status.eq_any(["pending", "sending"])).count().get_result::<i64>(&mut db.conn()).unwrap_or(1) == 0
    })
    .await;
    eprintln!("{backend:?}: every acknowledgement sent {} ms after SIGKILL ({} taken over)", killed.elapsed().as_millis(), orphaned.len());
    let acks: Vec<(i64, String, String, Option<String>)> = outbox::table
        .filter(outbox::purpose.eq("acuse"))
        .select((outbox::id, outbox::message_id, outbox::status, outbox::claimed_by))
        .load(&mut c)
        .unwrap();
    let stuck = acks.iter().filter(|a| a.2 != "sent").count();
    assert_eq!(stuck, 0, "{backend:?}: acknowledgements not sent: {acks:?}");
    for (id, _, _, by) in acks.iter().filter(|a| orphaned.contains(&a.0)) {
        assert_eq!(by.as_deref(), Some(survivor.id.as_str()), "{backend:?}: row {id} of the killed instance sent by {by:?}");
    }
    let delivered = tokio::task::spawn_blocking(move || delivered_mail(&root)).await.unwrap();
    for (id, ack_mid, _, _) in &acks {
        let needle = format!("Message-ID: <{ack_mid}>");
        let n = delivered.iter().filter(|m| m.contains(&needle)).count();
        // Once each, the taken-over row included: the killed instance's server never accepted
        // it. (Had it accepted it before the kill, it would go out twice: at-least-once.)
        let taken_over = if orphaned.contains(id) { " (taken over)" } else { "" };
        assert_eq!(n, 1, "{backend:?}: acknowledgement {ack_mid}{taken_over} delivered {n} times");
    }

    // The survivor says it holds the mailbox (and the follow-up job, which the dead one may have had).
    let h = survivor.health().await.unwrap();
    assert_eq!(h["workers"]["imap"]["status"], "running", "{h}");
    assert_eq!(h["intake"]["status"], "ok", "{h}");
    let row = h["leases"].as_array().unwrap().iter().find(|l| l["name"] == mailbox.as_str()).cloned().unwrap();
    assert_eq!((row["holder"].as_str(), &row["held"]), (Some(survivor.id.as_str()), &serde_json::json!(true)), "{h}");
    wait_async(Duration::from_secs(30), "the survivor to hold the follow-up job", || async move { survivor.held().await.contains("job:follow_up") }).await;
    instances[other].stop();
    let _ = admin.delete(&folder).await;
    let _ = admin.logout().await;
}

common::backend_tests!(#[actix_web::test] async fn the_follow_up_job_runs_in_one_instance_and_moves_when_it_stops);
async fn the_follow_up_job_runs_in_one_instance_and_moves_when_it_stops(backend: Backend) {
    let db = TestDb::new(backend);
    let data = tempfile::tempdir().unwrap();
    // Each with its own Maildir folder (its own lease) and file outbox.
    let env = [("PQRS_LEASE_SECS", "2".to_string())];
    let mut instances = [Serve::start(&db, "fu-a", data.path(), &env), Serve::start(&db, "fu-b", data.path(), &env)];
    async fn statuses(s: &Serve) -> Option<String> {
        s.worker_status("follow_up").await
    }
    let start = Instant::now();
    let holder = loop {
        let (x, y) = (statuses(&instances[0]).await, statuses(&instances[1]).await);
        match (x.as_deref(), y.as_deref()) {
            (Some("running"), Some("standby")) => break 0,
            (Some("standby"), Some("running")) => break 1,
            (Some("running"), Some("running")) => panic!("{backend:?}: the follow-up job runs in both instances"),
            _ => {}
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{backend:?}: follow-up states {x:?} {y:?}\n{}\n{}", instances[0].log_text(), instances[1].log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let other = 1 - holder;
    // Over several renewals (lease_secs 2: every 0.67 s) it stays with one of them.
    for _ in 0..20 {
        assert_eq!(statuses(&instances[holder]).await.as_deref(), Some("running"), "{backend:?}");
        assert_eq!(statuses(&instances[other]).await.as_deref(), Some("standby"), "{backend:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows = lease::list(&mut db.conn()).unwrap();
    let fu = rows.iter().find(|l| l.name == "job:follow_up").expect("lease row");
    assert_eq!(fu.holder, instances[holder].id, "{backend:?}");
    // Each instance watches its own Maildir folder: both hold their own mailbox lease.
    for s in &instances {
        let held = s.held().await;
        assert!(held.iter().any(|n| n.starts_with("mailbox:maildir:")), "{backend:?}: {} holds {held:?}", s.id);
    }
    // A clean stop releases the job; the other takes it.
    instances[holder].stop();
    let survivor = &instances[other];
    wait_async(Duration::from_secs(30), "the other instance to run the follow-up job", || async move {
        statuses(survivor).await.as_deref() == Some("running")
    })
    .await;
    assert!(survivor.held().await.contains("job:follow_up"));
    instances[other].stop();
}
