//! `GET /metrics`: Prometheus text format. Counters are kept in process by the `metrics` crate
//! (mails in by channel and outcome, mails out by purpose and result); gauges that describe
//! stored state (quarantine size, outbox backlog) are read from the database at scrape time, and
//! the seconds since the last successful poll from the intake's health.

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder once (later calls reuse it).
pub fn init() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    metrics::describe_counter!("pqrs_mail_in_total", "Incoming mails processed, by channel and outcome");
                    metrics::describe_counter!("pqrs_mail_out_total", "Outgoing mail delivery attempts, by purpose and result");
                    Some(handle)
                }
                Err(_) => None,
            }
        })
        .as_ref()
}

pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let Some(handle) = init() else {
        return HttpResponse::ServiceUnavailable().body("metrics recorder unavailable\n");
    };
    let pool = state.pool.clone();
    let stored = web::block(move || -> Result<(i64, i64), String> {
        let mut c = pool.get().map_err(|e| e.to_string())?;
        let backlog = crate::db::models::outbox_backlog(&mut c).map_err(|e| e.to_string())?;
        let quarantined = crate::db::models::quarantine_open(&mut c).map_err(|e| e.to_string())?;
        Ok((backlog, quarantined))
    })
    .await;
    if let Ok(Ok((backlog, quarantined))) = stored {
        metrics::gauge!("pqrs_outbox_backlog").set(backlog as f64);
        metrics::gauge!("pqrs_quarantine_open").set(quarantined as f64);
        metrics::gauge!("pqrs_database_up").set(1.0);
    } else {
        metrics::gauge!("pqrs_database_up").set(0.0);
    }
    let pool = state.pool.clone();
    if let Ok(Some(n)) = web::block(move || crate::db::spool::backlog_in(&pool)).await {
        metrics::gauge!("pqrs_spool_backlog").set(n as f64);
    }
    if let Some(t) = state.health.last_success() {
        metrics::gauge!("pqrs_intake_seconds_since_last_poll").set((Utc::now() - t).num_milliseconds() as f64 / 1000.0);
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}
