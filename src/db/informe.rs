//! The store side of the monthly informe (`crate::informe`): the cases a month followed up.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::cases;
use super::AnyConnection;

/// One case as the informe's follow-up figures see it.
#[derive(Debug, Clone, Queryable)]
pub struct FollowedCase {
    pub department: String,
    pub channel: String,
    pub status: String,
    pub effective_date: NaiveDate,
    /// UTC.
    pub responded_at: Option<NaiveDateTime>,
    /// UTC.
    pub closed_at: Option<NaiveDateTime>,
    /// UTC: the last change, the end of a case that left the entity's hands without an answer
    /// or a closing time (a transfer).
    pub updated_at: NaiveDateTime,
}

/// The cases not annulled whose effective filing day is on or before `last_day` and that were not
/// closed before `since` (UTC): every case that may have been in the entity's hands during the
/// month. The caller drops those answered before the month.
pub fn followed_cases(conn: &mut AnyConnection, last_day: NaiveDate, since: NaiveDateTime) -> QueryResult<Vec<FollowedCase>> {
    cases::table
        .filter(cases::effective_date.le(last_day))
        .filter(cases::status.ne("anulado"))
        .filter(cases::closed_at.is_null().or(cases::closed_at.ge(since)))
        .select((cases::department, cases::channel, cases::status, cases::effective_date, cases::responded_at, cases::closed_at, cases::updated_at))
        .order(cases::id)
        .load(conn)
}

/// The statistics-only answers (enfoque diferencial) of the filings whose effective filing day is
/// in `from..=to`: (ethnic_group, disability, conflict_victim, gender, age_range) per filing that
/// gave any. Only counted, never listed per case.
pub fn demographics(conn: &mut AnyConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<[Option<String>; 5]>> {
    use super::schema::filing_demographics as fd;
    let rows: Vec<(Option<String>, Option<String>, Option<String>, Option<String>, Option<String>)> = fd::table
        .inner_join(cases::table)
        .filter(cases::effective_date.between(from, to))
        .filter(cases::status.ne("anulado"))
        .select((fd::ethnic_group, fd::disability, fd::conflict_victim, fd::gender, fd::age_range))
        .load(conn)?;
    Ok(rows.into_iter().map(|(a, b, c, d, e)| [a, b, c, d, e]).collect())
}
