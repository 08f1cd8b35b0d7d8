//! The store: one diesel code base over SQLite (embedded default) and PostgreSQL (production,
//! several instances at once).
//!
//! - [`AnyConnection`] is diesel's `MultiConnection` over both backends. The backend is chosen
//!   explicitly from the URL scheme ([`DbUrl::parse`]), never by trial.
//! - [`Pool`] is an r2d2 pool with our own manager, which also sets the SQLite pragmas on every
//!   connection (WAL, busy timeout, foreign keys).
//! - Migrations are paired folders with the same names under `migrations/sqlite` and
//!   `migrations/postgres`, embedded in the binary and applied by [`run_migrations`].
//! - diesel is blocking: call it from `web::block`/`spawn_blocking`, never on an async worker.
//! - [`write_tx`] is the transaction every writer uses: on SQLite it takes the write lock first,
//!   so that concurrent writers wait (busy timeout) instead of failing with `SQLITE_BUSY`.
//!
//! Queries live in this module's children (`models`, `radicado`, ...); handlers never import
//! `schema`.

pub mod alerts;
pub mod cached;
pub mod cases;
pub mod communications;
pub mod habeas;
pub mod informe;
pub mod surveys;
pub mod intake;
pub mod lease;
pub mod lifecycle;
pub mod mailbox;
pub mod notification;
pub mod models;
pub mod outbox;
pub mod radicado;
pub mod reports;
pub mod routing;
pub mod schema;
pub mod spool;
pub mod staff;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Run the same diesel expression on the concrete connection inside an [`AnyConnection`], for the
/// few statements the generated `MultiBackend` cannot express (`ON CONFLICT`, for one).
#[macro_export]
macro_rules! with_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// `postgres://…` or `postgresql://…`, passed to libpq as is (`Debug` masks its password).
    Postgres(crate::secret::SecretUrl),
    /// A file path, or `sqlite://PATH` (`sqlite:///abs/path` for an absolute one).
    Sqlite(PathBuf),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("the database URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.into()));
        }
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if rest.is_empty() {
                return Err("the SQLite URL names no file".into());
            }
            return Ok(DbUrl::Sqlite(PathBuf::from(rest)));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "unsupported database scheme `{scheme}://` (use postgres://… or a SQLite file path)"
            ));
        }
        if url == ":memory:" {
            return Err(
                "`:memory:` gives every pooled connection its own database; use a file path".into(),
            );
        }
        Ok(DbUrl::Sqlite(PathBuf::from(url)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbUrl::Postgres(_) => "postgresql",
            DbUrl::Sqlite(_) => "sqlite",
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => p.display().to_string(),
            DbUrl::Postgres(u) => u.redacted(),
        }
    }

    /// Open one connection of the named backend (SQLite: creating the parent folder).
    pub fn establish(&self) -> Result<AnyConnection, DbError> {
        match self {
            DbUrl::Postgres(u) => Ok(AnyConnection::Postgresql(
                diesel::PgConnection::establish(u.expose()).map_err(|e| DbError::Connect(e.to_string()))?,
            )),
            DbUrl::Sqlite(path) => {
                if let Some(parent) = path.parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            DbError::Connect(format!("cannot create {}: {e}", parent.display()))
                        })?;
                    }
                }
                let p = path.to_str().ok_or_else(|| {
                    DbError::Connect("the SQLite path is not valid UTF-8".to_string())
                })?;
                let mut c = diesel::SqliteConnection::establish(p)
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                c.batch_execute(
                    // busy_timeout first: the others may need a lock while another
                    // process writes. page_size before journal_mode: it only applies to a
                    // database not created yet (an existing one keeps its size). 8 KiB pages:
                    // a mail's raw bytes (44 KB mean) span half as many overflow pages and WAL
                    // frames (two writes each) as with the default 4 KiB; a bulk import of
                    // 10,000 real-world mails used about 12 % less CPU (README, Benchmarks).
                    "PRAGMA busy_timeout=10000; PRAGMA page_size=8192; PRAGMA journal_mode=WAL; \
                     PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                )
                .map_err(|e| DbError::Connect(format!("SQLite pragmas: {e}")))?;
                Ok(AnyConnection::Sqlite(c))
            }
        }
    }
}

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl DbError {
    /// Errors that go away by themselves (the server is down or busy): an MTA should retry.
    pub fn is_temporary(&self) -> bool {
        match self {
            DbError::Connect(_) | DbError::Pool(_) => true,
            DbError::Query(diesel::result::Error::DatabaseError(kind, info)) => {
                matches!(kind, diesel::result::DatabaseErrorKind::ClosedConnection)
                    || info.message().contains("database is locked")
                    || info.message().contains("could not serialize")
                    || info.message().contains("deadlock")
            }
            DbError::Query(diesel::result::Error::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

/// r2d2 manager that opens the backend named by the URL.
pub struct Manager {
    url: DbUrl,
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        self.url.establish().map_err(|e| {
            diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                e.to_string(),
            ))
        })
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

pub type Pool = diesel::r2d2::Pool<Manager>;
pub type PooledConn = diesel::r2d2::PooledConnection<Manager>;

/// Build a pool. The first connection is made here, so a wrong URL fails at start.
pub fn connect(url: &DbUrl, max_size: u32) -> Result<Pool, DbError> {
    // Check the URL with a direct connection first: r2d2 alone would only report a time-out.
    drop(url.establish()?);
    diesel::r2d2::Pool::builder()
        .max_size(max_size.max(1))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(true)
        .build(Manager { url: url.clone() })
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// Apply pending migrations; returns the names of those applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(PG_MIGRATIONS),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Tune `conn` for a bulk import (`on`), or back to the defaults.
///
/// - PostgreSQL: `synchronous_commit = off` for this session, so a commit stops waiting for its
///   WAL flush (the import's mails still commit one by one, so the radicado row lock is held for
///   one mail, never for a batch). A crash of the database server can lose the last moment of
///   commits (at most three `wal_writer_delay`s, 0.6 s by default), never make them inconsistent;
///   an import is re-run from its files and its duplicates are recognised, so nothing is lost.
///   Only `pqrs import` uses this: the live doors (IMAP, Maildir, ingest, web) mark a mail as
///   taken only after a durable commit. The import's acknowledgements are due
///   [`crate::workflow::intake::IMPORT_ACK_HOLD`] later, so that no running service sends a
///   radicado before its commit is durable.
/// - SQLite: a larger page cache and memory-mapped reads for this connection (a batch commits
///   500 mails, their raw bytes included; the default 2 MB cache re-reads index pages); the
///   savepoint journal of each mail kept in memory rather than spilled to a temporary file; and
///   the WAL checkpointed every 64 MB instead of every 4 MB, so an index page that every batch
///   changes is copied into the database once per few batches, not once per batch.
pub fn bulk_session(conn: &mut AnyConnection, on: bool) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute(if on { "SET synchronous_commit TO off" } else { "RESET synchronous_commit" })
        }
        AnyConnection::Sqlite(c) => c.batch_execute(if on {
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY; \
             PRAGMA wal_autocheckpoint=16384;"
        } else {
            "PRAGMA cache_size=-2000; PRAGMA mmap_size=0; PRAGMA temp_store=DEFAULT; PRAGMA wal_autocheckpoint=1000;"
        }),
    }
}

/// Whether a commit in a [`bulk_session`] on `conn` can still be lost to a crash of the database
/// server after it returned (PostgreSQL's asynchronous commit; SQLite commits durably).
pub fn bulk_commits_may_be_lost(conn: &AnyConnection) -> bool {
    matches!(conn, AnyConnection::Postgresql(_))
}

/// How [`checkpoint_wal`] copies SQLite's WAL into the database.
#[derive(Debug, Clone, Copy)]
pub enum Checkpoint {
    /// As much as can be copied without waiting for readers or the writer, who go on meanwhile.
    Passive,
    /// All of it, then the WAL file emptied (waits up to the busy timeout).
    Truncate,
}

/// SQLite: copy the WAL into the database file now, on this connection. Nothing on PostgreSQL.
/// A bulk import runs this on a connection of its own while another writes
/// ([`leave_checkpoints_to_another`]).
pub fn checkpoint_wal(conn: &mut AnyConnection, mode: Checkpoint) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(_) => Ok(()),
        AnyConnection::Sqlite(c) => c.batch_execute(match mode {
            Checkpoint::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
            Checkpoint::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
        }),
    }
}

/// SQLite: this connection's commits no longer checkpoint the WAL themselves (another connection
/// does, with [`checkpoint_wal`]) until [`bulk_session`] turns the bulk settings off. Nothing on
/// PostgreSQL.
pub fn leave_checkpoints_to_another(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(_) => Ok(()),
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA wal_autocheckpoint=0"),
    }
}

/// Refresh the planner's statistics of the tables intake writes (PostgreSQL `ANALYZE`; nothing on
/// SQLite, whose planner prefers the indexes without statistics). A bulk import into a new
/// database calls it as the tables grow: with the statistics of the empty tables, PostgreSQL
/// plans sequential scans for the per-mail lookups (threading, combined acknowledgements), and
/// the import slows down as it goes. The outbox (and the two counter tables) are vacuumed as
/// well, which is quick for their small rows: a page that VACUUM has seen is all-visible, and the
/// per-sender count of acknowledgements reads the index alone there; before, it read one heap page
/// per acknowledgement the sender had (5 ms for the last of 941 mails from one sender).
pub fn refresh_statistics(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            // Two round trips: VACUUM may not share a query string (an implicit transaction).
            c.batch_execute("VACUUM (ANALYZE) outbox, radicado_sequences, monthly_counts")?;
            c.batch_execute("ANALYZE cases, messages, attachments, case_events, combined_ack_members")
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// A write transaction. On SQLite its first statement is a write, so the transaction holds the
/// write lock from the start and concurrent writers queue on the busy timeout.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{TransactionManager, TransactionManagerStatus};
    // Nested in a write transaction (a savepoint), the write lock is held already.
    let outermost = matches!(
        <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn),
        TransactionManagerStatus::Valid(v) if v.transaction_depth().is_none()
    );
    conn.transaction(|c| {
        if outermost && matches!(c, AnyConnection::Sqlite(_)) {
            use schema::write_lock::dsl as w;
            diesel::update(w::write_lock.filter(w::id.eq(1)))
                .set(w::n.eq(w::n + 1))
                .execute(c)?;
        }
        f(c)
    })
}

/// A batch of writes: one write transaction on SQLite (one commit for the batch), and on
/// PostgreSQL no outer transaction, so each step inside commits its own and row locks (the
/// radicado sequence) are held for one step, never for the batch.
pub fn batch_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if matches!(conn, AnyConnection::Sqlite(_)) {
        write_tx(conn, f)
    } else {
        f(conn)
    }
}

/// Run `f` in a savepoint when a transaction is open (so that its failure undoes only its own
/// writes and leaves the outer transaction usable, which PostgreSQL otherwise aborts), and as it
/// is otherwise (each of its steps commits its own transaction).
pub fn guarded<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{TransactionManager, TransactionManagerStatus};
    let nested = match <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(v) => v.transaction_depth().is_some(),
        TransactionManagerStatus::InError => true,
    };
    if nested {
        conn.transaction(f)
    } else {
        f(conn)
    }
}

/// A query's error, as callers outside this module name it.
pub type QueryError = diesel::result::Error;

/// `true` when a query found no row.
pub fn is_not_found(e: &QueryError) -> bool {
    matches!(e, diesel::result::Error::NotFound)
}

/// `true` when the error is a unique-constraint violation (same on both backends).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Liveness check used by `/healthz`.
pub fn ping(conn: &mut AnyConnection) -> Result<(), DbError> {
    conn.ping()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    /// `.cargo/config.toml` compiles the bundled SQLite with its query planner stability
    /// guarantee; without it every `LIMIT ?` statement is prepared again at each execution.
    #[test]
    fn the_bundled_sqlite_has_the_query_planner_stability_guarantee() {
        let mut c = diesel::SqliteConnection::establish(":memory:").unwrap();
        let on: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("sqlite_compileoption_used('ENABLE_QPSG')"))
            .get_result(&mut c)
            .unwrap();
        assert_eq!(on, 1, "build without .cargo/config.toml's LIBSQLITE3_FLAGS?");
    }

    /// A database this service creates has 8 KiB pages, in WAL mode; one created before keeps
    /// its pages (SQLite cannot change them in WAL mode).
    #[test]
    fn a_new_sqlite_database_gets_8_kib_pages_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let page_size = |c: &mut super::AnyConnection| -> i32 {
            let super::AnyConnection::Sqlite(c) = c else { panic!("SQLite") };
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("(SELECT page_size FROM pragma_page_size())"))
                .get_result(c)
                .unwrap()
        };
        let fresh = dir.path().join("fresh.db");
        let mut c = super::DbUrl::Sqlite(fresh.clone()).establish().unwrap();
        super::run_migrations(&mut c).unwrap();
        assert_eq!(page_size(&mut c), 8192);
        drop(c);
        assert_eq!(page_size(&mut super::DbUrl::Sqlite(fresh).establish().unwrap()), 8192);

        let old = dir.path().join("old.db");
        use diesel::connection::SimpleConnection;
        let mut raw = diesel::SqliteConnection::establish(old.to_str().unwrap()).unwrap();
        raw.batch_execute("PRAGMA journal_mode=WAL; CREATE TABLE t (a INTEGER);").unwrap();
        drop(raw);
        assert_eq!(page_size(&mut super::DbUrl::Sqlite(old).establish().unwrap()), 4096);
    }
}
