//! Proof of notification (legal engine issue): a mail with legal effect to the citizen
//! ([`crate::domain::outgoing::has_legal_effect`]) that does not reach them (a bounce, a permanent
//! SMTP refusal, attempts exhausted) puts its case in triage as "notificación fallida": the case
//! gets `needs_review` and an event [`FAILED`], in the transaction that records the failure
//! (`db::intake::record_bounce`, `db::outbox::record`). Staff clear it by acting: an action that
//! clears `needs_review` (assign, reclassify) or [`clear`], which records how it was handled
//! ([`HANDLED`]).
//!
//! A failure is pending while the case has `needs_review` and its last [`FAILED`] event comes
//! after its last [`HANDLED`] one.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::models::{CaseEvent, CaseRow, OutboxRow};
use super::schema::{case_events, cases, messages, outbox};
use super::AnyConnection;
use crate::domain::outgoing::has_legal_effect;

/// The event of a failed notification (actor `system`).
pub const FAILED: &str = "notificacion_fallida";
/// The event of staff handling one (the reason says how: notified another way, by aviso, ...).
pub const HANDLED: &str = "notificacion_atendida";

/// Inside the transaction that marks `row` failed: when it is a mail with legal effect to a
/// case's citizen, flag the case for review and append [`FAILED`] naming the outbox row, its
/// purpose, its outgoing radicado, the error and (for a bounce) the stored bounce's row id.
/// Callers call this only when their guarded update changed the row, so a second report of the
/// same failure adds nothing. Returns whether the case was flagged.
pub(crate) fn record_failure(
    c: &mut AnyConnection,
    row: &OutboxRow,
    error: &str,
    bounce_message_row_id: Option<i64>,
) -> QueryResult<bool> {
    let Some(case_id) = row.case_id else { return Ok(false) };
    if !has_legal_effect(&row.purpose, row.internal) {
        return Ok(false);
    }
    let error: String = error.chars().take(1000).collect();
    diesel::update(cases::table.find(case_id))
        .set((cases::needs_review.eq(true), cases::updated_at.eq(Utc::now().naive_utc())))
        .execute(c)?;
    super::intake::add_event(
        c,
        case_id,
        "system",
        FAILED,
        Some(&error),
        json!({
            "outbox_id": row.id,
            "purpose": row.purpose,
            "radicado": row.radicado,
            "to": row.to_addr,
            "error": error,
            "bounce_message_row_id": bounce_message_row_id,
        }),
    )?;
    Ok(true)
}

/// A failed notification, as its event recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub event_id: i64,
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub outbox_id: Option<i64>,
    pub purpose: String,
    /// The outgoing radicado of the mail that failed.
    pub radicado: Option<String>,
    pub to: Option<String>,
    pub error: String,
    pub bounce_message_row_id: Option<i64>,
}

impl Failure {
    fn from_event(e: &CaseEvent) -> Failure {
        let p: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let text = |k: &str| p[k].as_str().map(str::to_string);
        Failure {
            event_id: e.id,
            case_id: e.case_id,
            at: e.at,
            outbox_id: p["outbox_id"].as_i64(),
            purpose: text("purpose").unwrap_or_default(),
            radicado: text("radicado"),
            to: text("to"),
            error: text("error").or_else(|| e.reason.clone()).unwrap_or_default(),
            bounce_message_row_id: p["bounce_message_row_id"].as_i64(),
        }
    }
}

/// The pending failure of each case, from its [`FAILED`]/[`HANDLED`] events in id order.
fn pending_of(events: &[CaseEvent]) -> BTreeMap<i64, Failure> {
    let mut out = BTreeMap::new();
    for e in events {
        match e.event_type.as_str() {
            FAILED => {
                out.insert(e.case_id, Failure::from_event(e));
            }
            HANDLED => {
                out.remove(&e.case_id);
            }
            _ => {}
        }
    }
    out
}

/// Every case with a pending failed notification and its last failure, oldest failure first
/// (the triage queue).
pub fn pending_failures(conn: &mut AnyConnection) -> QueryResult<Vec<(CaseRow, Failure)>> {
    let events: Vec<CaseEvent> = case_events::table
        .inner_join(cases::table)
        .filter(cases::needs_review.eq(true))
        .filter(case_events::event_type.eq_any([FAILED, HANDLED]))
        .order(case_events::id.asc())
        .select(CaseEvent::as_select())
        .load(conn)?;
    let pending = pending_of(&events);
    let ids: Vec<i64> = pending.keys().copied().collect();
    let rows: Vec<CaseRow> = cases::table.filter(cases::id.eq_any(&ids)).select(CaseRow::as_select()).load(conn)?;
    let mut out: Vec<(CaseRow, Failure)> = rows
        .into_iter()
        .filter_map(|c| pending.get(&c.id).cloned().map(|f| (c, f)))
        .collect();
    out.sort_by_key(|(_, f)| f.event_id);
    Ok(out)
}

/// The pending failed notification of `case`, if any.
pub fn pending_failure(conn: &mut AnyConnection, case: &CaseRow) -> QueryResult<Option<Failure>> {
    if !case.needs_review {
        return Ok(None);
    }
    let events: Vec<CaseEvent> = case_events::table
        .filter(case_events::case_id.eq(case.id))
        .filter(case_events::event_type.eq_any([FAILED, HANDLED]))
        .order(case_events::id.asc())
        .select(CaseEvent::as_select())
        .load(conn)?;
    Ok(pending_of(&events).remove(&case.id))
}

/// The mails to the citizen of a case (not internal mail to staff), in the order they were
/// queued, with their delivery state.
pub fn communications(conn: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::case_id.eq(case_id))
        .filter(outbox::internal.eq(false))
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// A stored bounce as the case page shows it: (subject, the start of its text).
pub fn bounce_excerpt(conn: &mut AnyConnection, message_row_id: i64) -> QueryResult<Option<(String, String)>> {
    let found: Option<(String, String)> = messages::table
        .find(message_row_id)
        .filter(messages::disposition.eq("bounce"))
        .select((messages::subject, messages::body_text))
        .first(conn)
        .optional()?;
    Ok(found.map(|(s, b)| {
        let mut excerpt: String = b.trim().chars().take(600).collect();
        if b.trim().chars().count() > 600 {
            excerpt.push('…');
        }
        (s, excerpt)
    }))
}

/// What [`clear`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleared {
    Done,
    /// No such case in the caller's scope.
    NotFound,
    /// The case has no pending failed notification.
    NothingPending,
}

/// Staff handled a failed notification (notified another way, by aviso, a new address to be
/// used...): the case leaves the triage queue with a [`HANDLED`] event carrying `reason`, in one
/// transaction with the scope check.
pub fn clear(conn: &mut AnyConnection, radicado: &str, scope: Option<&str>, actor: &str, reason: &str) -> QueryResult<Cleared> {
    super::write_tx(conn, |c| {
        let Some(case) = super::cases::get_scoped(c, radicado, scope)? else { return Ok(Cleared::NotFound) };
        let Some(failure) = pending_failure(c, &case)? else { return Ok(Cleared::NothingPending) };
        diesel::update(cases::table.find(case.id))
            .set((cases::needs_review.eq(false), cases::updated_at.eq(Utc::now().naive_utc())))
            .execute(c)?;
        super::intake::add_event(
            c,
            case.id,
            actor,
            HANDLED,
            Some(reason),
            json!({ "outbox_id": failure.outbox_id, "failure_event_id": failure.event_id }),
        )?;
        Ok(Cleared::Done)
    })
}
