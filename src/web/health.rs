//! `GET /healthz`: the state of the database, the intake (last successful poll) and the outbox.
//! 200 when the database answers (intake may be `degraded` without failing the check, so a load
//! balancer keeps serving the web app while the mail server is away); 503 when it does not.
//! `workers` lists each supervised background worker (`crate::jobs`): `running`, `restarting`
//! after a failure (with its restart count and last error), `done`, `fatal`, or `standby` (a
//! leased worker while another instance holds its lease; with the lease's name).
//! `instance` is this instance's id; `leases` every lease row (name, holder, expires_at, and
//! `held`: whether this instance holds it now), so each instance tells which one polls which
//! mailbox. A standby instance is healthy: its intake shows `standby`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::AppState;
pub use crate::health::HealthState;

/// The documented core of the health body (the handler builds it with `json!`; the other
/// members are described in the module docs). 200 and 503 share it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Health {
    #[schema(schema_with = health_statuses)]
    status: String,
    /// This instance's id.
    instance: String,
    database: HealthDatabase,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HealthDatabase {
    #[schema(schema_with = database_statuses)]
    status: String,
    /// `sqlite` or `postgres`.
    backend: String,
}

fn health_statuses() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String).enum_values(Some(["ok", "degraded", "unavailable"])).build()
}

fn database_statuses() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String).enum_values(Some(["ok", "unavailable"])).build()
}

#[utoipa::path(get, path = "/healthz", operation_id = "health", tag = "servicio", summary = "Estado del servicio",
    responses(
        (status = 200, description = "Base de datos disponible", body = Health),
        (status = 503, description = "Base de datos no disponible", body = Health),
    ))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let db = web::block(move || -> Result<(i64, i64, Vec<crate::db::lease::Lease>), String> {
        let mut c = pool.get().map_err(|e| e.to_string())?;
        crate::db::ping(&mut c).map_err(|e| e.to_string())?;
        let backlog = crate::db::models::outbox_backlog(&mut c).map_err(|e| e.to_string())?;
        let quarantined = crate::db::models::quarantine_open(&mut c).map_err(|e| e.to_string())?;
        let leases = crate::db::lease::list(&mut c).map_err(|e| e.to_string())?;
        Ok((backlog, quarantined, leases))
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let pool = state.pool.clone();
    let spool_backlog = web::block(move || crate::db::spool::backlog_in(&pool)).await.ok().flatten();

    let intake = state.health.intake();
    let stale_after = state.config.settings.intake_stale_secs as i64;
    let workers = state.health.workers.snapshot();
    // The mailbox worker waiting for another instance's lease.
    let standby = ["imap", "maildir"].iter().any(|n| workers.get(n).is_some_and(|w| w.status == "standby"));
    let intake_status = match (&intake.source, intake.last_success) {
        _ if standby => "standby",
        (None, _) => "disabled",
        (Some(_), Some(t)) if (Utc::now() - t).num_seconds() <= stale_after => "ok",
        (Some(_), _) => "degraded",
    };
    let backend = state.config.database.backend_name();
    let workers_ok = workers.values().all(|w| matches!(w.status, "running" | "done" | "standby"));
    let instance = &state.config.settings.instance_id;
    match db {
        Ok((backlog, quarantined, leases)) => HttpResponse::Ok().json(json!({
            "status": if intake_status == "degraded" || !workers_ok { "degraded" } else { "ok" },
            "instance": instance,
            "leases": leases.iter().map(|l| json!({
                "name": l.name,
                "holder": l.holder,
                "acquired_at": l.acquired_at.and_utc(),
                "expires_at": l.expires_at.and_utc(),
                "held": &l.holder == instance && l.expires_at > Utc::now().naive_utc(),
            })).collect::<Vec<_>>(),
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
                "instance": instance,
                "database": { "status": "unavailable", "backend": backend },
                "intake": { "status": intake_status, "source": intake.source },
            }))
        }
    }
}
