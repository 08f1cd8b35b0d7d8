//! Habeas data (Ley 1581 de 2012, Decreto 1377 de 2013): the titular's rights over what the
//! entity holds about them.
//!
//! - **Access** ([`export`], `pqrs titular export`): every case where the person is the citizen
//!   (matched by e-mail address, case-insensitively, or by document number), with its messages as
//!   the raw mail received (.eml), their attachments, the events, the communications and mails
//!   sent; also mail from that address that is on no case (automatic mail, duplicates) and
//!   quarantined mail that names it, and the satisfaction surveys of their cases. A
//!   `manifest.json` lists it all with each file's SHA-256.
//! - **Rectification**: a lifecycle action (`workflow::lifecycle::Action::Rectify`), recorded as an
//!   event with the old and new values, who, when and why.
//! - **Suppression after retention** ([`retention_run`], `pqrs retention run`): once a finished
//!   case's retention period (`rules/retention.toml`, from the entity's TRD) is over, its personal
//!   data and mail contents are erased (`db::habeas::erase_case`); the rows, radicados, dates,
//!   departments, kinds, counts and event types stay, so the reports do not change.
//!
//! Every export and erasure is written to the audit log with who, when and what.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Months, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;

use crate::db::habeas as store;
use crate::db::AnyConnection;

/// The actor of a CLI command: `--actor`, else `cli:<OS user>`.
pub fn cli_actor(explicit: Option<&str>) -> String {
    if let Some(a) = explicit.map(str::trim).filter(|a| !a.is_empty()) {
        return a.to_string();
    }
    let user = ["USER", "LOGNAME", "USERNAME"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    format!("cli:{}", user.unwrap_or_else(|| "desconocido".into()))
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

fn ts(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

/// A file name safe on any file system.
fn safe_name(s: &str) -> String {
    let n: String = s.chars().map(|c| if c.is_alphanumeric() || ".-_".contains(c) { c } else { '_' }).take(120).collect();
    if n.is_empty() || n.starts_with('.') { format!("archivo{n}") } else { n }
}

/// One file of the export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExportFile {
    /// Relative to the export folder.
    pub path: String,
    /// `mensaje` (raw mail), `anexo`, `comunicacion`, `correo_enviado`, `cuarentena`.
    pub kind: String,
    pub sha256: String,
    pub size: u64,
}

/// The export's manifest (`manifest.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub titular: serde_json::Value,
    pub generated_at: String,
    pub generated_by: String,
    pub cases: Vec<serde_json::Value>,
    /// Mail from the titular's address on no case (automatic mail, duplicates, ...).
    pub other_messages: Vec<serde_json::Value>,
    /// Quarantined mail whose bytes contain the address.
    pub quarantine: Vec<serde_json::Value>,
    /// The satisfaction surveys of the titular's cases (with the radicado).
    pub surveys: Vec<serde_json::Value>,
    pub files: Vec<ExportFile>,
}

struct Writer<'a> {
    dir: &'a Path,
    files: Vec<ExportFile>,
}

impl Writer<'_> {
    fn put(&mut self, rel: &str, kind: &str, bytes: &[u8]) -> anyhow::Result<ExportFile> {
        let path = self.dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let f = ExportFile { path: rel.to_string(), kind: kind.to_string(), sha256: sha256_hex(bytes), size: bytes.len() as u64 };
        self.files.push(f.clone());
        Ok(f)
    }
}

fn message_json(m: &store::HeldMessage, file: &ExportFile) -> serde_json::Value {
    json!({
        "id": m.id, "direction": m.direction, "disposition": m.disposition, "subject": m.subject,
        "from": m.from_addr, "received_at": ts(m.received_at), "sha256": m.sha256, "file": file.path,
    })
}

/// Write everything held about the titular (`email`, and `document` when given) into `out`
/// (created; it must be empty or absent), with `manifest.json`; record the export in the audit
/// log as `actor`. Returns the manifest.
pub fn export(conn: &mut AnyConnection, email: &str, document: Option<&str>, out: &Path, actor: &str, now: DateTime<Utc>) -> anyhow::Result<Manifest> {
    let email_n = store::norm_email(email);
    anyhow::ensure!(email_n.contains('@'), "--email `{email}` is not an e-mail address");
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
        anyhow::ensure!(entries.next().is_none(), "{} is not empty: choose a new folder for the export", out.display());
    }
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    let mut w = Writer { dir: out, files: Vec::new() };
    let opts = crate::intake::parse::ParseOptions { max_size: usize::MAX, own_domains: vec![] };
    let mut cases_json = Vec::new();
    let mut surveys = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let cases = store::titular_cases(conn, email, document)?;
    for case in &cases {
        if let Some(n) = case.citizen_name.clone().filter(|n| !names.contains(n)) {
            names.push(n);
        }
        let dir = format!("casos/{}", safe_name(&case.radicado));
        let mut files = Vec::new();
        let mut msgs = Vec::new();
        let held = store::case_messages(conn, case.id)?;
        let atts = store::case_attachments(conn, case.id)?;
        for m in &held {
            let f = w.put(&format!("{dir}/mensaje-{}.eml", m.id), "mensaje", &m.raw)?;
            msgs.push(message_json(m, &f));
            files.push(f);
            // The attachments are re-extracted from the raw mail, as staff download them.
            let mine: Vec<_> = atts.iter().filter(|a| a.1 == m.id).collect();
            if mine.is_empty() || m.raw.is_empty() {
                continue;
            }
            let parsed = crate::intake::door::parse_with_time_limit(&m.raw, &opts, crate::intake::door::PARSE_TIME_LIMIT).ok();
            let parts = parsed.map(|p| p.attachments).unwrap_or_default();
            for a in mine {
                if let Some(part) = parts.get(a.2 as usize) {
                    let f = w.put(&format!("{dir}/anexos/{}-{}-{}", m.id, a.2, safe_name(&a.3)), "anexo", &part.bytes)?;
                    files.push(f);
                }
            }
        }
        if let Some(s) = crate::db::surveys::of_case(conn, case.id)? {
            let mut v = serde_json::to_value(&s)?;
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("radicado".into(), case.radicado.clone().into());
            }
            surveys.push(v);
        }
        let events: Vec<serde_json::Value> = store::case_events(conn, case.id)?
            .into_iter()
            .map(|e| json!({ "at": ts(e.at), "actor": e.actor, "event_type": e.event_type, "reason": e.reason,
                "payload": serde_json::from_str::<serde_json::Value>(&e.payload).unwrap_or(serde_json::Value::String(e.payload.clone())) }))
            .collect();
        let mut comms = Vec::new();
        for cm in store::case_communications(conn, case.id)? {
            let text = format!("Radicado: {}\nAsunto: {}\nDestinatario: {} <{}>\nFecha: {}\n\n{}", cm.radicado, cm.subject, cm.addressee_name, cm.addressee_address, ts(cm.created_at), cm.body);
            let f = w.put(&format!("{dir}/comunicacion-{}.txt", safe_name(&cm.radicado)), "comunicacion", text.as_bytes())?;
            comms.push(json!({ "radicado": cm.radicado, "purpose": cm.purpose, "channel": cm.channel, "addressee_name": cm.addressee_name,
                "addressee_address": cm.addressee_address, "subject": cm.subject, "created_at": ts(cm.created_at), "file": f.path }));
            files.push(f);
        }
        let mut sent = Vec::new();
        for (id, purpose, to, subject, body, status, created, sent_at) in store::case_mails_out(conn, case.id)? {
            let text = format!("Para: {to}\nAsunto: {subject}\nEstado: {status}\n\n{body}");
            let f = w.put(&format!("{dir}/correo-enviado-{id}.txt"), "correo_enviado", text.as_bytes())?;
            sent.push(json!({ "id": id, "purpose": purpose, "to": to, "subject": subject, "status": status,
                "created_at": ts(created), "sent_at": sent_at.map(ts), "file": f.path }));
            files.push(f);
        }
        let attachments: Vec<serde_json::Value> = atts
            .iter()
            .map(|a| json!({ "id": a.0, "message_id": a.1, "filename": a.3, "content_type": a.4, "size": a.5, "sha256": a.6 }))
            .collect();
        cases_json.push(json!({
            "radicado": case.radicado,
            "received_at": ts(case.received_at),
            "effective_date": case.effective_date,
            "due_date": case.due_date,
            "responded_at": case.responded_at.map(ts),
            "closed_at": case.closed_at.map(ts),
            "kind": case.kind.as_str(),
            "department": case.department,
            "status": case.status.as_str(),
            "channel": case.channel.as_str(),
            "subject": case.subject,
            "citizen": {
                "name": case.citizen_name, "email": case.citizen_email, "doc_type": case.citizen_doc_type,
                "doc_number": case.citizen_doc_number, "phone": case.citizen_phone, "municipality": case.citizen_municipality,
            },
            "requester": crate::db::intake::requester_of(conn, case.id)?,
            "demographics": crate::db::intake::demographics_of(conn, case.id)?,
            "messages": msgs,
            "attachments": attachments,
            "events": events,
            "communications": comms,
            "mails_sent": sent,
            "files": files,
        }));
    }
    let mut other = Vec::new();
    for m in store::loose_messages_from(conn, email)? {
        let f = w.put(&format!("otros-correos/mensaje-{}.eml", m.id), "mensaje", &m.raw)?;
        other.push(message_json(&m, &f));
    }
    let mut quarantined = Vec::new();
    for (id, received_at, reason, sha, raw) in store::quarantined_mentioning(conn, email)? {
        let f = w.put(&format!("cuarentena/cuarentena-{id}.eml"), "cuarentena", &raw)?;
        quarantined.push(json!({ "id": id, "received_at": ts(received_at), "reason": reason, "sha256": sha, "file": f.path }));
    }
    let manifest = Manifest {
        titular: json!({ "email": email_n, "document": document.map(store::norm_document), "names": names }),
        generated_at: now.to_rfc3339(),
        generated_by: actor.to_string(),
        cases: cases_json,
        other_messages: other,
        quarantine: quarantined,
        surveys,
        files: w.files.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    std::fs::write(out.join("manifest.json"), &bytes)?;
    let radicados: Vec<&str> = cases.iter().map(|c| c.radicado.as_str()).collect();
    let detail = json!({
        "titular": email_n, "document": document.map(store::norm_document), "cases": radicados,
        "other_messages": manifest.other_messages.len(), "quarantine": manifest.quarantine.len(),
        "files": manifest.files.len(), "out": out.display().to_string(), "manifest_sha256": sha256_hex(&bytes),
    });
    store::audit(conn, actor, "exportacion_titular", None, &detail.to_string())?;
    Ok(manifest)
}

/// A retention period: whole years or days after the case's closing.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub years: Option<u32>,
    pub days: Option<u32>,
}

impl Period {
    fn check(&self, what: &str) -> anyhow::Result<()> {
        match (self.years, self.days) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => anyhow::bail!("retention.toml: {what}: give either `years` or `days`"),
        }
    }
    /// The instant the period ends for a case closed at `closed`.
    pub fn end(&self, closed: NaiveDateTime) -> Option<NaiveDateTime> {
        match (self.years, self.days) {
            (Some(y), _) => closed.checked_add_months(Months::new(y.checked_mul(12)?)),
            (_, Some(d)) => closed.checked_add_signed(chrono::Duration::days(i64::from(d))),
            _ => None,
        }
    }
    pub fn label(&self) -> String {
        match (self.years, self.days) {
            (Some(y), _) => format!("{y} años"),
            (_, Some(d)) => format!("{d} días"),
            _ => String::new(),
        }
    }
}

/// `rules/retention.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    pub default: Period,
    #[serde(default)]
    pub kinds: BTreeMap<String, Period>,
}

impl RetentionRules {
    pub fn parse(text: &str) -> anyhow::Result<RetentionRules> {
        let r: RetentionRules = toml::from_str(text).map_err(|e| anyhow::anyhow!("retention.toml: {e}"))?;
        r.default.check("default")?;
        for (k, p) in &r.kinds {
            anyhow::ensure!(crate::domain::PetitionKind::parse(k).is_some(), "retention.toml: unknown kind `{k}`");
            p.check(k)?;
        }
        Ok(r)
    }
    pub fn load(rules_dir: &Path) -> anyhow::Result<RetentionRules> {
        let path = rules_dir.join("retention.toml");
        let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Self::parse(&text)
    }
    /// The period of a kind, and whether it is the kind's own (`false`: the default).
    pub fn period(&self, kind: &str) -> (Period, bool) {
        match self.kinds.get(kind) {
            Some(p) => (*p, true),
            None => (self.default, false),
        }
    }
}

/// One case of a retention run.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionItem {
    pub radicado: String,
    pub kind: String,
    pub status: String,
    pub closed_at: String,
    pub expired_at: String,
    pub period: String,
    pub rows: store::ErasureCounts,
}

/// What a retention run did (or, dry, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    pub dry_run: bool,
    pub at: String,
    pub actor: String,
    pub erased: usize,
    pub cases: Vec<RetentionItem>,
}

impl RetentionReport {
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.cases.is_empty() {
            s.push_str("no case has passed its retention period\n");
        }
        for c in &self.cases {
            s.push_str(&format!(
                "{} {:<20} closed {} + {} = {}: {} messages, {} attachments, {} events, {} communications, {} outbox\n",
                c.radicado, c.kind, &c.closed_at[..10.min(c.closed_at.len())], c.period, &c.expired_at[..10.min(c.expired_at.len())],
                c.rows.messages, c.rows.attachments, c.rows.events, c.rows.communications, c.rows.outbox
            ));
        }
        s.push_str(&if self.dry_run {
            format!("dry run: {} cases would be erased, nothing changed\n", self.cases.len())
        } else {
            format!("{} cases erased\n", self.erased)
        });
        s
    }
}

/// Erase (or with `dry_run` only list) the personal data of every finished case whose
/// retention period ended before `now`. Idempotent: an erased case is never listed again.
pub fn retention_run(conn: &mut AnyConnection, rules: &RetentionRules, now: DateTime<Utc>, dry_run: bool, actor: &str) -> anyhow::Result<RetentionReport> {
    let n = now.naive_utc();
    let mut report = RetentionReport { dry_run, at: now.to_rfc3339(), actor: actor.to_string(), erased: 0, cases: Vec::new() };
    for f in store::finished_not_erased(conn)? {
        let (period, own) = rules.period(&f.kind);
        let Some(end) = period.end(f.closed) else { continue };
        if end > n {
            continue;
        }
        let rows = store::erasure_counts(conn, f.id)?;
        let item = RetentionItem {
            radicado: f.radicado.clone(),
            kind: f.kind.clone(),
            status: f.status.clone(),
            closed_at: ts(f.closed),
            expired_at: ts(end),
            period: period.label(),
            rows,
        };
        if !dry_run {
            let payload = json!({ "closed_at": ts(f.closed), "expired_at": ts(end), "period": period.label(),
                "rule": if own { f.kind.as_str() } else { "default" }, "source": "rules/retention.toml (TRD)" });
            if store::erase_case(conn, f.id, actor, payload)? {
                report.erased += 1;
            }
        }
        report.cases.push(item);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_periods() {
        let r = RetentionRules::parse("[default]\nyears = 5\n[kinds.felicitacion]\ndays = 30\n").unwrap();
        let closed = chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap().and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(r.period("queja").0.end(closed).unwrap().date(), chrono::NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
        assert_eq!(r.period("felicitacion").0.end(closed).unwrap().date(), chrono::NaiveDate::from_ymd_opt(2020, 3, 30).unwrap());
        assert!(RetentionRules::parse("[default]\nyears = 5\ndays = 3\n").is_err());
        assert!(RetentionRules::parse("[default]\nyears = 5\n[kinds.nada]\nyears = 1\n").is_err());
    }

    #[test]
    fn the_repository_rules_load() {
        RetentionRules::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))).unwrap();
    }

    #[test]
    fn scrub_keeps_codes_and_dates_only() {
        let v = json!({ "on_time": true, "outcome": "respondida", "to": "GAPCC", "new_due": "2026-03-02", "radicado_salida": "20261000000121",
            "text": "Señora Ana", "entity": "Alcaldía de Bogotá", "old": "ana@example.com", "new": "1020304050", "phone": "300-123-4567", "n": 3 });
        let s = crate::db::habeas::scrub_json(&v);
        assert_eq!(s["on_time"], true);
        assert_eq!(s["outcome"], "respondida");
        assert_eq!(s["to"], "GAPCC");
        assert_eq!(s["new_due"], "2026-03-02");
        assert_eq!(s["radicado_salida"], "20261000000121");
        assert_eq!(s["n"], 3);
        for k in ["text", "entity", "old", "new", "phone"] {
            assert_eq!(s[k], crate::db::habeas::ERASED, "{k}");
        }
        assert_eq!(crate::db::habeas::scrub_json(&json!({ "x": "300-123-4567" }))["x"], crate::db::habeas::ERASED);
    }
}
