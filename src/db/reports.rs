//! The reports' store: the monthly rollup, the recount from the stored rows, and the case
//! facts the Ley 1712 figures are computed from (`crate::reports`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{case_events, cases, messages, monthly_counts, outbox, quarantine};
use super::AnyConnection;

/// (month, channel, kind, n) of the rollup for `year`.
pub fn rollup(conn: &mut AnyConnection, year: i32) -> QueryResult<Vec<(String, String, String, i64)>> {
    let (from, to) = (format!("{year:04}-01"), format!("{year:04}-12"));
    monthly_counts::table
        .filter(monthly_counts::month.between(&from, &to))
        .select((monthly_counts::month, monthly_counts::channel, monthly_counts::kind, monthly_counts::n))
        .load(conn)
}

/// Counts (month, channel, kind, n) from the stored rows; `None` = every year.
pub fn source_counts(conn: &mut AnyConnection, year: Option<i32>) -> QueryResult<Vec<(String, String, String, i64)>> {
    let (from, to) = match year {
        Some(y) => (format!("{y:04}-01"), format!("{y:04}-12")),
        None => ("0000-00".to_string(), "9999-99".to_string()),
    };
    let mut out = Vec::new();
    let incoming: Vec<(String, String, i64)> = messages::table
        .filter(messages::direction.eq("in"))
        .filter(messages::received_month.between(&from, &to))
        .group_by((messages::received_month, messages::channel))
        .select((messages::received_month, messages::channel, count_star()))
        .load(conn)?;
    out.extend(incoming.into_iter().map(|(m, c, n)| (m, c, "in".to_string(), n)));
    let outgoing: Vec<(Option<String>, bool, i64)> = outbox::table
        .filter(outbox::status.eq("sent"))
        .filter(outbox::sent_month.between(&from, &to))
        .group_by((outbox::sent_month, outbox::internal))
        .select((outbox::sent_month, outbox::internal, count_star()))
        .load(conn)?;
    out.extend(outgoing.into_iter().filter_map(|(m, internal, n)| {
        m.map(|m| (m, "outbox".to_string(), if internal { "internal" } else { "out" }.to_string(), n))
    }));
    // Quarantined mail was received too, until a retry files it (then its message counts).
    let quarantined: Vec<NaiveDateTime> = quarantine::table
        .filter(quarantine::resolved_at.is_null())
        .select(quarantine::received_at)
        .load(conn)?;
    let mut q: BTreeMap<String, i64> = BTreeMap::new();
    for at in quarantined {
        let m = crate::time::bogota_month(at.and_utc());
        if m >= from && m <= to {
            *q.entry(m).or_default() += 1;
        }
    }
    out.extend(q.into_iter().map(|(m, n)| (m, "correo_contacto".to_string(), "in".to_string(), n)));
    Ok(out)
}

/// Rebuild the whole rollup from the stored rows (one transaction). Returns the rows written.
pub fn rebuild_rollup(conn: &mut AnyConnection) -> QueryResult<usize> {
    super::write_tx(conn, |c| {
        let counts = source_counts(c, None)?;
        diesel::delete(monthly_counts::table).execute(c)?;
        let mut merged: BTreeMap<(String, String, String), i64> = BTreeMap::new();
        for (m, ch, k, n) in counts {
            *merged.entry((m, ch, k)).or_default() += n;
        }
        let len = merged.len();
        for ((m, ch, k), n) in merged {
            super::models::bump_monthly(c, &m, &ch, &k, n)?;
        }
        Ok(len)
    })
}

/// What the Ley 1712 figures need of one case (`crate::reports::pqrs`).
#[derive(Debug, Clone, Queryable)]
pub struct CaseFacts {
    pub id: i64,
    pub kind: String,
    pub department: String,
    pub channel: String,
    pub status: String,
    pub effective_date: NaiveDate,
    /// The stored due date: moved by a completed suspension and by an extension.
    pub due_date: Option<NaiveDate>,
    pub responded_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub extended_at: Option<NaiveDateTime>,
    /// The day of the requerimiento (art. 17), kept after the citizen completes.
    pub requerimiento_on: Option<NaiveDate>,
    /// The day the citizen completed the petition (the clock resumes the next business day).
    pub completed_on: Option<NaiveDate>,
    /// The day the clock stopped, while it is stopped.
    pub suspended_on: Option<NaiveDate>,
    /// `cases.outcome` (`None` while open, and for cases closed before it was stored).
    pub outcome: Option<String>,
}

/// The facts of the cases whose effective filing day is in `from..=to`.
pub fn case_facts(conn: &mut AnyConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<CaseFacts>> {
    cases::table
        .filter(cases::effective_date.between(from, to))
        .select((
            cases::id,
            cases::kind,
            cases::department,
            cases::channel,
            cases::status,
            cases::effective_date,
            cases::due_date,
            cases::responded_at,
            cases::closed_at,
            cases::updated_at,
            cases::extended_at,
            cases::requerimiento_on,
            cases::completed_on,
            cases::suspended_on,
            cases::outcome,
        ))
        .order(cases::id)
        .load(conn)
}

/// The answer mails (outbox rows of purpose `respuesta`) of the cases whose effective filing day
/// is in `from..=to`: (case id, outbox status, SMTP acceptance time).
pub fn answer_mails(conn: &mut AnyConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<(i64, String, Option<NaiveDateTime>)>> {
    let rows: Vec<(Option<i64>, String, Option<NaiveDateTime>)> = outbox::table
        .inner_join(cases::table)
        .filter(cases::effective_date.between(from, to))
        .filter(outbox::purpose.eq("respuesta"))
        .select((outbox::case_id, outbox::status, outbox::sent_at))
        .order(outbox::id)
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, status, sent)| id.map(|id| (id, status, sent))).collect())
}

/// Ids of the cases that were ever transferred.
pub fn transferred_case_ids(conn: &mut AnyConnection) -> QueryResult<BTreeSet<i64>> {
    Ok(case_events::table
        .filter(case_events::event_type.eq("trasladado"))
        .select(case_events::case_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}
