//! The follow-up job's store: open cases, department addresses, and alerts sent at most once
//! (their key in `alerts_sent` is written in the transaction that queues the mail or the event).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::models::{CaseRow, NewOutbox};
use super::schema::{alerts_sent, cases, departments, outbox};
use super::AnyConnection;
use crate::domain::CaseStatus;

/// Cases whose term runs or is suspended.
pub fn open_cases(conn: &mut AnyConnection) -> QueryResult<Vec<CaseRow>> {
    cases::table
        .filter(cases::status.eq_any(
            [CaseStatus::Radicado, CaseStatus::Asignado, CaseStatus::EnTramite, CaseStatus::Requerimiento].map(|s| s.as_str()),
        ))
        .select(CaseRow::as_select())
        .load(conn)
}

/// Open cases resumed after a suspension before the timeline columns existed
/// (`requerimiento_on` NULL): their shift cannot be recomputed from the timeline.
pub fn resumed_without_timeline(conn: &mut AnyConnection) -> QueryResult<std::collections::BTreeSet<i64>> {
    use super::schema::case_events;
    Ok(case_events::table
        .inner_join(cases::table)
        .filter(case_events::event_type.eq("reanudado"))
        .filter(cases::requerimiento_on.is_null())
        .select(case_events::case_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Department code → its alert address (if any).
pub fn department_emails(conn: &mut AnyConnection) -> QueryResult<BTreeMap<String, Option<String>>> {
    Ok(departments::table
        .select((departments::code, departments::email))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .collect())
}

/// An event to append to a case's history with an alert.
pub struct AlertEvent<'a> {
    pub case_id: i64,
    pub event_type: &'a str,
    pub reason: Option<&'a str>,
    pub payload: serde_json::Value,
}

/// Queue `mail` and append `event` under the alert `key`, unless an alert with that key was
/// already sent; all in one transaction. `Ok(false)`: it was sent before, nothing written.
pub fn send_once(
    conn: &mut AnyConnection,
    key: &str,
    now: DateTime<Utc>,
    mail: Option<NewOutbox>,
    event: Option<AlertEvent<'_>>,
) -> QueryResult<bool> {
    super::write_tx(conn, |c| {
        let n = crate::with_inner!(&mut *c, |ic| diesel::insert_into(alerts_sent::table)
            .values((alerts_sent::alert_key.eq(key), alerts_sent::sent_at.eq(now.naive_utc())))
            .on_conflict(alerts_sent::alert_key)
            .do_nothing()
            .execute(ic))?;
        if n == 0 {
            return Ok(false);
        }
        if let Some(m) = &mail {
            diesel::insert_into(outbox::table).values(m.clone()).execute(c)?;
        }
        if let Some(e) = event {
            super::intake::add_event(c, e.case_id, "sistema", e.event_type, e.reason, e.payload)?;
        }
        Ok(true)
    })
}
