//! The store side of habeas data (Ley 1581 de 2012): what is held about one person (the
//! export), and the erasure of a case's personal data once its retention period is over
//! (`crate::habeas`). Rectification is a lifecycle action (`workflow::lifecycle::Action::Rectify`).
//!
//! Erasure keeps every row: the reports count rows (messages by month, channel and direction;
//! outbox rows by status and month; cases by kind, department, channel, dates and outcome; events
//! by type), so they give the same figures after it. Only the contents that identify or describe
//! the person are replaced (text by [`ERASED`], raw mail by zero bytes); `updated_at` is not
//! touched, because the Ley 1712 figures and the informe read it for old cases.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{CaseEvent, CaseRow};
use super::schema::{attachments, case_events, cases, combined_ack_members, communications, messages, outbox, quarantine};
use super::AnyConnection;

/// What erased text reads.
pub const ERASED: &str = "[suprimido]";

/// The event type of an erasure (one per case; the retention run skips cases that have it).
pub const ERASED_EVENT: &str = "datos_suprimidos";

/// Lower-cased, trimmed e-mail address.
pub fn norm_email(s: &str) -> String {
    s.trim().trim_matches(['<', '>']).to_lowercase()
}

/// The digits and letters of a document number (`1.020.304` and `1020304` are the same).
pub fn norm_document(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
}

/// The cases whose citizen is the titular: the e-mail address matched case-insensitively, or the
/// document number (when given) ignoring dots and spaces. Oldest first.
pub fn titular_cases(conn: &mut AnyConnection, email: &str, document: Option<&str>) -> QueryResult<Vec<CaseRow>> {
    let email = norm_email(email);
    let document = document.map(norm_document).filter(|d| !d.is_empty());
    let keys: Vec<(i64, Option<String>, Option<String>)> =
        cases::table.select((cases::id, cases::citizen_email, cases::citizen_doc_number)).order(cases::id).load(conn)?;
    let ids: Vec<i64> = keys
        .into_iter()
        .filter(|(_, e, d)| {
            let by_mail = !email.is_empty() && e.as_deref().is_some_and(|e| norm_email(e) == email);
            let by_doc = document.as_ref().is_some_and(|doc| d.as_deref().is_some_and(|d| norm_document(d) == *doc));
            by_mail || by_doc
        })
        .map(|(id, _, _)| id)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(CaseRow::by_id(conn, id)?);
    }
    Ok(out)
}

/// A stored mail as the export writes it.
#[derive(Debug, Clone, Queryable)]
pub struct HeldMessage {
    pub id: i64,
    pub direction: String,
    pub disposition: String,
    pub case_id: Option<i64>,
    pub subject: String,
    pub from_addr: Option<String>,
    pub received_at: NaiveDateTime,
    pub sha256: String,
    pub raw: Vec<u8>,
}

type MessageCols = (
    messages::id,
    messages::direction,
    messages::disposition,
    messages::case_id,
    messages::subject,
    messages::from_addr,
    messages::received_at,
    messages::sha256,
    messages::raw,
);
const MESSAGE_COLS: MessageCols = (
    messages::id,
    messages::direction,
    messages::disposition,
    messages::case_id,
    messages::subject,
    messages::from_addr,
    messages::received_at,
    messages::sha256,
    messages::raw,
);

pub fn case_messages(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<HeldMessage>> {
    messages::table.filter(messages::case_id.eq(case_id)).order(messages::id).select(MESSAGE_COLS).load(conn)
}

/// Mails from `email` (case-insensitive) that are on no case: automatic mail, duplicates, mail
/// kept without a case.
pub fn loose_messages_from(conn: &mut AnyConnection, email: &str) -> QueryResult<Vec<HeldMessage>> {
    let email = norm_email(email);
    let keys: Vec<(i64, Option<String>)> =
        messages::table.filter(messages::case_id.is_null()).select((messages::id, messages::from_addr)).order(messages::id).load(conn)?;
    let ids: Vec<i64> = keys.into_iter().filter(|(_, f)| f.as_deref().is_some_and(|f| norm_email(f) == email)).map(|(id, _)| id).collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(200) {
        out.extend(messages::table.filter(messages::id.eq_any(chunk)).order(messages::id).select(MESSAGE_COLS).load::<HeldMessage>(conn)?);
    }
    Ok(out)
}

/// Quarantined mails whose raw bytes contain `email` (case-insensitive): (id, received_at,
/// reason, sha256, raw). Quarantine holds mail that could not be parsed, so the bytes are searched.
pub fn quarantined_mentioning(conn: &mut AnyConnection, email: &str) -> QueryResult<Vec<(i64, NaiveDateTime, String, String, Vec<u8>)>> {
    let needle = norm_email(email).into_bytes();
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = quarantine::table.select(quarantine::id).order(quarantine::id).load(conn)?;
    let mut out = Vec::new();
    for id in ids {
        let row: (i64, NaiveDateTime, String, String, Vec<u8>) = quarantine::table
            .find(id)
            .select((quarantine::id, quarantine::received_at, quarantine::reason, quarantine::sha256, quarantine::raw))
            .first(conn)?;
        let lower = row.4.to_ascii_lowercase();
        if lower.windows(needle.len()).any(|w| w == needle.as_slice()) {
            out.push(row);
        }
    }
    Ok(out)
}

/// Attachments of a case: (id, message row, part index, filename, content type, size, sha256).
pub fn case_attachments(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<(i64, i64, i64, String, String, i64, String)>> {
    attachments::table
        .filter(attachments::case_id.eq(case_id))
        .order(attachments::id)
        .select((attachments::id, attachments::message_row_id, attachments::part_index, attachments::filename,
            attachments::content_type, attachments::size, attachments::sha256))
        .load(conn)
}

pub fn case_events(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<CaseEvent>> {
    super::cases::events(conn, case_id)
}

/// A communication of a case (oficio) as exported.
#[derive(Debug, Clone, Queryable)]
pub struct HeldCommunication {
    pub id: i64,
    pub radicado: String,
    pub purpose: String,
    pub channel: String,
    pub addressee_name: String,
    pub addressee_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub outbox_id: Option<i64>,
}

pub fn case_communications(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<HeldCommunication>> {
    communications::table
        .filter(communications::case_id.eq(case_id))
        .order(communications::id)
        .select((communications::id, communications::radicado, communications::purpose, communications::channel,
            communications::addressee_name, communications::addressee_address, communications::subject, communications::body,
            communications::created_at, communications::outbox_id))
        .load(conn)
}

/// A mail of the outbox to the case's citizen (not staff alerts): (id, purpose, to, subject,
/// body, status, created_at, sent_at).
#[allow(clippy::type_complexity)]
pub fn case_mails_out(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<(i64, String, String, String, String, String, NaiveDateTime, Option<NaiveDateTime>)>> {
    outbox::table
        .filter(outbox::case_id.eq(case_id))
        .filter(outbox::internal.eq(false))
        .order(outbox::id)
        .select((outbox::id, outbox::purpose, outbox::to_addr, outbox::subject, outbox::body_text, outbox::status, outbox::created_at, outbox::sent_at))
        .load(conn)
}

/// A finished case the retention rule looks at.
#[derive(Debug, Clone)]
pub struct Finished {
    pub id: i64,
    pub radicado: String,
    pub kind: String,
    pub status: String,
    /// When the retention period starts: `closed_at`, or for an annulled or transferred case
    /// that was never closed, its last change.
    pub closed: NaiveDateTime,
}

/// Finished cases (closed, annulled, transferred) not erased yet.
pub fn finished_not_erased(conn: &mut AnyConnection) -> QueryResult<Vec<Finished>> {
    let erased: std::collections::BTreeSet<i64> =
        case_events::table.filter(case_events::event_type.eq(ERASED_EVENT)).select(case_events::case_id).load::<i64>(conn)?.into_iter().collect();
    let rows: Vec<(i64, String, String, String, Option<NaiveDateTime>, NaiveDateTime)> = cases::table
        .filter(cases::closed_at.is_not_null().or(cases::status.eq_any(["anulado", "trasladado"])))
        .select((cases::id, cases::radicado, cases::kind, cases::status, cases::closed_at, cases::updated_at))
        .order(cases::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| !erased.contains(&r.0))
        .map(|(id, radicado, kind, status, closed_at, updated_at)| Finished { id, radicado, kind, status, closed: closed_at.unwrap_or(updated_at) })
        .collect())
}

/// How many rows of each kind an erasure of the case touches.
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq, Eq)]
pub struct ErasureCounts {
    pub messages: i64,
    pub attachments: i64,
    pub events: i64,
    pub communications: i64,
    pub outbox: i64,
}

pub fn erasure_counts(conn: &mut AnyConnection, case_id: i64) -> QueryResult<ErasureCounts> {
    Ok(ErasureCounts {
        messages: messages::table.filter(messages::case_id.eq(case_id)).count().get_result(conn)?,
        attachments: attachments::table.filter(attachments::case_id.eq(case_id)).count().get_result(conn)?,
        events: case_events::table.filter(case_events::case_id.eq(case_id)).count().get_result(conn)?,
        communications: communications::table.filter(communications::case_id.eq(case_id)).count().get_result(conn)?,
        outbox: outbox::table.filter(outbox::case_id.eq(case_id)).count().get_result(conn)?,
    })
}

/// A JSON value with its personal text removed: numbers, booleans and null stay, and strings
/// that are dates, times, radicados or codes (`peticion_general`, `GAPCC`, `on_time`); any other
/// string becomes [`ERASED`], as does every string under the keys of [`PERSONAL_KEYS`] (a
/// rectification's old and new values). Keys stay.
pub fn scrub_json(v: &serde_json::Value) -> serde_json::Value {
    scrub(v, false)
}

/// Keys whose values are always personal.
pub const PERSONAL_KEYS: [&str; 8] = ["old", "new", "value", "text", "name", "email", "phone", "document"];

fn scrub(v: &serde_json::Value, personal: bool) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if !personal && is_code_or_date(s) {
                v.clone()
            } else {
                Value::String(ERASED.into())
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| scrub(x, personal)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), scrub(v, personal || PERSONAL_KEYS.contains(&k.as_str())))).collect()),
        Value::Number(_) if personal => Value::String(ERASED.into()),
        other => other.clone(),
    }
}

fn is_code_or_date(s: &str) -> bool {
    if s.is_empty() || s.len() > 40 {
        return false;
    }
    // Digits alone are a radicado (14) or a small count; longer runs may be a document or a phone.
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.len() == 14 || s.len() <= 4;
    }
    let b = s.as_bytes();
    let date_like = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars().all(|c| c.is_ascii_digit() || "-:T.+Z ".contains(c));
    // A code has a letter: `300-123-4567` is a phone number, not a code.
    let code_like = (s.chars().any(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
        || (s.chars().any(|c| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
    date_like || code_like
}

/// Erase the personal data of one case (one write transaction), record the erasure as an event
/// (`actor`, `payload`) and in the audit log. Returns false, changing nothing, when the case was
/// erased already (a concurrent run).
pub fn erase_case(conn: &mut AnyConnection, case_id: i64, actor: &str, payload: serde_json::Value) -> QueryResult<bool> {
    super::write_tx(conn, |c| {
        let done: i64 = case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::event_type.eq(ERASED_EVENT))
            .count()
            .get_result(c)?;
        if done > 0 {
            return Ok(false);
        }
        let case = CaseRow::by_id(c, case_id)?;
        let counts = erasure_counts(c, case_id)?;
        let mark = |o: &Option<String>| o.as_ref().map(|_| ERASED.to_string());
        // The routing explanation quotes the mail ("matched"): keep the rule ids only.
        let routing = serde_json::from_str::<serde_json::Value>(&case.routing).map(|r| scrub_json(&r)).unwrap_or(serde_json::json!({}));
        diesel::update(cases::table.find(case_id))
            .set((
                cases::citizen_name.eq(mark(&case.citizen_name)),
                cases::citizen_email.eq(mark(&case.citizen_email)),
                cases::citizen_doc_type.eq(mark(&case.citizen_doc_type)),
                cases::citizen_doc_number.eq(mark(&case.citizen_doc_number)),
                cases::citizen_phone.eq(mark(&case.citizen_phone)),
                cases::citizen_municipality.eq(mark(&case.citizen_municipality)),
                cases::subject.eq(ERASED),
                cases::search_text.eq(case.radicado.clone()),
                cases::entities.eq("{}"),
                cases::routing.eq(routing.to_string()),
                cases::annulled_reason.eq(mark(&case.annulled_reason)),
            ))
            .execute(c)?;
        let msg_ids: Vec<(i64, Option<String>)> =
            messages::table.filter(messages::case_id.eq(case_id)).select((messages::id, messages::from_addr)).load(c)?;
        for (id, from) in msg_ids {
            diesel::update(messages::table.find(id))
                .set((
                    messages::subject.eq(ERASED),
                    messages::from_addr.eq(from.map(|_| ERASED.to_string())),
                    messages::from_name.eq(None::<String>),
                    messages::to_addrs.eq("[]"),
                    messages::body_text.eq(""),
                    messages::body_html.eq(None::<String>),
                    messages::headers.eq("{}"),
                    messages::raw.eq(Vec::<u8>::new()),
                ))
                .execute(c)?;
        }
        diesel::update(attachments::table.filter(attachments::case_id.eq(case_id))).set(attachments::filename.eq(ERASED)).execute(c)?;
        // The Res. 1519 requester details: the type, the reply channel and the notice version are
        // codes and stay; the names and addresses go. The enfoque-diferencial answers
        // (filing_demographics) stay: they are category answers the informe counts, and with the
        // person erased they no longer point at anyone.
        {
            use super::schema::requester_details as rd;
            let row: Option<(Option<String>, Option<String>, Option<String>, Option<String>)> = rd::table
                .find(case_id)
                .select((rd::razon_social, rd::postal_address, rd::region, rd::country))
                .first(c)
                .optional()?;
            if let Some((razon, address, region, country)) = row {
                diesel::update(rd::table.find(case_id))
                    .set((rd::razon_social.eq(mark(&razon)), rd::postal_address.eq(mark(&address)), rd::region.eq(mark(&region)), rd::country.eq(mark(&country))))
                    .execute(c)?;
            }
        }
        super::surveys::erase_case(c, case_id)?;
        diesel::update(communications::table.filter(communications::case_id.eq(case_id)))
            .set((communications::addressee_name.eq(ERASED), communications::addressee_address.eq(ERASED), communications::body.eq(ERASED)))
            .execute(c)?;
        diesel::update(outbox::table.filter(outbox::case_id.eq(case_id)))
            .set((outbox::to_addr.eq(ERASED), outbox::body_text.eq("")))
            .execute(c)?;
        diesel::update(combined_ack_members::table.filter(combined_ack_members::case_id.eq(case_id)))
            .set(combined_ack_members::line.eq(None::<String>))
            .execute(c)?;
        let events: Vec<(i64, Option<String>, String)> = case_events::table
            .filter(case_events::case_id.eq(case_id))
            .select((case_events::id, case_events::reason, case_events::payload))
            .load(c)?;
        for (id, reason, payload) in events {
            let scrubbed = serde_json::from_str::<serde_json::Value>(&payload).map(|p| scrub_json(&p)).unwrap_or(serde_json::json!({}));
            diesel::update(case_events::table.find(id))
                .set((case_events::reason.eq(reason.map(|_| ERASED.to_string())), case_events::payload.eq(scrubbed.to_string())))
                .execute(c)?;
        }
        let mut payload = payload;
        if let serde_json::Value::Object(m) = &mut payload {
            m.insert("counts".into(), serde_json::to_value(&counts).unwrap_or_default());
        }
        super::intake::add_event(c, case_id, actor, ERASED_EVENT, None, payload.clone())?;
        super::cases::audit(c, actor, "supresion_datos", Some(case_id), &serde_json::json!({ "radicado": case.radicado, "detail": payload }).to_string())?;
        Ok(true)
    })
}

/// Record an action on personal data that concerns no single case (an export).
pub fn audit(conn: &mut AnyConnection, actor: &str, action: &str, case_id: Option<i64>, detail: &str) -> QueryResult<()> {
    super::write_tx(conn, |c| super::cases::audit(c, actor, action, case_id, detail))
}

/// Audit rows of an action: (at, actor, case_id, detail), oldest first.
pub fn audit_rows(conn: &mut AnyConnection, action: &str) -> QueryResult<Vec<(NaiveDateTime, String, Option<i64>, String)>> {
    use super::schema::audit_log;
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id)
        .select((audit_log::at, audit_log::actor, audit_log::case_id, audit_log::detail))
        .load(conn)
}

/// Move a case's closing back (tests and data repairs; the retention period counts from it).
pub fn set_closed_at(conn: &mut AnyConnection, case_id: i64, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(cases::table.find(case_id)).set(cases::closed_at.eq(Some(at))).execute(conn)
}

