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
    /// `running`, `restarting` (after a failure, waiting for its backoff), `done`, `fatal`, or
    /// `standby` (a leased worker while another instance holds its lease).
    pub status: &'static str,
    pub restarts: u32,
    /// The lease a leased worker runs under (`Supervisor::spawn_leased`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
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
        F: Fn(Shutdown) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Exit>> + Send + 'static,
    {
        let shutdown = Shutdown::new(self.stop_tx.subscribe());
        let ctx = self.ctx(name);
        self.handles.push(tokio::spawn(async move {
            if !matches!(ctx.supervise(&make, shutdown).await, Ended::Fatal) {
                ctx.workers.update(name, |w| w.status = "done");
            }
        }));
    }

    /// Start `make` as the worker `name` only while this instance holds the lease `lease`
    /// (work that must run in one instance at a time: a mailbox's poller, the follow-up job).
    ///
    /// - Standby (`/healthz`: `standby`): it tries to take the lease at once and then every
    ///   `ttl / 3`.
    /// - Holding: the worker runs (supervised as by [`Supervisor::spawn`]) and the lease is renewed
    ///   every `ttl / 3`. As soon as a renewal fails (the database is away) or finds another
    ///   holder, the worker's [`Shutdown`] fires; once it has returned, back to standby. A holder
    ///   that dies stops renewing, and another instance takes over when the lease expires (within
    ///   `ttl` plus one attempt period).
    /// - The service stops (or the worker is done or fatal): the lease is released, so a standby
    ///   instance takes over at its next attempt instead of waiting for it to expire.
    pub fn spawn_leased<F, Fut>(&mut self, name: &'static str, lease: String, store: Arc<dyn LeaseStore>, ttl: Duration, make: F)
    where
        F: Fn(Shutdown) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Exit>> + Send + 'static,
    {
        let mut service = Shutdown::new(self.stop_tx.subscribe());
        let ctx = self.ctx(name);
        let period = (ttl / 3).max(Duration::from_millis(100));
        self.handles.push(tokio::spawn(async move {
            let workers = ctx.workers.clone();
            workers.update(name, |w| w.lease = Some(lease.clone()));
            loop {
                workers.update(name, |w| w.status = "standby");
                // Standby until this instance holds the lease.
                loop {
                    match hold(&store, &lease, ttl).await {
                        Ok(true) => break,
                        Ok(false) => {}
                        Err(e) => tracing::warn!(worker = name, lease = %lease, error = %format!("{e:#}"), "cannot take the lease; will try again"),
                    }
                    if !service.pause(period, None).await {
                        workers.update(name, |w| w.status = "done");
                        return;
                    }
                }
                tracing::info!(worker = name, lease = %lease, "lease taken: worker {name} runs in this instance");
                let (tx, rx) = watch::channel(false);
                let run = ctx.supervise(&make, Shutdown::new(rx));
                tokio::pin!(run);
                let mut lost = false;
                let ended = loop {
                    tokio::select! {
                        ended = &mut run => break ended,
                        _ = tokio::time::sleep(period) => {
                            // A renewal that hangs (a database cut off without a reset) counts as
                            // failed after one period: the worker is stopped a third of the lease
                            // before it can expire.
                            match tokio::time::timeout(period, hold(&store, &lease, ttl)).await {
                                Ok(Ok(true)) => continue,
                                Ok(Ok(false)) => tracing::warn!(worker = name, lease = %lease, "lease taken by another instance: stopping worker {name}"),
                                Ok(Err(e)) => tracing::warn!(worker = name, lease = %lease, error = %format!("{e:#}"), "lease not renewed: stopping worker {name}"),
                                Err(_) => tracing::warn!(worker = name, lease = %lease, "lease renewal timed out: stopping worker {name}"),
                            }
                            lost = true;
                            let _ = tx.send(true);
                            break run.await;
                        }
                        _ = service.stopped() => {
                            let _ = tx.send(true);
                            break run.await;
                        }
                    }
                };
                if lost && !service.is_stopping() && !matches!(ended, Ended::Fatal) {
                    continue;
                }
                // Done, fatal or stopping: let another instance have it now.
                let (s, l) = (store.clone(), lease.clone());
                match tokio::task::spawn_blocking(move || s.release(&l)).await {
                    Ok(Ok(())) => tracing::info!(worker = name, lease = %lease, "lease released"),
                    Ok(Err(e)) => tracing::warn!(worker = name, lease = %lease, error = %format!("{e:#}"), "lease not released; it expires by itself"),
                    Err(e) => tracing::warn!(worker = name, lease = %lease, error = %e, "lease not released; it expires by itself"),
                }
                if !matches!(ended, Ended::Fatal) {
                    workers.update(name, |w| w.status = "done");
                }
                return;
            }
        }));
    }

    fn ctx(&self, name: &'static str) -> WorkerCtx {
        WorkerCtx { name, workers: self.workers.clone(), fatal: self.fatal.clone(), on_fatal: self.on_fatal.clone(), stop_tx: self.stop_tx.clone() }
    }

    /// Wait for every worker to end (after the stop signal was sent).
    pub async fn join(self) {
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// How a supervised run ended.
enum Ended {
    /// The worker returned [`Exit::Done`].
    Done,
    /// The worker returned [`Exit::Fatal`]: the service is stopping with its reason.
    Fatal,
    /// Its [`Shutdown`] fired while it was failing or waiting to restart.
    Stopped,
}

/// What supervising one worker needs.
struct WorkerCtx {
    name: &'static str,
    workers: Arc<Workers>,
    fatal: Arc<Mutex<Option<String>>>,
    on_fatal: Arc<Notify>,
    stop_tx: Arc<watch::Sender<bool>>,
}

impl WorkerCtx {
    /// Run `make` with `sd`, again after each failure (with backoff), until it is done, fatal or
    /// `sd` fires.
    async fn supervise<F, Fut>(&self, make: &F, mut sd: Shutdown) -> Ended
    where
        F: Fn(Shutdown) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Exit>> + Send + 'static,
    {
        let name = self.name;
        let workers = &self.workers;
        let mut restarts = workers.snapshot().get(name).map_or(0, |w| w.restarts);
        loop {
            workers.update(name, |w| w.status = "running");
            let run = tokio::spawn(make(sd.clone())).await;
            let error = match run {
                Ok(Ok(Exit::Done)) => return Ended::Done,
                Ok(Ok(Exit::Fatal(reason))) => {
                    tracing::error!(worker = name, %reason, "worker {name} cannot run: {reason}; stopping the service");
                    workers.update(name, |w| {
                        w.status = "fatal";
                        w.last_error = Some(reason.clone());
                    });
                    if let Ok(mut g) = self.fatal.lock() {
                        g.get_or_insert(format!("worker {name} cannot run: {reason}"));
                    }
                    let _ = self.stop_tx.send(true);
                    // A stored permit: the waiter wakes even if it starts waiting later.
                    self.on_fatal.notify_one();
                    return Ended::Fatal;
                }
                Ok(Err(e)) => format!("{e:#}"),
                Err(join) if join.is_panic() => format!("panicked: {}", panic_text(join.into_panic())),
                Err(join) => format!("cancelled: {join}"),
            };
            if sd.is_stopping() {
                return Ended::Stopped;
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
                return Ended::Stopped;
            }
        }
    }
}

/// Where leases live (the database: [`DbLeases`]). Blocking calls: the supervisor runs them on
/// the blocking pool.
pub trait LeaseStore: Send + Sync + 'static {
    /// Take the lease `name` for `ttl`, or renew it when this instance holds it: whether this
    /// instance holds it afterwards.
    fn hold(&self, name: &str, ttl: Duration) -> anyhow::Result<bool>;
    /// Give it up, if this instance holds it.
    fn release(&self, name: &str) -> anyhow::Result<()>;
}

/// Leases in the `leases` table (`crate::db::lease`), held under this instance's id.
pub struct DbLeases {
    pub pool: crate::db::Pool,
    /// This instance's id (`instance_id`).
    pub holder: String,
}

impl LeaseStore for DbLeases {
    fn hold(&self, name: &str, ttl: Duration) -> anyhow::Result<bool> {
        let mut c = self.pool.get()?;
        let ttl = chrono::Duration::from_std(ttl)?;
        Ok(crate::db::lease::acquire(&mut c, name, &self.holder, ttl, chrono::Utc::now().naive_utc())?.is_some())
    }

    fn release(&self, name: &str) -> anyhow::Result<()> {
        let mut c = self.pool.get()?;
        crate::db::lease::release(&mut c, name, &self.holder, chrono::Utc::now().naive_utc())?;
        Ok(())
    }
}

async fn hold(store: &Arc<dyn LeaseStore>, lease: &str, ttl: Duration) -> anyhow::Result<bool> {
    let (s, l) = (store.clone(), lease.to_string());
    tokio::task::spawn_blocking(move || s.hold(&l, ttl)).await?
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

    /// Leases in memory, shared by the "instances" of a test.
    #[derive(Default)]
    struct Shared(Mutex<Option<(String, std::time::Instant)>>);

    struct FakeLeases {
        shared: Arc<Shared>,
        me: &'static str,
        /// Renewals fail (the database is away).
        broken: std::sync::atomic::AtomicBool,
        /// Renewals hang while set (a database cut off without a reset).
        slow: std::sync::atomic::AtomicBool,
    }

    impl LeaseStore for FakeLeases {
        fn hold(&self, _name: &str, ttl: Duration) -> anyhow::Result<bool> {
            if self.broken.load(Ordering::SeqCst) {
                anyhow::bail!("database away");
            }
            // Bounded, so that a failing test ends instead of waiting for it for ever.
            let hung = std::time::Instant::now();
            while self.slow.load(Ordering::SeqCst) && hung.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let mut g = self.shared.0.lock().unwrap();
            let now = std::time::Instant::now();
            match &*g {
                Some((holder, until)) if holder != self.me && *until > now => Ok(false),
                _ => {
                    *g = Some((self.me.to_string(), now + ttl));
                    Ok(true)
                }
            }
        }
        fn release(&self, _name: &str) -> anyhow::Result<()> {
            let mut g = self.shared.0.lock().unwrap();
            if g.as_ref().is_some_and(|(h, _)| h == self.me) {
                *g = None;
            }
            Ok(())
        }
    }

    struct Instance {
        stop: Arc<watch::Sender<bool>>,
        workers: Arc<Workers>,
        store: Arc<FakeLeases>,
        sup: Supervisor,
    }

    fn instance(shared: &Arc<Shared>, me: &'static str, running: Arc<Mutex<Vec<&'static str>>>) -> Instance {
        let (tx, _rx) = watch::channel(false);
        let stop = Arc::new(tx);
        let workers = Arc::new(Workers::default());
        let store = Arc::new(FakeLeases { shared: shared.clone(), me, broken: Default::default(), slow: Default::default() });
        let mut sup = Supervisor::new(stop.clone(), workers.clone());
        sup.spawn_leased("poller", "mailbox:x".into(), store.clone(), Duration::from_millis(300), move |mut sd| {
            let running = running.clone();
            async move {
                running.lock().unwrap().push(me);
                sd.stopped().await;
                running.lock().unwrap().retain(|m| *m != me);
                Ok(Exit::Done)
            }
        });
        Instance { stop, workers, store, sup }
    }

    async fn wait_for(what: &str, cond: impl Fn() -> bool) {
        for _ in 0..200 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for {what}");
    }

    fn status(i: &Instance) -> &'static str {
        i.workers.snapshot().get("poller").map_or("none", |w| w.status)
    }

    #[tokio::test]
    async fn a_leased_worker_runs_in_one_instance_and_the_other_takes_over_when_it_stops() {
        let shared = Arc::new(Shared::default());
        let running = Arc::new(Mutex::new(Vec::new()));
        let a = instance(&shared, "a", running.clone());
        wait_for("a to run", || running.lock().unwrap().as_slice() == ["a"]).await;
        let b = instance(&shared, "b", running.clone());
        wait_for("b to be on standby", || status(&b) == "standby").await;
        // Several renewal periods: b never runs beside a.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(running.lock().unwrap().as_slice(), ["a"]);
        assert_eq!((status(&a), status(&b)), ("running", "standby"));
        assert_eq!(b.workers.snapshot()["poller"].lease.as_deref(), Some("mailbox:x"));
        // a stops cleanly: it releases the lease and b takes it at its next attempt.
        let _ = a.stop.send(true);
        a.sup.join().await;
        assert_eq!(a.workers.snapshot()["poller"].status, "done");
        wait_for("b to run", || running.lock().unwrap().as_slice() == ["b"]).await;
        let _ = b.stop.send(true);
        b.sup.join().await;
        assert!(shared.0.lock().unwrap().is_none(), "b released the lease");
    }

    #[tokio::test]
    async fn a_failed_renewal_stops_the_worker_and_it_resumes_when_the_lease_is_back() {
        let shared = Arc::new(Shared::default());
        let running = Arc::new(Mutex::new(Vec::new()));
        let a = instance(&shared, "a", running.clone());
        wait_for("a to run", || running.lock().unwrap().as_slice() == ["a"]).await;
        a.store.broken.store(true, Ordering::SeqCst);
        wait_for("a's worker to stop", || running.lock().unwrap().is_empty()).await;
        wait_for("a on standby", || status(&a) == "standby").await;
        a.store.broken.store(false, Ordering::SeqCst);
        wait_for("a to run again", || running.lock().unwrap().as_slice() == ["a"]).await;
        assert_eq!(status(&a), "running");
        let _ = a.stop.send(true);
        a.sup.join().await;
    }

    #[tokio::test]
    async fn a_renewal_that_hangs_stops_the_worker_before_the_lease_could_expire() {
        let shared = Arc::new(Shared::default());
        let running = Arc::new(Mutex::new(Vec::new()));
        let a = instance(&shared, "a", running.clone());
        wait_for("a to run", || running.lock().unwrap().as_slice() == ["a"]).await;
        // The renewal hangs until the flag is cleared: the worker must stop meanwhile.
        a.store.slow.store(true, Ordering::SeqCst);
        wait_for("a's worker to stop while its renewal hangs", || running.lock().unwrap().is_empty()).await;
        a.store.slow.store(false, Ordering::SeqCst);
        let _ = a.stop.send(true);
        a.sup.join().await;
    }

    #[tokio::test]
    async fn a_lease_taken_by_another_instance_stops_the_worker() {
        let shared = Arc::new(Shared::default());
        let running = Arc::new(Mutex::new(Vec::new()));
        let a = instance(&shared, "a", running.clone());
        wait_for("a to run", || running.lock().unwrap().as_slice() == ["a"]).await;
        // Another instance holds it now (as after a pause longer than the lease).
        *shared.0.lock().unwrap() = Some(("z".into(), std::time::Instant::now() + Duration::from_secs(60)));
        wait_for("a's worker to stop", || running.lock().unwrap().is_empty()).await;
        wait_for("a on standby", || status(&a) == "standby").await;
        let _ = a.stop.send(true);
        a.sup.join().await;
        assert_eq!(shared.0.lock().unwrap().as_ref().map(|(h, _)| h.as_str()), Some("z"), "a must not release z's lease");
    }
}
