//! The outbox worker against a real SMTP server (aiosmtpd on loopback, delivering into a Maildir
//! the test reads back): plain, STARTTLS and implicit TLS; transient and permanent failures; and
//! the file backend used when no SMTP server is configured.

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{config_with, draft, new_message, server_envs, wait_for_mail, Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::models::{NewOutbox, OutboxRow};
use pqrs::db::schema::outbox;
use pqrs::domain::radicado::UnitCode;
use pqrs::mailer::templates::{acknowledgement, AckContext};
use pqrs::mailer::{drain_once, Mailer};
use pqrs::workflow::filing::{file_new_case, AckPolicy};
use pqrs::workflow::FilingOutcome;

/// File one case whose acknowledgement goes to `to`; returns the outbox row.
fn file_with_ack(db: &TestDb, key: &str, to: &str) -> OutboxRow {
    let mut conn = db.conn();
    let at = Utc.with_ymd_and_hms(2026, 7, 10, 14, 0, 0).unwrap();
    let to = to.to_string();
    let mid = format!("{key}.ack@pqrs.test");
    let out = file_new_case(
        &mut conn,
        &UnitCode::default(),
        new_message(key, at),
        draft(at),
        &[],
        AckPolicy { per_sender_per_hour: 100, entity_name: "Agencia Nacional de Minería", public_base_url: "http://x" },
        Box::new(move |case, n| {
            let ctx = AckContext { entity_name: "Agencia Nacional de Minería", public_base_url: "http://x", attachments: n };
            let (subject, body_text) = acknowledgement(&ctx, case);
            Some(NewOutbox {
                case_id: None,
                purpose: "acuse".into(),
                internal: false,
                radicado: None,
                to_addr: to,
                subject,
                body_text,
                message_id: mid,
                in_reply_to: case_message_id(case),
                status: pqrs::domain::OutboxStatus::Pending,
                next_attempt_at: Utc::now().naive_utc(),
                created_at: Utc::now().naive_utc(),
            })
        }),
    )
    .unwrap();
    assert!(matches!(out, FilingOutcome::NewCase { acknowledged: true, .. }), "{out:?}");
    outbox::table.order(outbox::id.desc()).select(OutboxRow::as_select()).first(&mut conn).unwrap()
}

fn case_message_id(_case: &pqrs::db::models::CaseRow) -> Option<String> {
    Some("citizen-original@example.com".into())
}

fn reload(db: &TestDb, id: i64) -> OutboxRow {
    outbox::table.find(id).select(OutboxRow::as_select()).first(&mut db.conn()).unwrap()
}

common::backend_tests!(#[tokio::test] async fn acknowledgements_reach_a_real_smtp_server_in_every_tls_mode);
async fn acknowledgements_reach_a_real_smtp_server_in_every_tls_mode(backend: Backend) {
    let Some([plain, starttls, tls, ca, root]) =
        server_envs(["PQRS_TEST_SMTP", "PQRS_TEST_SMTP_STARTTLS", "PQRS_TEST_SMTP_TLS", "PQRS_TEST_CA", "PQRS_TEST_MAILDIR_ROOT"])
    else {
        return;
    };
    let maildir = std::path::Path::new(&root).join("citizen/Maildir");
    let port = |hp: &str| hp.rsplit(':').next().unwrap().to_string();
    let db = TestDb::new(backend);
    for (mode, url) in [
        ("plain", format!("smtp://{plain}")),
        ("starttls", format!("smtp://localhost:{}?tls=required", port(&starttls))),
        ("tls", format!("smtps://localhost:{}", port(&tls))),
    ] {
        let key = format!("{mode}-{}-{}", rand::random::<u32>(), backend as u8);
        let row = file_with_ack(&db, &key, "ciudadana@example.com");
        let config = config_with(&[("PQRS_SMTP_URL", url.clone()), ("PQRS_TLS_CA_FILE", ca.clone())]);
        let mailer = Mailer::from_config(&config).unwrap();
        let pool = db.pool(2);
        assert_eq!(drain_once(&pool, &mailer).await.unwrap(), 1, "{mode}");
        let after = reload(&db, row.id);
        assert_eq!(after.status, "sent", "{backend:?} {mode}: {:?}", after.last_error);
        assert_eq!(after.sent_month.as_deref(), Some(pqrs::time::bogota_month(Utc::now()).as_str()));
        let mail = wait_for_mail(&maildir, &row.message_id, Duration::from_secs(5))
            .unwrap_or_else(|| panic!("{mode}: mail not delivered"));
        let radicado = row.subject.split_whitespace().nth(1).unwrap();
        assert!(mail.contains(radicado), "{mode}: radicado missing");
        assert!(mail.contains("Auto-Submitted: auto-replied"), "{mode}");
        assert!(mail.contains("In-Reply-To: <citizen-original@example.com>"), "{mode}");
        // The body is UTF-8 Spanish; decode it and look for the accents.
        let parsed = mail_parser::MessageParser::default().parse(mail.as_bytes()).unwrap();
        let body = parsed.body_text(0).unwrap();
        assert!(body.contains("Fecha máxima de respuesta") || body.contains("término"), "{body}");
        assert!(body.contains("Ley 1581 de 2012"));
    }
}

common::backend_tests!(#[tokio::test] async fn a_refused_connection_is_retried_later_and_a_bad_address_fails_for_good);
async fn a_refused_connection_is_retried_later_and_a_bad_address_fails_for_good(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool(2);
    let row = file_with_ack(&db, &format!("t-{}", rand::random::<u32>()), "ciudadano@example.com");
    let config = config_with(&[("PQRS_SMTP_URL", "smtp://127.0.0.1:1".into())]);
    let mailer = Mailer::from_config(&config).unwrap();
    assert_eq!(drain_once(&pool, &mailer).await.unwrap(), 1);
    let after = reload(&db, row.id);
    assert_eq!(after.status, "pending", "{backend:?}");
    assert_eq!(after.attempts, 1);
    assert!(after.next_attempt_at > Utc::now().naive_utc(), "retry must wait");
    assert!(after.last_error.is_some());
    // Not due yet: a second drain does not touch it.
    assert_eq!(drain_once(&pool, &mailer).await.unwrap(), 0);

    let bad = file_with_ack(&db, &format!("b-{}", rand::random::<u32>()), "not an address");
    assert_eq!(drain_once(&pool, &mailer).await.unwrap(), 1);
    let after = reload(&db, bad.id);
    assert_eq!(after.status, "failed", "{backend:?}");
    assert!(after.last_error.unwrap().contains("invalid recipient"));
}

common::backend_tests!(#[tokio::test] async fn without_smtp_mail_is_written_as_eml_files_and_counted_as_sent);
async fn without_smtp_mail_is_written_as_eml_files_and_counted_as_sent(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let row = file_with_ack(&db, "files", "ciudadano@example.com");
    let config = config_with(&[("PQRS_DATA_DIR", dir.path().display().to_string()), ("PQRS_INSTANCE_ID", "web-7".into())]);
    let mailer = Mailer::from_config(&config).unwrap();
    assert_eq!(drain_once(&db.pool(2), &mailer).await.unwrap(), 1);
    let after = reload(&db, row.id);
    assert_eq!(after.status, "sent");
    // The sender recorded which instance claimed it (`instance_id`), for a takeover if it dies.
    assert_eq!(after.claimed_by.as_deref(), Some("web-7"), "{backend:?}");
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains(&row.message_id));
}
