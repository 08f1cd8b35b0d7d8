//! Start-up: open the store, apply migrations, bind the listener, and run the web app with the
//! background workers until a signal stops them.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tokio::sync::watch;

use crate::config::Config;
use crate::db;
use crate::web::{health::HealthState, AppState};

/// A built, bound, not yet running application.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
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
        let state = AppState {
            pool,
            config: config.clone(),
            health: Arc::new(HealthState::default()),
            outbox_nudge: Arc::new(tokio::sync::Notify::new()),
        };
        let mailer = crate::mailer::Mailer::from_config(&config)?;

        let listener = TcpListener::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(actix_web::middleware::Logger::new("%a \"%r\" %s %b %Dms").log_target("http"))
                .configure(crate::web::configure)
        })
        .shutdown_timeout(30)
        .listen(listener)?
        .run();

        let (shutdown, _rx) = watch::channel(false);
        let mut app = Application { port, server, state, shutdown, workers: Vec::new() };
        let worker = crate::mailer::run_outbox_worker(
            app.state.pool.clone(),
            mailer,
            app.state.outbox_nudge.clone(),
            app.shutdown_signal(),
        );
        app.spawn_worker(worker);
        Ok(app)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A receiver that turns `true` when the application stops; workers watch it.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Run a background worker until shutdown.
    pub fn spawn_worker<F>(&mut self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.workers.push(tokio::spawn(fut));
    }

    /// Serve until SIGINT/SIGTERM (actix stops accepting and finishes in-flight requests), then
    /// tell the workers to finish their current step and wait for them.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(port = self.port, backend = self.state.config.database.backend_name(), "serving");
        let result = self.server.await;
        let _ = self.shutdown.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        tracing::info!("stopped");
        Ok(result?)
    }
}
