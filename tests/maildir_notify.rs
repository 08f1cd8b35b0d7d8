//! The Maildir drop folder is watched with inotify (`notify`): with the fallback poll set to an
//! hour, a mail delivered into `new/` after the first scan can only be filed because the watcher
//! woke the scanner.

mod common;

use std::time::Duration;

use common::{wait_until_async, Backend, TestApp};
use diesel::prelude::*;
use pqrs::db::schema::cases;

common::backend_tests!(#[actix_web::test] async fn a_mail_delivered_after_the_first_scan_is_filed_without_waiting_for_the_poll);
async fn a_mail_delivered_after_the_first_scan_is_filed_without_waiting_for_the_poll(backend: Backend) {
    let app = TestApp::builder(backend).env("PQRS_POLL_INTERVAL_SECS", "3600").spawn().await;
    // Intake reports ok after its first scan, and the watcher is set up before that scan.
    app.wait_for_intake_ok().await;
    let maildir = app.data_dir.join("maildir");
    let raw = "Message-ID: <notify1@example.com>\r\nFrom: ana@example.com\r\nTo: contacto@anm.gov.co\r\n\
               Subject: Solicitud de copia\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\n\r\nSolicito copia del expediente.\r\n";
    std::fs::write(maildir.join("tmp/1773154800.P7.host"), raw).unwrap();
    std::fs::rename(maildir.join("tmp/1773154800.P7.host"), maildir.join("new/1773154800.P7.host")).unwrap();
    let seen = maildir.join("cur/1773154800.P7.host:2,S");
    wait_until_async(Duration::from_secs(30), "the delivered mail to be filed and moved to cur/", || seen.exists()).await;
    let n: i64 = cases::table.count().get_result(&mut app.db.conn()).unwrap();
    assert_eq!(n, 1, "{backend:?}: the mail was moved but not filed as a case");
    assert!(!maildir.join("new/1773154800.P7.host").exists());
    app.stop().await;
}
