//! Start-up: open the store, apply migrations, bind the listener, and run the web app with the
//! background workers until a signal stops them.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tokio::sync::watch;

use crate::config::Config;
use crate::db;
use crate::health::HealthState;
use crate::web::AppState;

/// A built, bound, not yet running application.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    pub state: AppState,
    shutdown: Arc<watch::Sender<bool>>,
    workers: crate::jobs::Supervisor,
    /// The intake pipeline (rules, policy) the workers use.
    pub intake: Option<Arc<crate::intake::Intake>>,
    /// This instance's liveness lease, renewed until the workers have stopped.
    instance_lease: InstanceLease,
}

/// Stops a running [`Application`]: the server stops accepting and finishes in-flight requests,
/// then the workers finish their current step.
#[derive(Clone)]
pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    shutdown: Arc<watch::Sender<bool>>,
}

impl Stopper {
    pub async fn stop(&self) {
        self.server.stop(true).await;
        let _ = self.shutdown.send(true);
    }
}

/// Open the pool and bring the schema up to date (used by `serve` and `migrate`).
pub fn open_store(config: &Config) -> anyhow::Result<db::Pool> {
    let pool = db::connect(&config.database, config.settings.db_pool_size)
        .with_context(|| format!("database {}", config.database.redacted()))?;
    let mut conn = pool.get().context("database pool")?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    Ok(pool)
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let config = Arc::new(config);
        let cfg = config.clone();
        let pool = tokio::task::spawn_blocking(move || open_store(&cfg)).await??;
        crate::web::metrics::init();
        let mailer = crate::mailer::Mailer::from_config(&config)?;
        let intake = Arc::new(crate::intake::Intake::load(config.clone()).context("rules")?);
        let state = AppState {
            pool,
            config: config.clone(),
            health: Arc::new(HealthState::default()),
            outbox_nudge: Arc::new(tokio::sync::Notify::new()),
            intake: intake.clone(),
            limiter: Arc::new(crate::web::ratelimit::RateLimiter::new(
                config.settings.filing_rate_per_minute,
                config.settings.filing_burst,
            )),
        };
        let departments: Vec<crate::db::models::Department> = intake
            .rules()
            .departments()
            .iter()
            .map(|d| crate::db::models::Department {
                code: d.code.clone(),
                name: d.name.clone(),
                description: d.description.clone(),
                email: (!d.email.is_empty()).then(|| d.email.clone()),
                head_email: None,
                active: true,
            })
            .collect();
        let p = state.pool.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut c = p.get()?;
            crate::db::models::Department::sync(&mut c, &departments)?;
            Ok(())
        })
        .await??;

        let listener = TcpListener::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                // %{client}xi: the client address the rate limit uses (forwarded behind a trusted proxy).
                .wrap(
                    actix_web::middleware::Logger::new("%{client}xi \"%r\" %s %b %Dms")
                        .custom_request_replace("client", |req| crate::web::public::client_ip(req.request()).to_string())
                        .log_target("http"),
                )
                .configure(crate::web::configure)
        })
        .shutdown_timeout(30)
        .listen(listener)?
        .run();

        let (shutdown, _rx) = watch::channel(false);
        let shutdown = Arc::new(shutdown);
        let workers = crate::jobs::Supervisor::new(shutdown.clone(), state.health.workers.clone());
        // Taken before the outbox worker claims anything: a row this instance claims is never
        // seen as a dead instance's by another one.
        let lease_ttl = std::time::Duration::from_secs(config.settings.lease_secs);
        let instance_lease = InstanceLease::start(state.pool.clone(), &config.settings.instance_id, lease_ttl).await?;
        let mut app = Application { port, server, state, shutdown, workers, intake: None, instance_lease };
        let (pool, health, nudge) = (app.state.pool.clone(), app.state.health.clone(), app.state.outbox_nudge.clone());
        app.workers.spawn("outbox", {
            let (pool, nudge) = (pool.clone(), nudge.clone());
            move |sd| crate::mailer::run_outbox_worker(pool.clone(), mailer.clone(), nudge.clone(), sd)
        });
        // Singleton work runs under a lease (several instances on one database): one poller per
        // mailbox, one follow-up job (`Supervisor::spawn_leased`, `db::lease`).
        let leases: Arc<dyn crate::jobs::LeaseStore> =
            Arc::new(crate::jobs::DbLeases { pool: pool.clone(), holder: config.settings.instance_id.clone() });
        if config.settings.imap_url.is_empty() {
            let (intake, pool, root, health, nudge) = (intake.clone(), pool.clone(), config.maildir(), health.clone(), nudge.clone());
            let lease = crate::intake::maildir_watch::lease_name(&root);
            app.workers.spawn_leased("maildir", lease, leases.clone(), lease_ttl, move |sd| {
                crate::intake::maildir_watch::run_maildir_watcher(intake.clone(), pool.clone(), root.clone(), health.clone(), nudge.clone(), sd)
            });
        } else {
            let (intake, pool, health, nudge) = (intake.clone(), pool.clone(), health.clone(), nudge.clone());
            let worker = move |sd| crate::intake::imap::run_imap_worker(intake.clone(), pool.clone(), health.clone(), nudge.clone(), sd);
            match crate::intake::imap::ImapUrl::parse(config.settings.imap_url.expose()) {
                Ok(url) => app.workers.spawn_leased("imap", url.lease_name(), leases.clone(), lease_ttl, worker),
                // A URL that cannot work: the worker says so at once (fatal), lease or not.
                Err(_) => app.workers.spawn("imap", worker),
            }
        }
        if config.settings.routing_model {
            let (i, p) = (intake.clone(), pool.clone());
            app.workers.spawn("routing_model", move |sd| {
                crate::workflow::routing_model::run_model_worker(i.clone(), p.clone(), std::time::Duration::from_secs(60), sd)
            });
        }
        let (i, p, sock, n) = (intake.clone(), pool.clone(), crate::intake::spool::socket_path(&config), nudge.clone());
        app.workers.spawn("spool", move |sd| crate::intake::spool::run_spool_worker(i.clone(), p.clone(), sock.clone(), n.clone(), sd));
        let (i, p) = (intake.clone(), pool.clone());
        app.workers.spawn("rules_reload", move |sd| reload_rules_on_sighup(i.clone(), p.clone(), sd));
        let (policy, domain, base) =
            (intake.policy.clone(), config.settings.message_id_domain.clone(), config.settings.public_base_url.clone());
        app.workers.spawn_leased("follow_up", "job:follow_up".into(), leases, lease_ttl, move |sd| {
            crate::workflow::follow_up::run_follow_up_worker(pool.clone(), policy.clone(), domain.clone(), base.clone(), nudge.clone(), sd)
        });
        app.intake = Some(intake);
        Ok(app)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the application from elsewhere (tests, embedding).
    pub fn stopper(&self) -> Stopper {
        Stopper { server: self.server.handle(), shutdown: self.shutdown.clone() }
    }

    /// Serve until SIGINT/SIGTERM (actix stops accepting and finishes in-flight requests), then
    /// tell the workers to finish their current step and wait for them. A worker that cannot
    /// run stops the service too, and its reason is the error returned.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(port = self.port, backend = self.state.config.database.backend_name(), "serving");
        let handle = self.server.handle();
        let fatal = self.workers.fatal_signal();
        let stop_on_fatal = tokio::spawn(async move {
            fatal.notified().await;
            handle.stop(true).await;
        });
        let result = self.server.await;
        stop_on_fatal.abort();
        let _ = self.shutdown.send(true);
        let fatal = self.workers.fatal();
        self.workers.join().await;
        // Only now: the outbox worker has finished the rows it was sending.
        self.instance_lease.release().await;
        tracing::info!("stopped");
        if let Some(reason) = fatal {
            anyhow::bail!(reason);
        }
        Ok(result?)
    }
}

/// This instance's liveness lease `instance:<instance_id>` (`db::outbox::instance_lease_name`):
/// taken at start, renewed every lease_secs/3 by a task of its own (not a supervised worker: it
/// must outlive the workers' stop), released once the workers have stopped. While it is alive
/// no other instance takes the outbox rows this one has claimed before their 10-minute claim
/// expires; once it has expired (the instance was killed or cut off), the next claim of another
/// instance takes them at once (`db::outbox::claim_next`).
struct InstanceLease {
    store: Arc<crate::jobs::DbLeases>,
    name: String,
    renew: tokio::task::JoinHandle<()>,
}

impl InstanceLease {
    async fn start(pool: crate::db::Pool, instance_id: &str, ttl: std::time::Duration) -> anyhow::Result<InstanceLease> {
        use crate::jobs::LeaseStore;
        let store = Arc::new(crate::jobs::DbLeases { pool, holder: instance_id.to_string() });
        let name = crate::db::outbox::instance_lease_name(instance_id);
        let (s, n) = (store.clone(), name.clone());
        // The lease of this id is only ever held by this id: taking it cannot be refused.
        tokio::task::spawn_blocking(move || s.hold(&n, ttl)).await?.context("instance lease")?;
        let (s, n) = (store.clone(), name.clone());
        let period = (ttl / 3).max(std::time::Duration::from_millis(100));
        let renew = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let (s2, n2) = (s.clone(), n.clone());
                let renewed = tokio::time::timeout(period, tokio::task::spawn_blocking(move || s2.hold(&n2, ttl))).await;
                match renewed {
                    Ok(Ok(Ok(_))) => {}
                    Ok(Ok(Err(e))) => tracing::warn!(lease = %n, error = %format!("{e:#}"), "instance lease not renewed; will try again"),
                    Ok(Err(e)) => tracing::warn!(lease = %n, error = %e, "instance lease not renewed; will try again"),
                    Err(_) => tracing::warn!(lease = %n, "instance lease renewal timed out; will try again"),
                }
            }
        });
        Ok(InstanceLease { store, name, renew })
    }

    async fn release(&self) {
        use crate::jobs::LeaseStore;
        self.renew.abort();
        let (s, n) = (self.store.clone(), self.name.clone());
        match tokio::task::spawn_blocking(move || s.release(&n)).await {
            Ok(Ok(())) => tracing::info!(lease = %self.name, "instance lease released"),
            Ok(Err(e)) => tracing::warn!(lease = %self.name, error = %format!("{e:#}"), "instance lease not released; it expires by itself"),
            Err(e) => tracing::warn!(lease = %self.name, error = %e, "instance lease not released; it expires by itself"),
        }
    }
}

impl Drop for InstanceLease {
    /// An application dropped without being run: stop renewing (the lease expires by itself).
    fn drop(&mut self) {
        self.renew.abort();
    }
}

/// SIGHUP reloads the routing rules, the calendar and the terms; a set that does not load is
/// rejected and the running one stays. At start and after each calendar reload the open cases'
/// terms are recomputed (`workflow::recalc`).
async fn reload_rules_on_sighup(intake: Arc<crate::intake::Intake>, pool: crate::db::Pool, mut shutdown: crate::jobs::Shutdown) -> anyhow::Result<crate::jobs::Exit> {
    // Watched first, so a SIGHUP that comes during the start recomputation is not lost.
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    recompute_terms(&intake, &pool, None).await;
    let Ok(mut hup) = hup else {
        tracing::warn!("SIGHUP cannot be watched here: reloading the rules needs a restart");
        return Ok(crate::jobs::Exit::Done);
    };
    loop {
        tokio::select! {
            _ = hup.recv() => {
                // Reading and compiling the rule files is blocking work (file I/O, regex
                // compilation): it runs on the blocking pool, not on an async worker.
                let dir = intake.config.settings.rules_dir.clone();
                match tokio::task::spawn_blocking(move || crate::routing::RuleSet::load_dir(&dir)).await {
                    Ok(Ok(rules)) => {
                        tracing::info!(rules = rules.len(), "routing rules reloaded");
                        // The model in force goes on with the new set until the worker retrains.
                        if rules.department_codes() == intake.rules().department_codes() {
                            rules.set_model(intake.rules().model());
                        }
                        intake.set_rules(Arc::new(rules));
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "new routing rules rejected; the running set stays"),
                    Err(e) => tracing::error!(error = %e, "loading the new routing rules failed; the running set stays"),
                }
                match crate::policy::Policy::load(&intake.config) {
                    Ok(policy) if policy == *intake.policy.current() => tracing::info!("calendar and terms unchanged"),
                    Ok(policy) => {
                        let old = intake.policy.replace(policy);
                        tracing::info!("calendar and terms reloaded");
                        recompute_terms(&intake, &pool, Some(old)).await;
                    }
                    Err(e) => tracing::error!(error = %e, "new calendar or terms rejected; the running ones stay"),
                }
            }
            _ = shutdown.stopped() => break,
        }
    }
    Ok(crate::jobs::Exit::Done)
}

/// Recompute the open cases' terms under the policy in force (`old`: the one it replaced).
async fn recompute_terms(intake: &Arc<crate::intake::Intake>, pool: &crate::db::Pool, old: Option<&'static crate::policy::Policy>) {
    let (intake, pool) = (intake.clone(), pool.clone());
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<crate::workflow::recalc::RecalcReport> {
        let mut c = pool.get()?;
        let mail = crate::db::lifecycle::MailContext { unit: &intake.config.unit, message_id_domain: &intake.config.settings.message_id_domain, survey: None };
        crate::workflow::recalc::recompute(&mut c, &mail, old, intake.policy.current(), chrono::Utc::now())
    })
    .await;
    match result {
        Ok(Ok(r)) if r.moved > 0 || r.skipped > 0 => tracing::info!(open = r.open, moved = r.moved, skipped = r.skipped, "open cases' terms recomputed"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "recomputing the open cases' terms failed; run it again with a SIGHUP"),
        Err(e) => tracing::error!(error = %e, "recomputing the open cases' terms panicked"),
    }
}
