//! Outgoing mail: the [`Mailer`] over a backend (SMTP with lettre, or `.eml` files when no SMTP
//! server is configured), the outbox worker that drains the `outbox` table, and the Spanish
//! templates (`templates`).
//!
//! Nothing is sent inside a request or a filing transaction: workflows insert outbox rows in their
//! transaction and [`run_outbox_worker`] delivers them. Claiming a row is a compare-and-set
//! (`pending` → `sending` with a lease), so several instances never send the same row at once, and
//! a row whose sender died is taken again when its lease expires (SMTP is at-least-once).
//! Transient SMTP errors are retried with exponential backoff; permanent ones mark the row
//! `failed` with the server's answer. Each outgoing mail carries our own Message-ID (stored on the
//! row, so replies thread back) and `Auto-Submitted: auto-replied` (RFC 3834, so auto-responders
//! do not answer an acknowledgement).

pub mod templates;

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::db::communications::OutgoingAttachment;
use crate::db::models::OutboxRow;
use crate::db::{AnyConnection, Pool};

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (connection refused, 4xx, time-out).
    #[error("temporary: {0}")]
    Transient(String),
    /// Will not succeed (5xx, invalid address, unbuildable message).
    #[error("permanent: {0}")]
    Permanent(String),
}

#[derive(Clone)]
enum Backend {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
    /// lettre's in-memory transport, for the unit tests below: it records what it was handed.
    #[cfg(test)]
    Stub(lettre::transport::stub::AsyncStubTransport),
}

/// Delivers one outgoing mail.
#[derive(Clone)]
pub struct Mailer {
    backend: Backend,
    from: Mailbox,
    /// This instance's id (`instance_id`), recorded on the outbox rows it claims.
    instance: String,
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let from: Mailbox = config
            .settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
        let url = config.settings.smtp_url.expose().trim();
        let backend = if url.is_empty() {
            Backend::Files(config.outbox_dir())
        } else {
            let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?
                .timeout(Some(Duration::from_secs(30)));
            let ca = config.settings.tls_ca_file.trim();
            if !ca.is_empty() {
                let pem = std::fs::read(ca).map_err(|e| anyhow::anyhow!("tls_ca_file {ca}: {e}"))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| anyhow::anyhow!("tls_ca_file: {e}"))?;
                let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?;
                let host = url_host(&parsed).ok_or_else(|| anyhow::anyhow!("smtp_url: no host"))?;
                let params = TlsParameters::builder(host)
                    .add_root_certificate(cert)
                    .build_rustls()
                    .map_err(|e| anyhow::anyhow!("smtp TLS: {e}"))?;
                let tls = if parsed.scheme() == "smtps" {
                    Tls::Wrapper(params)
                } else if parsed.query_pairs().any(|(k, v)| k == "tls" && v == "required") {
                    Tls::Required(params)
                } else {
                    Tls::Opportunistic(params)
                };
                builder = builder.tls(tls);
            }
            Backend::Smtp(builder.build())
        };
        Ok(Mailer { backend, from, instance: config.settings.instance_id.clone() })
    }

    /// Where mail goes, for logs.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Smtp(_) => "smtp".into(),
            Backend::Files(dir) => format!("files in {}", dir.display()),
            #[cfg(test)]
            Backend::Stub(_) => "stub".into(),
        }
    }

    /// Build the RFC 5322 message of an outbox row.
    pub fn build(&self, row: &OutboxRow) -> Result<Message, SendError> {
        self.build_with(row, &[])
    }

    /// Build the message of an outbox row with its files: plain text alone, or
    /// `multipart/mixed` with the text first and each file as a MIME attachment.
    pub fn build_with(&self, row: &OutboxRow, files: &[OutgoingAttachment]) -> Result<Message, SendError> {
        let to: Mailbox = row
            .to_addr
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid recipient {}: {e}", row.to_addr)))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(format!("<{}>", row.message_id)));
        if let Some(irt) = &row.in_reply_to {
            b = b.in_reply_to(format!("<{irt}>")).references(format!("<{irt}>"));
        }
        let built = if files.is_empty() {
            b.header(ContentType::TEXT_PLAIN).body(row.body_text.clone())
        } else {
            let mut mp = MultiPart::mixed().singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(row.body_text.clone()));
            for f in files {
                let ct = ContentType::parse(&f.content_type)
                    .map_err(|e| SendError::Permanent(format!("attachment {}: content type {}: {e}", f.filename, f.content_type)))?;
                mp = mp.singlepart(Attachment::new(f.filename.clone()).body(f.bytes.clone(), ct));
            }
            b.multipart(mp)
        };
        let mut msg = built.map_err(|e| SendError::Permanent(format!("cannot build message: {e}")))?;
        if !row.internal {
            msg.headers_mut().insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-replied".into(),
            ));
        }
        Ok(msg)
    }

    /// Deliver one row.
    pub async fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        self.send_with(row, &[]).await
    }

    /// Deliver one row with its files (see [`Mailer::build_with`]).
    pub async fn send_with(&self, row: &OutboxRow, files: &[OutgoingAttachment]) -> Result<(), SendError> {
        let msg = self.build_with(row, files)?;
        match &self.backend {
            Backend::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            // The stub's one error stands for a lost connection: worth retrying.
            #[cfg(test)]
            Backend::Stub(t) => t.send(msg).await.map_err(|e| SendError::Transient(e.to_string())),
            Backend::Files(dir) => {
                let dir = dir.clone();
                let name = format!("{:08}-{}.eml", row.id, sanitize(&row.message_id));
                let bytes = msg.formatted();
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = dir.join(format!(".{name}.tmp"));
                    std::fs::write(&tmp, &bytes)?;
                    std::fs::rename(&tmp, dir.join(&name))
                })
                .await
                .map_err(|e| SendError::Transient(e.to_string()))?
                .map_err(|e| SendError::Transient(format!("writing outbox file: {e}")))
            }
        }
    }
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// The host of `scheme://user:pass@host:port/…` (an IPv6 address without its brackets).
fn url_host(url: &url::Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(d) if !d.is_empty() => Some(d.to_string()),
        url::Host::Domain(_) => None,
        url::Host::Ipv4(a) => Some(a.to_string()),
        url::Host::Ipv6(a) => Some(a.to_string()),
    }
}

pub use crate::domain::new_message_id;

/// Backoff before attempt `attempts + 1`: 1 min, 2, 4, … capped at 6 h.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let mins = 1_i64 << attempts.clamp(0, 9);
    chrono::Duration::minutes(mins.min(360))
}

/// After this many transient failures a row is given up as failed (about four days).
pub const MAX_ATTEMPTS: i64 = 25;
/// Claim the next due row (`pending`, `sending` with an expired lease, or `sending` claimed by a
/// dead instance).
pub use crate::db::outbox::claim_next;

/// Record the result of a delivery attempt: sent, failed for good, or retried with backoff
/// (given up after [`MAX_ATTEMPTS`]).
pub fn record_result(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    result: &Result<(), SendError>,
    now: chrono::DateTime<Utc>,
) -> Result<(), crate::db::QueryError> {
    use crate::db::outbox::Delivery;
    let attempts = row.attempts + 1;
    let delivery = match result {
        Ok(()) => Delivery::Sent,
        Err(SendError::Permanent(e)) => Delivery::Failed(e),
        Err(SendError::Transient(e)) if attempts >= MAX_ATTEMPTS => Delivery::Failed(e),
        Err(SendError::Transient(e)) => {
            Delivery::Retry { error: e, next_attempt_at: (now + backoff(attempts - 1)).naive_utc() }
        }
    };
    crate::db::outbox::record(conn, row, delivery, now)
}

/// Deliver every due row once; returns how many rows were attempted.
pub async fn drain_once(pool: &Pool, mailer: &Mailer) -> anyhow::Result<usize> {
    let mut n = 0;
    loop {
        let (p, me) = (pool.clone(), mailer.instance.clone());
        type Claimed = Option<Option<(OutboxRow, Result<Vec<OutgoingAttachment>, String>)>>;
        let claimed = tokio::task::spawn_blocking(move || -> anyhow::Result<Claimed> {
            let mut c = p.get()?;
            let Some(row) = claim_next(&mut c, Utc::now().naive_utc(), &me)? else { return Ok(None) };
            // The mail of an annulled communication is never sent (a retry put back after the
            // annulment included).
            if crate::db::communications::cancel_if_annulled(&mut c, row.id)? {
                return Ok(Some(None));
            }
            let files = row_attachments(&mut c, row.id)?;
            Ok(Some(Some((row, files))))
        })
        .await??;
        let Some(claimed) = claimed else { return Ok(n) };
        let Some((row, files)) = claimed else { continue };
        n += 1;
        let result = match &files {
            Ok(files) => mailer.send_with(&row, files).await,
            // Never send an answer without the documents it announces.
            Err(e) => Err(SendError::Permanent(e.clone())),
        };
        let label = match &result {
            Ok(()) => "sent",
            Err(SendError::Transient(_)) => "retry",
            Err(SendError::Permanent(_)) => "failed",
        };
        metrics::counter!("pqrs_mail_out_total", "purpose" => row.purpose.clone(), "result" => label).increment(1);
        match &result {
            Ok(()) => tracing::info!(outbox_id = row.id, purpose = %row.purpose, "mail sent"),
            Err(e) => tracing::warn!(outbox_id = row.id, purpose = %row.purpose, error = %e, "mail not sent"),
        }
        let p = pool.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut c = p.get()?;
            record_result(&mut c, &row, &result, Utc::now())?;
            Ok(())
        })
        .await??;
    }
}

/// The files of an outbox row's communication, re-extracted from their stored record (under the
/// intake's parse time limit); `Err` names a file that cannot be read back.
fn row_attachments(c: &mut AnyConnection, outbox_id: i64) -> Result<Result<Vec<OutgoingAttachment>, String>, crate::db::QueryError> {
    let Some((metas, raw)) = crate::db::communications::outbox_attachments(c, outbox_id)? else { return Ok(Ok(vec![])) };
    let opts = crate::intake::parse::ParseOptions { max_size: usize::MAX, own_domains: vec![] };
    let parsed = match crate::intake::pipeline::parse_with_time_limit(&raw, &opts, crate::intake::pipeline::PARSE_TIME_LIMIT) {
        Ok(p) => p,
        Err(e) => return Ok(Err(format!("the stored attachments cannot be read: {e}"))),
    };
    let mut parts = parsed.attachments;
    let mut files = Vec::with_capacity(metas.len());
    for m in metas {
        let Some(part) = usize::try_from(m.part_index).ok().and_then(|i| parts.get_mut(i)) else {
            return Ok(Err(format!("attachment {} is missing from its stored record", m.filename)));
        };
        files.push(OutgoingAttachment { filename: m.filename, content_type: m.content_type, bytes: std::mem::take(&mut part.bytes) });
    }
    Ok(Ok(files))
}

/// The outbox worker: drain, then wait for a nudge or a few seconds, until shutdown.
pub async fn run_outbox_worker(
    pool: Pool,
    mailer: Mailer,
    nudge: std::sync::Arc<tokio::sync::Notify>,
    mut shutdown: crate::jobs::Shutdown,
) -> anyhow::Result<crate::jobs::Exit> {
    tracing::info!(to = %mailer.describe(), "outbox worker started");
    loop {
        if let Err(e) = drain_once(&pool, &mailer).await {
            tracing::warn!(error = %e, "outbox: database unavailable; will retry");
        }
        if !shutdown.pause(Duration::from_secs(5), Some(&nudge)).await {
            break;
        }
    }
    tracing::info!("outbox worker stopped");
    Ok(crate::jobs::Exit::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lettre::transport::stub::AsyncStubTransport;
    use mail_parser::MimeHeaders;

    fn stub_mailer(t: &AsyncStubTransport) -> Mailer {
        Mailer {
            backend: Backend::Stub(t.clone()),
            from: "Atención al ciudadano <contacto@anm.gov.co>".parse().unwrap(),
            instance: "test".into(),
        }
    }

    fn row(internal: bool) -> OutboxRow {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap().and_hms_opt(15, 0, 0).unwrap();
        OutboxRow {
            id: 7,
            case_id: Some(1),
            purpose: "acuse".into(),
            internal,
            radicado: Some("20261000000012".into()),
            to_addr: "Ana Pérez <ana@example.com>".into(),
            subject: "Radicado 20261000000012: acuse de recibo".into(),
            body_text: "Recibimos su petición.\n".into(),
            message_id: "r1.abc@pqrs.example".into(),
            in_reply_to: Some("orig1@example.com".into()),
            status: crate::domain::OutboxStatus::Sending,
            attempts: 0,
            next_attempt_at: t,
            last_error: None,
            created_at: t,
            sent_at: None,
            sent_month: None,
            bounce_message_row_id: None,
            claimed_by: None,
        }
    }

    #[tokio::test]
    async fn a_row_is_handed_to_the_transport_with_its_envelope_threading_and_auto_submitted() {
        let t = AsyncStubTransport::new_ok();
        stub_mailer(&t).send(&row(false)).await.unwrap();
        let sent = t.messages().await;
        assert_eq!(sent.len(), 1);
        let (env, text) = &sent[0];
        assert_eq!(env.from().map(|a| a.to_string()).as_deref(), Some("contacto@anm.gov.co"));
        assert_eq!(env.to().iter().map(|a| a.to_string()).collect::<Vec<_>>(), ["ana@example.com"]);
        for h in [
            "Message-ID: <r1.abc@pqrs.example>",
            "In-Reply-To: <orig1@example.com>",
            "References: <orig1@example.com>",
            "Auto-Submitted: auto-replied",
            "Content-Type: text/plain",
        ] {
            assert!(text.contains(h), "missing {h} in:\n{text}");
        }
        // Parsed back, the text and the subject (encoded, it has no non-ASCII here) come through.
        let parsed = mail_parser::MessageParser::default().parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.subject(), Some("Radicado 20261000000012: acuse de recibo"));
        assert_eq!(parsed.body_text(0).as_deref().map(str::trim_end), Some("Recibimos su petición."));
    }

    #[tokio::test]
    async fn internal_mail_is_not_auto_submitted_and_files_go_as_attachments() {
        let t = AsyncStubTransport::new_ok();
        let file = OutgoingAttachment { filename: "oficio.pdf".into(), content_type: "application/pdf".into(), bytes: b"%PDF-1.4 x".to_vec() };
        stub_mailer(&t).send_with(&row(true), &[file]).await.unwrap();
        let (_, text) = t.messages().await.pop().unwrap();
        assert!(!text.contains("Auto-Submitted"), "{text}");
        let parsed = mail_parser::MessageParser::default().parse(text.as_bytes()).unwrap();
        let att = parsed.attachment(0).expect("the file as an attachment");
        assert_eq!(att.attachment_name(), Some("oficio.pdf"));
        assert_eq!(att.contents(), b"%PDF-1.4 x");
        assert_eq!(parsed.body_text(0).as_deref().map(str::trim_end), Some("Recibimos su petición."));
    }

    #[tokio::test]
    async fn a_transport_error_is_transient_and_a_bad_recipient_is_permanent_and_never_sent() {
        let failing = AsyncStubTransport::new_error();
        assert!(matches!(stub_mailer(&failing).send(&row(false)).await, Err(SendError::Transient(_))));
        assert_eq!(failing.messages().await.len(), 1, "the message reached the transport");

        let t = AsyncStubTransport::new_ok();
        let mut bad = row(false);
        bad.to_addr = "no es una dirección".into();
        assert!(matches!(stub_mailer(&t).send(&bad).await, Err(SendError::Permanent(_))));
        let mut bad_file = row(false);
        bad_file.to_addr = "ana@example.com".into();
        let file = OutgoingAttachment { filename: "x.bin".into(), content_type: "not a type".into(), bytes: vec![1] };
        assert!(matches!(stub_mailer(&t).send_with(&bad_file, &[file]).await, Err(SendError::Permanent(_))));
        assert!(t.messages().await.is_empty(), "an unbuildable mail reached the transport");
        assert_eq!(stub_mailer(&t).describe(), "stub");
    }

    #[test]
    fn url_host_handles_userinfo_ports_and_queries() {
        let host = |u: &str| url_host(&url::Url::parse(u).unwrap());
        assert_eq!(host("smtp://u:p@mail.example.com:587?tls=required").as_deref(), Some("mail.example.com"));
        assert_eq!(host("smtps://localhost:12465").as_deref(), Some("localhost"));
        assert_eq!(host("smtp://[::1]:25").as_deref(), Some("::1"));
        assert_eq!(host("smtp://"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), chrono::Duration::minutes(1));
        assert_eq!(backoff(3), chrono::Duration::minutes(8));
        assert_eq!(backoff(50), chrono::Duration::minutes(360));
    }

    #[test]
    fn message_ids_are_unique_and_in_our_domain() {
        let a = new_message_id("pqrs.example");
        let b = new_message_id("pqrs.example");
        assert_ne!(a, b);
        assert!(a.ends_with("@pqrs.example"));
    }
}
