//! The HTTP layer: route tree, shared state, health. Handlers call workflows and `db` query
//! functions through `web::block`; they never run diesel on an async worker.

pub mod api;
pub mod api_doc;
pub mod callbacks;
pub mod caller;
pub mod client_addr;
pub mod cases_api;
pub mod communications_api;
pub mod forms;
pub mod health;
pub mod layout;
pub mod metrics;
pub mod public;
pub mod ratelimit;
pub mod staff;
pub mod surveys;

use std::sync::Arc;

use actix_web::web;

use crate::config::Config;
use crate::db::Pool;

/// State shared by every handler and worker.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub health: Arc<crate::health::HealthState>,
    /// Wakes the outbox worker after something was queued.
    pub outbox_nudge: Arc<tokio::sync::Notify>,
    /// The intake pipeline (rules, deadlines) shared with the workers.
    pub intake: Arc<crate::intake::Intake>,
    /// Per-IP limit for the public endpoints.
    pub limiter: Arc<ratelimit::RateLimiter>,
}

/// 405 for a method a resource does not serve (with `Allow`: the methods the OpenAPI document
/// lists for it), as JSON.
async fn method_not_allowed(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let allow = req.match_pattern().and_then(|p| api_doc::allowed_methods(&p)).unwrap_or_else(|| "GET".into());
    actix_web::HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", allow))
        .json(serde_json::json!({"error": "method_not_allowed", "message": "Método no permitido."}))
}

/// The whole route tree.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::error::ApiError;
    let api = |path: &str| web::resource(path.to_string()).default_service(web::to(method_not_allowed));
    cfg.app_data(web::JsonConfig::default().limit(256 * 1024).error_handler(|err, _| {
        ApiError::bad_request(format!("JSON inválido: {err}")).into()
    }))
    .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(|err, _| {
        ApiError::bad_request(format!("Formulario inválido: {err}")).into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        ApiError::bad_request(format!("Parámetros inválidos: {err}")).into()
    }))
    .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
    .service(api("/healthz").route(web::get().to(health::healthz)))
    .route("/metrics", web::get().to(metrics::render))
    .route(layout::PRINT_JS_PATH, web::get().to(layout::print_js))
    .route("/", web::get().to(public::home))
    .route("/radicar", web::get().to(public::form))
    .route("/radicar", web::post().to(public::submit))
    .route("/te-llamamos", web::get().to(callbacks::form))
    .route("/te-llamamos", web::post().to(callbacks::submit))
    .route("/encuesta/{token}", web::get().to(surveys::form))
    .route("/encuesta/{token}", web::post().to(surveys::submit))
    .route("/consulta", web::get().to(public::lookup_form))
    .route("/consulta", web::post().to(public::lookup_submit))
    .service(api("/api/v1/filings").route(web::post().to(public::api_create_filing)))
    .service(api("/api/v1/callbacks").route(web::post().to(callbacks::api_create)))
    .service(api("/api/v1/status").route(web::post().to(public::api_status)))
    .service(api("/api/v1/metrics/virtual-channel").route(web::get().to(api::virtual_channel)))
    .service(api("/api/v1/metrics/pqrs").route(web::get().to(api::pqrs)))
    .service(api("/api/v1/metrics/satisfaction").route(web::get().to(surveys::metrics)))
    .service(api("/api/v1/surveys/{token}").route(web::post().to(surveys::api_answer)))
    .service(api("/api/v1/openapi.json").route(web::get().to(api_doc::serve)))
    .service(api("/api/v1/cases").route(web::get().to(cases_api::list)))
    .service(api("/api/v1/cases/{radicado}").route(web::get().to(cases_api::get)))
    .service(api("/api/v1/cases/{radicado}/actions").route(web::post().to(cases_api::act)))
    .service(api("/api/v1/cases/{radicado}/attachments/{id}").route(web::get().to(cases_api::attachment)))
    .service(api("/api/v1/cases/{radicado}/communications").route(web::get().to(communications_api::list)))
    .route("/personal", web::get().to(staff::login_form))
    .route("/personal", web::post().to(staff::login))
    .route("/salir", web::post().to(staff::logout))
    .route("/bandeja", web::get().to(staff::inbox))
    .route("/triage", web::get().to(staff::triage))
    .route("/casos/{radicado}", web::get().to(staff::case_page))
    .route("/casos/{radicado}/acciones", web::post().to(staff::case_action))
    .route("/casos/{radicado}/adjuntos/{id}", web::get().to(staff::attachment))
    .route("/casos/{radicado}/responder", web::post().to(staff::respond_submit))
    .route("/staff/oficios/{radicado}", web::get().to(staff::oficio_page))
    .route("/verbal", web::get().to(staff::verbal_form))
    .route("/verbal", web::post().to(staff::verbal_submit))
    .route("/reportes/canal-virtual", web::get().to(staff::report_page))
    .route("/reportes/informe", web::get().to(staff::informe_page));
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
