//! The staff JSON API under `/api/v1` (bearer token or session): metrics now; cases below.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (America/Bogota).
    #[param(required = true, minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// `json` (default) or `csv` (also chosen by `Accept: text/csv`).
    #[param(schema_with = super::api_doc::report_formats)]
    pub format: Option<String>,
}

fn wants_csv(req: &HttpRequest, format: Option<&str>) -> bool {
    format == Some("csv")
        || req.headers().get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))
}

/// `GET /api/v1/metrics/virtual-channel?year=YYYY` (JSON, or CSV with `Accept: text/csv` or `?format=csv`).
#[utoipa::path(get, path = "/api/v1/metrics/virtual-channel", operation_id = "virtual_channel_report", tag = "reportes",
    summary = "Correos entrantes y salientes del canal virtual por mes",
    security(("bearer" = [])),
    params(YearQuery),
    responses(
        (status = 200, description = "Reporte", content(
            (crate::reports::VirtualChannel = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn virtual_channel(req: HttpRequest, caller: Caller, state: web::Data<AppState>, q: web::Query<YearQuery>) -> Result<HttpResponse, ApiError> {
    if !caller.may_report() {
        return Err(ApiError::forbidden());
    }
    if !matches!(q.format.as_deref(), None | Some("json") | Some("csv")) {
        return Err(ApiError::bad_request("El formato debe ser json o csv."));
    }
    let year = q.year.ok_or_else(|| ApiError::bad_request("Indique el año: ?year=AAAA"))?;
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::bad_request("El año debe estar entre 2000 y 2100."));
    }
    let report = super::with_conn(&state, move |c| Ok(crate::reports::virtual_channel(c, year)?)).await?;
    if wants_csv(&req, q.format.as_deref()) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"canal-virtual-{year}.csv\"")))
            .body(report.to_csv()));
    }
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day (effective filing day), `AAAA-MM-DD`.
    #[param(required = true, value_type = String, format = Date)]
    pub from: Option<String>,
    /// Last day, `AAAA-MM-DD` (at most 10 years after `from`).
    #[param(required = true, value_type = String, format = Date)]
    pub to: Option<String>,
    /// `json` (default) or `csv` (also chosen by `Accept: text/csv`).
    #[param(schema_with = super::api_doc::report_formats)]
    pub format: Option<String>,
}

/// `GET /api/v1/metrics/pqrs?from=YYYY-MM-DD&to=YYYY-MM-DD`: Ley 1712 figures (JSON, or CSV
/// with `Accept: text/csv` or `?format=csv`: one line per group, Spanish column names).
#[utoipa::path(get, path = "/api/v1/metrics/pqrs", operation_id = "pqrs_report", tag = "reportes",
    summary = "Cifras de PQRS (Ley 1712) por tipo, dependencia y canal",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, description = "Cifras", content(
            (crate::reports::PqrsReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn pqrs(req: HttpRequest, caller: Caller, state: web::Data<AppState>, q: web::Query<RangeQuery>) -> Result<HttpResponse, ApiError> {
    if !caller.may_report() {
        return Err(ApiError::forbidden());
    }
    if !matches!(q.format.as_deref(), None | Some("json") | Some("csv")) {
        return Err(ApiError::bad_request("El formato debe ser json o csv."));
    }
    let parse = |s: &Option<String>, what: &str| -> Result<NaiveDate, ApiError> {
        s.as_deref()
            .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            .ok_or_else(|| ApiError::bad_request(format!("Indique {what} como AAAA-MM-DD.")))
    };
    let (from, to) = (parse(&q.from, "from")?, parse(&q.to, "to")?);
    if to < from || (to - from).num_days() > 3660 {
        return Err(ApiError::bad_request("El rango de fechas no es válido (máximo 10 años)."));
    }
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(chrono::Utc::now());
    let report = super::with_conn(&state, move |c| Ok(crate::reports::pqrs(c, &policy.deadlines, from, to, today)?)).await?;
    if wants_csv(&req, q.format.as_deref()) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"pqrs-{from}-{to}.csv\"")))
            .body(report.to_csv()));
    }
    Ok(HttpResponse::Ok().json(report))
}
