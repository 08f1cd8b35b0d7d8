//! Case queries for staff views and the case API: filtered, sorted, paginated lists, always
//! scoped to the caller's department unless the caller sees everything.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::models::{CaseEvent, CaseRow};
use super::schema::{attachments, case_events, cases, messages};
use super::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    DueAsc,
    ReceivedDesc,
    ReceivedAsc,
}

impl Sort {
    pub fn parse(s: &str) -> Sort {
        match s {
            "recibido_desc" | "received_desc" => Sort::ReceivedDesc,
            "recibido_asc" | "received_asc" => Sort::ReceivedAsc,
            _ => Sort::DueAsc,
        }
    }
}

/// A list request. `scope` = the caller's department (None: every department).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub scope: Option<String>,
    pub department: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub channel: Option<String>,
    /// Only open cases (radicado, asignado, en_tramite, requerimiento).
    pub open_only: bool,
    pub needs_review: Option<bool>,
    /// Due on or before this date (overdue / due soon views).
    pub due_on_or_before: Option<NaiveDate>,
    pub due_on_or_after: Option<NaiveDate>,
    /// Search text, folded like the stored `search_text`; also matches a radicado.
    pub q: Option<String>,
    pub sort: Sort,
    pub page: i64,
    pub per_page: i64,
}

/// The id of the case with this radicado (no scope: the action that follows checks it in its
/// own transaction).
pub fn id_by_radicado(conn: &mut AnyConnection, radicado: &str) -> QueryResult<Option<i64>> {
    cases::table.filter(cases::radicado.eq(radicado)).select(cases::id).first(conn).optional()
}

pub const OPEN: [&str; 4] = ["radicado", "asignado", "en_tramite", "requerimiento"];

/// One page of cases and whether more follow.
pub fn list(conn: &mut AnyConnection, f: &CaseFilter) -> QueryResult<(Vec<CaseRow>, bool)> {
    let mut q = cases::table.select(CaseRow::as_select()).into_boxed();
    if let Some(s) = &f.scope {
        q = q.filter(cases::department.eq(s.clone()));
    }
    if let Some(d) = &f.department {
        q = q.filter(cases::department.eq(d.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(cases::status.eq(s.clone()));
    } else if f.open_only {
        q = q.filter(cases::status.eq_any(OPEN));
    }
    if let Some(k) = &f.kind {
        q = q.filter(cases::kind.eq(k.clone()));
    }
    if let Some(c) = &f.channel {
        q = q.filter(cases::channel.eq(c.clone()));
    }
    if let Some(r) = f.needs_review {
        q = q.filter(cases::needs_review.eq(r));
    }
    if let Some(d) = f.due_on_or_before {
        q = q.filter(cases::due_date.le(d));
    }
    if let Some(d) = f.due_on_or_after {
        q = q.filter(cases::due_date.ge(d));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
        let folded = crate::routing::fold_text(text).replace(['%', '_', '\\'], " ");
        let pattern = format!("%{}%", folded.trim());
        if digits.len() >= 14 && digits.len() == text.len() {
            q = q.filter(cases::radicado.eq(digits));
        } else {
            q = q.filter(cases::search_text.like(pattern));
        }
    }
    q = match f.sort {
        // Priority cases (art. 20) first, then by due date.
        Sort::DueAsc => q.order((cases::priority_reason.is_null().asc(), cases::due_date.is_null().asc(), cases::due_date.asc(), cases::id.asc())),
        Sort::ReceivedDesc => q.order(cases::id.desc()),
        Sort::ReceivedAsc => q.order(cases::id.asc()),
    };
    let per = f.per_page.clamp(1, 200);
    let mut rows: Vec<CaseRow> = q.offset(f.page.max(0).saturating_mul(per)).limit(per + 1).load(conn)?;
    let more = rows.len() as i64 > per;
    rows.truncate(per as usize);
    Ok((rows, more))
}

/// A case by radicado, only if the caller's scope includes it.
pub fn get_scoped(conn: &mut AnyConnection, radicado: &str, scope: Option<&str>) -> QueryResult<Option<CaseRow>> {
    let mut q = cases::table.filter(cases::radicado.eq(radicado)).select(CaseRow::as_select()).into_boxed();
    if let Some(s) = scope {
        q = q.filter(cases::department.eq(s.to_string()));
    }
    q.first(conn).optional()
}

pub fn events(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<CaseEvent>> {
    case_events::table.filter(case_events::case_id.eq(case_id)).order(case_events::id.asc()).select(CaseEvent::as_select()).load(conn)
}

/// A message of a case, as staff see it.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct CaseMessage {
    pub id: i64,
    pub direction: String,
    pub disposition: String,
    pub subject: String,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    #[schema(value_type = String)]
    pub received_at: chrono::NaiveDateTime,
    pub body_text: String,
    pub body_html: Option<String>,
}

pub fn case_messages(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<CaseMessage>> {
    messages::table
        .filter(messages::case_id.eq(case_id))
        .order(messages::id.asc())
        .select((messages::id, messages::direction, messages::disposition, messages::subject, messages::from_addr,
            messages::from_name, messages::received_at, messages::body_text, messages::body_html))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentMeta {
    pub id: i64,
    pub message_row_id: i64,
    pub part_index: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

pub fn case_attachments(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<AttachmentMeta>> {
    attachments::table
        .filter(attachments::case_id.eq(case_id))
        .order(attachments::id.asc())
        .select((attachments::id, attachments::message_row_id, attachments::part_index, attachments::filename, attachments::content_type, attachments::size))
        .load(conn)
}

/// An attachment's metadata and the raw message it came in (the legal record), from which the
/// caller extracts its bytes (under the parse time limit).
pub fn attachment_source(conn: &mut AnyConnection, case_id: i64, attachment_id: i64) -> QueryResult<Option<(AttachmentMeta, Vec<u8>)>> {
    let meta: Option<AttachmentMeta> = attachments::table
        .filter(attachments::id.eq(attachment_id))
        .filter(attachments::case_id.eq(case_id))
        .select((attachments::id, attachments::message_row_id, attachments::part_index, attachments::filename, attachments::content_type, attachments::size))
        .first(conn)
        .optional()?;
    let Some(meta) = meta else { return Ok(None) };
    let raw: Vec<u8> = messages::table.find(meta.message_row_id).select(messages::raw).first(conn)?;
    Ok(Some((meta, raw)))
}

/// Record a view of personal data (Ley 1581).
pub fn audit(conn: &mut AnyConnection, actor: &str, action: &str, case_id: Option<i64>, detail: &str) -> QueryResult<()> {
    use super::schema::audit_log;
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(chrono::Utc::now().naive_utc()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::case_id.eq(case_id),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}
