//! Filing a validated web (or verbal) petition: route it, compute its term, keep a raw record
//! of what was submitted, and file it with its acknowledgement through the store
//! (`db::intake::file_new_case`). Validation is `crate::intake::web_form`.

use chrono::{DateTime, Utc};
use sha2::Digest;

use crate::db::models::{CaseRow, NewMessage};
use crate::db::AnyConnection;
use crate::domain::{Channel, PetitionKind};
use crate::intake::web_form::{raw_record, ValidFiling, WebFiled};
use crate::routing::RouteInput;
use crate::workflow::filing::{self, AckPolicy, AttachmentInfo, FilingError};
use crate::workflow::intake::Intake;
use crate::workflow::{CaseDraft, FilingOutcome};

impl Intake {
    /// File a validated web filing. With an idempotency key, a repeated request returns the
    /// radicado of the first one instead of filing twice.
    pub fn file_web(
        &self,
        conn: &mut AnyConnection,
        v: ValidFiling,
        idempotency_key: Option<&str>,
        channel: Channel,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WebFiled, FilingError> {
        let settings = &self.config.settings;
        let dedupe_key = match idempotency_key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => format!("idem:{}", hex::encode(sha2::Sha256::digest(k.as_bytes()))),
            None => format!("web:{}", crate::mailer::new_message_id("radicador")),
        };
        if let Some(found) = self.existing_web_filing(conn, &dedupe_key)? {
            return Ok(found);
        }
        let message_id = crate::mailer::new_message_id(&settings.message_id_domain);
        let names: Vec<String> = v.attachments.iter().map(|a| a.0.clone()).collect();
        let from = if v.input.name.is_empty() { v.input.email.clone() } else { format!("{} <{}>", v.input.name, v.input.email) };
        let decision = self.rules().route(&RouteInput {
            subject: &v.input.subject,
            body: &v.input.message,
            from_address: if v.input.email.is_empty() { "" } else { &from },
            to: &[],
            channel: channel.as_str(),
            attachment_names: &names,
        });
        let kind = v.kind.or_else(|| PetitionKind::parse(&decision.kind)).unwrap_or(PetitionKind::PeticionGeneral);
        let raw = raw_record(&v, &message_id, now, v.kind.map(|k| k.label()).unwrap_or("(no indicado)"))
            .map_err(|e| FilingError::Permanent(format!("building the record: {e}")))?;
        let dates = self.policy.dates(kind, now).map_err(|e| FilingError::Permanent(format!("deadline: {e}")))?;
        let sha = hex::encode(sha2::Sha256::digest(&raw));
        let i = &v.input;
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let msg = NewMessage {
            direction: "in".into(),
            channel: channel.as_str().into(),
            source: if matches!(channel, Channel::RadicadorWeb | Channel::TeLlamamos) { "web".into() } else { "staff".into() },
            dedupe_key,
            message_id: Some(message_id),
            sha256: sha,
            disposition: String::new(),
            case_id: None,
            subject: i.subject.clone(),
            from_addr: opt(&i.email),
            from_name: opt(&i.name),
            to_addrs: "[]".into(),
            in_reply_to: None,
            references_ids: "[]".into(),
            received_at: now.naive_utc(),
            received_month: crate::time::bogota_month(now),
            body_text: i.message.clone(),
            body_html: None,
            headers: serde_json::json!({ "channel": channel.as_str(), "document_type": i.document_type }).to_string(),
            raw_size: raw.len() as i64,
            raw,
            created_at: now.naive_utc(),
            reused_message_id: false,
        };
        let attachments: Vec<AttachmentInfo> = v
            .attachments
            .iter()
            .enumerate()
            .map(|(n, (name, ct, bytes))| AttachmentInfo {
                part_index: n as i64,
                filename: name.clone(),
                content_type: (*ct).to_string(),
                size: bytes.len() as i64,
                sha256: hex::encode(sha2::Sha256::digest(bytes)),
                kind: "regular".into(),
            })
            .collect();
        let draft = CaseDraft {
            channel,
            kind,
            department: decision.department.clone(),
            priority: decision.priority.clone(),
            tags: decision.tags.clone(),
            // A callback always goes to triage: staff call back and answer or reclassify it.
            needs_review: decision.needs_review || channel == Channel::TeLlamamos,
            subject: i.subject.clone(),
            citizen_name: opt(&i.name),
            citizen_email: opt(&i.email),
            citizen_doc_type: opt(&i.document_type),
            citizen_doc_number: opt(&i.document_number),
            citizen_phone: opt(&i.phone),
            citizen_municipality: opt(&i.municipality),
            received_at: now,
            effective_date: dates.effective_date,
            term_days: dates.term_days,
            due_date: dates.due_date,
            extension_limit: dates.extension_limit,
            routing: serde_json::json!({
                "rules": decision.rules, "needs_review": decision.needs_review, "kind_from_citizen": v.kind.is_some(),
                "confidence": decision.confidence, "kind_confidence": decision.kind_confidence, "candidates": decision.candidates,
                "model_words": decision.model_words,
            }),
            entities: serde_json::to_value(&decision.entities).unwrap_or_default(),
            linked_radicado: None,
            actor: actor.to_string(),
            requester: Some(crate::intake::requester::RequesterDetails::of(i)),
            demographics: Some(crate::intake::requester::Demographics::of(i)),
            folded_body: None,
        };
        let ack_to = opt(&i.email);
        let out = filing::file_new_case(
            conn,
            &self.config.unit,
            msg.clone(),
            draft,
            &attachments,
            AckPolicy {
                per_sender_per_hour: settings.ack_per_sender_per_hour,
                entity_name: &settings.entity_name,
                public_base_url: &settings.public_base_url,
            },
            Box::new(move |case: &CaseRow, n: i64| Some(crate::workflow::intake::acknowledgement_row(settings, case, n, ack_to?, None))),
        )?;
        metrics::counter!("pqrs_mail_in_total", "channel" => channel.as_str(), "source" => "web", "outcome" => "cases").increment(1);
        match out {
            FilingOutcome::NewCase { radicado, .. } => Ok(WebFiled { radicado, received_at: now, due_date: dates.due_date, repeated: false }),
            _ => self
                .existing_web_filing(conn, &msg.dedupe_key)?
                .ok_or_else(|| FilingError::Permanent("the filing was reported stored but cannot be found".into())),
        }
    }

    fn existing_web_filing(&self, conn: &mut AnyConnection, dedupe_key: &str) -> Result<Option<WebFiled>, FilingError> {
        let found = crate::db::intake::web_filing(conn, dedupe_key)?;
        Ok(found.map(|(radicado, at, due)| WebFiled { radicado, received_at: at.and_utc(), due_date: due, repeated: true }))
    }
}

