//! The one intake workflow every mail door goes through (IMAP, Maildir, `pqrs ingest`,
//! `pqrs import`): parse → dedupe → thread → route → date → file, ending each mail as exactly one
//! of: a new case, a reply attached to a case, an automatic mail (stored, counted, never a case,
//! never acknowledged), a bounce of our own mail (marks that outgoing mail failed), a duplicate
//! (nothing written), or a quarantine record (raw bytes and the reason).
//!
//! [`Intake::process`] is blocking (diesel); async callers run it on the blocking pool. The doors
//! (`crate::intake`) only read mail and hand over [`RawMail`]; this module combines parsing,
//! routing, the deadline policy, the store (`db::intake`) and the acknowledgement.

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::intake::door::no_nul;
pub use crate::intake::door::{clean, parse_with_time_limit, truncate, RawMail, Source, PARSE_TIME_LIMIT};
use crate::intake::parse::{self, InboundMessage, ParseOptions};
use crate::config::Config;
use crate::db::models::{CaseRow, NewMessage, NewOutbox, NewQuarantine};
use crate::db::{self, AnyConnection};
use crate::domain::{Channel, PetitionKind};
use crate::mailer::templates::{acknowledgement, AckContext};
use crate::policy::Policy;
use crate::routing::{Decision, RouteInput, RuleSet};
use crate::workflow::filing::{self, AckPolicy, AttachmentInfo, FilingError};
use crate::workflow::{CaseDraft, FilingOutcome};

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

/// How a mail ended, with what the import summary counts besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub outcome: Outcome,
    /// Stored although another stored mail has its Message-ID with other content.
    pub reused_message_id: bool,
}

/// The intake stage with what it needs: settings, deadline policy, routing rules.
pub struct Intake {
    pub config: Arc<Config>,
    /// The calendar and terms in force (replaced on reload).
    pub policy: Arc<crate::policy::LivePolicy>,
    /// Read on every mail, replaced on SIGHUP: a lock-free swap, so routing never waits for a
    /// reload and a reload never waits for routing.
    rules: ArcSwap<RuleSet>,
    parse_opts: ParseOptions,
}

/// A mail parsed and routed ahead of its store step ([`Intake::prepare`]).
pub struct Prepared {
    parsed: Result<InboundMessage, String>,
    decision: Option<Decision>,
    /// The start of the body folded for the case's search text (with `decision`).
    folded_body: Option<String>,
}

impl Prepared {
    /// A mail that could not be prepared (the preparing code failed): it goes to quarantine
    /// with `reason`.
    pub fn failed(reason: String) -> Prepared {
        Prepared { parsed: Err(reason), decision: None, folded_body: None }
    }
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
        let policy = Arc::new(crate::policy::LivePolicy::new(Arc::unwrap_or_clone(policy)));
        Intake { config, policy, rules: ArcSwap::new(rules), parse_opts }
    }

    /// Load everything from the configuration's rules folder.
    pub fn load(config: Arc<Config>) -> anyhow::Result<Intake> {
        let policy = Arc::new(Policy::load(&config)?);
        let rules = Arc::new(RuleSet::load_dir(&config.settings.rules_dir)?);
        Ok(Intake::new(config, policy, rules))
    }

    /// What lifecycle actions need from this intake's settings, with `departments` (usually
    /// [`Intake::department_codes`]) as the known department codes.
    pub fn lifecycle_context<'a>(&'a self, departments: &'a [String]) -> crate::workflow::lifecycle::Context<'a> {
        let s = &self.config.settings;
        crate::workflow::lifecycle::Context {
            policy: &self.policy,
            unit: &self.config.unit,
            entity_name: &s.entity_name,
            public_base_url: &s.public_base_url,
            message_id_domain: &s.message_id_domain,
            departments,
            survey_interval_days: s.survey_interval_days,
        }
    }

    /// The routing rules in force now (a reload after this call does not change the ones returned).
    pub fn rules(&self) -> Arc<RuleSet> {
        self.rules.load_full()
    }

    /// Replace the routing rules (after they loaded and validated).
    pub fn set_rules(&self, rules: Arc<RuleSet>) {
        self.rules.store(rules);
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
    pub fn process(&self, conn: &mut AnyConnection, mail: RawMail<'_>, dry_run: bool) -> Result<Outcome, FilingError> {
        self.process_detailed(conn, mail, dry_run.then(DryRun::default).as_mut()).map(|p| p.outcome)
    }

    /// [`Self::process`] with the details a summary counts. `dry_run`, when given, decides
    /// without storing and remembers what it saw, so a batch's own duplicates are found too.
    ///
    /// A mail that fails permanently (bad data for this message, not a store that is down) is
    /// put in quarantine with the reason, so the mails behind it go on; only a temporary failure
    /// is returned as an error (retry later, nothing marked on the mail server).
    pub fn process_detailed(
        &self,
        conn: &mut AnyConnection,
        mail: RawMail<'_>,
        dry_run: Option<&mut DryRun>,
    ) -> Result<Processed, FilingError> {
        let prepared = self.prepare(mail.bytes);
        self.process_prepared(conn, mail, prepared, dry_run)
    }

    /// What can be decided about a mail without the store: its parse (under the time limit) and,
    /// unless it is automatic mail, its routing. Pure and `Sync`: a bulk import prepares the next
    /// mails on another thread while this one writes (see `intake::import`).
    pub fn prepare(&self, bytes: &[u8]) -> Prepared {
        let parsed = parse_with_time_limit(bytes, &self.parse_opts, PARSE_TIME_LIMIT);
        let (decision, folded_body) = match &parsed {
            Ok(m) if m.automatic.is_none() => {
                (Some(self.route(m, Channel::CorreoContacto)), Some(filing::fold_body(&m.body_text)))
            }
            _ => (None, None),
        };
        Prepared { parsed, decision, folded_body }
    }

    /// [`Self::process_detailed`] of a mail already [prepared](Self::prepare) from `mail.bytes`.
    pub fn process_prepared(
        &self,
        conn: &mut AnyConnection,
        mail: RawMail<'_>,
        prepared: Prepared,
        mut dry_run: Option<&mut DryRun>,
    ) -> Result<Processed, FilingError> {
        let dry = dry_run.is_some();
        let result = match db::guarded(conn, |c| self.process_inner(c, mail, prepared, dry_run.as_deref_mut())) {
            Err(e) if !e.is_temporary() && !dry => {
                tracing::error!(error = %e, source = mail.source.as_str(), source_ref = ?mail.source_ref, "mail could not be filed; quarantined");
                let reason = format!("store_rejected: {e}");
                self.quarantine(conn, mail, &reason, Utc::now()).map(|outcome| Processed { outcome, reused_message_id: false })
            }
            other => other,
        };
        if !dry {
            let outcome = match &result {
                Ok(p) => p.outcome.bucket(),
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
        prepared: Prepared,
        dry_run: Option<&mut DryRun>,
    ) -> Result<Processed, FilingError> {
        let now = Utc::now();
        let done = |outcome: Outcome| Ok(Processed { outcome, reused_message_id: false });
        let Prepared { parsed, decision, folded_body } = prepared;
        let msg = match parsed {
            Ok(m) => m,
            Err(reason) => {
                if dry_run.is_some() {
                    return done(Outcome::Quarantined { reason });
                }
                return done(self.quarantine(conn, mail, &reason, now)?);
            }
        };
        let received_at = parse::received_at(&msg, mail.source_time, now);
        let new_message = self.message_row(&msg, mail, received_at);

        let mut reused = false;
        if let Some(seen) = dry_run {
            if !seen.keys.insert(new_message.dedupe_key.clone()) || db::intake::is_stored(conn, &new_message.dedupe_key)? {
                return done(Outcome::Duplicate);
            }
            if let Some(mid) = &msg.message_id {
                reused = !seen.message_ids.insert(mid.clone()) || db::intake::message_id_stored(conn, mid)?;
            }
            // A reply to a mail earlier in this batch threads to the case it would have opened.
            let in_batch = msg.automatic.is_none()
                && msg.in_reply_to.iter().chain(msg.references.iter()).any(|id| seen.filed_ids.contains(id));
            let outcome = if in_batch {
                Outcome::Reply { radicado: String::new() }
            } else {
                self.decide_only(conn, &msg, received_at, decision)?
            };
            if let (Some(mid), Outcome::Case { .. } | Outcome::Reply { .. }) = (&msg.message_id, &outcome) {
                seen.filed_ids.insert(mid.clone());
            }
            return Ok(Processed { outcome, reused_message_id: reused });
        }

        // Automatic mail and bounces of our own mail.
        if let Some(reason) = &msg.automatic {
            if let Some(original) = &msg.bounce_of {
                return self.bounce(conn, &msg, new_message, original);
            }
            let out = filing::record_message(conn, new_message, "automatic", None, &[], "")?;
            return Ok(match out {
                FilingOutcome::Duplicate { .. } => Processed { outcome: Outcome::Duplicate, reused_message_id: false },
                FilingOutcome::Recorded { reused_message_id, .. } | FilingOutcome::NewCase { reused_message_id, .. } => {
                    Processed { outcome: Outcome::Automatic { reason: reason.clone() }, reused_message_id }
                }
            });
        }

        let attachments = attachment_infos(&msg);
        let linked = match self.thread(conn, &msg)? {
            Thread::Reply { case_id, radicado } => {
                let out = self.attach_reply(conn, new_message, case_id, &attachments, received_at)?;
                return Ok(match out {
                    FilingOutcome::Duplicate { .. } => Processed { outcome: Outcome::Duplicate, reused_message_id: false },
                    FilingOutcome::Recorded { reused_message_id, .. } | FilingOutcome::NewCase { reused_message_id, .. } => {
                        Processed { outcome: Outcome::Reply { radicado }, reused_message_id }
                    }
                });
            }
            Thread::Linked(r) => Some(r),
            Thread::None => None,
        };

        // A new case.
        let decision = decision.unwrap_or_else(|| self.route(&msg, Channel::CorreoContacto));
        let kind = PetitionKind::parse(&decision.kind).unwrap_or(PetitionKind::PeticionGeneral);
        let dates = self
            .policy
            .dates(kind, received_at)
            .map_err(|e| FilingError::Permanent(format!("deadline computation failed: {e}")))?;
        let citizen = msg.reply_to.as_ref().or(msg.from.as_ref());
        let draft = CaseDraft {
            channel: Channel::CorreoContacto,
            kind,
            department: decision.department.clone(),
            priority: decision.priority.clone(),
            tags: decision.tags.clone(),
            needs_review: decision.needs_review || msg.encoding_problem,
            subject: clean(&msg.subject, 500),
            citizen_name: msg.from.as_ref().and_then(|a| a.name.as_deref()).map(|n| clean(n, 200)),
            citizen_email: citizen.map(|a| clean(&a.email, 320)),
            citizen_doc_type: None,
            citizen_doc_number: None,
            citizen_phone: None,
            citizen_municipality: None,
            received_at,
            effective_date: dates.effective_date,
            term_days: dates.term_days,
            due_date: dates.due_date,
            extension_limit: dates.extension_limit,
            routing: json!({
                "rules": decision.rules, "needs_review": decision.needs_review, "confidence": decision.confidence,
                "kind_confidence": decision.kind_confidence, "candidates": decision.candidates, "model_words": decision.model_words,
            }),
            entities: serde_json::to_value(&decision.entities).unwrap_or_default(),
            linked_radicado: linked,
            actor: "system".into(),
            requester: None,
            demographics: None,
            folded_body,
        };
        let ack_to = citizen.map(|a| clean(&a.email, 320));
        let in_reply_to = new_message.message_id.clone();
        let settings = &self.config.settings;
        // An import's commits may not be durable yet (`db::bulk_session`): a crash of the
        // database server can lose its last moment of filings, radicados included, and a later
        // filing would get the same number again. Its acknowledgements are therefore due a
        // little later, so that a `pqrs serve` running meanwhile never sends a radicado that is
        // not durable yet.
        let hold = (mail.source == Source::Import && db::bulk_commits_may_be_lost(conn)).then_some(IMPORT_ACK_HOLD);
        let out = filing::file_new_case(
            conn,
            &self.config.unit,
            new_message,
            draft,
            &attachments,
            AckPolicy {
                per_sender_per_hour: settings.ack_per_sender_per_hour,
                entity_name: &settings.entity_name,
                public_base_url: &settings.public_base_url,
            },
            Box::new(move |case: &CaseRow, n: i64| {
                let mut ack = acknowledgement_row(settings, case, n, ack_to?, in_reply_to);
                if let Some(hold) = hold {
                    ack.next_attempt_at += hold;
                }
                Some(ack)
            }),
        )?;
        Ok(match out {
            FilingOutcome::NewCase { radicado, acknowledged, reused_message_id, .. } => Processed {
                outcome: Outcome::Case { radicado, department: decision.department, kind: kind.as_str().into(), acknowledged },
                reused_message_id,
            },
            FilingOutcome::Duplicate { .. } | FilingOutcome::Recorded { .. } => {
                Processed { outcome: Outcome::Duplicate, reused_message_id: false }
            }
        })
    }

    /// What a dry run predicts for a mail that is not a duplicate.
    fn decide_only(
        &self,
        conn: &mut AnyConnection,
        msg: &InboundMessage,
        received_at: DateTime<Utc>,
        decision: Option<Decision>,
    ) -> Result<Outcome, FilingError> {
        if let Some(reason) = &msg.automatic {
            if let Some(original) = &msg.bounce_of {
                let target = db::intake::outbox_by_message_id(conn, original)?;
                return Ok(Outcome::Bounce { outbox_id: target.map(|t| t.0) });
            }
            return Ok(Outcome::Automatic { reason: reason.clone() });
        }
        if let Thread::Reply { radicado, .. } = self.thread(conn, msg)? {
            return Ok(Outcome::Reply { radicado });
        }
        let decision = decision.unwrap_or_else(|| self.route(msg, Channel::CorreoContacto));
        let kind = PetitionKind::parse(&decision.kind).unwrap_or(PetitionKind::PeticionGeneral);
        if let Err(e) = self.policy.dates(kind, received_at) {
            return Ok(Outcome::Quarantined { reason: format!("store_rejected: deadline computation failed: {e}") });
        }
        Ok(Outcome::Case { radicado: String::new(), department: decision.department, kind: kind.as_str().into(), acknowledged: false })
    }

    /// Departments known to the rules (codes).
    pub fn department_codes(&self) -> Vec<String> {
        self.rules().departments().iter().map(|d| d.code.clone()).collect()
    }

    /// Attach a citizen's reply; a case waiting for them (requerimiento) restarts its clock in the
    /// same transaction.
    fn attach_reply(
        &self,
        conn: &mut AnyConnection,
        new_message: NewMessage,
        case_id: i64,
        attachments: &[AttachmentInfo],
        received_at: DateTime<Utc>,
    ) -> Result<FilingOutcome, FilingError> {
        let replied_on = crate::time::bogota_date(received_at);
        let departments = self.department_codes();
        let ctx = self.lifecycle_context(&departments);
        let resume = Box::new(|case: &CaseRow| {
            if case.status != crate::domain::CaseStatus::Requerimiento.as_str() {
                return None;
            }
            let action = crate::workflow::lifecycle::Action::CitizenReplied { replied_on };
            match crate::workflow::lifecycle::decide(&ctx, case, &action, Utc::now()) {
                Ok(plan) => Some(plan),
                // The reply is stored and visible; a clock that cannot resume automatically is
                // left for staff (logged), never a reason to lose the mail.
                Err(e) => {
                    tracing::warn!(case_id = case.id, error = %e, "could not resume the clock after the citizen's reply");
                    None
                }
            }
        });
        filing::attach_reply(conn, new_message, case_id, attachments, "sistema", resume, &ctx.mail())
    }

    fn message_row(&self, msg: &InboundMessage, mail: RawMail<'_>, received_at: DateTime<Utc>) -> NewMessage {
        let to: Vec<String> = msg.to.iter().chain(msg.cc.iter()).map(|a| clean(&a.email, 320)).collect();
        NewMessage {
            direction: "in".into(),
            channel: Channel::CorreoContacto.as_str().into(),
            source: mail.source.as_str().into(),
            dedupe_key: clean(&parse::dedupe_key(msg), 2000),
            message_id: msg.message_id.as_deref().map(|m| clean(m, 1000)),
            sha256: msg.sha256.clone(),
            disposition: String::new(),
            case_id: None,
            subject: clean(&msg.subject, 1000),
            from_addr: msg.from.as_ref().map(|a| clean(&a.email, 320)),
            from_name: msg.from.as_ref().and_then(|a| a.name.as_deref()).map(|n| clean(n, 500)),
            to_addrs: serde_json::to_string(&to).unwrap_or_else(|_| "[]".into()),
            in_reply_to: msg.in_reply_to.first().map(|m| clean(m, 1000)),
            references_ids: serde_json::to_string(&msg.references).unwrap_or_else(|_| "[]".into()).replace("\\u0000", ""),
            received_at: received_at.naive_utc(),
            received_month: crate::time::bogota_month(received_at),
            body_text: no_nul(&msg.body_text),
            body_html: msg.body_html.as_deref().map(no_nul),
            headers: msg.header_summary.to_json().to_string().replace("\\u0000", ""),
            raw: mail.bytes.to_vec(),
            raw_size: mail.bytes.len() as i64,
            created_at: Utc::now().naive_utc(),
            reused_message_id: false,
        }
    }

    /// In-Reply-To/References to a message we hold or sent; else a radicado in the subject from
    /// the case's own citizen. A radicado from another sender links the new case to it.
    fn thread(&self, conn: &mut AnyConnection, msg: &InboundMessage) -> Result<Thread, FilingError> {
        let ids: Vec<&String> = msg.in_reply_to.iter().chain(msg.references.iter()).take(100).collect();
        if let Some((case_id, radicado)) = db::intake::case_by_thread_ids(conn, &ids)? {
            return Ok(Thread::Reply { case_id, radicado });
        }
        let sender = msg.from.as_ref().map(|a| a.email.as_str()).unwrap_or("");
        let mut linked = None;
        for r in parse::find_radicados(&msg.subject) {
            if let Some((case_id, email)) = db::intake::case_citizen(conn, &r)? {
                if !sender.is_empty() && email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(sender)) {
                    return Ok(Thread::Reply { case_id, radicado: r });
                }
                linked.get_or_insert(r);
            }
        }
        Ok(linked.map(Thread::Linked).unwrap_or(Thread::None))
    }

    fn bounce(&self, conn: &mut AnyConnection, msg: &InboundMessage, new_message: NewMessage, original: &str) -> Result<Processed, FilingError> {
        let target = db::intake::outbox_by_message_id(conn, original)?;
        let failed = msg.header_summary.dsn_action.as_deref().is_none_or(|a| a.eq_ignore_ascii_case("failed"));
        let error = match msg.header_summary.dsn_status.as_deref() {
            Some(status) => format!("rebote (estado {}): {}", clean(status, 20), clean(&msg.subject, 200)),
            None => format!("rebote: {}", clean(&msg.subject, 200)),
        };
        let out = filing::record_bounce(conn, new_message, target.map(|t| t.0), target.and_then(|t| t.1), failed, &error)?;
        Ok(match out {
            FilingOutcome::Duplicate { .. } => Processed { outcome: Outcome::Duplicate, reused_message_id: false },
            FilingOutcome::Recorded { reused_message_id, .. } | FilingOutcome::NewCase { reused_message_id, .. } => {
                Processed { outcome: Outcome::Bounce { outbox_id: target.map(|t| t.0) }, reused_message_id }
            }
        })
    }

    fn quarantine(&self, conn: &mut AnyConnection, mail: RawMail<'_>, reason: &str, now: DateTime<Utc>) -> Result<Outcome, FilingError> {
        use sha2::Digest;
        let row = NewQuarantine {
            source: mail.source.as_str().into(),
            source_ref: mail.source_ref.map(|s| clean(s, 500)),
            sha256: hex::encode(sha2::Sha256::digest(mail.bytes)),
            reason: clean(reason, 1000),
            raw: mail.bytes.to_vec(),
            raw_size: mail.bytes.len() as i64,
            received_at: mail.source_time.unwrap_or(now).naive_utc(),
            created_at: now.naive_utc(),
        };
        let inserted = db::intake::quarantine(conn, &row)?;
        tracing::warn!(reason, source = mail.source.as_str(), source_ref = ?mail.source_ref, "mail quarantined");
        Ok(if inserted { Outcome::Quarantined { reason: reason.to_string() } } else { Outcome::Duplicate })
    }
}

/// What a dry run has seen so far (dedupe keys and Message-IDs of the batch).
#[derive(Debug, Default)]
pub struct DryRun {
    keys: std::collections::HashSet<String>,
    message_ids: std::collections::HashSet<String>,
    /// Message-IDs of the batch's mails that would be filed on a case (threading targets).
    filed_ids: std::collections::HashSet<String>,
}

impl Intake {
    /// Process a quarantined mail again. If it now parses, it goes through the pipeline and the
    /// record is marked resolved with the outcome; otherwise its attempt count grows.
    pub fn retry_quarantined(&self, conn: &mut AnyConnection, id: i64) -> Result<Outcome, FilingError> {
        let (raw, source, source_ref, received_at) = db::intake::quarantined(conn, id)?;
        let outcome = match parse::parse_message(&raw, &self.parse_opts) {
            Err(e) => Outcome::Quarantined { reason: format!("{}: {e}", e.code()) },
            Ok(_) => {
                let source = match source.as_str() {
                    "imap" => Source::Imap,
                    "maildir" => Source::Maildir,
                    "pipe" => Source::Pipe,
                    _ => Source::Import,
                };
                let mail = RawMail { bytes: &raw, source, source_ref: source_ref.as_deref(), source_time: Some(received_at.and_utc()) };
                // A permanent failure is reported, not quarantined again (it is in quarantine).
                match self.process_inner(conn, mail, self.prepare(&raw), None) {
                    Ok(p) => p.outcome,
                    Err(e) if !e.is_temporary() => Outcome::Quarantined { reason: format!("store_rejected: {e}") },
                    Err(e) => return Err(e),
                }
            }
        };
        let still = match &outcome {
            Outcome::Quarantined { reason } => Some(clean(reason, 1000)),
            _ => None,
        };
        let resolution = serde_json::to_string(&outcome).unwrap_or_default();
        db::intake::finish_retry(conn, id, received_at, still.as_deref(), &resolution, Utc::now().naive_utc())?;
        Ok(outcome)
    }
}

/// How much later than its filing an acknowledgement of `pqrs import` on PostgreSQL is due: well
/// beyond the flush of an asynchronous commit (at most three `wal_writer_delay`s, 0.6 s by
/// default).
pub const IMPORT_ACK_HOLD: chrono::Duration = chrono::Duration::seconds(10);

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
        status: crate::domain::OutboxStatus::Pending,
        next_attempt_at: now,
        created_at: now,
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

