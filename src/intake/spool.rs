//! The MTA pipe's spool: `pqrs ingest` stores the raw mail (`db::spool`) and exits; the service's
//! `spool` worker files it through the intake pipeline.
//!
//! - The command side ([`spool`], [`nudge`], [`wait_processed`], [`quarantine_if_too_large`])
//!   compiles no rules: one connection, one insert, one commit (~0.15 s a mail saved).
//! - The worker ([`run_spool_worker`]) claims rows one at a time with a lease, files each with
//!   [`Intake::process_detailed`] (`Source::Pipe`) and marks the row processed with the outcome
//!   in the filing's own transaction (`db::spool::finish`): a crash never leaves a filed mail
//!   unmarked, and a mail is filed once even with several instances on one PostgreSQL. A
//!   permanent failure ends in quarantine (the pipeline does that), a temporary one is retried
//!   with a backoff. It polls every second and wakes at once on a datagram to the nudge socket
//!   `data_dir/spool.sock`, which `pqrs ingest` sends after each commit (best effort: without
//!   it, the poll files the mail within a second).
//! - Processed rows are purged after [`KEEP_PROCESSED_DAYS`] (the raw mail stays in `messages`
//!   or `quarantine`, the legal record).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::pipeline::{Intake, Outcome, RawMail, Source};
use crate::config::Config;
use crate::db::spool::{self as store, Finished};
use crate::db::{AnyConnection, DbError, Pool};
use crate::jobs::{Exit, Shutdown};
use crate::workflow::FilingError;

/// Processed spool rows are deleted after this many days.
pub const KEEP_PROCESSED_DAYS: i64 = 7;
/// How often the worker looks for due rows when nothing nudges it.
pub const POLL: Duration = Duration::from_secs(1);
/// The longest wait before a mail that failed temporarily is tried again.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);

/// The nudge socket of the service that `config` describes.
pub fn socket_path(config: &Config) -> PathBuf {
    config.settings.data_dir.join("spool.sock")
}

/// Store `raw` in the spool and return its row id once committed (durable). A database that was
/// never migrated is migrated first; a current schema costs no migration check.
pub fn spool(conn: &mut AnyConnection, raw: &[u8], source_ref: &str) -> Result<i64, DbError> {
    let now = Utc::now().naive_utc();
    match store::insert(conn, raw, Source::Pipe.as_str(), Some(source_ref), now) {
        Err(e) if store::is_missing_table(&e) => {
            crate::db::run_migrations(conn)?;
            Ok(store::insert(conn, raw, Source::Pipe.as_str(), Some(source_ref), now)?)
        }
        other => Ok(other?),
    }
}

/// A mail over `max_message_bytes` is not spooled: it is put in quarantine here, with the reason
/// the parser would give, as the pipeline would do (exit 0; staff see it). `None`: within limit.
pub fn quarantine_if_too_large(config: &Config, conn: &mut AnyConnection, raw: &[u8]) -> Result<Option<Outcome>, FilingError> {
    use sha2::Digest;
    let limit = usize::try_from(config.settings.max_message_bytes).unwrap_or(usize::MAX);
    if raw.len() <= limit {
        return Ok(None);
    }
    let e = super::parse::ParseError::TooLarge { size: raw.len(), limit };
    let reason = format!("{}: {e}", e.code());
    let now = Utc::now().naive_utc();
    let row = crate::db::models::NewQuarantine {
        source: Source::Pipe.as_str().into(),
        source_ref: Some("stdin".into()),
        sha256: hex::encode(sha2::Sha256::digest(raw)),
        reason: reason.clone(),
        raw: raw.to_vec(),
        raw_size: raw.len() as i64,
        received_at: now,
        created_at: now,
    };
    let inserted = match crate::db::intake::quarantine(conn, &row) {
        Err(e) if store::is_missing_table(&e) => {
            crate::db::run_migrations(conn)?;
            crate::db::intake::quarantine(conn, &row)?
        }
        other => other?,
    };
    tracing::warn!(reason, "mail quarantined by pqrs ingest");
    Ok(Some(if inserted { Outcome::Quarantined { reason } } else { Outcome::Duplicate }))
}

/// Wake the running service's spool worker (best effort: errors are ignored, the worker polls).
pub fn nudge(config: &Config) {
    if let Ok(s) = std::os::unix::net::UnixDatagram::unbound() {
        let _ = s.set_nonblocking(true);
        let _ = s.send_to(b"spool", socket_path(config));
    }
}

/// Wait until row `id` is processed; its outcome (JSON text), or `None` after `timeout`.
pub fn wait_processed(conn: &mut AnyConnection, id: i64, timeout: Duration) -> Result<Option<String>, DbError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(st) = store::state(conn, id)? {
            if st.processed_at.is_some() {
                return Ok(Some(st.outcome.unwrap_or_default()));
            }
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// How one pass over the due rows ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub filed: usize,
    pub retried: usize,
    /// Stopped at `max` rows: more may be due.
    pub more: bool,
}

/// File up to `max` due rows, one transaction each. An error is returned only when the store
/// cannot be used at all (no connection, a claim that fails).
pub fn process_due(intake: &Intake, pool: &Pool, max: usize, shutdown: Option<&Shutdown>) -> anyhow::Result<Pass> {
    let mut conn = pool.get()?;
    let mut pass = Pass::default();
    for _ in 0..max {
        if shutdown.is_some_and(Shutdown::is_stopping) {
            return Ok(pass);
        }
        let now = Utc::now();
        let Some(row) = store::claim_next(&mut conn, now.naive_utc())? else { return Ok(pass) };
        // Received when the MTA handed it over (spooled), not when the service got to it: a
        // service that was down for an hour still dates the mail, and its term, from its arrival.
        let mail = RawMail {
            bytes: &row.raw,
            source: Source::Pipe,
            source_ref: row.source_ref.as_deref(),
            source_time: Some(row.spooled_at.and_utc()),
        };
        let finished = store::finish(&mut conn, &row, Utc::now().naive_utc(), |c| -> Result<(Outcome, String), FilingError> {
            let p = intake.process_detailed(c, mail, None)?;
            let json = serde_json::to_string(&p.outcome).unwrap_or_default();
            Ok((p.outcome, json))
        });
        match finished {
            Finished::Done(outcome) => {
                tracing::info!(spool_id = row.id, outcome = ?outcome, "spooled mail processed");
                pass.filed += 1;
            }
            Finished::LeaseLost => {
                tracing::warn!(spool_id = row.id, "spooled mail taken over by another worker (lease ran out); left to it");
            }
            Finished::Failed(e) => {
                let wait = retry_wait(row.attempts);
                tracing::warn!(spool_id = row.id, attempts = row.attempts, error = %e, "spooled mail not filed; retrying in {} s", wait.as_secs());
                let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(60));
                // If even this fails, the lease runs out and the row is claimed again.
                if let Err(e2) = store::retry_later(&mut conn, &row, &e.to_string(), at.naive_utc()) {
                    tracing::warn!(spool_id = row.id, error = %e2, "could not record the failed attempt");
                }
                pass.retried += 1;
                if e.is_temporary() {
                    // The store is away: the rows behind would fail alike.
                    return Ok(pass);
                }
            }
        }
    }
    pass.more = true;
    Ok(pass)
}

/// 2 s, 4 s, 8 s, … up to [`MAX_RETRY_WAIT`], after the n-th attempt.
pub fn retry_wait(attempts: i64) -> Duration {
    let n = u32::try_from(attempts.clamp(1, 20)).unwrap_or(20);
    Duration::from_secs(1u64 << n.min(9)).min(MAX_RETRY_WAIT)
}

/// The spool worker: files the due rows, then waits a second or for a nudge (the socket, or
/// `nudge` from inside the process). After each filing pass the outbox is nudged, so the
/// acknowledgements leave at once.
pub async fn run_spool_worker(
    intake: Arc<Intake>,
    pool: Pool,
    socket: PathBuf,
    outbox_nudge: Arc<tokio::sync::Notify>,
    mut shutdown: Shutdown,
) -> anyhow::Result<Exit> {
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = listen(&socket, wake.clone());
    let mut last_purge: Option<Instant> = None;
    let result = loop {
        let (i, p, sd) = (intake.clone(), pool.clone(), shutdown.clone());
        let pass = match tokio::task::spawn_blocking(move || process_due(&i, &p, 200, Some(&sd))).await {
            Ok(Ok(pass)) => pass,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "spool pass failed; will retry");
                Pass::default()
            }
            Err(e) => break Err(anyhow::anyhow!("spool pass panicked: {e}")),
        };
        if pass.filed > 0 {
            outbox_nudge.notify_one();
        }
        if last_purge.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            last_purge = Some(Instant::now());
            let p = pool.clone();
            let before = (Utc::now() - chrono::Duration::days(KEEP_PROCESSED_DAYS)).naive_utc();
            match tokio::task::spawn_blocking(move || -> anyhow::Result<usize> { Ok(store::purge_processed(&mut *p.get()?, before, 10_000)?) }).await {
                Ok(Ok(n)) if n > 0 => tracing::info!(rows = n, "processed spool rows purged"),
                Ok(Err(e)) => tracing::warn!(error = %e, "purging the spool failed"),
                _ => {}
            }
        }
        if pass.more && !shutdown.is_stopping() {
            continue;
        }
        if !shutdown.pause(POLL, Some(&wake)).await {
            break Ok(Exit::Done);
        }
    };
    if let Some(task) = listener {
        task.abort();
        let _ = std::fs::remove_file(&socket);
    }
    result
}

/// Bind the nudge socket (replacing a stale one) and notify `wake` on every datagram. `None`
/// (logged) when it cannot be bound: the worker then relies on its poll.
fn listen(socket: &std::path::Path, wake: Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
    if let Some(dir) = socket.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::remove_file(socket);
    let sock = match tokio::net::UnixDatagram::bind(socket) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(socket = %socket.display(), error = %e, "cannot bind the spool nudge socket; spooled mail is picked up by the 1 s poll");
            return None;
        }
    };
    // Any local user may nudge (the MTA's pipe user): a datagram only wakes the worker.
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o666));
    }
    Some(tokio::spawn(async move {
        let mut buf = [0u8; 64];
        loop {
            match sock.recv(&mut buf).await {
                Ok(_) => wake.notify_one(),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_wait_doubles_up_to_five_minutes() {
        let secs: Vec<u64> = [1, 2, 3, 8, 9, 30].iter().map(|&n| retry_wait(n).as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 256, 300, 300]);
    }
}
