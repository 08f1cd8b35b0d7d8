//! The Maildir drop folder (`data_dir/maildir`), watched when no IMAP URL is set: the embedded
//! default. Every file in `new/` goes through the pipeline; once filed (or quarantined) it is moved
//! to `cur/` with the `S` (seen) flag. Nothing is deleted. A file that could not be stored stays in
//! `new/` and is tried again on the next scan.
//!
//! A scan runs when inotify (through `notify`) reports a file arriving in `new/`, and in any case
//! every `poll_interval_secs` (the fallback, for events a watcher can miss: an overflowed queue, a
//! network file system). When the watcher cannot be set up, the folder is scanned every second, as
//! before there was a watcher.

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

/// How often `new/` is scanned without an event: the configured poll interval while the watcher
/// runs, every second when there is no watcher.
pub fn fallback_interval(watching: bool, poll_interval_secs: u64) -> Duration {
    if watching {
        Duration::from_secs(poll_interval_secs.max(1))
    } else {
        Duration::from_secs(1)
    }
}

/// Watches `root/new` with inotify: `wake` is notified when a file may have arrived there (a
/// delivery renamed in, a file written in place, or an error or overflow of the watcher, after
/// which a scan is the safe answer). Our own move of a filed mail to `cur/` does not wake it.
/// Dropping the returned watcher stops the watching.
pub fn watch_new(root: &Path, wake: Arc<tokio::sync::Notify>) -> notify::Result<notify::RecommendedWatcher> {
    use notify::event::{AccessKind, EventKind, ModifyKind, RenameMode};
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let arrived = match res {
            Ok(ev) => !matches!(
                ev.kind,
                EventKind::Remove(_)
                    | EventKind::Modify(ModifyKind::Name(RenameMode::From))
                    | EventKind::Access(AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(notify::event::AccessMode::Read))
            ),
            Err(_) => true,
        };
        if arrived {
            wake.notify_one();
        }
    })?;
    watcher.watch(&root.join("new"), notify::RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Scan `new/` whenever the watcher reports an arrival, and at the fallback interval, until
/// shutdown, reporting health.
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
    // The watcher is set up before the first scan, so a file delivered between the two is seen.
    let wake = Arc::new(tokio::sync::Notify::new());
    let watcher = match watch_new(&root, wake.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(dir = %root.display(), error = %e, "cannot watch the Maildir with inotify; scanning it every second");
            None
        }
    };
    let every = fallback_interval(watcher.is_some(), intake.config.settings.poll_interval_secs);
    tracing::info!(dir = %root.display(), inotify = watcher.is_some(), fallback_secs = every.as_secs(), "watching Maildir");
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
        if !shutdown.pause(every, Some(&wake)).await {
            drop(watcher);
            return Ok(crate::jobs::Exit::Done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_is_the_fallback_and_every_second_without_a_watcher() {
        assert_eq!(fallback_interval(true, 60), Duration::from_secs(60));
        assert_eq!(fallback_interval(true, 0), Duration::from_secs(1));
        assert_eq!(fallback_interval(false, 60), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_delivery_into_new_wakes_the_watcher() {
        let dir = tempfile::tempdir().unwrap();
        ensure_maildir(dir.path()).unwrap();
        let wake = Arc::new(tokio::sync::Notify::new());
        let _w = watch_new(dir.path(), wake.clone()).expect("inotify watcher");
        // Delivered the Maildir way: written in tmp/, renamed into new/.
        let tmp = dir.path().join("tmp/1.host");
        std::fs::write(&tmp, b"Subject: x\r\n\r\nx\r\n").unwrap();
        std::fs::rename(&tmp, dir.path().join("new/1.host")).unwrap();
        tokio::time::timeout(Duration::from_secs(30), wake.notified()).await.expect("no wake-up for a delivery into new/");
        // Our own move out of new/ (after filing) is not an arrival.
        std::fs::rename(dir.path().join("new/1.host"), dir.path().join("cur/1.host:2,S")).unwrap();
        // A later delivery still wakes it.
        std::fs::write(dir.path().join("tmp/2.host"), b"x").unwrap();
        std::fs::rename(dir.path().join("tmp/2.host"), dir.path().join("new/2.host")).unwrap();
        tokio::time::timeout(Duration::from_secs(30), wake.notified()).await.expect("no wake-up for the second delivery");
    }
}
