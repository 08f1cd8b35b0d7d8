//! Answers with documents: an answer (`Action::Respond`, decided by `lifecycle::decide`) plus the
//! files it sends and, for a printed answer, the postal address staff give. The files are
//! checked like the Radicador Web's (type by extension and first bytes, size, count) and stored
//! with the answer's communication in the action's transaction (`db::communications`); the
//! outbox sends them as MIME attachments and the oficio lists them.

use chrono::{DateTime, Utc};

use crate::db::communications::OutgoingAttachment;
use crate::db::lifecycle::PlannedMail;
use crate::db::models::CaseRow;
use crate::db::AnyConnection;
use crate::intake::web_form::{safe_filename, sniff, Upload, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES, MAX_TOTAL_BYTES};
use crate::mailer::templates;
use crate::workflow::lifecycle::{decide, Action, ActionError, Context};

/// Check the files of an answer; the first problem, in Spanish, when one is refused.
pub fn validate_attachments(uploads: Vec<Upload>) -> Result<Vec<OutgoingAttachment>, String> {
    let uploads: Vec<Upload> = uploads.into_iter().filter(|u| !(u.filename.is_empty() && u.bytes.is_empty())).collect();
    if uploads.len() > MAX_ATTACHMENTS {
        return Err(format!("Máximo {MAX_ATTACHMENTS} anexos por respuesta."));
    }
    if uploads.iter().map(|u| u.bytes.len()).sum::<usize>() > MAX_TOTAL_BYTES {
        return Err("Los anexos suman más de 20 MB.".into());
    }
    let mut out = Vec::with_capacity(uploads.len());
    for (i, u) in uploads.into_iter().enumerate() {
        let name = safe_filename(&u.filename, i);
        if u.bytes.is_empty() {
            return Err(format!("El archivo «{name}» está vacío."));
        }
        if u.bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(format!("El archivo «{name}» supera 10 MB."));
        }
        let ct = sniff(&name, &u.bytes)?;
        out.push(OutgoingAttachment { filename: name, content_type: ct.to_string(), bytes: u.bytes });
    }
    Ok(out)
}

/// Answer the case `case_id` (within `scope`) with `text`, the checked `attachments` and, for a
/// printed answer, `address`: the lifecycle's own decision for `Action::Respond`, with the files
/// added to its plan, in one transaction. Whatever the channel the answer gets its outgoing
/// radicado and its oficio.
#[allow(clippy::too_many_arguments)]
pub fn respond_with_attachments(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    case_id: i64,
    scope: Option<&str>,
    actor: &str,
    text: &str,
    address: Option<String>,
    attachments: Vec<OutgoingAttachment>,
    now: DateTime<Utc>,
) -> Result<CaseRow, ActionError> {
    let action = Action::Respond { text: text.to_string() };
    crate::db::lifecycle::act(conn, &ctx.mail(), case_id, scope, actor, now, |case| {
        let mut plan = decide(ctx, case, &action, now)?;
        if plan.mail.is_none() {
            // No e-mail address: the same text, printed or published instead of mailed.
            let (subject, body) = templates::respuesta(ctx.entity_name, case, text.trim());
            plan.mail = Some(PlannedMail { purpose: "respuesta", subject, body });
        }
        plan.attachments = attachments;
        plan.address = address.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
        Ok(plan)
    })
    .map_err(ActionError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(name: &str, bytes: &[u8]) -> Upload {
        Upload { filename: name.into(), bytes: bytes.to_vec() }
    }

    #[test]
    fn answer_files_are_checked_like_filings() {
        let ok = validate_attachments(vec![up("../resolución.pdf", b"%PDF-1.4 x"), up("", b"")]).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].filename, "resolución.pdf");
        assert_eq!(ok[0].content_type, "application/pdf");
        assert!(validate_attachments(vec![up("a.pdf", b"MZ not a pdf")]).unwrap_err().contains("no corresponde"));
        assert!(validate_attachments(vec![up("a.exe", b"MZ")]).unwrap_err().contains("no está permitido"));
        let six: Vec<Upload> = (0..6).map(|i| up(&format!("{i}.txt"), b"hola")).collect();
        assert!(validate_attachments(six).unwrap_err().contains("Máximo 5"));
        let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
        assert!(validate_attachments(vec![up("a.txt", &big)]).unwrap_err().contains("supera 10 MB"));
    }
}
