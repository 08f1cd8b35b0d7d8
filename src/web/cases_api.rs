//! The case API: `GET /api/v1/cases`, `GET /api/v1/cases/{radicado}`,
//! `POST /api/v1/cases/{radicado}/actions`. Staff only (bearer token or session), scoped to the
//! caller's department unless triage or admin; a case outside the scope answers 404.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::auth::Caller;
use crate::db::cases::{self, CaseFilter, Sort};
use crate::db::models::{CaseEvent, CaseRow};
use crate::domain::deadline::TrafficLight;
use crate::domain::{PetitionKind, PriorityReason};
use crate::error::ApiError;
use crate::policy::Policy;
use crate::workflow::lifecycle::{self, Action, ActionError};

/// A case as lists and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub radicado: String,
    pub department: String,
    pub kind: String,
    pub status: String,
    pub channel: String,
    pub priority: String,
    pub needs_review: bool,
    pub subject: String,
    #[schema(required)]
    pub citizen_name: Option<String>,
    #[schema(value_type = String)]
    pub received_at: NaiveDateTime,
    #[schema(required)]
    pub due_date: Option<NaiveDate>,
    /// Business days left (negative: overdue by); None when the clock does not run.
    #[schema(required)]
    pub days_left: Option<i64>,
    /// `green` | `amber` | `red`, or `paused` (requerimiento), `none` (closed or no term).
    #[schema(schema_with = super::api_doc::traffic_lights)]
    pub traffic_light: String,
}

pub fn summarize(c: &CaseRow, policy: &Policy, today: NaiveDate) -> CaseSummary {
    let open = cases::OPEN.contains(&c.status.as_str());
    let (days_left, light) = match (c.due_date, open, c.status.as_str()) {
        (_, _, "requerimiento") => (None, "paused".to_string()),
        (Some(due), true, _) => {
            let left = policy.deadlines.days_left(today, due);
            let light = match policy.deadlines.traffic_light(today, due) {
                TrafficLight::Green => "green",
                TrafficLight::Amber => "amber",
                TrafficLight::Red => "red",
            };
            (Some(left), light.to_string())
        }
        _ => (None, "none".to_string()),
    };
    CaseSummary {
        radicado: c.radicado.clone(),
        department: c.department.clone(),
        kind: c.kind.as_str().to_string(),
        status: c.status.as_str().to_string(),
        channel: c.channel.as_str().to_string(),
        priority: c.priority.clone(),
        needs_review: c.needs_review,
        subject: c.subject.clone(),
        citizen_name: c.citizen_name.clone(),
        received_at: c.received_at,
        due_date: c.due_date,
        days_left,
        traffic_light: light,
    }
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub status: Option<String>,
    pub department: Option<String>,
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub q: Option<String>,
    pub due: Option<String>,
    pub sort: Option<String>,
    pub next: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub review: Option<String>,
    pub all: Option<String>,
}

/// Build a filter for the caller from query parameters.
pub fn filter_for(caller: &Caller, q: &ListQuery, policy: &Policy, today: NaiveDate) -> CaseFilter {
    let nonempty = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let page = q.next.as_deref().and_then(|n| n.parse().ok()).or(q.page).unwrap_or(0);
    let mut f = CaseFilter {
        scope: caller.scope().map(str::to_string),
        department: nonempty(&q.department).map(|d| d.to_ascii_uppercase()),
        status: nonempty(&q.status),
        kind: nonempty(&q.kind),
        channel: nonempty(&q.channel),
        open_only: q.all.is_none() && q.status.as_deref().is_none_or(|s| s.is_empty()),
        needs_review: q.review.as_deref().map(|r| r == "1" || r == "true"),
        q: nonempty(&q.q),
        sort: Sort::parse(q.sort.as_deref().unwrap_or("")),
        page,
        per_page: q.per_page.unwrap_or(50),
        ..Default::default()
    };
    match q.due.as_deref() {
        Some("vencidos") | Some("overdue") => {
            f.due_on_or_before = today.pred_opt();
        }
        Some("por_vencer") | Some("due_soon") => {
            f.due_on_or_after = Some(today);
            f.due_on_or_before = policy.deadlines.calendar.add_business_days(today, policy.deadlines.amber_days);
        }
        _ => {}
    }
    f
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CaseList)]
struct ListPage {
    items: Vec<CaseSummary>,
    /// The next page's `next` parameter; null on the last page.
    #[schema(required)]
    next: Option<String>,
}

fn require_staff(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

#[utoipa::path(get, path = "/api/v1/cases", operation_id = "list_cases", tag = "casos", summary = "Casos del alcance del usuario",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "Página de casos", body = ListPage),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn list(caller: Caller, state: web::Data<AppState>, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    require_staff(&caller)?;
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let f = filter_for(&caller, &q, &policy, today);
    let page = f.page;
    let (rows, more) = super::with_conn(&state, move |c| Ok(cases::list(c, &f)?)).await?;
    Ok(HttpResponse::Ok().json(ListPage {
        items: rows.iter().map(|r| summarize(r, &policy, today)).collect(),
        next: more.then(|| (page + 1).to_string()),
    }))
}

/// The full case for the API: summary, citizen, routing, timeline, messages, attachments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub citizen: serde_json::Value,
    pub effective_date: NaiveDate,
    pub term_days: Option<i64>,
    pub original_due_date: Option<NaiveDate>,
    pub routing: serde_json::Value,
    pub entities: serde_json::Value,
    pub linked_radicado: Option<String>,
    pub response_radicado: Option<String>,
    pub timeline: Vec<CaseEvent>,
    pub messages: Vec<cases::CaseMessage>,
    pub attachments: Vec<cases::AttachmentMeta>,
    /// Every outgoing communication (oficio) of the case, with its outgoing radicado.
    pub communications: Vec<crate::db::communications::CommunicationDetail>,
    /// Web, API and verbal filings: requester type, razón social, how the answer is received, the
    /// privacy notice accepted (Res. 1519 Anexo 2). Null for mail.
    pub requester: Option<crate::intake::requester::RequesterDetails>,
}

/// Load a case in the caller's scope (recording the view of personal data) with everything.
pub fn load_detail(c: &mut crate::db::AnyConnection, caller: &Caller, radicado: &str, policy: &Policy, today: NaiveDate) -> Result<(CaseRow, CaseDetail), ApiError> {
    let case = cases::get_scoped(c, radicado, caller.scope())?.ok_or_else(ApiError::not_found)?;
    cases::audit(c, &caller.actor(), "ver_caso", Some(case.id), &case.radicado)?;
    let detail = CaseDetail {
        summary: summarize(&case, policy, today),
        citizen: serde_json::json!({
            "name": case.citizen_name, "email": case.citizen_email, "document_type": case.citizen_doc_type,
            "document_number": case.citizen_doc_number, "phone": case.citizen_phone, "municipality": case.citizen_municipality,
        }),
        effective_date: case.effective_date,
        term_days: case.term_days,
        original_due_date: case.original_due_date,
        routing: serde_json::from_str(&case.routing).unwrap_or_default(),
        entities: serde_json::from_str(&case.entities).unwrap_or_default(),
        linked_radicado: case.linked_radicado.clone(),
        response_radicado: case.response_radicado.clone(),
        timeline: cases::events(c, case.id)?,
        messages: cases::case_messages(c, case.id)?,
        attachments: cases::case_attachments(c, case.id)?,
        communications: crate::db::communications::details_for_case(c, case.id)?,
        requester: crate::db::intake::requester_of(c, case.id)?,
    };
    Ok((case, detail))
}

#[utoipa::path(get, path = "/api/v1/cases/{radicado}", operation_id = "get_case", tag = "casos", summary = "Un caso con su historial",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Caso", body = CaseDetail),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 404, description = "No encontrado (o fuera del alcance del usuario)", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn get(caller: Caller, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    require_staff(&caller)?;
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let radicado = path.into_inner();
    let detail = super::with_conn(&state, move |c| load_detail(c, &caller, &radicado, &policy, today).map(|x| x.1)).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// An action request (`action` names it; other fields as the action needs).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ActionRequest {
    #[schema(schema_with = super::api_doc::actions)]
    pub action: String,
    pub department: Option<String>,
    pub assignee: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub new_due: Option<String>,
    pub entity: Option<String>,
    pub text: Option<String>,
    #[schema(schema_with = super::api_doc::kinds)]
    pub kind: Option<String>,
    /// completion_received: the day it arrived; citizen_extension: the day the citizen asked.
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<String>,
    /// completion_received: how it arrived (radicado físico, presencial, ...).
    pub via: Option<String>,
    /// respond_denying: the legal basis of the denial.
    pub legal_basis: Option<String>,
    /// annul: who approved the annulment.
    pub approved_by: Option<String>,
    #[schema(schema_with = super::api_doc::priorities)]
    pub priority: Option<String>,
    /// `rectify`: the citizen datum (name, email, doc_type, doc_number, phone, municipality).
    #[schema(schema_with = super::api_doc::citizen_fields)]
    pub field: Option<String>,
    /// `rectify`: its corrected value.
    pub value: Option<String>,
}

/// Turn a request into an [`Action`], checking the caller's role.
pub fn to_action(caller: &Caller, r: &ActionRequest) -> Result<Action, ApiError> {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let date = |o: &Option<String>| o.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
    let bad = |m: &str| {
        let mut f = std::collections::BTreeMap::new();
        f.insert("action".to_string(), m.to_string());
        ApiError::validation(f)
    };
    Ok(match r.action.as_str() {
        "assign" | "asignar" => Action::Assign { department: s(&r.department), assignee: r.assignee.clone(), reason: r.reason.clone() },
        "start" | "iniciar" => Action::StartWork,
        "request_completion" | "requerimiento" => Action::RequestCompletion { message: s(&r.message) },
        "return_for_clarification" | "devolver" => Action::ReturnForClarification { message: s(&r.message) },
        "extend" | "prorroga" => Action::Extend {
            new_due: r.new_due.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()).ok_or_else(|| bad("Indique la nueva fecha (AAAA-MM-DD)."))?,
            reason: s(&r.reason),
        },
        "transfer" | "traslado" => Action::Transfer { entity: s(&r.entity), reason: s(&r.reason) },
        "respond" | "responder" => Action::Respond { text: s(&r.text) },
        "close" | "cerrar" => Action::Close { reason: r.reason.clone() },
        "annul" | "anular" => {
            if !caller.sees_all() {
                return Err(ApiError::forbidden());
            }
            Action::Annul { reason: s(&r.reason), approved_by: s(&r.approved_by) }
        }
        "completion_received" | "completado" => Action::CompletionReceived {
            received_on: date(&r.date).ok_or_else(|| bad("Indique la fecha de recibo (AAAA-MM-DD)."))?,
            via: s(&r.via),
        },
        "citizen_extension" | "prorroga_ciudadano" => Action::CitizenExtension {
            requested_on: date(&r.date).ok_or_else(|| bad("Indique la fecha de la solicitud (AAAA-MM-DD)."))?,
        },
        "respond_denying" | "negar" => Action::RespondDenying { text: s(&r.text), legal_basis: s(&r.legal_basis) },
        "reject" | "rechazar" => Action::Reject { reason: s(&r.reason) },
        "withdraw" | "desistimiento_expreso" => Action::Withdraw { reason: s(&r.reason) },
        "prioritize" | "priorizar" => Action::Prioritize {
            reason: match r.priority.as_deref().map(str::trim) {
                None | Some("") | Some("none") => None,
                Some(p) => Some(PriorityReason::parse(p).ok_or_else(|| bad("Elija un motivo de prioridad válido."))?),
            },
            note: r.reason.clone(),
        },
        "reclassify" | "reclasificar" => Action::Reclassify {
            kind: r.kind.as_deref().and_then(PetitionKind::parse).ok_or_else(|| bad("Elija un tipo de solicitud válido."))?,
            reason: s(&r.reason),
        },
        "rectify" | "rectificar" => Action::Rectify {
            field: r.field.as_deref().and_then(crate::workflow::lifecycle::CitizenField::parse).ok_or_else(|| bad("Elija el dato que se rectifica."))?,
            value: s(&r.value),
            reason: s(&r.reason),
        },
        _ => return Err(bad("Acción desconocida.")),
    })
}

pub fn action_error(e: ActionError) -> ApiError {
    match e {
        ActionError::NotFound => ApiError::not_found(),
        ActionError::Db(d) => ApiError::from(d),
        other => {
            let mut f = std::collections::BTreeMap::new();
            f.insert("action".to_string(), other.message_es());
            let mut err = ApiError::validation(f);
            err.code = "action_refused";
            err.status = actix_web::http::StatusCode::CONFLICT;
            err.message = other.message_es();
            err
        }
    }
}

/// Apply an action to a case in the caller's scope.
pub async fn run_action(state: &AppState, caller: &Caller, radicado: String, req: ActionRequest) -> Result<CaseRow, ApiError> {
    run_actions(state, caller, radicado, vec![req]).await
}

/// Apply several actions to one case in the caller's scope, in one transaction: all or none.
/// The scope is checked in that transaction.
pub async fn run_actions(state: &AppState, caller: &Caller, radicado: String, reqs: Vec<ActionRequest>) -> Result<CaseRow, ApiError> {
    require_staff(caller)?;
    let actions = reqs.iter().map(|r| to_action(caller, r)).collect::<Result<Vec<_>, _>>()?;
    let intake = state.intake.clone();
    let caller = caller.clone();
    let row = super::with_conn(state, move |c| {
        let case_id = cases::id_by_radicado(c, &radicado)?.ok_or_else(ApiError::not_found)?;
        let departments = intake.department_codes();
        let ctx = intake.lifecycle_context(&departments);
        lifecycle::apply_all(c, &ctx, case_id, caller.scope(), &caller.actor(), actions, Utc::now()).map_err(action_error)
    })
    .await?;
    state.outbox_nudge.notify_one();
    Ok(row)
}

#[utoipa::path(post, path = "/api/v1/cases/{radicado}/actions", operation_id = "case_action", tag = "casos",
    summary = "Acción sobre un caso (asignar, requerimiento, prórroga, traslado, responder, cerrar, anular, reclasificar)",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Caso actualizado", body = CaseSummary),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 404, description = "No encontrado (o fuera del alcance del usuario)", body = crate::error::ErrorBody),
        (status = 409, description = "Acción rechazada por el estado del caso", body = crate::error::ErrorBody),
        (status = 422, description = "Datos inválidos, con mensajes por campo", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn act(caller: Caller, state: web::Data<AppState>, path: web::Path<String>, body: web::Json<ActionRequest>) -> Result<HttpResponse, ApiError> {
    let row = run_action(&state, &caller, path.into_inner(), body.into_inner()).await?;
    let today = crate::time::bogota_date(Utc::now());
    Ok(HttpResponse::Ok().json(summarize(&row, &state.intake.policy, today)))
}

#[utoipa::path(get, path = "/api/v1/cases/{radicado}/attachments/{id}", operation_id = "get_attachment", tag = "casos", summary = "Descargar un anexo",
    security(("bearer" = [])),
    params(("radicado" = String, Path), ("id" = i64, Path)),
    responses(
        (status = 200, description = "El archivo", content(("application/octet-stream"))),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 404, description = "No encontrado (o fuera del alcance del usuario)", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn attachment(caller: Caller, state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result<HttpResponse, ApiError> {
    require_staff(&caller)?;
    let (radicado, id) = path.into_inner();
    let found = super::with_conn(&state, move |c| {
        let case = cases::get_scoped(c, &radicado, caller.scope())?.ok_or_else(ApiError::not_found)?;
        let Some((meta, raw)) = cases::attachment_source(c, case.id, id)? else { return Ok(None) };
        // Re-extracted from the stored mail under the same time limit as intake.
        let opts = crate::intake::parse::ParseOptions { max_size: usize::MAX, own_domains: vec![] };
        let parsed = crate::intake::pipeline::parse_with_time_limit(&raw, &opts, crate::intake::pipeline::PARSE_TIME_LIMIT);
        let Some(bytes) = parsed.ok().and_then(|m| m.attachments.into_iter().nth(meta.part_index as usize)).map(|a| a.bytes) else {
            return Ok(None);
        };
        cases::audit(c, &caller.actor(), "descargar_anexo", Some(case.id), &id.to_string())?;
        Ok(Some((meta, bytes)))
    })
    .await?;
    let (meta, bytes) = found.ok_or_else(ApiError::not_found)?;
    let safe: String = meta.filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{safe}\"")))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "sandbox"))
        .body(bytes))
}
