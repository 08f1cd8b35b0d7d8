//! The Maildir drop folder (`data_dir/maildir`), watched when no IMAP URL is set: the embedded
//! default. Every file in `new/` goes through the pipeline; once filed (or quarantined) it is moved
//! to `cur/` with the `S` (seen) flag. Nothing is deleted. A file that could not be stored stays in
//! `new/` and is tried again on the next scan.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::maildir::delivery_time_from_name;
use super::pipeline::{Intake, RawMail, Source};
use crate::db::Pool;
use crate::health::HealthState;

/// Create `new/`, `cur/` and `tmp/` if missing.
pub fn ensure_maildir(root: &Path) -> std::io::Result<()> {
    for d in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(root.join(d))?;
    }
    Ok(())
}

/// The lease the watcher of `root` runs under (one watcher per folder across instances): the
/// host name and the absolute path, so instances on one machine sharing the folder take turns,
/// while instances on other machines (each with its own folder at that path) watch their own.
pub fn lease_name(root: &Path) -> String {
    let path = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    format!("mailbox:maildir:{}:{}", crate::config::hostname(), path.display())
}

/// Process what is in `new/` now; returns how many files were handled. Stops between two files
/// once `shutdown` fires (the service stops, or this instance lost the folder's lease).
pub fn scan_once(intake: &Intake, pool: &Pool, root: &Path, shutdown: &crate::jobs::Shutdown) -> anyhow::Result<usize> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("new"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Ok(0);
    }
    let mut conn = pool.get()?;
    let mut n = 0;
    for path in files {
        if shutdown.is_stopping() {
            break;
        }
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let delivered = delivery_time_from_name(&name).or_else(|| {
            std::fs::metadata(&path).and_then(|m| m.modified()).ok().map(chrono::DateTime::<Utc>::from)
        });
        let r = path.display().to_string();
        let mail = RawMail { bytes: &bytes, source: Source::Maildir, source_ref: Some(&r), source_time: delivered };
        let outcome = intake.process(&mut conn, mail, false)?;
        tracing::info!(file = %name, outcome = ?outcome, "maildir mail processed");
        let base = name.split(":2,").next().unwrap_or(&name);
        std::fs::rename(&path, root.join("cur").join(format!("{base}:2,S")))?;
        n += 1;
    }
    Ok(n)
}

/// Scan every second until shutdown, reporting health.
pub async fn run_maildir_watcher(
    intake: Arc<Intake>,
    pool: Pool,
    root: PathBuf,
    health: Arc<HealthState>,
    nudge: Arc<tokio::sync::Notify>,
    mut shutdown: crate::jobs::Shutdown,
) -> anyhow::Result<crate::jobs::Exit> {
    health.set_source("maildir");
    if let Err(e) = ensure_maildir(&root) {
        return Ok(crate::jobs::Exit::Fatal(format!("cannot create the Maildir {}: {e}", root.display())));
    }
    tracing::info!(dir = %root.display(), "watching Maildir");
    loop {
        let (i, p, r, sd) = (intake.clone(), pool.clone(), root.clone(), shutdown.clone());
        match tokio::task::spawn_blocking(move || scan_once(&i, &p, &r, &sd)).await {
            Ok(Ok(n)) => {
                health.poll_succeeded(Utc::now());
                if n > 0 {
                    nudge.notify_one();
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "maildir scan failed; will retry");
                health.poll_failed(e.to_string());
            }
            // A scan that panics is a bug: the supervisor restarts the watcher and shows it.
            Err(e) => anyhow::bail!("maildir scan panicked: {e}"),
        }
        if !shutdown.pause(Duration::from_secs(1), None).await {
            return Ok(crate::jobs::Exit::Done);
        }
    }
}
