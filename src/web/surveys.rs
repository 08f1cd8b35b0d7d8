//! The satisfaction survey over HTTP (`crate::survey`): the citizen's page `GET /encuesta/{token}`
//! (reads only: a mail scanner that opens the link records nothing) and its form `POST
//! /encuesta/{token}` (no JavaScript; CSRF by double-submit cookie), the same answer as JSON at
//! `POST /api/v1/surveys/{token}` (201; 409 when answered already; 404 for an unknown token; 422
//! for a missing or out-of-range rating), and the figures at `GET /api/v1/metrics/satisfaction`
//! (report, triage and admin roles).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::layout::{field_error, html_response, page, random_token};
use super::public::{csrf_token, error_summary, rate_limited, with_csrf, CSRF_COOKIE};
use super::AppState;
use crate::auth::Caller;
use crate::db::surveys::{self as store, Answered};
use crate::error::ApiError;
use crate::survey::{self, SurveyInput};

const NAV: [(&str, &str); 2] = [("Radicar una PQRS", "/radicar"), ("Consultar estado", "/consulta")];

fn conflict() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "already_answered", "Esta encuesta ya fue respondida. Gracias.")
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No encontramos esta encuesta. Revise el enlace del correo.")
}

/// `POST /api/v1/surveys/{token}` → 201.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyRecorded {
    /// Always `recorded`.
    pub status: &'static str,
}

async fn record(state: &AppState, token: String, input: &SurveyInput) -> Result<(), ApiError> {
    let (ratings, comment) = survey::validate(input).map_err(ApiError::validation)?;
    let out = super::with_conn(state, move |c| Ok(store::answer(c, &token, &ratings, comment.as_deref(), chrono::Utc::now())?)).await?;
    match out {
        Answered::Recorded => Ok(()),
        Answered::AlreadyAnswered => Err(conflict()),
        Answered::NotFound => Err(not_found()),
    }
}

/// `POST /api/v1/surveys/{token}`: `{satisfaccion, percepcion, confianza, claridad, comentario?}`.
#[utoipa::path(post, path = "/api/v1/surveys/{token}", operation_id = "answer_survey", tag = "público",
    summary = "Responder la encuesta de satisfacción del enlace enviado con la respuesta (una vez)",
    params(("token" = String, Path, min_length = 64, max_length = 64, pattern = "^[0-9a-f]{64}$", description = "La clave del enlace /encuesta/{token}")),
    request_body = SurveyInput,
    responses(
        (status = 201, description = "Respuesta registrada", body = SurveyRecorded),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 404, description = "Encuesta inexistente", body = crate::error::ErrorBody),
        (status = 409, description = "La encuesta ya fue respondida", body = crate::error::ErrorBody),
        (status = 422, description = "Calificaciones faltantes o fuera de 1 a 5, con mensajes por campo", body = crate::error::ErrorBody),
        (status = 429, description = "Demasiadas solicitudes", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn api_answer(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, body: web::Json<SurveyInput>) -> Result<HttpResponse, ApiError> {
    rate_limited(&state, &req)?;
    record(&state, path.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(SurveyRecorded { status: "recorded" }))
}

fn form_page(token: &str, radicado: &str, input: &SurveyInput, errors: &BTreeMap<String, String>, csrf: &str) -> Markup {
    let chosen = |field: &str| match field {
        "satisfaccion" => input.satisfaccion,
        "percepcion" => input.percepcion,
        "confianza" => input.confianza,
        "claridad" => input.claridad,
        _ => None,
    };
    page("Encuesta de satisfacción", &NAV, html! {
        h1 { "Encuesta de satisfacción" }
        p { "Sobre la atención de su solicitud con radicado " strong { (radicado) } ". Son cuatro preguntas de 1 (muy malo) a 5 (muy bueno); el comentario es opcional. Sus respuestas se usan solo para medir y mejorar el servicio." }
        (error_summary(errors))
        form method="post" action=(format!("/encuesta/{token}")) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            @for (field, name, question) in survey::QUESTIONS {
                fieldset id=(field) aria-describedby=[errors.contains_key(field).then(|| format!("{field}-error"))] {
                    legend { (name) ": " (question) " *" }
                    @for (i, label) in survey::SCALE.iter().enumerate() {
                        @let v = i as i64 + 1;
                        label.inline { input type="radio" name=(field) value=(v) required checked[chosen(field) == Some(v)]; " " (label) }
                    }
                    (field_error(errors, field))
                }
            }
            label for="comentario" { "Comentario (opcional)" }
            textarea id="comentario" name="comentario" maxlength=(survey::MAX_COMMENT) aria-describedby=[errors.contains_key("comentario").then_some("comentario-error")] {
                (input.comentario.clone().unwrap_or_default())
            }
            (field_error(errors, "comentario"))
            button type="submit" { "Enviar la encuesta" }
        }
    })
}

fn message_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    html_response(status, page(title, &NAV, html! { h1 { (title) } p { (message) } p { a href="/" { "Volver al inicio" } } }))
}

async fn view(state: &AppState, token: String) -> Result<Option<store::SurveyView>, ApiError> {
    super::with_conn(state, move |c| Ok(store::by_token(c, &token)?)).await
}

/// `GET /encuesta/{token}`: the questions; stores nothing.
pub async fn form(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    match view(&state, token.clone()).await {
        Ok(Some(v)) if v.answered => message_page(StatusCode::OK, "Encuesta ya respondida", "Esta encuesta ya fue respondida. Gracias por su tiempo."),
        Ok(Some(v)) => {
            let csrf = csrf_token(&req);
            with_csrf(StatusCode::OK, &csrf, form_page(&token, &v.radicado, &SurveyInput::default(), &BTreeMap::new(), &csrf))
        }
        Ok(None) => message_page(StatusCode::NOT_FOUND, "Encuesta no encontrada", "No encontramos esta encuesta. Revise que el enlace esté completo, tal como llegó en el correo."),
        Err(e) => message_page(e.status, "Servicio no disponible", &e.message),
    }
}

/// `POST /encuesta/{token}` (application/x-www-form-urlencoded).
pub async fn submit(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, fields: web::Form<BTreeMap<String, String>>) -> HttpResponse {
    if rate_limited(&state, &req).is_err() {
        return message_page(StatusCode::TOO_MANY_REQUESTS, "Demasiadas solicitudes", "Ha enviado muchas solicitudes seguidas. Espere un minuto e intente de nuevo.");
    }
    let token = path.into_inner();
    let fields = fields.into_inner();
    let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
    let csrf = fields.get("csrf").cloned().unwrap_or_default();
    if cookie.as_deref() != Some(csrf.as_str()) || csrf.len() != 64 {
        return message_page(StatusCode::FORBIDDEN, "El formulario expiró", "Por seguridad, vuelva a abrir el enlace del correo y envíe la encuesta de nuevo.");
    }
    let input = SurveyInput::from_form(&fields);
    match record(&state, token.clone(), &input).await {
        Ok(()) => with_csrf(StatusCode::CREATED, &random_token(), page("Gracias", &NAV, html! {
            h1 { "Gracias por responder la encuesta" }
            p { "Registramos sus respuestas. Nos ayudan a mejorar la atención." }
            p { a href="/" { "Volver al inicio" } }
        })),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let radicado = view(&state, token.clone()).await.ok().flatten().map(|v| v.radicado).unwrap_or_default();
            let errors = e.fields.clone();
            with_csrf(StatusCode::UNPROCESSABLE_ENTITY, &csrf, form_page(&token, &radicado, &input, &errors, &csrf))
        }
        Err(e) if e.status == StatusCode::CONFLICT => message_page(StatusCode::CONFLICT, "Encuesta ya respondida", "Esta encuesta ya fue respondida. Gracias por su tiempo."),
        Err(e) if e.status == StatusCode::NOT_FOUND => message_page(StatusCode::NOT_FOUND, "Encuesta no encontrada", "No encontramos esta encuesta. Revise el enlace del correo."),
        Err(e) => message_page(e.status, "No pudimos registrar la encuesta", &e.message),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The calendar year (America/Bogota).
    #[param(required = true, minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// The month, 1 to 12 (America/Bogota); without it, the whole year.
    #[param(minimum = 1, maximum = 12)]
    pub month: Option<u32>,
}

/// `GET /api/v1/metrics/satisfaction?year=YYYY&month=M`.
#[utoipa::path(get, path = "/api/v1/metrics/satisfaction", operation_id = "satisfaction_report", tag = "reportes",
    summary = "Satisfacción, percepción, confianza y claridad por canal: porcentaje de calificaciones 4 o 5",
    security(("bearer" = [])),
    params(MonthQuery),
    responses(
        (status = 200, description = "Cifras del mes (o del año)", body = crate::survey::Satisfaction),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn metrics(caller: Caller, state: web::Data<AppState>, q: web::Query<MonthQuery>) -> Result<HttpResponse, ApiError> {
    if !caller.may_report() {
        return Err(ApiError::forbidden());
    }
    let year = q.year.ok_or_else(|| ApiError::bad_request("Indique el año: ?year=AAAA"))?;
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::bad_request("El año debe estar entre 2000 y 2100."));
    }
    let month = q.month;
    if month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(ApiError::bad_request("El mes debe estar entre 1 y 12."));
    }
    let s = super::with_conn(&state, move |c| Ok(store::satisfaction(c, year, month)?)).await?;
    Ok(HttpResponse::Ok().json(s))
}
