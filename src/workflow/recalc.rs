//! A calendar reload moves the terms of open cases (legal engine issue): when a día cívico or a
//! closure is added to (or removed from) `rules/calendar.toml`, every open case whose term the
//! day touches gets its effective day, due date and extension limit computed again from its
//! timeline ([`DeadlinePolicy::term_dates`](crate::domain::deadline::DeadlinePolicy::term_dates)),
//! each in its own transaction with an event `termino_recalculado` naming the days that changed.
//!
//! Runs at start (against the stored dates) and after each SIGHUP (old and new calendars known).
//! A granted extension keeps its date (moved to the next business day if it became a day off);
//! the term a case was filed with (`term_days`) is kept: a change to `terms.toml` applies to new
//! cases only.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::db::lifecycle::{CaseChange, MailContext, Plan};
use crate::db::models::CaseRow;
use crate::db::AnyConnection;
use crate::domain::deadline::{Requerimiento, Timeline};
use crate::domain::CaseStatus;
use crate::policy::Policy;

/// What a recomputation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecalcReport {
    pub open: usize,
    pub moved: usize,
    /// Cases left as they were because their timeline cannot be recomputed (logged).
    pub skipped: usize,
}

/// The new dates of `case` under `new` (with `old`, the calendar it was computed with, when
/// known): `None` when nothing changes.
pub fn plan_for(old: Option<&Policy>, new: &Policy, case: &CaseRow) -> anyhow::Result<Option<Plan>> {
    let Some(term) = case.term_days.and_then(|t| u32::try_from(t).ok()) else { return Ok(None) };
    let dl = &new.deadlines;
    let mut effective = dl.effective_filing_day(case.received_at.and_utc())?;
    let (mut due, limit) = if case.status == CaseStatus::Requerimiento {
        // The clock is stopped: the stored dates are those at the moment it stopped.
        (Some(dl.due_date_from(effective, term)?), Some(dl.max_extended_due(effective, term)?))
    } else {
        let timeline = Timeline {
            effective_day: effective,
            term: Some(term),
            requerimiento: case.requerimiento_on.map(|made_on| Requerimiento {
                made_on,
                completed_on: case.completed_on,
                citizen_extension: case.citizen_extension,
                clarification: case.clarification,
            }),
        };
        let dates = dl.term_dates(&timeline)?;
        // A clarified petition (art. 19) counts from its clarification.
        effective = dates.effective_day;
        (dates.due, dates.extension_limit)
    };
    if case.extended_at.is_some() {
        due = case.due_date.and_then(|d| dl.calendar.business_day_on_or_after(d));
    }
    if (effective, due, limit) == (case.effective_date, case.due_date, case.extension_limit) {
        return Ok(None);
    }
    let days = changed_days(old, new, case, effective, [due, limit, case.due_date, case.extension_limit]);
    let change = CaseChange { effective_date: Some(effective), due_date: Some(due), extension_limit: Some(limit), ..Default::default() };
    Ok(Some(
        Plan::new(
            "termino_recalculado",
            change,
            json!({
                "old_effective_day": case.effective_date, "new_effective_day": effective,
                "old_due": case.due_date, "new_due": due,
                "old_extension_limit": case.extension_limit, "new_extension_limit": limit,
                "days": days,
            }),
        )
        .reason(Some(reason_text(&days))),
    ))
}

/// The days in the case's span whose status differs between the calendars (with the old one
/// known), or, at start, the extra days off of the new calendar in that span.
fn changed_days(old: Option<&Policy>, new: &Policy, case: &CaseRow, effective: NaiveDate, ends: [Option<NaiveDate>; 4]) -> Vec<serde_json::Value> {
    let from = case.effective_date.min(effective);
    let Some(to) = ends.into_iter().flatten().max() else { return Vec::new() };
    let cal = &new.deadlines.calendar;
    let reason_of = |d: NaiveDate| cal.extra_days().iter().find(|x| x.date == d).map(|x| x.reason.clone());
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter_map(|d| {
            let off_now = !cal.is_business_day(d);
            let differs = match old {
                Some(o) => off_now == o.deadlines.calendar.is_business_day(d),
                None => off_now && cal.is_extra_non_business_day(d),
            };
            differs.then(|| json!({ "date": d, "business_day": !off_now, "reason": reason_of(d) }))
        })
        .collect()
}

fn reason_text(days: &[serde_json::Value]) -> String {
    if days.is_empty() {
        return "Cambio del calendario de días hábiles.".into();
    }
    let list: Vec<String> = days
        .iter()
        .map(|d| {
            let date = d["date"].as_str().unwrap_or_default();
            let what = if d["business_day"].as_bool() == Some(true) { "vuelve a ser hábil" } else { "día no hábil" };
            match d["reason"].as_str() {
                Some(r) => format!("{date} ({what}: {r})"),
                None => format!("{date} ({what})"),
            }
        })
        .collect();
    format!("Cambio del calendario: {}.", list.join("; "))
}

/// Recompute the open cases' dates under `new`; each moved case in its own transaction.
pub fn recompute(conn: &mut AnyConnection, mail: &MailContext<'_>, old: Option<&Policy>, new: &Policy, now: DateTime<Utc>) -> anyhow::Result<RecalcReport> {
    let open = crate::db::alerts::open_cases(conn)?;
    let legacy = crate::db::alerts::resumed_without_timeline(conn)?;
    let mut report = RecalcReport { open: open.len(), ..Default::default() };
    for case in &open {
        if legacy.contains(&case.id) {
            report.skipped += 1;
            continue;
        }
        match plan_for(old, new, case) {
            Ok(None) => {}
            Ok(Some(_)) => {
                // Decided again on the case as stored in the transaction that writes it.
                let decision: Box<dyn FnOnce(&CaseRow) -> Result<Option<Plan>, anyhow::Error>> =
                    Box::new(|stored: &CaseRow| if stored.status.is_open() { plan_for(old, new, stored) } else { Ok(None) });
                match crate::db::lifecycle::act_many(conn, mail, case.id, None, "sistema", now, vec![decision]) {
                    Ok(_) => report.moved += 1,
                    Err(crate::db::lifecycle::ActError::Db(e)) => return Err(e.into()),
                    Err(e) => {
                        tracing::warn!(case_id = case.id, error = %e, "term not recomputed");
                        report.skipped += 1;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(case_id = case.id, radicado = %case.radicado, error = %e, "term not recomputed: the timeline does not fit the new calendar");
                report.skipped += 1;
            }
        }
    }
    Ok(report)
}
