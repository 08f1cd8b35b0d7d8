//! Statements that every filing runs, written out so that diesel keeps them prepared.
//!
//! diesel prepares an `UPDATE` and an `INSERT … ON CONFLICT … DO UPDATE` anew each time (their
//! SET clause may change from one call to the next, so it never caches them): on PostgreSQL a
//! parse and a plan on the server, on SQLite a `sqlite3_prepare`, for each mail. These two are
//! fixed SQL with a static [`QueryId`], so each connection prepares them once. The SQL is the
//! same on both backends (bind markers are written by each backend's query builder).

use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Text};

/// `last_value + 1` of one radicado sequence row, returning the new value (no row: the year's
/// sequence is not created yet).
#[derive(Debug, Clone, Copy, QueryId)]
pub struct NextInSequence {
    pub year: i64,
    pub type_digit: i64,
}

impl Query for NextInSequence {
    type SqlType = BigInt;
}

impl<DB: Backend> QueryFragment<DB> for NextInSequence
where
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE radicado_sequences SET last_value = last_value + 1 WHERE year = ");
        out.push_bind_param::<BigInt, _>(&self.year)?;
        out.push_sql(" AND type_digit = ");
        out.push_bind_param::<BigInt, _>(&self.type_digit)?;
        out.push_sql(" RETURNING last_value");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for NextInSequence {}

/// Add `delta` to one month's count (the row created at `delta` when it is the first).
#[derive(Debug, Clone, Copy)]
pub struct BumpMonthly<'a> {
    pub month: &'a str,
    pub channel: &'a str,
    pub kind: &'a str,
    pub delta: i64,
}

impl<DB: Backend> QueryFragment<DB> for BumpMonthly<'_>
where
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO monthly_counts (month, channel, kind, n) VALUES (");
        out.push_bind_param::<Text, _>(self.month)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.channel)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.kind)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.delta)?;
        out.push_sql(") ON CONFLICT (month, channel, kind) DO UPDATE SET n = monthly_counts.n + excluded.n");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for BumpMonthly<'_> {}

/// The statement cache's key for [`BumpMonthly`] (its SQL never changes; the derive would want
/// the borrowed fields `'static`).
pub struct BumpMonthlyId;

impl QueryId for BumpMonthly<'_> {
    type QueryId = BumpMonthlyId;
    const HAS_STATIC_QUERY_ID: bool = true;
}
