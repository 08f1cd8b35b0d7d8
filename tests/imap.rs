//! The contact mailbox on a real Dovecot: a mail APPENDed to the watched folder is filed and
//! acknowledged while `pqrs serve` runs (IDLE), the acknowledgement reaches the real SMTP server,
//! the mail is flagged \Seen only after filing, and neither a second poll nor a restart files it
//! again.

mod common;

use std::time::{Duration, Instant};

use common::{server_envs, wait_for_mail, wait_until_async, Backend, TestApp};
use diesel::prelude::*;
use futures_util::TryStreamExt;
use pqrs::db::schema::{cases, mailbox_checkpoints, messages, outbox};
use pqrs::intake::imap::{connect, ImapUrl};

fn raw_mail(mid: &str, subject: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\nFrom: Ana Pérez <ana@example.com>\r\n\
         To: contacto@anm.gov.co\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nSolicito copia del certificado de registro minero.\r\n"
    )
}

common::backend_tests!(#[actix_web::test] async fn a_mail_appended_to_the_mailbox_is_filed_acknowledged_and_never_filed_twice);
async fn a_mail_appended_to_the_mailbox_is_filed_acknowledged_and_never_filed_twice(backend: Backend) {
    let Some([imap, ca, smtp, root]) = server_envs(["PQRS_TEST_IMAP", "PQRS_TEST_CA", "PQRS_TEST_SMTP", "PQRS_TEST_MAILDIR_ROOT"]) else {
        return;
    };
    let port = imap.rsplit(':').next().unwrap();
    let folder = format!("t{}", rand::random::<u32>());
    let url = format!("imap://pqrs:secret@localhost:{port}/{folder}");
    let tls = pqrs::tls::client_config(&ca).unwrap();
    let parsed = ImapUrl::parse(&url).unwrap();
    let mut admin = connect(&parsed, tls.clone()).await.expect("test IMAP login");
    admin.create(&folder).await.unwrap();

    let app = TestApp::builder(backend)
        .env("PQRS_IMAP_URL", url.clone())
        .env("PQRS_TLS_CA_FILE", ca.clone())
        .env("PQRS_SMTP_URL", format!("smtp://{smtp}"))
        .env("PQRS_POLL_INTERVAL_SECS", "30")
        .spawn()
        .await;

    // Let the worker connect and enter IDLE, then deliver.
    app.wait_for_intake_ok().await;
    let db = &app.db;

    let mid = format!("imap-{}@citizen.example", rand::random::<u32>());
    let appended = Instant::now();
    admin.append(&folder, None, None, raw_mail(&mid, "Certificado")).await.unwrap();
    wait_until_async(Duration::from_secs(20), "the appended mail to be filed", || {
        messages::table
            .filter(messages::message_id.eq(&mid))
            .filter(messages::case_id.is_not_null())
            .count()
            .get_result::<i64>(&mut db.conn())
            .unwrap_or(0)
            == 1
    })
    .await;
    // A measurement, not an assertion: how long from APPEND to a filed case (IDLE).
    eprintln!("{backend:?}: APPEND to filed case in {} ms", appended.elapsed().as_millis());
    let radicado: String = cases::table.select(cases::radicado).first(&mut db.conn()).unwrap();

    // The acknowledgement reaches the SMTP server, threaded to the citizen's mail.
    let maildir = std::path::Path::new(&root).join("citizen/Maildir");
    let ack_mid: String = outbox::table.select(outbox::message_id).first(&mut db.conn()).unwrap();
    let ack = tokio::task::spawn_blocking({
        let needle = ack_mid.clone();
        move || wait_for_mail(&maildir, &needle, Duration::from_secs(20))
    })
    .await
    .unwrap()
    .expect("acknowledgement not delivered");
    assert!(ack.contains(&format!("In-Reply-To: <{mid}>")), "{ack}");
    assert!(ack.contains(&radicado));

    // Marked \Seen on the server, after filing.
    admin.select(&folder).await.unwrap();
    let flags: Vec<String> = admin
        .fetch("1", "FLAGS")
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .iter()
        .flat_map(|f| f.flags().map(|fl| format!("{fl:?}")).collect::<Vec<_>>())
        .collect();
    assert!(flags.iter().any(|f| f.contains("Seen")), "{flags:?}");

    // Stop, restart with the same database: nothing is filed again; the same mail appended
    // again (a second copy) is a duplicate.
    let app = app.restart().await;
    let db = &app.db;
    admin.append(&folder, None, None, raw_mail(&mid, "Certificado")).await.unwrap();
    let mid2 = format!("imap2-{}@citizen.example", rand::random::<u32>());
    admin.append(&folder, None, None, raw_mail(&mid2, "Otra petición")).await.unwrap();
    wait_until_async(Duration::from_secs(20), "the second mail to be filed", || {
        cases::table.count().get_result::<i64>(&mut db.conn()).unwrap_or(0) == 2
    })
    .await;
    // Counted once the worker has passed every mail in the folder (its UID checkpoint is at the
    // last UID): a copy filed twice could not come later.
    let last_uid = i64::from(admin.select(&folder).await.unwrap().uid_next.expect("UIDNEXT")) - 1;
    wait_until_async(Duration::from_secs(20), "the IMAP checkpoint to reach the last appended UID", || {
        mailbox_checkpoints::table
            .select(mailbox_checkpoints::last_uid)
            .load::<i64>(&mut db.conn())
            .is_ok_and(|uids| uids.iter().any(|&u| u >= last_uid))
    })
    .await;
    let n_cases: i64 = cases::table.count().get_result(&mut db.conn()).unwrap();
    let n_msgs: i64 = messages::table.count().get_result(&mut db.conn()).unwrap();
    assert_eq!((n_cases, n_msgs), (2, 2), "{backend:?}: a mail was filed twice");
    app.stop().await;
    let _ = admin.delete(&folder).await;
    let _ = admin.logout().await;
}


#[actix_web::test]
async fn with_a_processed_folder_filed_mail_is_moved_there_not_deleted() {
    let Some([imap, ca]) = server_envs(["PQRS_TEST_IMAP", "PQRS_TEST_CA"]) else { return };
    let port = imap.rsplit(':').next().unwrap();
    let folder = format!("m{}", rand::random::<u32>());
    let done = format!("{folder}-radicados");
    let url = format!("imap://pqrs:secret@localhost:{port}/{folder}");
    let mut admin = connect(&ImapUrl::parse(&url).unwrap(), pqrs::tls::client_config(&ca).unwrap()).await.unwrap();
    admin.create(&folder).await.unwrap();
    let app = TestApp::builder(Backend::Sqlite)
        .env("PQRS_IMAP_URL", url.clone())
        .env("PQRS_TLS_CA_FILE", ca.clone())
        .env("PQRS_IMAP_PROCESSED_FOLDER", done.clone())
        .spawn()
        .await;
    admin.append(&folder, None, None, raw_mail(&format!("mv-{folder}@x"), "Petición")).await.unwrap();
    wait_until_async(Duration::from_secs(20), "the mail to be filed", || cases::table.count().get_result::<i64>(&mut app.db.conn()).unwrap_or(0) == 1).await;
    let mut moved = false;
    for _ in 0..50 {
        let inbox = admin.select(&folder).await.unwrap().exists;
        let target = admin.select(&done).await.map(|m| m.exists).unwrap_or(0);
        if inbox == 0 && target == 1 { moved = true; break; }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(moved, "the filed mail was not moved to the processed folder");
    app.stop().await;
    let _ = admin.delete(&folder).await;
    let _ = admin.delete(&done).await;
}
