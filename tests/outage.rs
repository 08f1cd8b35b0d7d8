//! Outages of the servers pqrs depends on, made with a TCP proxy the test controls (cut: every
//! connection dropped and new ones refused; restore: back to normal): PostgreSQL, the IMAP server
//! and the SMTP server go away and come back, and the service recovers by itself, reports the
//! trouble honestly meanwhile, and loses nothing.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{config_with, server_envs, wait_for_mail, Backend, TestApp, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{cases, outbox};

/// A loopback TCP proxy to `target` that can be cut and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let streams: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (u, s) = (up.clone(), streams.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !u.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else { continue };
                s.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, up, streams }
    }
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn filing() -> serde_json::Value {
    serde_json::json!({"name": "Ana", "email": "ana@example.com", "subject": "Certificado", "message": "Solicito el certificado de registro minero.", "consent": true})
}

#[actix_web::test]
async fn a_postgresql_outage_gives_503_and_exit_75_then_the_service_recovers_alone() {
    if !common::backend_available(Backend::Postgres) {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    let url = db.url_string();
    let (before, after) = url.split_once("@").unwrap();
    let (hostport, rest) = after.split_once('/').unwrap();
    let proxy = Proxy::start(hostport.to_string());
    let proxied = format!("{before}@127.0.0.1:{}/{rest}", proxy.port);
    let app = TestApp::builder(Backend::Postgres).db(db).env("PQRS_DATABASE_URL", proxied.clone()).spawn().await;
    let base = &app.base;
    let c = app.client();
    assert_eq!(c.post(format!("{base}/api/v1/filings")).send_json(&filing()).await.unwrap().status().as_u16(), 201);

    proxy.cut();
    let mut res = c.post(format!("{base}/api/v1/filings")).send_json(&filing()).await.unwrap();
    assert_eq!(res.status().as_u16(), 503, "{:?}", res.body().await);
    assert_eq!(c.get(format!("{base}/healthz")).send().await.unwrap().status().as_u16(), 503);
    let ingest = std::process::Command::new(env!("CARGO_BIN_EXE_pqrs"))
        .env("PQRS_DATABASE_URL", &proxied)
        .env("PQRS_RULES_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
        .arg("ingest")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .and_then(|mut ch| {
            ch.stdin.take().unwrap().write_all(b"Message-ID: <down@x>\r\nFrom: a@example.com\r\nSubject: hola\r\n\r\nPeticion\r\n")?;
            ch.wait()
        })
        .unwrap();
    assert_eq!(ingest.code(), Some(75), "the MTA must be told to retry");

    proxy.restore();
    let mut ok = false;
    for _ in 0..50 {
        if c.post(format!("{base}/api/v1/filings")).send_json(&filing()).await.unwrap().status().as_u16() == 201 {
            ok = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ok, "the service did not recover after PostgreSQL came back");
    assert_eq!(c.get(format!("{base}/healthz")).send().await.unwrap().status().as_u16(), 200);
    let n: i64 = cases::table.count().get_result(&mut app.db.conn()).unwrap();
    assert_eq!(n, 2, "the refused filing must not be half-stored");
    app.stop().await;
}

#[actix_web::test]
async fn the_imap_server_going_away_and_back_loses_nothing() {
    let Some([imap, ca]) = server_envs(["PQRS_TEST_IMAP", "PQRS_TEST_CA"]) else { return };
    let proxy = Proxy::start(imap.clone());
    let folder = format!("o{}", rand::random::<u32>());
    let direct = pqrs::intake::imap::ImapUrl::parse(&format!("imap://pqrs:secret@localhost:{}/{folder}", imap.rsplit(':').next().unwrap())).unwrap();
    let tls = pqrs::tls::client_config(&ca).unwrap();
    let mut admin = pqrs::intake::imap::connect(&direct, tls).await.unwrap();
    admin.create(&folder).await.unwrap();
    let app = TestApp::builder(Backend::Sqlite)
        .env("PQRS_IMAP_URL", format!("imap://pqrs:secret@localhost:{}/{folder}", proxy.port))
        .env("PQRS_TLS_CA_FILE", ca.clone())
        .env("PQRS_POLL_INTERVAL_SECS", "2")
        .spawn()
        .await;
    let mail = |mid: &str| format!("Message-ID: <{mid}>\r\nFrom: ana@example.com\r\nTo: contacto@anm.gov.co\r\nSubject: Petición\r\n\r\nSolicito información.\r\n");
    let count = || cases::table.count().get_result::<i64>(&mut app.db.conn()).unwrap_or(0);
    admin.append(&folder, None, None, mail(&format!("o1-{folder}@x"))).await.unwrap();
    for _ in 0..100 { if count() == 1 { break; } actix_web::rt::time::sleep(Duration::from_millis(100)).await; }
    assert_eq!(count(), 1, "first mail not filed");

    proxy.cut();
    admin.append(&folder, None, None, mail(&format!("o2-{folder}@x"))).await.unwrap();
    // While the server is away the health says so (the last error is reported).
    let mut saw_error = false;
    for _ in 0..60 {
        let (_, v) = app.health().await;
        if !v["intake"]["last_error"].is_null() { saw_error = true; break; }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_error, "health did not report the IMAP failure");
    assert_eq!(count(), 1);

    proxy.restore();
    for _ in 0..300 { if count() == 2 { break; } actix_web::rt::time::sleep(Duration::from_millis(100)).await; }
    assert_eq!(count(), 2, "the mail that arrived during the outage was not filed after recovery");
    let (_, v) = app.health().await;
    assert_eq!(v["intake"]["status"], "ok");
    app.stop().await;
    let _ = admin.delete(&folder).await;
}

common::backend_tests!(#[tokio::test] async fn mail_queues_while_the_smtp_server_is_down_and_goes_out_when_it_is_back);
async fn mail_queues_while_the_smtp_server_is_down_and_goes_out_when_it_is_back(backend: Backend) {
    let Some([smtp, root]) = server_envs(["PQRS_TEST_SMTP", "PQRS_TEST_MAILDIR_ROOT"]) else { return };
    let db = TestDb::new(backend);
    let proxy = Proxy::start(smtp.clone());
    let mid = format!("smtp-outage-{}@pqrs.test", rand::random::<u32>());
    let now = chrono::Utc::now().naive_utc();
    diesel::insert_into(outbox::table).values((
        outbox::purpose.eq("acuse"), outbox::internal.eq(false), outbox::to_addr.eq("ciudadana@example.com"),
        outbox::subject.eq("Acuse"), outbox::body_text.eq("Radicado de prueba"), outbox::message_id.eq(&mid),
        outbox::status.eq("pending"), outbox::next_attempt_at.eq(now), outbox::created_at.eq(now),
    )).execute(&mut db.conn()).unwrap();
    let mailer = pqrs::mailer::Mailer::from_config(&config_with(&[("PQRS_SMTP_URL", format!("smtp://127.0.0.1:{}", proxy.port))])).unwrap();
    let pool = db.pool(2);
    proxy.cut();
    assert_eq!(pqrs::mailer::drain_once(&pool, &mailer).await.unwrap(), 1);
    let (status, attempts): (String, i64) = outbox::table.select((outbox::status, outbox::attempts)).first(&mut db.conn()).unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1), "{backend:?}");
    proxy.restore();
    // The retry is due after its backoff; bring it forward instead of waiting a minute.
    diesel::update(outbox::table).set(outbox::next_attempt_at.eq(chrono::Utc::now().naive_utc())).execute(&mut db.conn()).unwrap();
    assert_eq!(pqrs::mailer::drain_once(&pool, &mailer).await.unwrap(), 1);
    let status: String = outbox::table.select(outbox::status).first(&mut db.conn()).unwrap();
    assert_eq!(status, "sent", "{backend:?}");
    let maildir = std::path::Path::new(&root).join("citizen/Maildir");
    assert!(tokio::task::spawn_blocking(move || wait_for_mail(&maildir, &mid, Duration::from_secs(10))).await.unwrap().is_some());
}
