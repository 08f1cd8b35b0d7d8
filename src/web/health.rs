//! `GET /healthz`: the state of the database, the intake (last successful poll) and the outbox.
//! 200 when the database answers (intake may be `degraded` without failing the check, so a load
//! balancer keeps serving the web app while the mail server is away); 503 when it does not.
//! `workers` lists each supervised background worker (`crate::jobs`): `running`, `restarting`
//! after a failure (with its restart count and last error), `done` or `fatal`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::AppState;
pub use crate::health::HealthState;

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let db = web::block(move || -> Result<(i64, i64), String> {
        let mut c = pool.get().map_err(|e| e.to_string())?;
        crate::db::ping(&mut c).map_err(|e| e.to_string())?;
        let backlog = crate::db::models::outbox_backlog(&mut c).map_err(|e| e.to_string())?;
        let quarantined = crate::db::models::quarantine_open(&mut c).map_err(|e| e.to_string())?;
        Ok((backlog, quarantined))
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let pool = state.pool.clone();
    let spool_backlog = web::block(move || crate::db::spool::backlog_in(&pool)).await.ok().flatten();

    let intake = state.health.intake();
    let stale_after = state.config.settings.intake_stale_secs as i64;
    let intake_status = match (&intake.source, intake.last_success) {
        (None, _) => "disabled",
        (Some(_), Some(t)) if (Utc::now() - t).num_seconds() <= stale_after => "ok",
        (Some(_), _) => "degraded",
    };
    let backend = state.config.database.backend_name();
    let workers = state.health.workers.snapshot();
    let workers_ok = workers.values().all(|w| matches!(w.status, "running" | "done"));
    match db {
        Ok((backlog, quarantined)) => HttpResponse::Ok().json(json!({
            "status": if intake_status == "degraded" || !workers_ok { "degraded" } else { "ok" },
            "workers": workers,
            "database": { "status": "ok", "backend": backend },
            "intake": {
                "status": intake_status,
                "source": intake.source,
                "last_success": intake.last_success,
                "last_error": intake.last_error,
            },
            "outbox": { "backlog": backlog },
            "spool": { "backlog": spool_backlog },
            "quarantine": { "open": quarantined },
        })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "database": { "status": "unavailable", "backend": backend },
                "intake": { "status": intake_status, "source": intake.source },
            }))
        }
    }
}
