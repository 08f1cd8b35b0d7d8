//! `pqrs import`: .eml files, Maildir folders, mbox files and folders of them, through the same
//! pipeline as the live mailbox. Re-running an import adds nothing (dedupe), so an interrupted
//! import is simply run again.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::maildir::{detect_source, list_maildir, SourceKind};
use super::mbox::{MboxError, MboxReader};
use super::pipeline::{Intake, Outcome, RawMail, Source};
use crate::db::AnyConnection;

/// Counts of an import (`--json` prints exactly these keys).
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub received: u64,
    pub cases: u64,
    pub replies: u64,
    pub automatic: u64,
    pub duplicates: u64,
    pub quarantined: u64,
}

impl Summary {
    fn add(&mut self, o: &Outcome) {
        self.received += 1;
        match o.bucket() {
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

/// Import every path; stops at the first storage error (re-running is safe).
pub fn run_import(
    intake: &Intake,
    conn: &mut AnyConnection,
    paths: &[PathBuf],
    dry_run: bool,
) -> anyhow::Result<(Summary, f64)> {
    let mut summary = Summary::default();
    let progress = Progress::new();
    for p in paths {
        import_path(intake, conn, p, dry_run, &mut summary, &progress)?;
    }
    Ok((summary, progress.finish()))
}

fn one(
    intake: &Intake,
    conn: &mut AnyConnection,
    mail: RawMail<'_>,
    dry_run: bool,
    summary: &mut Summary,
    progress: &Progress,
) -> anyhow::Result<()> {
    let outcome = intake
        .process(conn, mail, dry_run)
        .map_err(|e| anyhow::anyhow!("{}: {e}", mail.source_ref.unwrap_or("?")))?;
    summary.add(&outcome);
    progress.tick(summary);
    Ok(())
}

fn import_path(
    intake: &Intake,
    conn: &mut AnyConnection,
    path: &Path,
    dry_run: bool,
    summary: &mut Summary,
    progress: &Progress,
) -> anyhow::Result<()> {
    let kind = detect_source(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match kind {
        SourceKind::Eml => {
            let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let r = path.display().to_string();
            let mail = RawMail { bytes: &bytes, source: Source::Import, source_ref: Some(&r), source_time: None };
            one(intake, conn, mail, dry_run, summary, progress)
        }
        SourceKind::Maildir => {
            let entries = list_maildir(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            for e in entries {
                let bytes = match std::fs::read(&e.path) {
                    Ok(b) => b,
                    // Moved by a mail client while we listed: not ours to lose; say so and go on.
                    Err(err) => {
                        tracing::warn!(path = %e.path.display(), error = %err, "cannot read; skipped");
                        continue;
                    }
                };
                let r = e.path.display().to_string();
                let mail = RawMail { bytes: &bytes, source: Source::Import, source_ref: Some(&r), source_time: e.delivered_at };
                one(intake, conn, mail, dry_run, summary, progress)?;
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
                        let r = format!("{}#{}", path.display(), m.index);
                        let mail = RawMail { bytes: &m.raw, source: Source::Import, source_ref: Some(&r), source_time: m.from_line_date };
                        one(intake, conn, mail, dry_run, summary, progress)?;
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
                import_path(intake, conn, &c, dry_run, summary, progress)?;
            }
            Ok(())
        }
    }
}
