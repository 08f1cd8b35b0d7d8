//! The HTTP layer: route tree, shared state, health. Handlers call workflows and `db` query
//! functions through `web::block`; they never run diesel on an async worker.

pub mod health;
pub mod metrics;

use std::sync::Arc;

use actix_web::web;

use crate::config::Config;
use crate::db::Pool;

/// State shared by every handler and worker.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub health: Arc<health::HealthState>,
    /// Wakes the outbox worker after something was queued.
    pub outbox_nudge: Arc<tokio::sync::Notify>,
}

/// The whole route tree.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/metrics", web::get().to(metrics::render));
}

/// Run blocking database work off the async workers, with a pooled connection.
pub async fn with_conn<T, F>(state: &AppState, f: F) -> Result<T, crate::error::ApiError>
where
    F: FnOnce(&mut crate::db::AnyConnection) -> Result<T, crate::error::ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(|e| crate::db::DbError::Pool(e.to_string()))?;
        f(&mut conn)
    })
    .await?
}
