//! Peak memory of taking in one large mail: a 25.8 MB mail (an 18 MiB attachment, base64) filed
//! through the whole pipeline into SQLite, and a 31.6 MB one (over the 25 MiB limit) quarantined raw.
//! Reads the process's peak resident set (VmHWM) from /proc. Run: `cargo bench --bench memory`.

use std::sync::Arc;

use pqrs::intake::{Intake, RawMail, Source};

fn hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn mail(attachment_bytes: usize) -> Vec<u8> {
    use base64::Engine;
    let data: Vec<u8> = (0..attachment_bytes).map(|i| (i * 7 % 251) as u8).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut m = b"Message-ID: <big@example.com>\r\nFrom: ana@example.com\r\nTo: contacto@anm.gov.co\r\nSubject: Anexo grande\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAdjunto planos.\r\n\
--b\r\nContent-Type: application/pdf; name=\"planos.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    for line in b64.as_bytes().chunks(76) {
        m.extend_from_slice(line);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let env: std::collections::BTreeMap<String, String> = [
        ("PQRS_DATABASE_URL".to_string(), dir.path().join("m.db").display().to_string()),
        ("PQRS_RULES_DIR".to_string(), concat!(env!("CARGO_MANIFEST_DIR"), "/rules").to_string()),
    ]
    .into_iter()
    .collect();
    let config = Arc::new(pqrs::config::Config::load_from(None, &env).unwrap());
    let pool = pqrs::startup::open_store(&config).unwrap();
    let intake = Intake::load(config).unwrap();
    let mut conn = pool.get().unwrap();
    println!("| mail | size MB | outcome | peak RSS before MB | peak RSS after MB | growth MB |");
    println!("|---|---:|---|---:|---:|---:|");
    for (label, att) in [("just under the 25 MiB limit, filed", 18 * 1024 * 1024), ("over the limit, quarantined raw", 22 * 1024 * 1024)] {
        let m = mail(att);
        let before = hwm_kb();
        let out = intake.process(&mut conn, RawMail { bytes: &m, source: Source::Import, source_ref: None, source_time: None }, false).unwrap();
        let after = hwm_kb();
        let kind = serde_json::to_value(&out).unwrap()["outcome"].as_str().unwrap_or("").to_string();
        println!("| {label} | {:.1} | {kind} | {:.0} | {:.0} | {:.0} |", m.len() as f64 / 1e6, before as f64 / 1024.0, after as f64 / 1024.0, (after - before) as f64 / 1024.0);
    }
}
