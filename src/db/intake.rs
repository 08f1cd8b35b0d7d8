//! The inbound store: every use case that writes an incoming message owns its one transaction.
//!
//! A new case is filed with its message (raw bytes included), attachment metadata, the first
//! event and the acknowledgement in the outbox, all in one transaction ([`file_new_case`]); the
//! radicado is allocated inside it, late, so its lock is short. A message that is not a new case
//! (a reply, an automatic mail) is stored by [`record_message`]. Duplicates (same dedupe key) are
//! detected by the unique index, so two intake paths racing on the same mail still store it once.
//!
//! Only after these functions return is anything marked on the mail server.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::db::models::{CaseRow, NewAttachment, NewCase, NewCaseEvent, NewMessage, NewOutbox, NewQuarantine, OutboxRow};
use crate::db::schema::{attachments, case_events, cases, combined_ack_members, messages, outbox, quarantine};
use crate::db::{self, AnyConnection, DbError};
use crate::domain::radicado::{RadicadoType, UnitCode};
use crate::domain::{CaseStatus, Channel, PetitionKind};
use crate::time::bogota_month;

/// The decided fields of a new case (routing and deadlines are decided before filing).
#[derive(Debug, Clone)]
pub struct CaseDraft {
    pub channel: Channel,
    pub kind: PetitionKind,
    pub department: String,
    pub priority: String,
    pub tags: Vec<String>,
    pub needs_review: bool,
    pub subject: String,
    pub citizen_name: Option<String>,
    pub citizen_email: Option<String>,
    pub citizen_doc_type: Option<String>,
    pub citizen_doc_number: Option<String>,
    pub citizen_phone: Option<String>,
    pub citizen_municipality: Option<String>,
    pub received_at: DateTime<Utc>,
    pub effective_date: NaiveDate,
    pub term_days: Option<u32>,
    pub due_date: Option<NaiveDate>,
    pub extension_limit: Option<NaiveDate>,
    pub routing: serde_json::Value,
    pub entities: serde_json::Value,
    pub linked_radicado: Option<String>,
    /// Who files: `system` for intake, a staff e-mail for verbal petitions.
    pub actor: String,
    /// Web, API and verbal filings (Res. 1519 Anexo 2): requester type, postal answer, notice
    /// version; stored with the case. None for mail.
    pub requester: Option<crate::intake::requester::RequesterDetails>,
    /// The optional statistics-only answers, stored apart.
    pub demographics: Option<crate::intake::requester::Demographics>,
    /// The start of the body folded for search ([`fold_body`]) when it was computed ahead (a bulk
    /// import folds on its preparing thread, not on the one that stores); None: folded at filing.
    pub folded_body: Option<String>,
}

/// Attachment metadata to store with the message.
#[derive(Debug, Clone)]
pub struct AttachmentInfo {
    pub part_index: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilingOutcome {
    /// A new case with its radicado.
    NewCase { case_id: i64, radicado: String, message_row_id: i64, acknowledged: bool, reused_message_id: bool },
    /// Stored and attached to an existing case (a reply) or stored alone (automatic mail).
    Recorded { message_row_id: i64, case_id: Option<i64>, reused_message_id: bool },
    /// Already stored: nothing written.
    Duplicate { message_row_id: i64 },
}

/// Why a message could not be filed.
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    /// The store failed; [`DbError::is_temporary`] says whether a retry can help.
    #[error(transparent)]
    Db(#[from] DbError),
    /// This message cannot be filed as it is (a date outside the calendar, data a column refuses):
    /// it goes to quarantine with the reason, and the ones behind it go on.
    #[error("{0}")]
    Permanent(String),
}

impl From<diesel::result::Error> for FilingError {
    fn from(e: diesel::result::Error) -> Self {
        FilingError::Db(DbError::Query(e))
    }
}

impl FilingError {
    /// Temporary: the database is unreachable, busy or the pool is exhausted (503, exit 75,
    /// retry later). Everything else is permanent for this message.
    pub fn is_temporary(&self) -> bool {
        match self {
            FilingError::Db(e) => e.is_temporary(),
            FilingError::Permanent(_) => false,
        }
    }
}

/// The acknowledgement to queue for a new case, composed once its radicado is known.
pub type AckComposer<'a> = dyn FnOnce(&CaseRow, i64) -> Option<NewOutbox> + 'a;

/// Limits applied to acknowledgements inside the filing transaction. A sender who got
/// `per_sender_per_hour` acknowledgements in the last hour (loop protection) gets, for the
/// filings beyond, one combined acknowledgement (purpose `acuse_agrupado`), never none.
#[derive(Debug, Clone, Copy)]
pub struct AckPolicy<'a> {
    pub per_sender_per_hour: u32,
    /// For the text of the combined acknowledgement.
    pub entity_name: &'a str,
    pub public_base_url: &'a str,
}

/// The event of a case acknowledged in a combined acknowledgement (payload: its outbox id).
pub const COMBINED_ACK_EVENT: &str = "acuse_agrupado";
/// The outbox purpose of a combined acknowledgement.
pub const COMBINED_ACK_PURPOSE: &str = "acuse_agrupado";

/// The (radicado, line) of each case a combined acknowledgement lists, in the order they joined
/// it: radicado order (numbers follow the order filings commit in; case ids do not on
/// PostgreSQL, which reserves one before the number). Each line was rendered when its case
/// joined, so composing a long list reads short strings, not every case again.
fn combined_ack_lines(c: &mut AnyConnection, outbox_id: i64) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(i64, String, Option<String>)> = combined_ack_members::table
        .inner_join(cases::table)
        .filter(combined_ack_members::outbox_id.eq(outbox_id))
        .order((cases::radicado_year.asc(), cases::radicado_seq.asc()))
        .select((combined_ack_members::case_id, combined_ack_members::radicado, combined_ack_members::line))
        .load(c)?;
    rows.into_iter()
        .map(|(id, radicado, line)| match line {
            Some(l) => Ok((radicado, l)),
            // A member carried over from before lines were stored.
            None => Ok((radicado, crate::mailer::templates::combined_ack_line(&CaseRow::by_id(c, id)?))),
        })
        .collect()
}

/// Put `case` in the sender's pending combined acknowledgement, or start one due at
/// `window_end` (when the sender's hour frees up, so later filings of the hour join it). Joining
/// is one member row: the list is composed when the row is claimed for sending
/// ([`compose_combined_ack`]), so each filing costs the same however long the list has grown (a
/// mail loop or an archive import can put hundreds of one sender's mails in one hour; composing
/// the list at each join read and rewrote it every time, quadratic in the mails). The join is
/// guarded on `status = 'pending'`: a row its sender has claimed is never joined, and this case
/// goes into a new row. Returns the outbox id.
fn combine_ack(
    c: &mut AnyConnection,
    case: &CaseRow,
    ack: &NewOutbox,
    window_end: NaiveDateTime,
    policy: AckPolicy<'_>,
) -> QueryResult<i64> {
    let line = crate::mailer::templates::combined_ack_line(case);
    let join = |c: &mut AnyConnection, outbox_id: i64| {
        crate::with_inner!(c, |c| diesel::insert_into(combined_ack_members::table)
            .values((
                combined_ack_members::outbox_id.eq(outbox_id),
                combined_ack_members::case_id.eq(case.id),
                combined_ack_members::radicado.eq(&case.radicado),
                combined_ack_members::line.eq(&line),
            ))
            .execute(c))
        .map(|_| outbox_id)
    };
    match c {
        // Find, take and join the pending row in one statement (see the fragment): a filing
        // holds the radicado sequence row meanwhile, and every round trip of it is one that
        // every other filing waits for.
        AnyConnection::Postgresql(pg) => {
            let joined = crate::db::cached::JoinPendingCombined {
                to_addr: &ack.to_addr,
                purpose: COMBINED_ACK_PURPOSE,
                case_id: case.id,
                radicado: &case.radicado,
                line: &line,
            }
            .get_result::<i64>(pg)
            .optional()?;
            if let Some(id) = joined {
                return Ok(id);
            }
        }
        // The filing's transaction holds the database write lock: no claim comes between
        // finding the pending row and joining it.
        AnyConnection::Sqlite(lite) => {
            let pending: Option<i64> = outbox::table
                .filter(outbox::to_addr.eq(&ack.to_addr))
                .filter(outbox::purpose.eq(COMBINED_ACK_PURPOSE))
                .filter(outbox::status.eq("pending"))
                .order(outbox::id.desc())
                .select(outbox::id)
                .first(lite)
                .optional()?;
            if let Some(id) = pending {
                return join(c, id);
            }
        }
    }
    // A new row, written with its first case's line; the claim composes the rest.
    let (subject, body_text) = crate::mailer::templates::combined_acknowledgement(
        policy.entity_name,
        policy.public_base_url,
        &[(case.radicado.clone(), line.clone())],
    );
    let row = NewOutbox {
        purpose: COMBINED_ACK_PURPOSE.into(),
        subject,
        body_text,
        next_attempt_at: window_end,
        ..ack.clone()
    };
    let id = diesel::insert_into(outbox::table).values(row).returning(outbox::id).get_result(c)?;
    join(c, id)
}

/// A combined acknowledgement just claimed for sending (`status = 'sending'`, so no filing joins
/// it any more): its list and subject composed from all its members, written to the row and to
/// `row`. Composing again (a claim taken over after its sender died) gives the same text.
pub fn compose_combined_ack(c: &mut AnyConnection, row: &mut OutboxRow) -> QueryResult<()> {
    let listed = combined_ack_lines(c, row.id)?;
    if listed.is_empty() {
        return Ok(());
    }
    let Some((subject, body)) = crate::mailer::templates::combined_acknowledgement_relisted(&row.body_text, &listed) else {
        // Not a text this module wrote: sent as it stands rather than guessed at.
        tracing::warn!(outbox_id = row.id, "combined acknowledgement of an unknown form; sent as written");
        return Ok(());
    };
    if (&subject, &body) == (&row.subject, &row.body_text) {
        return Ok(());
    }
    diesel::update(outbox::table.find(row.id).filter(outbox::status.eq("sending")))
        .set((outbox::subject.eq(&subject), outbox::body_text.eq(&body)))
        .execute(c)?;
    row.subject = subject;
    row.body_text = body;
    Ok(())
}

/// Insert the message unless its dedupe key is already stored. `Ok(None)` = duplicate. A mail
/// whose Message-ID is already stored with other content is stored too, flagged
/// `reused_message_id`.
fn insert_message(conn: &mut AnyConnection, msg: &mut NewMessage) -> QueryResult<Option<i64>> {
    flag_reused_message_id(conn, msg)?;
    insert_message_row(conn, msg)
}

/// Set `reused_message_id` when another stored incoming mail, of other content, has this mail's
/// Message-ID.
fn flag_reused_message_id(conn: &mut AnyConnection, msg: &mut NewMessage) -> QueryResult<()> {
    if let (Some(mid), "in") = (&msg.message_id, msg.direction.as_str()) {
        let other: i64 = messages::table
            .filter(messages::direction.eq("in"))
            .filter(messages::message_id.eq(mid))
            .filter(messages::dedupe_key.ne(&msg.dedupe_key))
            .count()
            .get_result(conn)?;
        msg.reused_message_id = other > 0;
    }
    Ok(())
}

/// The INSERT of [`insert_message`] and the month's count, without the Message-ID check.
fn insert_message_row(conn: &mut AnyConnection, msg: &NewMessage) -> QueryResult<Option<i64>> {
    let id = insert_message_uncounted(conn, msg)?;
    if id.is_some() && msg.direction == "in" {
        crate::db::models::bump_monthly(conn, &msg.received_month, &msg.channel, "in", 1)?;
    }
    Ok(id)
}

/// The INSERT of [`insert_message_row`] alone (`Ok(None)`: the dedupe key is stored).
fn insert_message_uncounted(conn: &mut AnyConnection, msg: &NewMessage) -> QueryResult<Option<i64>> {
    crate::with_inner!(&mut *conn, |c| diesel::insert_into(messages::table)
        .values(msg)
        .on_conflict((messages::direction, messages::dedupe_key))
        .do_nothing()
        .returning(messages::id)
        .get_result::<i64>(c)
        .optional())
}

/// Whether a mail with this dedupe key is stored (a dry run's duplicate check).
pub fn is_stored(conn: &mut AnyConnection, dedupe_key: &str) -> QueryResult<bool> {
    let n: i64 = messages::table
        .filter(messages::direction.eq("in"))
        .filter(messages::dedupe_key.eq(dedupe_key))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The case filed under this web-filing dedupe key (an Idempotency-Key seen before):
/// (radicado, received_at, due_date).
pub fn web_filing(conn: &mut AnyConnection, dedupe_key: &str) -> QueryResult<Option<(String, NaiveDateTime, Option<NaiveDate>)>> {
    messages::table
        .inner_join(cases::table)
        .filter(messages::direction.eq("in"))
        .filter(messages::dedupe_key.eq(dedupe_key))
        .select((cases::radicado, cases::received_at, cases::due_date))
        .first(conn)
        .optional()
}

/// Whether an incoming mail with this Message-ID is stored (under any content).
pub fn message_id_stored(conn: &mut AnyConnection, message_id: &str) -> QueryResult<bool> {
    let n: i64 = messages::table
        .filter(messages::direction.eq("in"))
        .filter(messages::message_id.eq(message_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// One read for what [`existing_message`] and [`flag_reused_message_id`] read apart: the row of
/// this mail when it is stored (a duplicate, `Err(id)`), else whether another stored incoming
/// mail has its Message-ID (`Ok(reused)`). One statement a new case instead of two.
fn stored_or_reused(conn: &mut AnyConnection, msg: &NewMessage) -> QueryResult<Result<bool, i64>> {
    let (Some(mid), "in") = (&msg.message_id, msg.direction.as_str()) else {
        return Ok(match existing_message(conn, msg).optional()? {
            Some(id) => Err(id),
            None => Ok(msg.reused_message_id),
        });
    };
    // The rows with this dedupe key (at most one) or this Message-ID (a handful at most).
    // A UNION ALL, each half on its own index (SQLite plans an OR of the two on `direction`
    // alone, a scan of every incoming mail).
    let rows: Vec<(i64, String)> = crate::with_inner!(&mut *conn, |c| messages::table
        .filter(messages::direction.eq("in"))
        .filter(messages::dedupe_key.eq(&msg.dedupe_key))
        .select((messages::id, messages::dedupe_key))
        .union_all(
            messages::table
                .filter(messages::direction.eq("in"))
                .filter(messages::message_id.eq(mid))
                .select((messages::id, messages::dedupe_key)),
        )
        .load(c))?;
    Ok(match rows.iter().find(|(_, key)| *key == msg.dedupe_key) {
        Some((id, _)) => Err(*id),
        None => Ok(!rows.is_empty()),
    })
}

fn existing_message(conn: &mut AnyConnection, msg: &NewMessage) -> QueryResult<i64> {
    messages::table
        .filter(messages::direction.eq(&msg.direction))
        .filter(messages::dedupe_key.eq(&msg.dedupe_key))
        .select(messages::id)
        .first(conn)
}

fn store_attachments(
    conn: &mut AnyConnection,
    message_row_id: i64,
    case_id: Option<i64>,
    list: &[AttachmentInfo],
) -> QueryResult<()> {
    if list.is_empty() {
        return Ok(());
    }
    let now = Utc::now().naive_utc();
    // One multi-row INSERT for all of a message's attachments (one round trip on PostgreSQL).
    let rows: Vec<NewAttachment> = list
        .iter()
        .map(|a| NewAttachment {
            message_row_id,
            case_id,
            part_index: a.part_index,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            kind: a.kind.clone(),
            created_at: now,
        })
        .collect();
    match rows.as_slice() {
        // One row (the common case) as a single-row INSERT, which diesel keeps prepared; a
        // multi-row INSERT's SQL depends on the number of rows, and is prepared each time.
        [one] => crate::with_inner!(conn, |c| diesel::insert_into(attachments::table).values(one).execute(c))?,
        _ => crate::with_inner!(conn, |c| diesel::insert_into(attachments::table).values(&rows).execute(c))?,
    };
    Ok(())
}

/// Characters of the body that the search text keeps.
const SEARCH_BODY_CHARS: usize = 4000;

/// The start of a body, folded as the search text holds it (of the body as stored: NUL
/// characters as U+FFFD).
pub fn fold_body(body: &str) -> String {
    let end = body.char_indices().nth(SEARCH_BODY_CHARS).map_or(body.len(), |(i, _)| i);
    crate::routing::fold_text(&crate::intake::door::no_nul(&body[..end]))
}

/// The folded text staff search runs over: subject, citizen and the start of the body, the
/// non-empty pieces folded one by one and joined by a space (the same text as folding them joined:
/// folding works character by character and collapses whitespace).
fn search_text(draft: &CaseDraft, folded_body: &str) -> String {
    let mut out = String::with_capacity(folded_body.len() + 128);
    for piece in [
        crate::routing::fold_text(&draft.subject).as_str(),
        &crate::routing::fold_text(draft.citizen_name.as_deref().unwrap_or("")),
        &crate::routing::fold_text(draft.citizen_email.as_deref().unwrap_or("")),
        &crate::routing::fold_text(draft.citizen_doc_number.as_deref().unwrap_or("")),
        folded_body,
    ] {
        if !piece.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(piece);
        }
    }
    out
}

/// Append an event to a case's history.
pub fn add_event(
    conn: &mut AnyConnection,
    case_id: i64,
    actor: &str,
    event_type: &str,
    reason: Option<&str>,
    payload: serde_json::Value,
) -> QueryResult<()> {
    insert_events(conn, &[new_event(case_id, actor, event_type, reason, payload)])
}

fn new_event(case_id: i64, actor: &str, event_type: &str, reason: Option<&str>, payload: serde_json::Value) -> NewCaseEvent {
    NewCaseEvent {
        case_id,
        at: Utc::now().naive_utc(),
        actor: actor.to_string(),
        event_type: event_type.to_string(),
        reason: reason.map(str::to_string),
        payload: payload.to_string(),
    }
}

/// Events in their order: on PostgreSQL several in one statement (one round trip), on SQLite
/// one prepared single-row INSERT each (no round trip to save).
fn insert_events(conn: &mut AnyConnection, events: &[NewCaseEvent]) -> QueryResult<()> {
    match (conn, events) {
        (AnyConnection::Postgresql(c), [_, _, ..]) => {
            diesel::insert_into(case_events::table).values(events).execute(c)?;
        }
        (conn, events) => {
            for event in events {
                crate::with_inner!(&mut *conn, |c| diesel::insert_into(case_events::table).values(event).execute(c))?;
            }
        }
    }
    Ok(())
}

/// The requester details and statistics-only answers of a filing, in its transaction. A
/// niña, niño o adolescente's petition is a priority (Ley 1755 de 2015 art. 20).
fn store_requester(
    c: &mut AnyConnection,
    case_id: i64,
    requester: Option<&crate::intake::requester::RequesterDetails>,
    demographics: Option<&crate::intake::requester::Demographics>,
) -> QueryResult<()> {
    use super::schema::{filing_demographics as fd, requester_details as rd};
    if let Some(r) = requester {
        diesel::insert_into(rd::table)
            .values((
                rd::case_id.eq(case_id),
                rd::requester_type.eq(&r.requester_type),
                rd::razon_social.eq(&r.razon_social),
                rd::reply_by.eq(&r.reply_by),
                rd::postal_address.eq(&r.postal_address),
                rd::region.eq(&r.region),
                rd::country.eq(&r.country),
                rd::privacy_notice_version.eq(&r.privacy_notice_version),
            ))
            .execute(c)?;
        if r.requester_type == "nna" {
            diesel::update(cases::table.find(case_id))
                .set((cases::priority.eq("alta"), cases::priority_reason.eq(crate::domain::PriorityReason::Menor.as_str())))
                .execute(c)?;
        }
    }
    if let Some(d) = demographics.filter(|d| !d.is_empty()) {
        diesel::insert_into(fd::table)
            .values((
                fd::case_id.eq(case_id),
                fd::ethnic_group.eq(&d.ethnic_group),
                fd::disability.eq(&d.disability),
                fd::conflict_victim.eq(&d.conflict_victim),
                fd::gender.eq(&d.gender),
                fd::age_range.eq(&d.age_range),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// The requester details of a case, if it was filed with them.
pub fn requester_of(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Option<crate::intake::requester::RequesterDetails>> {
    use super::schema::requester_details as rd;
    let row: Option<(String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>)> = rd::table
        .find(case_id)
        .select((rd::requester_type, rd::razon_social, rd::reply_by, rd::postal_address, rd::region, rd::country, rd::privacy_notice_version))
        .first(conn)
        .optional()?;
    Ok(row.map(|(requester_type, razon_social, reply_by, postal_address, region, country, privacy_notice_version)| {
        crate::intake::requester::RequesterDetails { requester_type, razon_social, reply_by, postal_address, region, country, privacy_notice_version }
    }))
}

/// The statistics-only answers of a case (admin and report use; never shown on the case).
pub fn demographics_of(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Option<crate::intake::requester::Demographics>> {
    use super::schema::filing_demographics as fd;
    let row: Option<(Option<String>, Option<String>, Option<String>, Option<String>, Option<String>)> = fd::table
        .find(case_id)
        .select((fd::ethnic_group, fd::disability, fd::conflict_victim, fd::gender, fd::age_range))
        .first(conn)
        .optional()?;
    Ok(row.map(|(ethnic_group, disability, conflict_victim, gender, age_range)| crate::intake::requester::Demographics {
        ethnic_group,
        disability,
        conflict_victim,
        gender,
        age_range,
    }))
}

/// The columns of a new case that its INSERT leaves to their defaults, and its id.
#[derive(Queryable, Selectable)]
#[diesel(table_name = cases)]
struct CaseDefaults {
    id: i64,
    annulled_reason: Option<String>,
    responded_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    assigned_to: Option<String>,
    suspended_on: Option<NaiveDate>,
    original_due_date: Option<NaiveDate>,
    extended_at: Option<NaiveDateTime>,
    transferred_to: Option<String>,
    response_radicado: Option<String>,
    requerimiento_on: Option<NaiveDate>,
    completed_on: Option<NaiveDate>,
    citizen_extension: bool,
    outcome: Option<String>,
    priority_reason: Option<String>,
    clarification: bool,
}

/// Insert a new case and return its row. The database gives back only [`CaseDefaults`]; the
/// rest is what was inserted (RETURNING every column read the search text, routing and entities
/// back for each mail, and parsed each timestamp). A column added to `CaseRow` fails to compile
/// here until it is taken from one side or the other.
fn insert_case(c: &mut AnyConnection, new: NewCase, reserved_id: Option<i64>) -> QueryResult<CaseRow> {
    // On the concrete connection (`with_inner!`), as the other statements every filing runs:
    // through `AnyConnection` diesel writes out the whole SQL text of a statement on every
    // execution (to pass it to the inner connection), even when the statement stays prepared.
    // A copy of the few strings: `NewCase`'s enum fields convert by value.
    let d: CaseDefaults = match reserved_id {
        Some(id) => crate::with_inner!(c, |c| diesel::insert_into(cases::table)
            .values((cases::id.eq(id), new.clone()))
            .returning(CaseDefaults::as_returning())
            .get_result(c))?,
        None => crate::with_inner!(c, |c| diesel::insert_into(cases::table)
            .values(new.clone())
            .returning(CaseDefaults::as_returning())
            .get_result(c))?,
    };
    Ok(CaseRow {
        id: d.id,
        radicado: new.radicado,
        radicado_year: new.radicado_year,
        radicado_seq: new.radicado_seq,
        channel: new.channel,
        kind: new.kind,
        department: new.department,
        status: new.status,
        priority: new.priority,
        tags: new.tags,
        needs_review: new.needs_review,
        subject: new.subject,
        citizen_name: new.citizen_name,
        citizen_email: new.citizen_email,
        citizen_doc_type: new.citizen_doc_type,
        citizen_doc_number: new.citizen_doc_number,
        citizen_phone: new.citizen_phone,
        citizen_municipality: new.citizen_municipality,
        received_at: new.received_at,
        received_month: new.received_month,
        effective_date: new.effective_date,
        term_days: new.term_days,
        due_date: new.due_date,
        routing: new.routing,
        entities: new.entities,
        linked_radicado: new.linked_radicado,
        annulled_reason: d.annulled_reason,
        created_at: new.created_at,
        updated_at: new.updated_at,
        responded_at: d.responded_at,
        closed_at: d.closed_at,
        assigned_to: d.assigned_to,
        suspended_on: d.suspended_on,
        original_due_date: d.original_due_date,
        extended_at: d.extended_at,
        transferred_to: d.transferred_to,
        response_radicado: d.response_radicado,
        search_text: new.search_text,
        extension_limit: new.extension_limit,
        requerimiento_on: d.requerimiento_on,
        completed_on: d.completed_on,
        citizen_extension: d.citizen_extension,
        outcome: d.outcome,
        priority_reason: d.priority_reason,
        clarification: d.clarification,
    })
}

/// The message was stored by a concurrent intake since this filing's duplicate check (PostgreSQL;
/// SQLite holds the write lock): the filing is undone, and [`file_new_case`] reports the duplicate.
fn stored_concurrently() -> FilingError {
    FilingError::Db(DbError::Query(diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::UniqueViolation,
        Box::new("the message was stored by a concurrent intake".to_string()),
    )))
}

/// File a new case: message, case with a fresh radicado, attachments, first event and
/// acknowledgement, in one transaction.
pub fn file_new_case(
    conn: &mut AnyConnection,
    unit: &UnitCode,
    mut msg: NewMessage,
    mut draft: CaseDraft,
    attachment_list: &[AttachmentInfo],
    ack_policy: AckPolicy<'_>,
    compose_ack: Box<AckComposer<'_>>,
) -> Result<FilingOutcome, FilingError> {
    msg.disposition = "case".into();
    let folded_body = draft.folded_body.take().unwrap_or_else(|| fold_body(&msg.body_text));
    let result = db::write_tx(conn, |c| -> Result<FilingOutcome, FilingError> {
        match stored_or_reused(c, &msg)? {
            Err(message_row_id) => return Ok(FilingOutcome::Duplicate { message_row_id }),
            Ok(reused) => msg.reused_message_id = reused,
        }
        // The radicado sequence row stays locked from its number to the commit, and every
        // filing waits for it (on PostgreSQL too, where the other work of two filings overlaps):
        // on PostgreSQL the message, the largest INSERT of a filing by far (its raw mail), goes in
        // first, under a case id reserved from the cases' sequence. Its foreign key to the case
        // is checked at commit (migration 2026-12-08-100001). The month's count, a row every
        // filing of the month updates, is bumped with the number. On SQLite the database
        // write lock is held for the whole transaction whatever the order, and the message goes
        // in after its case as it always did.
        let mut early: Option<(i64, i64)> = None;
        if matches!(c, AnyConnection::Postgresql(_)) {
            let case_id: i64 = crate::with_inner!(&mut *c, |c| crate::db::cached::NextCaseId.get_result(c))?;
            msg.case_id = Some(case_id);
            let Some(message_row_id) = insert_message_uncounted(c, &msg)? else {
                return Err(stored_concurrently());
            };
            early = Some((case_id, message_row_id));
        }
        let now = Utc::now().naive_utc();
        let year = crate::time::bogota_date(draft.received_at).year();
        // The month's count of incoming mail with the number (one statement on PostgreSQL).
        let count = (msg.direction == "in").then_some((msg.received_month.as_str(), msg.channel.as_str()));
        let radicado = db::radicado::allocate_counting(c, year, RadicadoType::Incoming, unit, count)?;
        let new_case = NewCase {
            radicado: radicado.to_string(),
            radicado_year: i64::from(year),
            radicado_seq: radicado.seq,
            channel: draft.channel,
            kind: draft.kind,
            department: draft.department.clone(),
            status: CaseStatus::Radicado,
            priority: draft.priority.clone(),
            tags: serde_json::to_string(&draft.tags).unwrap_or_else(|_| "[]".into()),
            needs_review: draft.needs_review,
            subject: draft.subject.clone(),
            citizen_name: draft.citizen_name.clone(),
            citizen_email: draft.citizen_email.clone(),
            citizen_doc_type: draft.citizen_doc_type.clone(),
            citizen_doc_number: draft.citizen_doc_number.clone(),
            citizen_phone: draft.citizen_phone.clone(),
            citizen_municipality: draft.citizen_municipality.clone(),
            received_at: draft.received_at.naive_utc(),
            received_month: bogota_month(draft.received_at),
            effective_date: draft.effective_date,
            term_days: draft.term_days.map(i64::from),
            due_date: draft.due_date,
            routing: draft.routing.to_string(),
            entities: draft.entities.to_string(),
            linked_radicado: draft.linked_radicado.clone(),
            created_at: now,
            updated_at: now,
            search_text: search_text(&draft, &folded_body),
            extension_limit: draft.extension_limit,
        };
        let case = insert_case(c, new_case, early.map(|(case_id, _)| case_id))?;
        let message_row_id = match early {
            Some((_, message_row_id)) => message_row_id,
            None => {
                // The message goes in after its case, with the case's id: on SQLite an UPDATE of
                // the message's case_id afterwards rewrote the whole row, raw mail included.
                msg.case_id = Some(case.id);
                insert_message_uncounted(c, &msg)?.ok_or_else(stored_concurrently)?
            }
        };
        store_attachments(c, message_row_id, Some(case.id), attachment_list)?;
        store_requester(c, case.id, draft.requester.as_ref(), draft.demographics.as_ref())?;
        // Its first event; written with the acknowledgement's, if any (one statement).
        let mut events = vec![new_event(
            case.id,
            &draft.actor,
            "radicado",
            None,
            json!({
                "radicado": case.radicado,
                "channel": case.channel,
                "department": case.department,
                "kind": case.kind,
                "due_date": case.due_date,
                "message_row_id": message_row_id,
            }),
        )];

        // Every petition is acknowledged (CPACA). Automatic mail never reaches this point (it is
        // stored apart by the intake, never a case). The per-sender limit is loop protection:
        // beyond it, one combined acknowledgement for the sender's hour.
        let mut acknowledged = false;
        if let Some(mut ack) = compose_ack(&case, attachment_list.len() as i64) {
            ack.case_id = Some(case.id);
            let hour = chrono::Duration::hours(1);
            // How many the sender got in the last hour, and the oldest of them (one row, however
            // many: a bulk import from one sender reads no list of timestamps per mail).
            let (recent, oldest): (i64, Option<NaiveDateTime>) = crate::with_inner!(&mut *c, |c| outbox::table
                .filter(outbox::to_addr.eq(&ack.to_addr))
                .filter(outbox::purpose.eq("acuse"))
                .filter(outbox::created_at.gt(now - hour))
                .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
                .get_result(c))?;
            if recent < i64::from(ack_policy.per_sender_per_hour) {
                crate::with_inner!(&mut *c, |c| diesel::insert_into(outbox::table).values(ack.clone()).execute(c))?;
            } else {
                // The hour window ends when its oldest acknowledgement leaves it.
                let window_end = oldest.map_or(now, |first| first + hour);
                let outbox_id = combine_ack(c, &case, &ack, window_end, ack_policy)?;
                events.push(new_event(
                    case.id,
                    "system",
                    COMBINED_ACK_EVENT,
                    Some("límite de acuses por remitente y hora: acuse de recibo agrupado"),
                    json!({ "outbox_id": outbox_id, "to": ack.to_addr }),
                ));
            }
            acknowledged = true;
        }
        insert_events(c, &events)?;
        Ok(FilingOutcome::NewCase {
            case_id: case.id,
            radicado: case.radicado,
            message_row_id,
            acknowledged,
            reused_message_id: msg.reused_message_id,
        })
    });
    match result {
        // A concurrent intake stored the same message between our check and our insert.
        Err(FilingError::Db(DbError::Query(e))) if db::is_unique_violation(&e) => {
            match existing_message(conn, &msg).optional()? {
                Some(id) => Ok(FilingOutcome::Duplicate { message_row_id: id }),
                None => Err(e.into()),
            }
        }
        other => other,
    }
}

/// Store a message that does not open a case: a reply attached to `case_id` (with an event of
/// `event_type` that the department sees), a bounce of our mail, or an automatic mail
/// (`case_id` None, no event).
pub fn record_message(
    conn: &mut AnyConnection,
    msg: NewMessage,
    disposition: &str,
    case_id: Option<i64>,
    attachment_list: &[AttachmentInfo],
    event_type: &str,
) -> Result<FilingOutcome, FilingError> {
    db::write_tx(conn, |c| record_in_tx(c, msg, disposition, case_id, attachment_list, event_type))
}

fn record_in_tx(
    c: &mut AnyConnection,
    mut msg: NewMessage,
    disposition: &str,
    case_id: Option<i64>,
    attachment_list: &[AttachmentInfo],
    event_type: &str,
) -> Result<FilingOutcome, FilingError> {
    msg.disposition = disposition.to_string();
    msg.case_id = case_id;
    let Some(message_row_id) = insert_message(c, &mut msg)? else {
        return Ok(FilingOutcome::Duplicate { message_row_id: existing_message(c, &msg)? });
    };
    store_attachments(c, message_row_id, case_id, attachment_list)?;
    if let Some(case_id) = case_id {
        add_event(
            c,
            case_id,
            msg.from_addr.as_deref().unwrap_or("desconocido"),
            event_type,
            None,
            json!({ "message_row_id": message_row_id, "subject": msg.subject }),
        )?;
        diesel::update(cases::table.find(case_id))
            .set(cases::updated_at.eq(Utc::now().naive_utc()))
            .execute(c)?;
    }
    Ok(FilingOutcome::Recorded { message_row_id, case_id, reused_message_id: msg.reused_message_id })
}

/// What a citizen's reply does to its case besides being attached: `resume` sees the case as
/// stored (inside the transaction) and returns the lifecycle change to apply with it, if any.
pub type ResumeDecision<'a> = dyn FnOnce(&CaseRow) -> Option<super::lifecycle::Plan> + 'a;

/// Attach a citizen's reply to its case and, in the same transaction, apply what `resume`
/// decides (a suspended clock restarts). A crash can leave neither or both, never the reply
/// without the resumption.
pub fn attach_reply(
    conn: &mut AnyConnection,
    msg: NewMessage,
    case_id: i64,
    attachment_list: &[AttachmentInfo],
    actor: &str,
    resume: Box<ResumeDecision<'_>>,
    ctx: &super::lifecycle::MailContext<'_>,
) -> Result<FilingOutcome, FilingError> {
    db::write_tx(conn, |c| {
        let out = record_in_tx(c, msg, "reply", Some(case_id), attachment_list, "respuesta_ciudadano")?;
        if matches!(out, FilingOutcome::Duplicate { .. }) {
            return Ok(out);
        }
        let case = CaseRow::by_id(c, case_id)?;
        if let Some(plan) = resume(&case) {
            super::lifecycle::apply_plan(c, ctx, &case, actor, plan, Utc::now())?;
        }
        Ok(out)
    })
}

/// Store a bounce of our own mail and, in the same transaction, mark the outgoing mail it
/// reports as failed (when `failed`; a delay report only is stored), linked to the stored bounce.
/// A mail with legal effect puts its case in triage as a failed notification
/// (`db::notification`); a second bounce of a mail already failed changes nothing more.
pub fn record_bounce(
    conn: &mut AnyConnection,
    msg: NewMessage,
    outbox_id: Option<i64>,
    case_id: Option<i64>,
    failed: bool,
    error: &str,
) -> Result<FilingOutcome, FilingError> {
    db::write_tx(conn, |c| {
        let out = record_in_tx(c, msg, "bounce", case_id, &[], "rebote_correo")?;
        let FilingOutcome::Recorded { message_row_id, .. } = out else {
            return Ok(out);
        };
        if let (Some(id), true) = (outbox_id, failed) {
            let changed = diesel::update(outbox::table.find(id).filter(outbox::status.ne("failed")))
                .set((
                    outbox::status.eq("failed"),
                    outbox::last_error.eq(error),
                    outbox::bounce_message_row_id.eq(message_row_id),
                ))
                .execute(c)?;
            if changed == 1 {
                let row: OutboxRow = outbox::table.find(id).select(OutboxRow::as_select()).first(c)?;
                super::notification::record_failure(c, &row, error, Some(message_row_id))?;
            }
        }
        Ok(out)
    })
}

/// The outgoing mail (id, case) with this Message-ID, for a bounce.
pub fn outbox_by_message_id(conn: &mut AnyConnection, message_id: &str) -> QueryResult<Option<(i64, Option<i64>)>> {
    outbox::table
        .filter(outbox::message_id.eq(message_id))
        .select((outbox::id, outbox::case_id))
        .first(conn)
        .optional()
}

/// The case a mail threads to through In-Reply-To/References: a message we hold or a mail we sent.
pub fn case_by_thread_ids(conn: &mut AnyConnection, ids: &[&String]) -> QueryResult<Option<(i64, String)>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let held: Option<i64> = messages::table
        .filter(messages::message_id.eq_any(ids))
        .filter(messages::case_id.is_not_null())
        .select(messages::case_id.assume_not_null())
        .first(conn)
        .optional()?;
    let found = match held {
        Some(id) => Some(id),
        None => outbox::table
            .filter(outbox::message_id.eq_any(ids))
            .filter(outbox::case_id.is_not_null())
            .select(outbox::case_id.assume_not_null())
            .first(conn)
            .optional()?,
    };
    match found {
        Some(case_id) => Ok(Some((case_id, cases::table.find(case_id).select(cases::radicado).first(conn)?))),
        None => Ok(None),
    }
}

/// A case by radicado with its citizen's address (subject threading).
pub fn case_citizen(conn: &mut AnyConnection, radicado: &str) -> QueryResult<Option<(i64, Option<String>)>> {
    cases::table
        .filter(cases::radicado.eq(radicado))
        .select((cases::id, cases::citizen_email))
        .first(conn)
        .optional()
}

/// Keep a mail that could not be filed: its raw bytes and the reason. `Ok(false)` when the same
/// bytes are already in quarantine.
pub fn quarantine(conn: &mut AnyConnection, row: &NewQuarantine) -> QueryResult<bool> {
    let month = bogota_month(row.received_at.and_utc());
    db::write_tx(conn, |c| {
        let n = crate::with_inner!(&mut *c, |ic| diesel::insert_into(quarantine::table)
            .values(row)
            .on_conflict(quarantine::sha256)
            .do_nothing()
            .execute(ic))?;
        if n == 1 {
            crate::db::models::bump_monthly(c, &month, "correo_contacto", "in", 1)?;
        }
        Ok(n == 1)
    })
}

/// An open quarantine record: (raw, source, source_ref, received_at).
pub fn quarantined(conn: &mut AnyConnection, id: i64) -> QueryResult<(Vec<u8>, String, Option<String>, NaiveDateTime)> {
    quarantine::table
        .find(id)
        .filter(quarantine::resolved_at.is_null())
        .select((quarantine::raw, quarantine::source, quarantine::source_ref, quarantine::received_at))
        .first(conn)
}

/// After a retry: still failing (`resolution` None, with the new reason) or resolved with the
/// outcome; a resolved record stops counting, since its message now does.
pub fn finish_retry(
    conn: &mut AnyConnection,
    id: i64,
    received_at: NaiveDateTime,
    still_failing: Option<&str>,
    resolution: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    db::write_tx(conn, |c| {
        let q = quarantine::table.find(id);
        match still_failing {
            Some(reason) => diesel::update(q)
                .set((quarantine::attempts.eq(quarantine::attempts + 1), quarantine::reason.eq(reason)))
                .execute(c),
            None => {
                let n = diesel::update(q.filter(quarantine::resolved_at.is_null()))
                    .set((
                        quarantine::attempts.eq(quarantine::attempts + 1),
                        quarantine::resolved_at.eq(now),
                        quarantine::resolution.eq(resolution),
                    ))
                    .execute(c)?;
                if n == 1 {
                    let month = bogota_month(received_at.and_utc());
                    crate::db::models::bump_monthly(c, &month, "correo_contacto", "in", -1)?;
                }
                Ok(n)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search text as it was built before the body was folded apart: everything joined by
    /// spaces, then folded at once.
    fn folded_at_once(draft: &CaseDraft, body: &str) -> String {
        let body: String = crate::intake::door::no_nul(body).chars().take(SEARCH_BODY_CHARS).collect();
        crate::routing::fold_text(&format!(
            "{} {} {} {} {}",
            draft.subject,
            draft.citizen_name.as_deref().unwrap_or(""),
            draft.citizen_email.as_deref().unwrap_or(""),
            draft.citizen_doc_number.as_deref().unwrap_or(""),
            body
        ))
    }

    fn draft(subject: &str, name: Option<&str>, email: Option<&str>, doc: Option<&str>) -> CaseDraft {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00-05:00").unwrap().with_timezone(&Utc);
        CaseDraft {
            channel: Channel::CorreoContacto,
            kind: PetitionKind::PeticionGeneral,
            department: "gd".into(),
            priority: "normal".into(),
            tags: vec![],
            needs_review: false,
            subject: subject.into(),
            citizen_name: name.map(Into::into),
            citizen_email: email.map(Into::into),
            citizen_doc_type: None,
            citizen_doc_number: doc.map(Into::into),
            citizen_phone: None,
            citizen_municipality: None,
            received_at: at,
            effective_date: at.date_naive(),
            term_days: None,
            due_date: None,
            extension_limit: None,
            routing: json!({}),
            entities: json!({}),
            linked_radicado: None,
            actor: "system".into(),
            requester: None,
            demographics: None,
            folded_body: None,
        }
    }

    #[test]
    fn search_text_from_the_body_folded_apart_is_the_text_folded_at_once() {
        let long = "Petición en Tasco, Boyacá: ñandú ".repeat(200); // over 4,000 characters, multibyte
        let cases = [
            (draft("Solicitud de información", Some("José Pérez"), Some("jose@example.co"), None), "Buenos días,\n\n  quisiera saber…"),
            (draft("", None, None, None), ""),
            (draft("   ", Some("\u{200b}"), None, Some("1.020.304")), "\u{0}cuerpo\u{0} con NUL"),
            (draft("Queja\t\tMINERÍA ILEGAL", None, Some("a@b.co"), None), long.as_str()),
            (draft("Asunto", Some(""), Some(""), Some("")), "   \n\t "),
            (draft("“Comillas” — guiones", Some("Ñ"), None, None), "\u{feff}ZWNBSP y \u{00a0}espacio duro"),
        ];
        for (d, body) in &cases {
            assert_eq!(search_text(d, &fold_body(body)), folded_at_once(d, body), "subject {:?}, body {:?}", d.subject, body);
        }
    }
}
