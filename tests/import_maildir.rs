//! `pqrs import` of a Maildir walks its Maildir++ subfolders (`.Enviados`, `.Archivo.2024`):
//! every mail of the inbox and of each subfolder is filed once, dated by its file name's
//! delivery time, on both backends.

mod common;

use std::path::Path;

use common::{Backend, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{cases, messages};

fn mail(mid: &str, from: &str, subject: &str, body: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Mon, 1 Dec 2025 10:00:00 -0500\r\nFrom: {from}\r\n\
         To: contacto@anm.gov.co\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

fn maildir(root: &Path) {
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
}

common::backend_tests!(#[test] fn import_walks_maildir_plus_plus_subfolders);
fn import_walks_maildir_plus_plus_subfolders(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    maildir(&md);
    maildir(&md.join(".Enviados"));
    maildir(&md.join(".Archivo.2024"));
    std::fs::write(md.join(".Archivo.2024/maildirfolder"), "").unwrap();
    // 1773154800 = 2026-03-10 15:00 UTC (10:00 in Bogotá); 1741618800 = 2025-03-10 15:00 UTC.
    std::fs::write(md.join("new/1773154800.M1P1.host,S=1"), mail("in1@citizen.example", "ana@example.com", "Certificado", "Solicito el certificado de registro minero.")).unwrap();
    std::fs::write(md.join(".Enviados/cur/1773154801.M2P1.host,S=1:2,S"), mail("env1@citizen.example", "beto@example.com", "Denuncia", "Hay minería ilegal con dragas en el río.")).unwrap();
    std::fs::write(md.join(".Archivo.2024/new/1741618800.M3P1.host,S=1"), mail("arc1@citizen.example", "carla@example.com", "Consulta", "¿Cuál es el trámite para una autorización temporal?")).unwrap();
    // tmp/ of a subfolder is never read.
    std::fs::write(md.join(".Archivo.2024/tmp/1741618801.M4P1.host"), mail("tmp1@citizen.example", "x@example.com", "x", "x")).unwrap();

    let out = common::pqrs_cmd(&db).args(["import", "--json"]).arg(&md).output().unwrap();
    assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["received"], 3, "{backend:?}: {summary}");
    assert_eq!(summary["cases"], 3, "{backend:?}: {summary}");

    let mut conn = db.conn();
    let mut mids: Vec<Option<String>> = messages::table.select(messages::message_id).load(&mut conn).unwrap();
    mids.sort();
    assert_eq!(
        mids,
        [Some("arc1@citizen.example".to_string()), Some("env1@citizen.example".to_string()), Some("in1@citizen.example".to_string())],
        "{backend:?}"
    );
    // Dated by the file names' delivery time, not by the Date header (December 2025).
    let mut months: Vec<String> = cases::table.select(cases::received_month).load(&mut conn).unwrap();
    months.sort();
    assert_eq!(months, ["2025-03", "2026-03", "2026-03"], "{backend:?}");
}
