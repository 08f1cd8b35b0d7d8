//! Supervised background workers (outbox, intake, follow-up, rule reload).
//!
//! Every worker is a named async function started by [`Supervisor::spawn`] with a [`Shutdown`]
//! that it waits on between steps ([`Shutdown::pause`]: one place for the `select!` on sleep,
//! nudge and stop). The supervisor watches each one:
//! - it returns [`Exit::Done`]: finished (a worker with nothing to do, or the service stops);
//! - it returns an error or panics: it is restarted after a backoff (1 s, 2 s, … 60 s), and
//!   `/healthz` shows it as `restarting` with its restart count and last error meanwhile;
//! - it returns [`Exit::Fatal`]: it cannot run at all (a configuration that cannot work): the
//!   service logs one clear line naming the worker and the reason, and stops with an error.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{watch, Notify};

/// How a worker ended by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Nothing more to do (or the service is stopping).
    Done,
    /// It cannot run: the service stops, with this reason.
    Fatal(String),
}

/// The stop signal as a worker sees it.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new(rx: watch::Receiver<bool>) -> Shutdown {
        Shutdown(rx)
    }

    /// Whether the service is stopping.
    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Wait `d`, or until `nudge` is notified; `false` when the service is stopping instead.
    pub async fn pause(&mut self, d: Duration, nudge: Option<&Notify>) -> bool {
        if self.is_stopping() {
            return false;
        }
        let nudged = async {
            match nudge {
                Some(n) => n.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = nudged => {}
            _ = self.0.changed() => {}
        }
        !self.is_stopping()
    }

    /// Resolves when the service starts stopping.
    pub async fn stopped(&mut self) {
        while !self.is_stopping() {
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }
}

/// A worker's state, as `/healthz` shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct WorkerHealth {
    /// `running`, `restarting` (after a failure, waiting for its backoff), `done` or `fatal`.
    pub status: &'static str,
    pub restarts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The state of every supervised worker, by name.
#[derive(Debug, Default)]
pub struct Workers(Mutex<BTreeMap<&'static str, WorkerHealth>>);

impl Workers {
    fn update(&self, name: &'static str, f: impl FnOnce(&mut WorkerHealth)) {
        if let Ok(mut g) = self.0.lock() {
            f(g.entry(name).or_default());
        }
    }

    /// A copy of every worker's state.
    pub fn snapshot(&self) -> BTreeMap<&'static str, WorkerHealth> {
        self.0.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

/// Starts workers and watches them.
pub struct Supervisor {
    stop_tx: Arc<watch::Sender<bool>>,
    workers: Arc<Workers>,
    fatal: Arc<Mutex<Option<String>>>,
    /// Told when a worker is fatal, so the service stops (the web server's stopper).
    on_fatal: Arc<Notify>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

/// The longest wait before a failed worker is started again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Supervisor {
    pub fn new(stop_tx: Arc<watch::Sender<bool>>, workers: Arc<Workers>) -> Supervisor {
        Supervisor { stop_tx, workers, fatal: Arc::new(Mutex::new(None)), on_fatal: Arc::new(Notify::new()), handles: Vec::new() }
    }

    /// Notified when a worker ends fatally.
    pub fn fatal_signal(&self) -> Arc<Notify> {
        self.on_fatal.clone()
    }

    /// The reason the first fatal worker gave, if any.
    pub fn fatal(&self) -> Option<String> {
        self.fatal.lock().ok().and_then(|g| g.clone())
    }

    /// Start `make` as the worker `name`, and again after each failure (with backoff) until it
    /// is done or the service stops.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, make: F)
    where
        F: Fn(Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<Exit>> + Send + 'static,
    {
        let shutdown = Shutdown::new(self.stop_tx.subscribe());
        let (workers, fatal, on_fatal, stop_tx) = (self.workers.clone(), self.fatal.clone(), self.on_fatal.clone(), self.stop_tx.clone());
        self.handles.push(tokio::spawn(async move {
            let mut restarts = 0u32;
            let mut sd = shutdown;
            loop {
                workers.update(name, |w| w.status = "running");
                let run = tokio::spawn(make(sd.clone())).await;
                let error = match run {
                    Ok(Ok(Exit::Done)) => {
                        workers.update(name, |w| w.status = "done");
                        return;
                    }
                    Ok(Ok(Exit::Fatal(reason))) => {
                        tracing::error!(worker = name, %reason, "worker {name} cannot run: {reason}; stopping the service");
                        workers.update(name, |w| {
                            w.status = "fatal";
                            w.last_error = Some(reason.clone());
                        });
                        if let Ok(mut g) = fatal.lock() {
                            g.get_or_insert(format!("worker {name} cannot run: {reason}"));
                        }
                        let _ = stop_tx.send(true);
                        // A stored permit: the waiter wakes even if it starts waiting later.
                        on_fatal.notify_one();
                        return;
                    }
                    Ok(Err(e)) => format!("{e:#}"),
                    Err(join) if join.is_panic() => format!("panicked: {}", panic_text(join.into_panic())),
                    Err(join) => format!("cancelled: {join}"),
                };
                if sd.is_stopping() {
                    workers.update(name, |w| w.status = "done");
                    return;
                }
                restarts += 1;
                let wait = backoff(restarts);
                tracing::error!(worker = name, restarts, error = %error, "worker failed; restarting in {} s", wait.as_secs());
                workers.update(name, |w| {
                    w.status = "restarting";
                    w.restarts = restarts;
                    w.last_error = Some(error.clone());
                });
                if !sd.pause(wait, None).await {
                    workers.update(name, |w| w.status = "done");
                    return;
                }
            }
        }));
    }

    /// Wait for every worker to end (after the stop signal was sent).
    pub async fn join(self) {
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// 1 s, 2 s, 4 s, … up to [`MAX_BACKOFF`], for the n-th restart.
pub fn backoff(restart: u32) -> Duration {
    Duration::from_secs(1u64 << restart.saturating_sub(1).min(6)).min(MAX_BACKOFF)
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let secs: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_worker_is_restarted_and_shows_it_and_a_done_one_is_not() {
        let (tx, _rx) = watch::channel(false);
        let workers = Arc::new(Workers::default());
        let mut sup = Supervisor::new(Arc::new(tx), workers.clone());
        let runs = Arc::new(AtomicU32::new(0));
        let r = runs.clone();
        sup.spawn("flaky", move |_sd| {
            let r = r.clone();
            async move {
                match r.fetch_add(1, Ordering::SeqCst) {
                    0 => anyhow::bail!("first run fails"),
                    1 => panic!("second run panics"),
                    _ => Ok(Exit::Done),
                }
            }
        });
        // Paused time: the backoffs (1 s, 2 s) pass as soon as every task waits.
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if workers.snapshot().get("flaky").is_some_and(|w| w.status == "done") {
                break;
            }
        }
        let w = workers.snapshot()["flaky"].clone();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!((w.status, w.restarts), ("done", 2));
        assert!(w.last_error.as_deref().is_some_and(|e| e.contains("second run panics")), "{w:?}");
        assert!(sup.fatal().is_none());
    }

    #[tokio::test]
    async fn a_fatal_worker_stops_the_service_with_its_reason() {
        let (tx, rx) = watch::channel(false);
        let workers = Arc::new(Workers::default());
        let mut sup = Supervisor::new(Arc::new(tx), workers.clone());
        sup.spawn("imap", |_sd| async { Ok(Exit::Fatal("bad IMAP URL".into())) });
        let mut sd = Shutdown::new(rx);
        tokio::time::timeout(Duration::from_secs(5), sd.stopped()).await.expect("stop signal sent");
        assert_eq!(sup.fatal().as_deref(), Some("worker imap cannot run: bad IMAP URL"));
        assert_eq!(workers.snapshot()["imap"].status, "fatal");
        sup.join().await;
    }
}
