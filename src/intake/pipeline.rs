//! The one intake pipeline every mail door goes through (IMAP, Maildir, `pqrs ingest`,
//! `pqrs import`): parse → dedupe → thread → route → date → file, ending each mail as exactly one
//! of: a new case, a reply attached to a case, an automatic mail (stored, counted, never a case,
//! never acknowledged), a bounce of our own mail (marks that outgoing mail failed), a duplicate
//! (nothing written), or a quarantine record (raw bytes and the reason).
//!
//! [`Intake::process`] is blocking (diesel); async callers run it on the blocking pool.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::parse::{self, InboundMessage, ParseOptions};
use crate::config::Config;
use crate::db::models::{CaseRow, NewMessage, NewOutbox, NewQuarantine};
use crate::db::schema::{cases, messages, outbox, quarantine};
use crate::db::{self, AnyConnection};
use crate::domain::{Channel, PetitionKind};
use crate::mailer::templates::{acknowledgement, AckContext};
use crate::policy::Policy;
use crate::routing::{Decision, RouteInput, RuleSet};
use crate::workflow::filing::{self, AckPolicy, AttachmentInfo, FilingError};
use crate::workflow::{CaseDraft, FilingOutcome};

/// Which door a mail came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Imap,
    Maildir,
    Pipe,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Imap => "imap",
            Source::Maildir => "maildir",
            Source::Pipe => "pipe",
            Source::Import => "import",
        }
    }
}

/// One raw mail as a door hands it over.
#[derive(Debug, Clone, Copy)]
pub struct RawMail<'a> {
    pub bytes: &'a [u8],
    pub source: Source,
    /// Where it came from (file path, `mailbox/uid`), for quarantine records.
    pub source_ref: Option<&'a str>,
    /// What the mailbox recorded as its arrival (IMAP INTERNALDATE, Maildir delivery, mbox From_).
    pub source_time: Option<DateTime<Utc>>,
}

/// How a mail ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Case { radicado: String, department: String, kind: String, acknowledged: bool },
    Reply { radicado: String },
    Automatic { reason: String },
    Bounce { outbox_id: Option<i64> },
    Duplicate,
    Quarantined { reason: String },
}

impl Outcome {
    /// The summary bucket (`pqrs import --json` keys).
    pub fn bucket(&self) -> &'static str {
        match self {
            Outcome::Case { .. } => "cases",
            Outcome::Reply { .. } => "replies",
            Outcome::Automatic { .. } | Outcome::Bounce { .. } => "automatic",
            Outcome::Duplicate => "duplicates",
            Outcome::Quarantined { .. } => "quarantined",
        }
    }
}

/// The intake stage with what it needs: settings, deadline policy, routing rules.
pub struct Intake {
    pub config: Arc<Config>,
    pub policy: Arc<Policy>,
    rules: RwLock<Arc<RuleSet>>,
    parse_opts: ParseOptions,
}

enum Thread {
    Reply { case_id: i64, radicado: String },
    Linked(String),
    None,
}

impl Intake {
    pub fn new(config: Arc<Config>, policy: Arc<Policy>, rules: Arc<RuleSet>) -> Intake {
        let parse_opts = ParseOptions {
            max_size: usize::try_from(config.settings.max_message_bytes).unwrap_or(usize::MAX),
            own_domains: vec![config.settings.message_id_domain.to_ascii_lowercase()],
        };
        Intake { config, policy, rules: RwLock::new(rules), parse_opts }
    }

    /// Load everything from the configuration's rules folder.
    pub fn load(config: Arc<Config>) -> anyhow::Result<Intake> {
        let policy = Arc::new(Policy::load(&config)?);
        let rules = Arc::new(RuleSet::load_dir(&config.settings.rules_dir)?);
        Ok(Intake::new(config, policy, rules))
    }

    pub fn rules(&self) -> Arc<RuleSet> {
        match self.rules.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replace the routing rules (after they loaded and validated).
    pub fn set_rules(&self, rules: Arc<RuleSet>) {
        match self.rules.write() {
            Ok(mut g) => *g = rules,
            Err(p) => *p.into_inner() = rules,
        }
    }

    pub fn parse_options(&self) -> &ParseOptions {
        &self.parse_opts
    }

    /// Route a parsed message (no storage).
    pub fn route(&self, msg: &InboundMessage, channel: Channel) -> Decision {
        let from = msg.from.as_ref().map(|a| match &a.name {
            Some(n) => format!("{n} <{}>", a.email),
            None => a.email.clone(),
        });
        let to: Vec<String> = msg.to.iter().chain(msg.cc.iter()).map(|a| a.email.clone()).collect();
        let names: Vec<String> = msg.attachments.iter().map(|a| a.filename.clone()).collect();
        let rules = self.rules();
        rules.route(&RouteInput {
            subject: &msg.subject,
            body: &msg.body_text,
            from_address: from.as_deref().unwrap_or(""),
            to: &to,
            channel: channel.as_str(),
            attachment_names: &names,
        })
    }

    /// Process one raw mail. `dry_run` decides everything but stores nothing.
    pub fn process(
        &self,
        conn: &mut AnyConnection,
        mail: RawMail<'_>,
        dry_run: bool,
    ) -> Result<Outcome, FilingError> {
        let result = self.process_inner(conn, mail, dry_run);
        if !dry_run {
            let outcome = match &result {
                Ok(o) => o.bucket(),
                Err(_) => "error",
            };
            metrics::counter!("pqrs_mail_in_total", "channel" => "correo_contacto", "source" => mail.source.as_str(), "outcome" => outcome)
                .increment(1);
        }
        result
    }

    fn process_inner(
        &self,
        conn: &mut AnyConnection,
        mail: RawMail<'_>,
        dry_run: bool,
    ) -> Result<Outcome, FilingError> {
        let now = Utc::now();
        let msg = match parse_with_time_limit(mail.bytes, &self.parse_opts, PARSE_TIME_LIMIT) {
            Ok(m) => m,
            Err(reason) => {
                if dry_run {
                    return Ok(Outcome::Quarantined { reason });
                }
                return self.quarantine(conn, mail, &reason, now);
            }
        };
        let received_at = parse::received_at(&msg, mail.source_time, now);
        let new_message = self.message_row(&msg, mail, received_at);

        if dry_run {
            let exists: i64 = messages::table
                .filter(messages::direction.eq("in"))
                .filter(messages::dedupe_key.eq(&new_message.dedupe_key))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                return Ok(Outcome::Duplicate);
            }
        }

        // Automatic mail and bounces of our own mail.
        if let Some(reason) = &msg.automatic {
            if let Some(original) = &msg.bounce_of {
                return self.bounce(conn, &msg, new_message, original, dry_run);
            }
            if dry_run {
                return Ok(Outcome::Automatic { reason: reason.clone() });
            }
            let out = filing::record_message(conn, new_message, "automatic", None, &[], "")?;
            return Ok(match out {
                FilingOutcome::Duplicate { .. } => Outcome::Duplicate,
                _ => Outcome::Automatic { reason: reason.clone() },
            });
        }

        let attachments = attachment_infos(&msg);
        let linked = match self.thread(conn, &msg)? {
            Thread::Reply { case_id, radicado } => {
                if dry_run {
                    return Ok(Outcome::Reply { radicado });
                }
                let out = filing::record_message(
                    conn,
                    new_message,
                    "reply",
                    Some(case_id),
                    &attachments,
                    "respuesta_ciudadano",
                )?;
                if matches!(out, FilingOutcome::Duplicate { .. }) {
                    return Ok(Outcome::Duplicate);
                }
                self.resume_if_suspended(conn, case_id, received_at)?;
                return Ok(Outcome::Reply { radicado });
            }
            Thread::Linked(r) => Some(r),
            Thread::None => None,
        };

        // A new case.
        let decision = self.route(&msg, Channel::CorreoContacto);
        let kind = PetitionKind::parse(&decision.kind).unwrap_or(PetitionKind::PeticionGeneral);
        let dates = self.policy.dates(kind, received_at).map_err(|e| {
            FilingError::Db(db::DbError::Connect(format!("deadline computation failed: {e}")))
        })?;
        if dry_run {
            return Ok(Outcome::Case {
                radicado: String::new(),
                department: decision.department,
                kind: kind.as_str().into(),
                acknowledged: false,
            });
        }
        let citizen = msg.reply_to.as_ref().or(msg.from.as_ref());
        let draft = CaseDraft {
            channel: Channel::CorreoContacto,
            kind,
            department: decision.department.clone(),
            priority: decision.priority.clone(),
            tags: decision.tags.clone(),
            needs_review: decision.needs_review || msg.encoding_problem,
            subject: truncate(&msg.subject, 500),
            citizen_name: msg.from.as_ref().and_then(|a| a.name.clone()).map(|n| truncate(&n, 200)),
            citizen_email: citizen.map(|a| a.email.clone()),
            citizen_doc_type: None,
            citizen_doc_number: None,
            citizen_phone: None,
            citizen_municipality: None,
            received_at,
            effective_date: dates.effective_date,
            term_days: dates.term_days,
            due_date: dates.due_date,
            routing: json!({ "rules": decision.rules, "needs_review": decision.needs_review }),
            entities: serde_json::to_value(&decision.entities).unwrap_or_default(),
            linked_radicado: linked,
            actor: "system".into(),
        };
        let ack_to = citizen.map(|a| a.email.clone());
        let in_reply_to = msg.message_id.clone();
        let settings = &self.config.settings;
        let out = filing::file_new_case(
            conn,
            &self.config.unit,
            new_message,
            draft,
            &attachments,
            AckPolicy { per_sender_per_hour: settings.ack_per_sender_per_hour },
            Box::new(move |case: &CaseRow, n: i64| Some(acknowledgement_row(settings, case, n, ack_to?, in_reply_to))),
        )?;
        Ok(match out {
            FilingOutcome::NewCase { radicado, acknowledged, .. } => Outcome::Case {
                radicado,
                department: decision.department,
                kind: kind.as_str().into(),
                acknowledged,
            },
            FilingOutcome::Duplicate { .. } => Outcome::Duplicate,
            FilingOutcome::Recorded { .. } => Outcome::Duplicate,
        })
    }

    /// Departments known to the rules (codes).
    pub fn department_codes(&self) -> Vec<String> {
        self.rules().departments().iter().map(|d| d.code.clone()).collect()
    }

    /// A citizen's reply to a case waiting for them (requerimiento) restarts its clock.
    fn resume_if_suspended(
        &self,
        conn: &mut AnyConnection,
        case_id: i64,
        received_at: DateTime<Utc>,
    ) -> Result<(), FilingError> {
        let status: String = cases::table.find(case_id).select(cases::status).first(conn)?;
        if status != crate::domain::CaseStatus::Requerimiento.as_str() {
            return Ok(());
        }
        let replied_on = crate::time::bogota_date(received_at);
        let departments = self.department_codes();
        let s = &self.config.settings;
        let ctx = crate::workflow::lifecycle::Context {
            policy: &self.policy,
            unit: &self.config.unit,
            entity_name: &s.entity_name,
            public_base_url: &s.public_base_url,
            message_id_domain: &s.message_id_domain,
            departments: &departments,
        };
        let action = crate::workflow::lifecycle::Action::CitizenReplied { replied_on };
        match crate::workflow::lifecycle::apply(conn, &ctx, case_id, "sistema", action, Utc::now()) {
            Ok(_) => Ok(()),
            Err(crate::workflow::lifecycle::ActionError::Db(e)) => Err(e.into()),
            // The reply is stored and visible; a clock that cannot resume automatically is left
            // for staff (logged), never a reason to lose the mail.
            Err(e) => {
                tracing::warn!(case_id, error = %e, "could not resume the clock after the citizen's reply");
                Ok(())
            }
        }
    }

    fn message_row(&self, msg: &InboundMessage, mail: RawMail<'_>, received_at: DateTime<Utc>) -> NewMessage {
        let to: Vec<&str> = msg.to.iter().chain(msg.cc.iter()).map(|a| a.email.as_str()).collect();
        NewMessage {
            direction: "in".into(),
            channel: Channel::CorreoContacto.as_str().into(),
            source: mail.source.as_str().into(),
            dedupe_key: parse::dedupe_key(msg),
            message_id: msg.message_id.clone(),
            sha256: msg.sha256.clone(),
            disposition: String::new(),
            case_id: None,
            subject: truncate(&msg.subject, 1000),
            from_addr: msg.from.as_ref().map(|a| a.email.clone()),
            from_name: msg.from.as_ref().and_then(|a| a.name.clone()),
            to_addrs: serde_json::to_string(&to).unwrap_or_else(|_| "[]".into()),
            in_reply_to: msg.in_reply_to.first().cloned(),
            references_ids: serde_json::to_string(&msg.references).unwrap_or_else(|_| "[]".into()),
            received_at: received_at.naive_utc(),
            received_month: crate::time::bogota_month(received_at),
            body_text: msg.body_text.clone(),
            body_html: msg.body_html.clone(),
            headers: msg.header_summary.to_string(),
            raw: mail.bytes.to_vec(),
            raw_size: mail.bytes.len() as i64,
            created_at: Utc::now().naive_utc(),
        }
    }

    /// In-Reply-To/References to a message we hold or sent; else a radicado in the subject from
    /// the case's own citizen. A radicado from another sender links the new case to it.
    fn thread(&self, conn: &mut AnyConnection, msg: &InboundMessage) -> QueryResult<Thread> {
        let ids: Vec<&String> = msg.in_reply_to.iter().chain(msg.references.iter()).take(100).collect();
        if !ids.is_empty() {
            let held: Option<i64> = messages::table
                .filter(messages::message_id.eq_any(&ids))
                .filter(messages::case_id.is_not_null())
                .select(messages::case_id.assume_not_null())
                .first(conn)
                .optional()?;
            let sent = match held {
                Some(id) => Some(id),
                None => outbox::table
                    .filter(outbox::message_id.eq_any(&ids))
                    .filter(outbox::case_id.is_not_null())
                    .select(outbox::case_id.assume_not_null())
                    .first(conn)
                    .optional()?,
            };
            if let Some(case_id) = sent {
                let radicado = cases::table.find(case_id).select(cases::radicado).first(conn)?;
                return Ok(Thread::Reply { case_id, radicado });
            }
        }
        let sender = msg.from.as_ref().map(|a| a.email.as_str()).unwrap_or("");
        let mut linked = None;
        for r in parse::find_radicados(&msg.subject) {
            let found: Option<(i64, Option<String>)> = cases::table
                .filter(cases::radicado.eq(&r))
                .select((cases::id, cases::citizen_email))
                .first(conn)
                .optional()?;
            if let Some((case_id, email)) = found {
                if !sender.is_empty() && email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(sender)) {
                    return Ok(Thread::Reply { case_id, radicado: r });
                }
                linked.get_or_insert(r);
            }
        }
        Ok(linked.map(Thread::Linked).unwrap_or(Thread::None))
    }

    fn bounce(
        &self,
        conn: &mut AnyConnection,
        msg: &InboundMessage,
        new_message: NewMessage,
        original: &str,
        dry_run: bool,
    ) -> Result<Outcome, FilingError> {
        let target: Option<(i64, Option<i64>)> = outbox::table
            .filter(outbox::message_id.eq(original))
            .select((outbox::id, outbox::case_id))
            .first(conn)
            .optional()?;
        if dry_run {
            return Ok(Outcome::Bounce { outbox_id: target.map(|t| t.0) });
        }
        let failed = msg
            .header_summary
            .get("dsn_action")
            .and_then(|v| v.as_str())
            .is_none_or(|a| a.eq_ignore_ascii_case("failed"));
        let case_id = target.and_then(|t| t.1);
        let out = filing::record_message(conn, new_message, "bounce", case_id, &[], "rebote_correo")?;
        if matches!(out, FilingOutcome::Duplicate { .. }) {
            return Ok(Outcome::Duplicate);
        }
        if let (Some((outbox_id, _)), true) = (target, failed) {
            db::write_tx(conn, |c| {
                diesel::update(outbox::table.find(outbox_id))
                    .set((
                        outbox::status.eq("failed"),
                        outbox::last_error.eq(format!("rebote: {}", truncate(&msg.subject, 200))),
                    ))
                    .execute(c)
            })?;
        }
        Ok(Outcome::Bounce { outbox_id: target.map(|t| t.0) })
    }

    fn quarantine(
        &self,
        conn: &mut AnyConnection,
        mail: RawMail<'_>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome, FilingError> {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(mail.bytes));
        let row = NewQuarantine {
            source: mail.source.as_str().into(),
            source_ref: mail.source_ref.map(|s| truncate(s, 500)),
            sha256: sha,
            reason: truncate(reason, 1000),
            raw: mail.bytes.to_vec(),
            raw_size: mail.bytes.len() as i64,
            received_at: mail.source_time.unwrap_or(now).naive_utc(),
            created_at: now.naive_utc(),
        };
        let month = crate::time::bogota_month(row.received_at.and_utc());
        let inserted = db::write_tx(conn, |c| {
            let n = crate::with_inner!(&mut *c, |ic| diesel::insert_into(quarantine::table)
                .values(&row)
                .on_conflict(quarantine::sha256)
                .do_nothing()
                .execute(ic))?;
            if n == 1 {
                crate::db::models::bump_monthly(c, &month, "correo_contacto", "in", 1)?;
            }
            Ok::<usize, diesel::result::Error>(n)
        })?;
        tracing::warn!(reason, source = mail.source.as_str(), source_ref = ?mail.source_ref, "mail quarantined");
        Ok(if inserted == 0 { Outcome::Duplicate } else { Outcome::Quarantined { reason: reason.to_string() } })
    }
}

impl Intake {
    /// Process a quarantined mail again. If it now parses, it goes through the pipeline and the
    /// record is marked resolved with the outcome; otherwise its attempt count grows.
    pub fn retry_quarantined(&self, conn: &mut AnyConnection, id: i64) -> Result<Outcome, FilingError> {
        let (raw, source, source_ref, received_at): (Vec<u8>, String, Option<String>, chrono::NaiveDateTime) =
            quarantine::table
                .find(id)
                .filter(quarantine::resolved_at.is_null())
                .select((quarantine::raw, quarantine::source, quarantine::source_ref, quarantine::received_at))
                .first(conn)?;
        let now = Utc::now();
        let outcome = match parse::parse_message(&raw, &self.parse_opts) {
            Err(e) => Outcome::Quarantined { reason: format!("{}: {e}", e.code()) },
            Ok(_) => {
                let source = match source.as_str() {
                    "imap" => Source::Imap,
                    "maildir" => Source::Maildir,
                    "pipe" => Source::Pipe,
                    _ => Source::Import,
                };
                let mail = RawMail {
                    bytes: &raw,
                    source,
                    source_ref: source_ref.as_deref(),
                    source_time: Some(received_at.and_utc()),
                };
                self.process(conn, mail, false)?
            }
        };
        db::write_tx(conn, |c| {
            let q = quarantine::table.find(id);
            match &outcome {
                Outcome::Quarantined { reason } => diesel::update(q)
                    .set((quarantine::attempts.eq(quarantine::attempts + 1), quarantine::reason.eq(truncate(reason, 1000))))
                    .execute(c),
                other => {
                    let n = diesel::update(q.filter(quarantine::resolved_at.is_null()))
                        .set((
                            quarantine::attempts.eq(quarantine::attempts + 1),
                            quarantine::resolved_at.eq(now.naive_utc()),
                            quarantine::resolution.eq(serde_json::to_string(other).unwrap_or_default()),
                        ))
                        .execute(c)?;
                    // The mail now counts through its message row (or, a duplicate, already did).
                    if n == 1 {
                        let month = crate::time::bogota_month(received_at.and_utc());
                        crate::db::models::bump_monthly(c, &month, "correo_contacto", "in", -1)?;
                    }
                    Ok(n)
                }
            }
        })?;
        Ok(outcome)
    }
}

/// The acknowledgement (acuse de recibo) of a new case, as an outbox row for `to`.
pub fn acknowledgement_row(
    settings: &crate::config::Settings,
    case: &CaseRow,
    attachments: i64,
    to: String,
    in_reply_to: Option<String>,
) -> NewOutbox {
    let ctx = AckContext { entity_name: &settings.entity_name, public_base_url: &settings.public_base_url, attachments };
    let (subject, body_text) = acknowledgement(&ctx, case);
    let now = Utc::now().naive_utc();
    NewOutbox {
        case_id: Some(case.id),
        purpose: "acuse".into(),
        internal: false,
        radicado: None,
        to_addr: to,
        subject,
        body_text,
        message_id: crate::mailer::new_message_id(&settings.message_id_domain),
        in_reply_to,
        status: "pending".into(),
        next_attempt_at: now,
        created_at: now,
    }
}

/// How long parsing one mail (of 1 MiB or more) may take before it is quarantined instead
/// (mail-parser is linear, so only a pathological input could come near it; the rest of the
/// mailbox must not wait).
pub const PARSE_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Parse on a helper thread and give up after `limit`. A timed-out parse is left to finish on its
/// own (Rust threads cannot be killed); its result is discarded. Errors are quarantine reasons.
pub fn parse_with_time_limit(raw: &[u8], opts: &ParseOptions, limit: std::time::Duration) -> Result<InboundMessage, String> {
    // mail-parser is linear in the input: a mail under this size parses in milliseconds, so it is
    // parsed here, without the cost of a thread and a copy.
    const INLINE_BELOW: usize = 1024 * 1024;
    if raw.len() < INLINE_BELOW {
        return parse::parse_message(raw, opts).map_err(|e| format!("{}: {e}", e.code()));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let (owned, thread_opts) = (raw.to_vec(), opts.clone());
    let spawned = std::thread::Builder::new().name("pqrs-parse".into()).spawn(move || {
        let _ = tx.send(parse::parse_message(&owned, &thread_opts));
    });
    if spawned.is_err() {
        // No thread to be had: parse here, without the limit, rather than not at all.
        return parse::parse_message(raw, opts).map_err(|e| format!("{}: {e}", e.code()));
    }
    match rx.recv_timeout(limit) {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(format!("{}: {e}", e.code())),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(format!("timeout: parsing took longer than {} s", limit.as_secs())),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err("parser_failure: the parser stopped without a result".into()),
    }
}

fn attachment_infos(msg: &InboundMessage) -> Vec<AttachmentInfo> {
    msg.attachments
        .iter()
        .enumerate()
        .map(|(i, a)| AttachmentInfo {
            part_index: i as i64,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size as i64,
            sha256: a.sha256.clone(),
            kind: serde_json::to_value(a.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "regular".into()),
        })
        .collect()
}

/// At most `max` characters (not bytes), for bounded columns.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_with_a_time_limit_returns_the_message_or_a_quarantine_reason() {
        let limit = std::time::Duration::from_secs(20);
        let ok = parse_with_time_limit(b"Message-ID: <a@b>\r\nSubject: hola\r\n\r\ncuerpo\r\n", &ParseOptions::default(), limit);
        assert_eq!(ok.unwrap().subject, "hola");
        let bad = parse_with_time_limit(b"", &ParseOptions::default(), limit).unwrap_err();
        assert!(bad.starts_with("empty"), "{bad}");
        let opts = ParseOptions { max_size: 10, ..Default::default() };
        let big = parse_with_time_limit(b"Subject: a long mail\r\n\r\nbody", &opts, limit).unwrap_err();
        assert!(big.contains("limit"), "{big}");
    }
}
