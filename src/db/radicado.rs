//! Gap-free radicado allocation.
//!
//! One row per (year, type digit) in `radicado_sequences`; allocation is
//! `UPDATE … SET last_value = last_value + 1 … RETURNING last_value` inside the caller's filing
//! transaction. The row lock (PostgreSQL) or the database write lock (SQLite) is held until that
//! transaction ends, so: a rolled-back filing gives its number back (no gap), two instances on one
//! PostgreSQL never get the same number (no duplicate), and numbers follow commit order (strictly
//! increasing). Allocate late in the transaction to keep the lock short.

use diesel::prelude::*;

use super::schema::radicado_sequences::dsl as s;
use super::AnyConnection;
use crate::domain::radicado::{Radicado, RadicadoType, UnitCode};

/// Take the next number of (year, type). Must run inside a transaction ([`super::write_tx`]).
pub fn allocate(
    conn: &mut AnyConnection,
    year: i32,
    kind: RadicadoType,
    unit: &UnitCode,
) -> QueryResult<Radicado> {
    allocate_counting(conn, year, kind, unit, None)
}

/// [`allocate`], and one more incoming mail in the month's count `(month, channel)` when `count`
/// names it: on PostgreSQL in the same statement (one round trip fewer with the sequence row
/// locked; see [`crate::db::cached::NextInSequenceCounted`]), on SQLite right after it.
pub fn allocate_counting(
    conn: &mut AnyConnection,
    year: i32,
    kind: RadicadoType,
    unit: &UnitCode,
    count: Option<(&str, &str)>,
) -> QueryResult<Radicado> {
    let y = i64::from(year);
    let t = kind.digit();
    let bump = |conn: &mut AnyConnection| {
        let next = crate::db::cached::NextInSequence { year: y, type_digit: t };
        match (&mut *conn, count) {
            (AnyConnection::Postgresql(c), Some((month, channel))) => {
                crate::db::cached::NextInSequenceCounted { next, month, channel, kind: "in" }.get_result::<i64>(c).optional()
            }
            _ => crate::with_inner!(&mut *conn, |c| next.get_result::<i64>(c).optional()),
        }
    };
    let seq = match bump(conn)? {
        Some(v) => v,
        None => {
            // First number of the year: create the row (a concurrent creator wins harmlessly).
            crate::with_inner!(conn, |c| diesel::insert_into(s::radicado_sequences)
                .values((s::year.eq(y), s::type_digit.eq(t), s::last_value.eq(0_i64)))
                .on_conflict((s::year, s::type_digit))
                .do_nothing()
                .execute(c))?;
            bump(conn)?.ok_or(diesel::result::Error::NotFound)?
        }
    };
    if let (AnyConnection::Sqlite(_), Some((month, channel))) = (&*conn, count) {
        crate::db::models::bump_monthly(conn, month, channel, "in", 1)?;
    }
    Ok(Radicado::new(year, unit, seq, kind))
}
