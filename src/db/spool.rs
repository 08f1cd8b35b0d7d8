//! The MTA pipe's spool (`inbound_spool`): `pqrs ingest` stores the raw mail and exits once it is
//! committed; the service's spool worker (`crate::intake::spool`) claims rows one at a time and
//! files them.
//!
//! - [`insert`]: one row, committed (the mail is durable when it returns).
//! - [`claim_next`]: a compare-and-set lease, as the outbox does: the row is taken only if its
//!   `attempts` (the version) is still the one read, so two instances never take the same row;
//!   a row whose lease ran out (its worker died) is taken again.
//! - [`finish`]: runs the filing and marks the row processed with the outcome in ONE
//!   transaction (the filing's own transactions nest as savepoints), guarded on the claim: a
//!   crash never leaves a filed mail unmarked, and a worker that lost its lease files nothing.
//! - [`retry_later`]: a temporary failure, tried again after a backoff.
//! - [`purge_processed`]: drops processed rows older than a cut-off (the raw mail is kept in
//!   `messages` or `quarantine`, the legal record; the spool copy is only a hand-over).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::inbound_spool as s;
use super::AnyConnection;

/// How long a claimed row stays with its worker before another may take it.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// A claimed spool row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct SpoolRow {
    pub id: i64,
    pub raw: Vec<u8>,
    pub source: String,
    pub source_ref: Option<String>,
    pub spooled_at: NaiveDateTime,
    /// Claims so far, this one included (the lease's version).
    pub attempts: i64,
}

/// What a `--wait` sees of its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolState {
    pub processed_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Store one raw mail; returns its id once committed and on disk. On SQLite the commit is made
/// with `synchronous=FULL` (the WAL is synced: the MTA deletes its copy when we exit 0, so a power
/// cut right after must not lose it), then the connection goes back to `NORMAL`.
pub fn insert(conn: &mut AnyConnection, raw: &[u8], source: &str, source_ref: Option<&str>, now: NaiveDateTime) -> QueryResult<i64> {
    use diesel::connection::SimpleConnection;
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute("PRAGMA synchronous=FULL")?;
    }
    let id = insert_row(conn, raw, source, source_ref, now);
    if sqlite {
        conn.batch_execute("PRAGMA synchronous=NORMAL")?;
    }
    id
}

fn insert_row(conn: &mut AnyConnection, raw: &[u8], source: &str, source_ref: Option<&str>, now: NaiveDateTime) -> QueryResult<i64> {
    // One statement, so it commits on its own (autocommit): no transaction around it is needed.
    diesel::insert_into(s::table)
        .values((
            s::raw.eq(raw),
            s::source.eq(source),
            s::source_ref.eq(source_ref),
            s::spooled_at.eq(now),
            s::attempts.eq(0i64),
            s::next_attempt_at.eq(now),
        ))
        .returning(s::id)
        .get_result(conn)
}

/// `true` when `e` says a table does not exist (a database not migrated this far).
pub fn is_missing_table(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("no such table") || (m.contains("relation") && m.contains("does not exist"))
        }
        _ => false,
    }
}

/// The state of row `id` (`None`: no such row).
pub fn state(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<SpoolState>> {
    s::table
        .find(id)
        .select((s::processed_at, s::outcome, s::attempts, s::last_error))
        .first::<(Option<NaiveDateTime>, Option<String>, i64, Option<String>)>(conn)
        .optional()
        .map(|r| r.map(|(processed_at, outcome, attempts, last_error)| SpoolState { processed_at, outcome, attempts, last_error }))
}

/// Claim the next due row: not processed, due, and not claimed (or its lease ran out).
pub fn claim_next(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<Option<SpoolRow>> {
    for _ in 0..5 {
        let candidate: Option<(i64, i64)> = s::table
            .filter(s::processed_at.is_null())
            .filter(s::next_attempt_at.le(now))
            .filter(s::claimed_until.is_null().or(s::claimed_until.le(now)))
            .order(s::id.asc())
            .select((s::id, s::attempts))
            .first(conn)
            .optional()?;
        let Some((id, attempts)) = candidate else { return Ok(None) };
        let taken: Option<SpoolRow> = diesel::update(
            s::table.filter(s::id.eq(id)).filter(s::attempts.eq(attempts)).filter(s::processed_at.is_null()),
        )
        .set((s::attempts.eq(attempts + 1), s::claimed_until.eq(now + LEASE)))
        .returning((s::id, s::raw, s::source, s::source_ref, s::spooled_at, s::attempts))
        .get_result(conn)
        .optional()?;
        if taken.is_some() {
            return Ok(taken);
        }
    }
    Ok(None)
}

/// How [`finish`] ended.
#[derive(Debug)]
pub enum Finished<T, E> {
    /// Filed and marked processed, in one commit.
    Done(T),
    /// Another worker took the row meanwhile (this one's lease ran out): everything rolled back.
    LeaseLost,
    /// `file` failed: everything rolled back, the row is still claimed.
    Failed(E),
}

enum TxError<E> {
    Lost,
    Inner(E),
}

impl<E: From<diesel::result::Error>> From<diesel::result::Error> for TxError<E> {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Inner(E::from(e))
    }
}

/// Run `file` (the filing, on the same connection) and mark `row` processed with the outcome it
/// returns (JSON text), in one write transaction, guarded on this worker's claim.
pub fn finish<T, E, F>(conn: &mut AnyConnection, row: &SpoolRow, now: NaiveDateTime, file: F) -> Finished<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<(T, String), E>,
    E: From<diesel::result::Error>,
{
    let result = super::write_tx(conn, |c| -> Result<T, TxError<E>> {
        let (value, outcome) = file(c).map_err(TxError::Inner)?;
        let n = diesel::update(
            s::table.filter(s::id.eq(row.id)).filter(s::attempts.eq(row.attempts)).filter(s::processed_at.is_null()),
        )
        .set((s::processed_at.eq(now), s::outcome.eq(outcome), s::claimed_until.eq(None::<NaiveDateTime>), s::last_error.eq(None::<String>)))
        .execute(c)?;
        if n != 1 {
            return Err(TxError::Lost);
        }
        Ok(value)
    });
    match result {
        Ok(v) => Finished::Done(v),
        Err(TxError::Lost) => Finished::LeaseLost,
        Err(TxError::Inner(e)) => Finished::Failed(e),
    }
}

/// A temporary failure: release the claim and try again at `next_attempt_at`.
pub fn retry_later(conn: &mut AnyConnection, row: &SpoolRow, error: &str, next_attempt_at: NaiveDateTime) -> QueryResult<usize> {
    super::write_tx(conn, |c| {
        diesel::update(s::table.filter(s::id.eq(row.id)).filter(s::attempts.eq(row.attempts)).filter(s::processed_at.is_null()))
            .set((
                s::claimed_until.eq(None::<NaiveDateTime>),
                s::next_attempt_at.eq(next_attempt_at),
                s::last_error.eq(error.replace('\0', "\u{FFFD}").chars().take(1000).collect::<String>()),
            ))
            .execute(c)
    })
}

/// Rows not processed yet (the backlog `/healthz` and `/metrics` show).
pub fn backlog(conn: &mut AnyConnection) -> QueryResult<i64> {
    s::table.filter(s::processed_at.is_null()).count().get_result(conn)
}

/// Delete up to `limit` rows processed before `before`; returns how many went.
pub fn purge_processed(conn: &mut AnyConnection, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    super::write_tx(conn, |c| {
        let ids: Vec<i64> = s::table
            .filter(s::processed_at.lt(before))
            .order(s::id.asc())
            .limit(limit)
            .select(s::id)
            .load(c)?;
        if ids.is_empty() {
            return Ok(0);
        }
        diesel::delete(s::table.filter(s::id.eq_any(&ids))).execute(c)
    })
}

/// [`backlog`] on a connection from `pool`; `None` when the store does not answer (for
/// `/healthz` and `/metrics`, which report the database's state apart).
pub fn backlog_in(pool: &super::Pool) -> Option<i64> {
    pool.get().ok().and_then(|mut c| backlog(&mut c).ok())
}

/// End a short-lived process's connection after its commit. On SQLite the connection is not
/// closed: closing the last connection to a WAL database checkpoints the WAL into the database
/// and deletes it (three more fsyncs and an unlink), which the next `pqrs ingest` would only
/// recreate. Left open, the process exit releases its locks; what it committed is in the WAL
/// (synced), and the automatic checkpoint of a later commit moves it into the database, as
/// SQLite does after any crash. A PostgreSQL connection is closed as usual.
pub fn release_after_commit(conn: AnyConnection) {
    match conn {
        AnyConnection::Sqlite(c) => std::mem::forget(c),
        other => drop(other),
    }
}
