//! `pqrs import`: .eml files, Maildir folders, mbox files and folders of them, through the same
//! pipeline as the live mailbox. Re-running an import adds nothing (dedupe), so an interrupted
//! import is simply run again.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::maildir::{detect_source_sized, list_maildir, maildir_folders, SourceKind};
use super::mbox::{MboxError, MboxReader};
use super::pipeline::{DryRun, Intake, Prepared, Processed, RawMail, Source};
use crate::db::{AnyConnection, Checkpoint};

/// Counts of an import (`--json` prints exactly these keys).
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub received: u64,
    pub cases: u64,
    pub replies: u64,
    pub automatic: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    /// Of those stored (cases, replies, automatic): how many reuse the Message-ID of another,
    /// different stored mail. Each was filed in its own right.
    pub reused_message_id: u64,
}

impl Summary {
    fn add(&mut self, p: &Processed) {
        self.received += 1;
        if p.reused_message_id {
            self.reused_message_id += 1;
        }
        match p.outcome.bucket() {
            "cases" => self.cases += 1,
            "replies" => self.replies += 1,
            "automatic" => self.automatic += 1,
            "duplicates" => self.duplicates += 1,
            _ => self.quarantined += 1,
        }
    }
}

/// Progress on a terminal (stderr), silent otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos} correos ({per_sec}) {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b
        });
        Progress { bar, start: Instant::now() }
    }
    fn tick(&self, s: &Summary) {
        if let Some(b) = &self.bar {
            b.set_position(s.received);
            if s.received % 50 == 0 {
                b.set_message(format!(
                    "casos {} · respuestas {} · automáticos {} · duplicados {} · cuarentena {}",
                    s.cases, s.replies, s.automatic, s.duplicates, s.quarantined
                ));
            }
        }
    }
    fn finish(&self) -> f64 {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        self.start.elapsed().as_secs_f64()
    }
}

/// Mails per transaction on SQLite: one commit per batch makes bulk import parse-bound, not
/// commit-bound. Each mail runs in its own savepoint; a mail that fails permanently is
/// quarantined and the batch goes on, and a temporary storage error undoes the batch and stops
/// the import (which is simply run again). On PostgreSQL every mail commits on its own, so a
/// running import holds the radicado sequence lock for one mail at a time, never for a batch.
pub const BATCH_MAILS: usize = 500;
const BATCH_BYTES: usize = 32 * 1024 * 1024;
struct Item {
    bytes: Vec<u8>,
    /// A file whose bytes a preparing thread reads into `bytes`, so that the store thread (the
    /// import's narrowest stage) does not (a ninth of its time on SQLite).
    unread: Option<Unread>,
    /// Why `unread` could not be read (set by the preparing thread), and whether the mail is
    /// skipped for it (a Maildir message) rather than the import stopped.
    read_failed: Option<(std::io::Error, bool)>,
    source_ref: String,
    source_time: Option<chrono::DateTime<chrono::Utc>>,
}

enum Unread {
    /// A file given as one message (told from an mbox by its first bytes, and closed again:
    /// the batches in hand would otherwise hold a thousand files open, near the usual limit of
    /// 1,024 descriptors): failing to read it stops the import, as an unreadable path does.
    Given(PathBuf),
    /// A Maildir message: one that a mail client moved away since the listing is skipped with a
    /// warning.
    Listed(PathBuf),
}

impl Item {
    fn read(bytes: Vec<u8>, source_ref: String, source_time: Option<chrono::DateTime<chrono::Utc>>) -> Item {
        Item { bytes, unread: None, read_failed: None, source_ref, source_time }
    }

    /// A mail whose file a preparing thread reads.
    fn to_read(unread: Unread, source_ref: String, source_time: Option<chrono::DateTime<chrono::Utc>>) -> Item {
        Item { unread: Some(unread), ..Item::read(Vec::new(), source_ref, source_time) }
    }

    /// File this mail, prepared, through the intake pipeline (an error names its file).
    fn process(&self, intake: &Intake, c: &mut AnyConnection, prepared: Prepared, dry_run: Option<&mut DryRun>) -> anyhow::Result<Processed> {
        let mail = RawMail { bytes: &self.bytes, source: Source::Import, source_ref: Some(&self.source_ref), source_time: self.source_time };
        intake.process_prepared(c, mail, prepared, dry_run).map_err(|e| anyhow::anyhow!("{}: {e}", self.source_ref))
    }

    /// Read `unread` into `bytes` (on a preparing thread).
    fn load(&mut self) {
        let (path, skip) = match self.unread.take() {
            None => return,
            Some(Unread::Given(path)) => (path, false),
            Some(Unread::Listed(path)) => (path, true),
        };
        let result = std::fs::read(path).map(|b| self.bytes = b);
        self.read_failed = result.err().map(|e| (e, skip));
    }
}

struct Batcher<'a> {
    intake: &'a Intake,
    conn: &'a mut AnyConnection,
    dry_run: Option<DryRun>,
    summary: Summary,
    progress: Progress,
    pending: Vec<Item>,
    pending_bytes: usize,
    batch: usize,
    /// The count of mails at which to refresh the planner's statistics next.
    next_analyze: u64,
    /// Further connections that store mails at the same time as `conn` (PostgreSQL only).
    extra: Vec<&'a mut AnyConnection>,
    preparers: Preparers,
    /// The batch the preparing threads have (submitted at the previous flush), stored at the
    /// next flush while they prepare the batch after it (not in a dry run).
    in_flight: Option<std::ops::Range<usize>>,
    /// SQLite: the thread that copies the WAL into the database.
    checkpointer: Option<Checkpointer>,
}

/// SQLite: a thread with its own connection copies the WAL into the database file (a PASSIVE
/// checkpoint, which neither waits for the store thread nor stops it) after each batch commits,
/// while the store thread goes on with the next batch. Each mail's raw bytes go through the WAL
/// and then into the database: with the automatic checkpoint, the second copy ran on the store
/// thread, at every commit (a sixth of its time in perf). Every [`Self::WAIT_EVERY`] batches the
/// store thread waits for the copy to finish, so that its next transaction finds the WAL fully
/// copied and starts it over: the WAL stays within a few batches (about 100 MB) instead of
/// growing with the import.
struct Checkpointer {
    requests: Option<std::sync::mpsc::Sender<Checkpoint>>,
    done: std::sync::mpsc::Receiver<()>,
    sent: u64,
    finished: u64,
}

impl Checkpointer {
    const WAIT_EVERY: u64 = 4;

    fn start<'scope>(scope: &'scope std::thread::Scope<'scope, '_>, conn: &'scope mut AnyConnection) -> Checkpointer {
        let (requests, rx) = std::sync::mpsc::channel::<Checkpoint>();
        let (done_tx, done) = std::sync::mpsc::channel();
        scope.spawn(move || {
            for mode in rx {
                // A checkpoint that cannot run now (another connection's is under way) is
                // caught up by the next one.
                if let Err(e) = crate::db::checkpoint_wal(conn, mode) {
                    tracing::debug!(error = %e, ?mode, "import: WAL checkpoint did not run");
                }
                if done_tx.send(()).is_err() {
                    return;
                }
            }
        });
        Checkpointer { requests: Some(requests), done, sent: 0, finished: 0 }
    }

    /// A batch has committed.
    fn committed(&mut self) {
        self.request(Checkpoint::Passive);
        if self.sent % Self::WAIT_EVERY == 0 {
            self.wait();
        }
    }

    fn request(&mut self, mode: Checkpoint) {
        if self.requests.as_ref().is_some_and(|r| r.send(mode).is_ok()) {
            self.sent += 1;
        }
    }

    fn wait(&mut self) {
        while self.finished < self.sent && self.done.recv().is_ok() {
            self.finished += 1;
        }
    }

    /// The import is over: the WAL copied and emptied (TRUNCATE), then the thread ends.
    fn finish(&mut self) {
        self.request(Checkpoint::Truncate);
        self.wait();
        self.requests = None;
    }
}

/// Threads that parse and route mails (pure work) for the whole import, while the store thread
/// writes the ones before. They live as long as the import: the rule set's regex caches are
/// per thread, and a thread started for each batch built its lazy DFA states afresh (12 % of all
/// samples of a SQLite import in perf).
struct Preparers {
    jobs: Option<std::sync::mpsc::Sender<(usize, Item)>>,
    done: std::sync::mpsc::Receiver<(usize, Item, Prepared)>,
    /// The number the next submitted mail gets (mails are numbered across batches, so that two
    /// batches can be in the threads' hands at once).
    next: std::cell::Cell<usize>,
    /// Mails prepared before their turn to be collected.
    ahead: std::cell::RefCell<std::collections::BTreeMap<usize, (Item, Prepared)>>,
}

impl Preparers {
    /// One thread per core (at least one).
    fn start<'scope>(scope: &'scope std::thread::Scope<'scope, '_>, intake: &'scope Intake) -> Preparers {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let (jobs, job_rx) = std::sync::mpsc::channel::<(usize, Item)>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        for _ in 0..threads {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            scope.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((i, mut item)) = job else { return }; // the import ended
                item.load();
                // A panic in the parser or the rules is this mail's fault: it is quarantined
                // with the reason, and the mails behind it go on.
                let prepared = if item.read_failed.is_some() {
                    Prepared::failed(String::new()) // not stored: see `take`
                } else {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| intake.prepare(&item.bytes)))
                        .unwrap_or_else(|_| Prepared::failed("parser_failure: the parser stopped on this mail (a bug)".into()))
                };
                if done_tx.send((i, item, prepared)).is_err() {
                    return;
                }
            });
        }
        Preparers { jobs: Some(jobs), done, next: std::cell::Cell::new(0), ahead: Default::default() }
    }

    /// Hand `items` to the threads; returns their numbers, for [`Self::collect`] or
    /// [`Self::each_in_order`].
    fn submit(&self, items: Vec<Item>) -> anyhow::Result<std::ops::Range<usize>> {
        let jobs = self.jobs.as_ref().ok_or_else(Self::stopped)?;
        let start = self.next.get();
        let end = start + items.len();
        self.next.set(end);
        for job in (start..end).zip(items) {
            jobs.send(job).map_err(|_| Self::stopped())?;
        }
        Ok(start..end)
    }

    fn stopped() -> anyhow::Error {
        anyhow::anyhow!("the mail parser threads stopped; nothing of this batch is kept")
    }

    /// The prepared mail numbered `n`, waiting for it when it is not ready yet. `None`: a
    /// Maildir message that could no longer be read (skipped with a warning); an error: a file
    /// given as a message that could not be read.
    fn take(&self, n: usize) -> anyhow::Result<Option<(Item, Prepared)>> {
        let (item, prepared) = loop {
            if let Some(ready) = self.ahead.borrow_mut().remove(&n) {
                break ready;
            }
            let (i, item, prepared) = self.done.recv().map_err(|_| Self::stopped())?;
            self.ahead.borrow_mut().insert(i, (item, prepared));
        };
        match &item.read_failed {
            None => Ok(Some((item, prepared))),
            Some((err, true)) => {
                // Moved by a mail client while we listed: not ours to lose; say so and go on.
                tracing::warn!(path = %item.source_ref, error = %err, "cannot read; skipped");
                Ok(None)
            }
            Some((err, false)) => anyhow::bail!("{}: {err}", item.source_ref),
        }
    }

    /// Every mail of a submitted batch, prepared, in order.
    fn collect(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<(Item, Prepared)>> {
        range.filter_map(|n| self.take(n).transpose()).collect()
    }

    /// Prepare `items` and hand each to `store` in their order, as soon as it and those before
    /// it are ready.
    fn each_in_order<T>(&self, items: Vec<Item>, mut store: impl FnMut(Item, Prepared) -> anyhow::Result<T>) -> anyhow::Result<Vec<T>> {
        let range = self.submit(items)?;
        let mut out = Vec::with_capacity(range.len());
        for n in range {
            if let Some((item, prepared)) = self.take(n)? {
                out.push(store(item, prepared)?);
            }
        }
        Ok(out)
    }
}

impl Batcher<'_> {
    /// Queue a mail of `size` bytes (its file's size when it is still to be read).
    fn push(&mut self, item: Item, size: usize) -> anyhow::Result<()> {
        self.pending_bytes += size;
        self.pending.push(item);
        if self.pending.len() >= self.batch || self.pending_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let intake = self.intake;
        let is_dry = self.dry_run.is_some();
        if !is_dry {
            // Two stages at once: the preparing threads parse and route this batch while the
            // store thread stores the one before (prepared meanwhile), so that neither waits for
            // the other: the preparing threads used to wait while the store thread read the
            // batch's files and committed it (a third of its time on SQLite).
            let range = self.preparers.submit(items)?;
            return match self.in_flight.replace(range) {
                Some(before) => self.store_prepared(before),
                None => Ok(()),
            };
        }
        let dry_run = &mut self.dry_run;
        // A dry run stores nothing: each mail is looked at in file order as it comes.
        let outcomes = self.preparers.each_in_order(items, |it, prepared| it.process(intake, self.conn, prepared, dry_run.as_mut()))?;
        self.after_batch(outcomes)
    }

    /// Store a batch that the preparing threads have (or had): on SQLite one transaction, each
    /// mail in file order as soon as it is prepared; on PostgreSQL over all connections.
    fn store_prepared(&mut self, range: std::ops::Range<usize>) -> anyhow::Result<()> {
        if self.extra.is_empty() {
            let (intake, preparers) = (self.intake, &self.preparers);
            let outcomes = crate::db::batch_tx(self.conn, |c| -> Result<Vec<Processed>, anyhow::Error> {
                let mut out = Vec::with_capacity(range.len());
                for n in range {
                    let Some((it, prepared)) = preparers.take(n)? else { continue };
                    out.push(it.process(intake, c, prepared, None)?);
                }
                Ok(out)
            })?;
            if let Some(c) = &mut self.checkpointer {
                c.committed();
            }
            return self.after_batch(outcomes);
        }
        let ready = self.preparers.collect(range)?;
        let (items, prepared): (Vec<Item>, Vec<_>) = ready.into_iter().map(|(it, p)| (it, Some(p))).unzip();
        let outcomes = store_in_parallel(self.intake, &mut *self.conn, &mut self.extra, &items, prepared)?;
        self.after_batch(outcomes)
    }

    /// The last mails: the pending ones, then the batch still in the preparing threads' hands.
    fn finish(&mut self) -> anyhow::Result<()> {
        self.flush()?;
        match self.in_flight.take() {
            Some(last) => self.store_prepared(last),
            None => Ok(()),
        }
    }

    fn after_batch(&mut self, outcomes: Vec<Processed>) -> anyhow::Result<()> {
        let is_dry = self.dry_run.is_some();
        // The planner's statistics follow the tables as a long import fills them (at 500,
        // 1,000, 2,000, 4,000 ... mails of this import: a few dozen ANALYZE in a million).
        if !is_dry && self.summary.received + outcomes.len() as u64 >= self.next_analyze {
            crate::db::refresh_statistics(self.conn)?;
            self.next_analyze = self.next_analyze.saturating_mul(2);
        }
        for o in &outcomes {
            self.summary.add(o);
            self.progress.tick(&self.summary);
        }
        Ok(())
    }
}

/// The raw header block: everything before the first empty line.
fn header_block(raw: &[u8]) -> &[u8] {
    // One pass from line end to line end (the block ends at the first "\n\n" or "\r\n\r\n"),
    // not a search of the whole mail for each separator: this runs several times per mail.
    let mut from = 0;
    while let Some(at) = raw[from..].iter().position(|&b| b == b'\n') {
        let nl = from + at;
        let rest = &raw[nl + 1..];
        if rest.first() == Some(&b'\n') {
            return &raw[..nl];
        }
        if rest.starts_with(b"\r\n") && nl > 0 && raw[nl - 1] == b'\r' {
            return &raw[..nl - 1];
        }
        from = nl + 1;
    }
    raw
}

/// Whether a mail's header block names other mails (`In-Reply-To`, `References`): it may thread to
/// a case that another mail of the same batch opens, so it is stored after them.
fn names_other_mails(raw: &[u8]) -> bool {
    header_block(raw).split(|&b| b == b'\n').any(|line| {
        let starts = |name: &[u8]| line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) && line[name.len()] == b':';
        starts(b"in-reply-to") || starts(b"references")
    })
}

/// The values of the header `name` (lower case, with its colon) in a raw mail's header block,
/// folding undone, read without parsing the mail.
fn raw_header_values(raw: &[u8], name: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut lines = header_block(raw).split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name) {
            let mut value: Vec<u8> = line[name.len()..].to_vec();
            while let Some(next) = lines.peek().filter(|l| l.first().is_some_and(|b| *b == b' ' || *b == b'\t')) {
                value.extend_from_slice(next);
                lines.next();
            }
            out.push(value);
        }
    }
    out
}

/// The Message-ID header's value of a raw mail (angle brackets and folding stripped), read from
/// the header block without parsing the mail.
fn raw_message_id(raw: &[u8]) -> Option<Vec<u8>> {
    let value = raw_header_values(raw, b"message-id:").into_iter().next()?;
    let id: Vec<u8> = value.into_iter().filter(|b| !b" \t\r<>".contains(b)).collect();
    (!id.is_empty()).then_some(id)
}

/// The Message-IDs a raw mail names in `In-Reply-To` and `References` (as [`raw_message_id`]
/// gives them: without angle brackets).
fn raw_named_ids(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut ids = Vec::new();
    for value in raw_header_values(raw, b"in-reply-to:").into_iter().chain(raw_header_values(raw, b"references:")) {
        for token in value.split(|b| b" \t\r<>,".contains(b)).filter(|t| !t.is_empty()) {
            ids.push(token.to_vec());
        }
    }
    ids
}

/// Which of `workers` store threads takes a mail: all mails with one Message-ID go to the same
/// thread, in file order, so a second mail reusing an ID sees the first (flagged
/// `reused_message_id`, or a duplicate) exactly as a sequential import would; the others in turn.
fn worker_for(raw: &[u8], nth: usize, workers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    match raw_message_id(raw) {
        Some(id) => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            id.hash(&mut h);
            (h.finish() % workers as u64) as usize
        }
        None => nth % workers,
    }
}

/// Store a batch on PostgreSQL over several connections at once: the round trips of one mail
/// (about twelve statements, each committed mail its own transaction) overlap with another's.
/// Three rounds, so that a reply to a mail of the same batch finds its case: first the mails
/// that name no other (`In-Reply-To`, `References`), in parallel; then, in parallel too, the
/// mails that name others but no mail of this second group (what they name is stored by now, or
/// is not in this batch); last, on `conn` and in their order, the replies to those replies.
/// Radicados stay gap-free and unique (the sequence row is locked per filing transaction); they
/// follow commit order, not file order.
fn store_in_parallel(
    intake: &Intake,
    conn: &mut AnyConnection,
    extra: &mut [&mut AnyConnection],
    items: &[Item],
    mut prepared: Vec<Option<Prepared>>,
) -> anyhow::Result<Vec<Processed>> {
    let store = |c: &mut AnyConnection, i: usize, prepared: Prepared| items[i].process(intake, c, prepared, None);
    let (later, first): (Vec<usize>, Vec<usize>) = (0..items.len()).partition(|&i| names_other_mails(&items[i].bytes));
    let take = |prepared: &mut Vec<Option<Prepared>>, i: usize| {
        prepared.get_mut(i).and_then(Option::take).ok_or_else(|| anyhow::anyhow!("a mail of the batch was not prepared"))
    };
    let later_ids: std::collections::HashSet<Vec<u8>> = later.iter().filter_map(|&i| raw_message_id(&items[i].bytes)).collect();
    let (chained, second): (Vec<usize>, Vec<usize>) =
        later.into_iter().partition(|&i| raw_named_ids(&items[i].bytes).iter().any(|id| later_ids.contains(id)));
    let mut results: Vec<Option<Processed>> = (0..items.len()).map(|_| None).collect();
    let workers = extra.len() + 1;
    for round in [first, second] {
        // Each worker takes its share of the round ([`worker_for`]), decided once per mail.
        let mut shares: Vec<Vec<(usize, Prepared)>> = (0..workers).map(|_| Vec::new()).collect();
        for (nth, &i) in round.iter().enumerate() {
            shares[worker_for(&items[i].bytes, nth, workers)].push((i, take(&mut prepared, i)?));
        }
        let done: Vec<anyhow::Result<Vec<(usize, Processed)>>> = std::thread::scope(|scope| {
            let mut conns: Vec<&mut AnyConnection> = Vec::with_capacity(workers);
            conns.push(&mut *conn);
            conns.extend(extra.iter_mut().map(|c| &mut **c));
            let handles: Vec<_> = conns
                .into_iter()
                .zip(shares)
                .map(|(c, mine)| {
                    scope.spawn(move || mine.into_iter().map(|(i, ready)| store(c, i, ready).map(|p| (i, p))).collect::<anyhow::Result<Vec<_>>>())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("an import store thread stopped"))))
                .collect()
        });
        for part in done {
            for (i, p) in part? {
                results[i] = Some(p);
            }
        }
    }
    for i in chained {
        let ready = take(&mut prepared, i)?;
        results[i] = Some(store(conn, i, ready)?);
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| anyhow::anyhow!("a mail of the batch was not stored")))
        .collect()
}

/// The connections an import uses beside its first, from `pool`: on PostgreSQL two more that store
/// mails at the same time (each mail commits on its own there; the round trips of one overlap
/// with another's); on SQLite one that checkpoints the WAL ([`Checkpointer`]). None for a dry
/// run. Fewer when the pool has fewer to give.
pub fn extra_connections(pool: &crate::db::Pool, conn: &AnyConnection, dry_run: bool) -> Vec<crate::db::PooledConn> {
    let n = match conn {
        _ if dry_run => 0,
        AnyConnection::Postgresql(_) => 2,
        AnyConnection::Sqlite(_) => 1,
    };
    (0..n).map_while(|_| pool.get().ok()).collect()
}

/// Import every path; stops at the first storage error (re-running is safe).
pub fn run_import(
    intake: &Intake,
    conn: &mut AnyConnection,
    paths: &[PathBuf],
    dry_run: bool,
) -> anyhow::Result<(Summary, f64)> {
    run_import_batched(intake, conn, paths, dry_run, BATCH_MAILS)
}

/// [`run_import`] with `batch` mails per commit.
pub fn run_import_batched(
    intake: &Intake,
    conn: &mut AnyConnection,
    paths: &[PathBuf],
    dry_run: bool,
    batch: usize,
) -> anyhow::Result<(Summary, f64)> {
    run_import_with(intake, conn, Vec::new(), paths, dry_run, batch)
}

/// [`run_import_batched`] with further connections that store at the same time (used on
/// PostgreSQL only, where each mail commits on its own; ignored on SQLite and in a dry run).
pub fn run_import_with<'a>(
    intake: &'a Intake,
    conn: &'a mut AnyConnection,
    mut extra: Vec<&'a mut AnyConnection>,
    paths: &[PathBuf],
    dry_run: bool,
    batch: usize,
) -> anyhow::Result<(Summary, f64)> {
    // SQLite: the first extra connection checkpoints; the others are not used (one writer).
    let checkpoint_conn = if !dry_run && matches!(conn, AnyConnection::Sqlite(_)) { extra.pop() } else { None };
    if dry_run || matches!(conn, AnyConnection::Sqlite(_)) {
        extra.clear();
    }
    if !dry_run {
        for c in extra.iter_mut() {
            crate::db::bulk_session(c, true)?;
        }
    }
    std::thread::scope(|scope| {
        let mut b = Batcher {
            extra,
            batch: batch.max(1),
            intake,
            conn,
            dry_run: dry_run.then(DryRun::default),
            summary: Summary::default(),
            progress: Progress::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            next_analyze: 500,
            preparers: Preparers::start(scope, intake),
            in_flight: None,
            checkpointer: checkpoint_conn.map(|c| Checkpointer::start(scope, c)),
        };
        if !dry_run {
            crate::db::bulk_session(b.conn, true)?;
            if b.checkpointer.is_some() {
                crate::db::leave_checkpoints_to_another(b.conn)?;
            }
        }
        let result = paths.iter().try_for_each(|p| import_path(&mut b, p)).and_then(|()| b.finish());
        // No more mails: the preparing threads end, and the scope waits for them.
        b.preparers.jobs = None;
        if let Some(c) = &mut b.checkpointer {
            c.finish();
        }
        if !dry_run {
            // Back to durable commits before the connections go back to their pool.
            crate::db::bulk_session(b.conn, false)?;
            for c in b.extra.iter_mut() {
                crate::db::bulk_session(c, false)?;
            }
        }
        result?;
        Ok((b.summary.clone(), b.progress.finish()))
    })
}

fn import_path(b: &mut Batcher<'_>, path: &Path) -> anyhow::Result<()> {
    let (kind, size) = detect_source_sized(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match kind {
        SourceKind::Eml => {
            b.push(Item::to_read(Unread::Given(path.to_path_buf()), path.display().to_string(), None), size as usize)
        }
        SourceKind::Maildir => {
            // The inbox, then each Maildir++ subfolder (`.Enviados`, `.Archivo.2024`, ...).
            let folders = maildir_folders(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            for folder in folders {
                // Listed one folder at a time, each file read only when it is pushed: streaming.
                let entries = list_maildir(&folder).map_err(|e| anyhow::anyhow!("{}: {e}", folder.display()))?;
                for e in entries {
                    // Read by a preparing thread (a message moved away since is skipped there).
                    let (size, source_ref) = (e.size as usize, e.path.display().to_string());
                    b.push(Item::to_read(Unread::Listed(e.path), source_ref, e.delivered_at), size)?;
                }
            }
            Ok(())
        }
        SourceKind::Mbox => {
            // No size cap here: an oversized mail must reach the pipeline to be quarantined raw.
            let reader = MboxReader::open(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                .max_message_size(usize::MAX);
            for item in reader {
                match item {
                    Ok(m) => {
                        let size = m.raw.len();
                        b.push(Item::read(m.raw, format!("{}#{}", path.display(), m.index), m.from_line_date), size)?
                    }
                    Err(MboxError::Io(e)) => anyhow::bail!("{}: {e}", path.display()),
                    Err(e) => anyhow::bail!("{}: {e}", path.display()),
                }
            }
            Ok(())
        }
        SourceKind::Directory => {
            let mut children: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect();
            children.sort();
            for c in children {
                import_path(b, &c)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Item, Unread};

    /// The preparing thread reads a mail's file; a Maildir message gone since the listing is
    /// marked to be skipped, a file given as a message that cannot be read to be an error of
    /// the import.
    #[test]
    fn a_mail_is_read_on_the_preparing_thread_and_a_failed_read_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.eml");
        std::fs::write(&path, b"Subject: hola\r\n\r\ncuerpo\r\n").unwrap();
        let (kind, size) = super::detect_source_sized(&path).unwrap();
        assert_eq!((kind, size), (super::SourceKind::Eml, 25));
        let mut item = Item::to_read(Unread::Given(path.clone()), "a.eml".into(), None);
        item.load();
        assert!(item.read_failed.is_none());
        assert_eq!(item.bytes, std::fs::read(&path).unwrap());

        let mut gone = Item::to_read(Unread::Listed(dir.path().join("missing")), "cur/x".into(), None);
        gone.load();
        assert!(matches!(gone.read_failed, Some((_, true))), "skipped");

        // A file given as a message that is gone by the time it is read.
        let mut bad = Item::to_read(Unread::Given(dir.path().join("gone.eml")), "a.eml".into(), None);
        bad.load();
        assert!(matches!(bad.read_failed, Some((_, false))), "an error of the import");
    }

    #[test]
    fn a_mail_that_names_others_is_told_apart() {
        assert!(super::names_other_mails(b"Subject: x\r\nIn-Reply-To: <a@b>\r\n\r\nbody"));
        assert!(super::names_other_mails(b"references: <a@b>\n\nbody"));
        assert!(!super::names_other_mails(b"Subject: x\r\n\r\nIn-Reply-To: <a@b>\r\n"));
        assert!(!super::names_other_mails(b"X-References-Count: 2\n\nbody"));
    }

    #[test]
    fn the_header_block_ends_at_the_first_empty_line() {
        use super::header_block;
        assert_eq!(header_block(b"A: 1\r\nB: 2\r\n\r\nbody\n\nmore"), b"A: 1\r\nB: 2");
        assert_eq!(header_block(b"A: 1\nB: 2\n\nbody\r\n\r\n"), b"A: 1\nB: 2");
        // "\n\r\n" after a bare LF is no empty line of either kind; the "\n\n" later is.
        assert_eq!(header_block(b"A: 1\n\r\nB: 2\n\nbody"), b"A: 1\n\r\nB: 2");
        assert_eq!(header_block(b"A: 1\r\nno end"), b"A: 1\r\nno end");
        assert_eq!(header_block(b"\n\nbody"), b"");
        assert_eq!(header_block(b""), b"");
    }

    #[test]
    fn the_mails_a_reply_names_are_read_from_its_headers() {
        use super::raw_named_ids;
        let raw = b"In-Reply-To: <z@c.example>\r\nReferences: <a@c.example>\r\n <b@c.example>,<c@c.example>\r\nSubject: Re\r\n\r\nReferences: <body@c>\r\n";
        let ids: Vec<&[u8]> = vec![b"z@c.example", b"a@c.example", b"b@c.example", b"c@c.example"];
        assert_eq!(raw_named_ids(raw), ids);
        assert!(raw_named_ids(b"Subject: x\n\nIn-Reply-To: <no@c>\n").is_empty());
    }

    #[test]
    fn mails_sharing_a_message_id_go_to_one_store_thread() {
        use super::{raw_message_id, worker_for};
        assert_eq!(raw_message_id(b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody").as_deref(), Some(&b"a@b"[..]));
        assert_eq!(raw_message_id(b"Message-Id:\n  <folded@b>\nTo: y\n\nbody").as_deref(), Some(&b"folded@b"[..]));
        assert_eq!(raw_message_id(b"Subject: x\n\nMessage-ID: <in-body@b>\n"), None);
        let a = b"Received: x\r\nMessage-ID: <same@b>\r\n\r\none".as_slice();
        let b = b"Message-ID:   <same@b>  \n\nanother body".as_slice();
        for nth in 0..6 {
            assert_eq!(worker_for(a, nth, 3), worker_for(b, nth + 1, 3));
        }
        // Without an ID, the mails take turns.
        let none = b"Subject: x\n\nbody".as_slice();
        assert_eq!((0..6).map(|n| worker_for(none, n, 3)).collect::<Vec<_>>(), vec![0, 1, 2, 0, 1, 2]);
    }
}
