//! `pqrs serve` as a whole: the app starts on port 0 on each backend, creates its schema and
//! answers `/healthz`; the binary rejects bad configuration with one clear line.

mod common;

use common::{Backend, TestApp};

common::backend_tests!(#[actix_web::test] async fn healthz_reports_the_database_on_each_backend);
async fn healthz_reports_the_database_on_each_backend(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.health().await;
    assert_eq!(status, 200, "{backend:?}");
    assert_eq!(body["database"]["status"], "ok");
    let expected = match backend {
        common::Backend::Sqlite => "sqlite",
        common::Backend::Postgres => "postgresql",
    };
    assert_eq!(body["database"]["backend"], expected);
    assert_eq!(body["outbox"]["backlog"], 0);
    app.stop().await;
}

fn pqrs_bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pqrs"));
    // A clean environment of PQRS_* settings (the test harness's own PQRS_TEST_* are ignored).
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn bad_configuration_gives_one_line_naming_the_key_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, needle) in [
        ("PQRS_LISTEN", "not-an-address", "listen"),
        ("PQRS_DATABASE_URL", "mysql://localhost/x", "database_url"),
        ("PQRS_RADICADO_UNIT", "1000", "radicado_unit"),
        ("PQRS_DATABSE_URL", "x.db", "PQRS_DATABSE_URL"),
    ] {
        let out = pqrs_bin().current_dir(dir.path()).env(key, value).arg("serve").output().unwrap();
        assert!(!out.status.success(), "{key}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{key}: expected one line, got {stderr}");
        assert!(lines[0].contains(needle), "{key}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unreachable_database_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let out = pqrs_bin()
        .current_dir(dir.path())
        .env("PQRS_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_database_in_a_new_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/pqrs.db");
    let out = pqrs_bin().env("PQRS_DATABASE_URL", &path).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(path.exists());
}

#[test]
fn help_lists_every_command_of_the_contract() {
    let out = pqrs_bin().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "import", "ingest", "route", "rules", "due", "report", "user", "token", "quarantine"] {
        assert!(help.contains(cmd), "--help lacks {cmd}: {help}");
    }
}

common::backend_tests!(#[actix_web::test] async fn a_mail_dropped_in_the_maildir_is_filed_acknowledged_to_a_file_and_counted_in_metrics);
async fn a_mail_dropped_in_the_maildir_is_filed_acknowledged_to_a_file_and_counted_in_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let maildir = app.data_dir.join("maildir");
    let raw = "Message-ID: <drop1@example.com>\r\nFrom: ana@example.com\r\nTo: contacto@anm.gov.co\r\n\
               Subject: Solicitud\r\nDate: Tue, 10 Mar 2026 10:00:00 -0500\r\n\r\nSolicito información.\r\n";
    // Deliver the Maildir way: write in tmp/, rename into new/.
    for _ in 0..50 {
        if maildir.join("tmp").is_dir() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    std::fs::write(maildir.join("tmp/1773154800.P1.host"), raw).unwrap();
    std::fs::rename(maildir.join("tmp/1773154800.P1.host"), maildir.join("new/1773154800.P1.host")).unwrap();
    let mut moved = false;
    for _ in 0..100 {
        if maildir.join("cur/1773154800.P1.host:2,S").exists() {
            moved = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(moved, "{backend:?}: the mail was not processed and marked seen");
    let mut outbox_files = 0;
    for _ in 0..100 {
        outbox_files = std::fs::read_dir(app.data_dir.join("outbox")).map(|d| d.count()).unwrap_or(0);
        if outbox_files > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(outbox_files, 1, "{backend:?}: acknowledgement not written");
    let (_, health) = app.health().await;
    assert_eq!(health["intake"]["source"], "maildir");
    assert_eq!(health["intake"]["status"], "ok");
    let mut res = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(text.contains("pqrs_mail_in_total"), "{text}");
    assert!(text.contains("outcome=\"cases\""), "{text}");
    assert!(text.contains("pqrs_outbox_backlog"), "{text}");
    app.stop().await;
}
