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

/// The next id of `cases` (PostgreSQL's `cases_id_seq`), taken before the case row is inserted:
/// see [`crate::db::intake::file_new_case`]. Like any sequence value, one not used is a gap in
/// the ids, never in the radicados.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct NextCaseId;

impl Query for NextCaseId {
    type SqlType = BigInt;
}

impl<DB: Backend> QueryFragment<DB> for NextCaseId {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT nextval('cases_id_seq')");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for NextCaseId {}

/// PostgreSQL: put a case in its sender's newest pending combined acknowledgement, if there is
/// one, in one statement (returns the outbox id; no row: none is pending). The row is taken with
/// a no-op UPDATE guarded on `pending`: a claim by the outbox worker waits for this filing to
/// commit, so its composition lists this case, and a row claimed first is not joined (the UPDATE
/// finds it no longer pending). SQLite has no UPDATE inside WITH and needs no taking (its write
/// lock keeps a claim out of the filing's transaction): see `db::intake::combine_ack`.
#[derive(Debug, Clone, Copy)]
pub struct JoinPendingCombined<'a> {
    pub to_addr: &'a str,
    pub purpose: &'a str,
    pub case_id: i64,
    pub radicado: &'a str,
    pub line: &'a str,
}

impl Query for JoinPendingCombined<'_> {
    type SqlType = BigInt;
}

impl<DB: Backend> QueryFragment<DB> for JoinPendingCombined<'_>
where
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "WITH taken AS (UPDATE outbox SET status = status WHERE status = 'pending' AND id = \
             (SELECT id FROM outbox WHERE to_addr = ",
        );
        out.push_bind_param::<Text, _>(self.to_addr)?;
        out.push_sql(" AND purpose = ");
        out.push_bind_param::<Text, _>(self.purpose)?;
        out.push_sql(
            " AND status = 'pending' ORDER BY id DESC LIMIT 1) RETURNING id) \
             INSERT INTO combined_ack_members (outbox_id, case_id, radicado, line) SELECT id, ",
        );
        out.push_bind_param::<BigInt, _>(&self.case_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.radicado)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.line)?;
        out.push_sql(" FROM taken RETURNING outbox_id");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for JoinPendingCombined<'_> {}

/// The statement cache's key for [`JoinPendingCombined`].
pub struct JoinPendingCombinedId;

impl QueryId for JoinPendingCombined<'_> {
    type QueryId = JoinPendingCombinedId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

/// PostgreSQL: [`NextInSequence`] and [`BumpMonthly`] (with `delta` 1) in one statement, in that
/// order: the month's count row is updated from the sequence's new value, so the sequence row
/// is always locked first (as every other filing locks them), and a missing sequence row bumps
/// nothing (no row: create the sequence, then run it again).
#[derive(Debug, Clone, Copy)]
pub struct NextInSequenceCounted<'a> {
    pub next: NextInSequence,
    pub month: &'a str,
    pub channel: &'a str,
    pub kind: &'a str,
}

impl Query for NextInSequenceCounted<'_> {
    type SqlType = BigInt;
}

impl<DB: Backend> QueryFragment<DB> for NextInSequenceCounted<'_>
where
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("WITH next AS (");
        self.next.walk_ast(out.reborrow())?;
        out.push_sql(") INSERT INTO monthly_counts (month, channel, kind, n) SELECT ");
        out.push_bind_param::<Text, _>(self.month)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.channel)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.kind)?;
        out.push_sql(
            ", 1 FROM next ON CONFLICT (month, channel, kind) DO UPDATE SET n = monthly_counts.n + excluded.n \
             RETURNING (SELECT last_value FROM next)",
        );
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for NextInSequenceCounted<'_> {}

/// The statement cache's key for [`NextInSequenceCounted`].
pub struct NextInSequenceCountedId;

impl QueryId for NextInSequenceCounted<'_> {
    type QueryId = NextInSequenceCountedId;
    const HAS_STATIC_QUERY_ID: bool = true;
}
