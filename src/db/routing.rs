//! The labelled examples of the routing model: cases whose department and kind a person
//! confirmed (assigned) or corrected (reclassified, reassigned), kept with the labels they had
//! after that action (`routing_examples`), read back with the text of the case's first
//! incoming message.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{cases, messages, routing_examples};
use super::AnyConnection;

/// Record (or update) the labels of `case_id` as confirmed by `by` at `at`.
pub fn label(c: &mut AnyConnection, case_id: i64, department: &str, kind: &str, by: &str, at: NaiveDateTime) -> QueryResult<()> {
    let updated = diesel::update(routing_examples::table.find(case_id))
        .set((
            routing_examples::department.eq(department),
            routing_examples::kind.eq(kind),
            routing_examples::labelled_by.eq(by),
            routing_examples::labelled_at.eq(at),
        ))
        .execute(c)?;
    if updated == 0 {
        diesel::insert_into(routing_examples::table)
            .values((
                routing_examples::case_id.eq(case_id),
                routing_examples::department.eq(department),
                routing_examples::kind.eq(kind),
                routing_examples::labelled_by.eq(by),
                routing_examples::labelled_at.eq(at),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// A labelled case with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledCase {
    pub case_id: i64,
    pub radicado: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub from: String,
    pub department: String,
    pub kind: String,
}

/// Every labelled case that has an incoming message (its first one gives the text).
pub fn labelled_cases(c: &mut AnyConnection) -> QueryResult<Vec<LabelledCase>> {
    let rows: Vec<(i64, String, String, String, String, String)> = routing_examples::table
        .inner_join(cases::table)
        .order(routing_examples::case_id.asc())
        .select((routing_examples::case_id, cases::radicado, cases::channel, cases::subject, routing_examples::department, routing_examples::kind))
        .load(c)?;
    let mut out = Vec::with_capacity(rows.len());
    for (case_id, radicado, channel, case_subject, department, kind) in rows {
        let first: Option<(String, String, Option<String>, Option<String>)> = messages::table
            .filter(messages::case_id.eq(case_id))
            .filter(messages::direction.eq("in"))
            .order(messages::id.asc())
            .select((messages::subject, messages::body_text, messages::from_addr, messages::from_name))
            .first(c)
            .optional()?;
        let Some((subject, body, from_addr, from_name)) = first else { continue };
        let from = match (from_name.filter(|n| !n.trim().is_empty()), from_addr) {
            (Some(n), Some(a)) => format!("{n} <{a}>"),
            (None, Some(a)) => a,
            (_, None) => String::new(),
        };
        let subject = if subject.trim().is_empty() { case_subject } else { subject };
        out.push(LabelledCase { case_id, radicado, channel, subject, body, from, department, kind });
    }
    Ok(out)
}

/// (number of labelled cases, latest label time): changes when retraining has something new.
pub fn version(c: &mut AnyConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let n: i64 = routing_examples::table.count().get_result(c)?;
    let latest: Option<NaiveDateTime> = routing_examples::table.select(diesel::dsl::max(routing_examples::labelled_at)).first(c)?;
    Ok((n, latest))
}
