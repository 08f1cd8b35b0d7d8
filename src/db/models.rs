//! Rows and insert forms (`New*`) of the store, with their queries.
//!
//! The insert forms of the intake's tables bind `None` as NULL (`treat_none_as_default_value =
//! false`; none of their nullable columns has another default), so each INSERT has one SQL text
//! whatever its values and diesel's prepared-statement cache keeps it. With the default, every
//! combination of present and absent values is its own statement, and SQLite parsed and planned
//! the case, message and outbox inserts afresh for every mail (a sixth of a bulk import's store
//! thread in perf).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::*;
use crate::domain::{CaseStatus, Channel, OutboxStatus, PetitionKind};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: i64,
    pub radicado: String,
    pub radicado_year: i64,
    pub radicado_seq: i64,
    #[diesel(deserialize_as = String)]
    pub channel: Channel,
    #[diesel(deserialize_as = String)]
    pub kind: PetitionKind,
    pub department: String,
    #[diesel(deserialize_as = String)]
    pub status: CaseStatus,
    pub priority: String,
    pub tags: String,
    pub needs_review: bool,
    pub subject: String,
    pub citizen_name: Option<String>,
    pub citizen_email: Option<String>,
    pub citizen_doc_type: Option<String>,
    pub citizen_doc_number: Option<String>,
    pub citizen_phone: Option<String>,
    pub citizen_municipality: Option<String>,
    pub received_at: NaiveDateTime,
    pub received_month: String,
    pub effective_date: NaiveDate,
    pub term_days: Option<i64>,
    pub due_date: Option<NaiveDate>,
    pub routing: String,
    pub entities: String,
    pub linked_radicado: Option<String>,
    pub annulled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub assigned_to: Option<String>,
    pub suspended_on: Option<NaiveDate>,
    pub original_due_date: Option<NaiveDate>,
    pub extended_at: Option<NaiveDateTime>,
    pub transferred_to: Option<String>,
    pub response_radicado: Option<String>,
    pub search_text: String,
    /// The latest date an extension may reach (moved by suspensions like `due_date`).
    pub extension_limit: Option<NaiveDate>,
    /// The day a requerimiento (art. 17) stopped the clock; kept after the citizen completes.
    pub requerimiento_on: Option<NaiveDate>,
    /// The day the citizen completed the petition (the clock resumes the next business day).
    pub completed_on: Option<NaiveDate>,
    /// The citizen asked, within the month, for a second month to complete (art. 17).
    pub citizen_extension: bool,
    /// How the case ended, for the Ley 1712 figures (see `domain::Outcome`).
    pub outcome: Option<String>,
    /// Why the case has priority under art. 20 (fundamental right, minor, ...), when it has.
    pub priority_reason: Option<String>,
    /// The requerimiento is an art. 19 devolución (clarify within 10 business days).
    pub clarification: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cases, treat_none_as_default_value = false)]
pub struct NewCase {
    pub radicado: String,
    pub radicado_year: i64,
    pub radicado_seq: i64,
    #[diesel(serialize_as = String)]
    pub channel: Channel,
    #[diesel(serialize_as = String)]
    pub kind: PetitionKind,
    pub department: String,
    #[diesel(serialize_as = String)]
    pub status: CaseStatus,
    pub priority: String,
    pub tags: String,
    pub needs_review: bool,
    pub subject: String,
    pub citizen_name: Option<String>,
    pub citizen_email: Option<String>,
    pub citizen_doc_type: Option<String>,
    pub citizen_doc_number: Option<String>,
    pub citizen_phone: Option<String>,
    pub citizen_municipality: Option<String>,
    pub received_at: NaiveDateTime,
    pub received_month: String,
    pub effective_date: NaiveDate,
    pub term_days: Option<i64>,
    pub due_date: Option<NaiveDate>,
    pub routing: String,
    pub entities: String,
    pub linked_radicado: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub search_text: String,
    pub extension_limit: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = messages)]
pub struct MessageMeta {
    pub id: i64,
    pub direction: String,
    pub channel: String,
    pub source: String,
    pub dedupe_key: String,
    pub message_id: Option<String>,
    pub sha256: String,
    pub disposition: String,
    pub case_id: Option<i64>,
    pub subject: String,
    pub from_addr: Option<String>,
    pub received_at: NaiveDateTime,
    pub received_month: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct NewMessage {
    pub direction: String,
    pub channel: String,
    pub source: String,
    pub dedupe_key: String,
    pub message_id: Option<String>,
    pub sha256: String,
    pub disposition: String,
    pub case_id: Option<i64>,
    pub subject: String,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    pub to_addrs: String,
    pub in_reply_to: Option<String>,
    pub references_ids: String,
    pub received_at: NaiveDateTime,
    pub received_month: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub headers: String,
    pub raw: Vec<u8>,
    pub raw_size: i64,
    pub created_at: NaiveDateTime,
    /// Another stored mail has the same Message-ID and different content (set when filing).
    pub reused_message_id: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments, treat_none_as_default_value = false)]
pub struct NewAttachment {
    pub message_row_id: i64,
    pub case_id: Option<i64>,
    pub part_index: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = case_events)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    #[schema(value_type = String)]
    pub at: NaiveDateTime,
    pub actor: String,
    pub event_type: String,
    pub reason: Option<String>,
    pub payload: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_events, treat_none_as_default_value = false)]
pub struct NewCaseEvent {
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub event_type: String,
    pub reason: Option<String>,
    pub payload: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub case_id: Option<i64>,
    pub purpose: String,
    pub internal: bool,
    pub radicado: Option<String>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    #[diesel(deserialize_as = String)]
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub sent_month: Option<String>,
    /// The stored bounce (`messages.id`) that reported this mail undelivered.
    pub bounce_message_row_id: Option<i64>,
    /// The instance (`instance_id`) that claimed it last (`db::outbox::claim_next`).
    pub claimed_by: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewOutbox {
    pub case_id: Option<i64>,
    pub purpose: String,
    pub internal: bool,
    pub radicado: Option<String>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    #[diesel(serialize_as = String)]
    pub status: OutboxStatus,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = quarantine)]
pub struct QuarantineMeta {
    pub id: i64,
    pub source: String,
    pub source_ref: Option<String>,
    pub sha256: String,
    pub reason: String,
    pub raw_size: i64,
    pub received_at: NaiveDateTime,
    pub attempts: i64,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = quarantine, treat_none_as_default_value = false)]
pub struct NewQuarantine {
    pub source: String,
    pub source_ref: Option<String>,
    pub sha256: String,
    pub reason: String,
    pub raw: Vec<u8>,
    pub raw_size: i64,
    pub received_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = departments)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub description: String,
    pub email: Option<String>,
    pub head_email: Option<String>,
    pub active: bool,
}

impl CaseRow {
    pub fn by_radicado(conn: &mut AnyConnection, radicado: &str) -> QueryResult<Option<CaseRow>> {
        cases::table
            .filter(cases::radicado.eq(radicado))
            .select(CaseRow::as_select())
            .first(conn)
            .optional()
    }

    pub fn by_id(conn: &mut AnyConnection, id: i64) -> QueryResult<CaseRow> {
        cases::table.find(id).select(CaseRow::as_select()).first(conn)
    }

    pub fn events(&self, conn: &mut AnyConnection) -> QueryResult<Vec<CaseEvent>> {
        case_events::table
            .filter(case_events::case_id.eq(self.id))
            .order(case_events::id.asc())
            .select(CaseEvent::as_select())
            .load(conn)
    }
}

impl Department {
    /// Insert or update the departments read from the rule files (existing codes not in the
    /// list are kept but marked inactive, so old cases still show their department's name).
    pub fn sync(conn: &mut AnyConnection, list: &[Department]) -> QueryResult<()> {
        super::write_tx(conn, |c| {
            diesel::update(departments::table).set(departments::active.eq(false)).execute(c)?;
            for d in list {
                crate::with_inner!(&mut *c, |ic| diesel::insert_into(departments::table)
                    .values(d)
                    .on_conflict(departments::code)
                    .do_update()
                    .set((
                        departments::name.eq(&d.name),
                        departments::description.eq(&d.description),
                        departments::email.eq(&d.email),
                        departments::head_email.eq(&d.head_email),
                        departments::active.eq(true),
                    ))
                    .execute(ic))?;
            }
            Ok(())
        })
    }

    pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<Department>> {
        departments::table.order(departments::code).select(Department::as_select()).load(conn)
    }
}

impl QuarantineMeta {
    /// Open (unresolved) records, oldest first.
    pub fn open(conn: &mut AnyConnection) -> QueryResult<Vec<QuarantineMeta>> {
        quarantine::table
            .filter(quarantine::resolved_at.is_null())
            .order(quarantine::id.asc())
            .select(QuarantineMeta::as_select())
            .load(conn)
    }
}

/// Counts shown by `/healthz`.
pub fn outbox_backlog(conn: &mut AnyConnection) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq("pending")).count().get_result(conn)
}

pub fn quarantine_open(conn: &mut AnyConnection) -> QueryResult<i64> {
    quarantine::table.filter(quarantine::resolved_at.is_null()).count().get_result(conn)
}

/// Add `delta` to the report rollup (see `crate::reports`). Runs inside the caller's transaction.
pub fn bump_monthly(conn: &mut AnyConnection, month: &str, channel: &str, kind: &str, delta: i64) -> QueryResult<()> {
    let bump = crate::db::cached::BumpMonthly { month, channel, kind, delta };
    crate::with_inner!(conn, |c| bump.execute(c))?;
    Ok(())
}

/// One outgoing communication of a case (an oficio with its outgoing radicado), whatever the
/// channel: see `db::communications`.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = communications)]
pub struct CommunicationRow {
    pub id: i64,
    pub case_id: i64,
    /// Radicado de salida (tipo 1).
    pub radicado: String,
    /// `respuesta`, `requerimiento`, `prorroga`, `traslado`, ...
    pub purpose: String,
    /// `email`, `fisico` (printed, by post or in person) or `publicacion` (anonymous petitions).
    #[schema(schema_with = crate::web::api_doc::communication_channels)]
    pub channel: String,
    pub addressee_name: String,
    pub addressee_address: String,
    pub subject: String,
    pub body: String,
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
    /// The staff user (e-mail) who acted, or `sistema`.
    pub created_by: String,
    #[schema(required)]
    pub outbox_id: Option<i64>,
    /// The stored record (`messages`, direction `out`) holding the attachments, when any.
    #[schema(required)]
    pub message_row_id: Option<i64>,
    #[schema(required, value_type = Option<String>)]
    pub annulled_at: Option<NaiveDateTime>,
    #[schema(required)]
    pub annulled_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = communications)]
pub struct NewCommunication {
    pub case_id: i64,
    pub radicado: String,
    pub purpose: String,
    pub channel: String,
    pub addressee_name: String,
    pub addressee_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub outbox_id: Option<i64>,
    pub message_row_id: Option<i64>,
}
