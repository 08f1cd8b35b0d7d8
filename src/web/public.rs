//! Public pages and API of the Radicador Web: the filing form (works without JavaScript; CSRF by
//! double-submit cookie; honeypot; per-IP rate limit), the confirmation with the radicado and
//! due date, and the status lookup (radicado + e-mail: a wrong pair reveals nothing).

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::forms::{input_from_fields, read_multipart};
use super::layout::{field_error, html_response, page, print_button, random_token};
use super::AppState;
use crate::db::models::CaseRow;
use crate::domain::{Channel, PetitionKind};
use crate::error::ApiError;
use crate::intake::web_form::{self, FilingInput, ValidFiling, WebFiled, DOCUMENT_TYPES};
use crate::intake::requester::{demographic, DEMOGRAPHICS, PRIVACY_NOTICE, PRIVACY_NOTICE_VERSION, REPLY_BY, REQUESTER_TYPES};
use crate::mailer::templates::fecha_larga;

pub(super) const CSRF_COOKIE: &str = "pqrs_csrf";
const NAV: [(&str, &str); 2] = [("Radicar una PQRS", "/radicar"), ("Consultar estado", "/consulta")];

/// The client's address: the forwarded one behind a trusted proxy, else the peer
/// (`super::client_addr`).
pub fn client_ip(req: &HttpRequest) -> std::net::IpAddr {
    let trusted = req.app_data::<web::Data<AppState>>().map(|s| &s.config.trusted_proxies[..]).unwrap_or(&[]);
    super::client_addr::resolve(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
}

pub(super) fn rate_limited(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    if state.limiter.allow(client_ip(req)) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Demasiadas solicitudes desde su conexión. Espere un minuto e intente de nuevo."))
    }
}

/// File a validated filing off the async workers; nudges the outbox.
pub async fn file(state: &AppState, v: ValidFiling, key: Option<String>, channel: Channel, actor: String) -> Result<WebFiled, ApiError> {
    let intake = state.intake.clone();
    let pool = state.pool.clone();
    let filed = web::block(move || -> Result<WebFiled, ApiError> {
        let mut conn = pool.get().map_err(|e| crate::db::DbError::Pool(e.to_string()))?;
        intake.file_web(&mut conn, v, key.as_deref(), channel, &actor, Utc::now()).map_err(ApiError::from)
    })
    .await??;
    state.outbox_nudge.notify_one();
    Ok(filed)
}

/// The 201 body of a filing (the OpenAPI schema `FilingCreated`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = FilingCreated)]
pub(super) struct Created<'a> {
    #[schema(pattern = "^20[0-9]{2}[0-9]{3}[0-9]{6,7}[123]$")]
    radicado: &'a str,
    #[schema(value_type = String)]
    received_at: chrono::DateTime<Utc>,
    #[schema(required)]
    due_date: Option<NaiveDate>,
    status_url: String,
}

/// `POST /api/v1/filings`: JSON or multipart; `Idempotency-Key` files a retried request once.
#[utoipa::path(post, path = "/api/v1/filings", operation_id = "create_filing", summary = "Radicar una PQRS (Radicador Web)", tag = "público",
    params(("Idempotency-Key" = Option<String>, Header, max_length = 200, description = "Un reintento con la misma clave radica una sola vez")),
    request_body(content(
        (crate::intake::web_form::FilingInput = "application/json"),
        (super::api_doc::FilingMultipart = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Radicada", body = Created, links(
            ("GetCase" = (operation_id = "get_case", parameters(("radicado" = "$response.body#/radicado")))),
            ("CaseAction" = (operation_id = "case_action", parameters(("radicado" = "$response.body#/radicado")))),
            ("ListCommunications" = (operation_id = "list_communications", parameters(("radicado" = "$response.body#/radicado")))),
        )),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 413, description = "Demasiado grande", body = crate::error::ErrorBody),
        (status = 415, description = "Tipo de contenido no soportado", body = crate::error::ErrorBody),
        (status = 422, description = "Datos inválidos, con mensajes por campo", body = crate::error::ErrorBody),
        (status = 429, description = "Demasiadas solicitudes", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn api_create_filing(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    rate_limited(&state, &req)?;
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let (input, uploads) = if ct.starts_with("multipart/form-data") {
        let (fields, uploads) = read_multipart(Multipart::new(req.headers(), payload)).await?;
        (input_from_fields(&fields), uploads)
    } else if ct.starts_with("application/json") {
        let body = payload.to_bytes_limited(256 * 1024).await.map_err(|_| super::forms::too_large())?
            .map_err(|e| ApiError::bad_request(format!("Cuerpo ilegible: {e}")))?;
        let input: FilingInput = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("JSON inválido: {e}")))?;
        (input, Vec::new())
    } else {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Envíe JSON (application/json) o un formulario multipart/form-data."));
    };
    let valid = web_form::validate(input, uploads).map_err(ApiError::validation)?;
    let filed = file(&state, valid, idempotency_key(&req, "")?, Channel::RadicadorWeb, "radicador_web".into()).await?;
    Ok(created(&state, &filed))
}

/// The request's `Idempotency-Key`, after `prefix`; a key over 200 characters is refused (400)
/// rather than cut, so two long keys never share a filing.
pub(super) fn idempotency_key(req: &HttpRequest, prefix: &str) -> Result<Option<String>, ApiError> {
    match req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(s) if s.chars().count() > 200 => Err(ApiError::bad_request("El encabezado Idempotency-Key admite hasta 200 caracteres.")),
        Some(s) => Ok(Some(format!("{prefix}{s}"))),
        None => Ok(None),
    }
}

/// 201 with the filing's radicado, dates and status URL (`Idempotent-Replayed` on a retry).
pub(super) fn created(state: &AppState, filed: &WebFiled) -> HttpResponse {
    let base = state.config.settings.public_base_url.trim_end_matches('/');
    let mut res = HttpResponse::Created();
    if filed.repeated {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.json(Created {
        radicado: &filed.radicado,
        received_at: filed.received_at,
        due_date: filed.due_date,
        status_url: format!("{base}/consulta?radicado={}", filed.radicado),
    })
}

/// The list of a form's errors, each a link to its field.
pub(super) fn error_summary(errors: &BTreeMap<String, String>) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" tabindex="-1" {
                p { strong { "Revise los campos marcados:" } }
                ul { @for (f, m) in errors { li { a href=(format!("#{f}")) { (m) } } } }
            }
        }
    }
}

fn form_page(input: &FilingInput, errors: &BTreeMap<String, String>, csrf: &str) -> Markup {
    let described = |f: &str| errors.contains_key(f).then(|| format!("{f}-error"));
    page("Radicar una PQRS", &NAV, html! {
        h1 { "Radicar una petición, queja, reclamo, sugerencia o denuncia" }
        p { "Los campos marcados con * son obligatorios. Recibirá el número de radicado en esta página y en su correo." }
        (error_summary(errors))
        form method="post" action="/radicar" enctype="multipart/form-data" novalidate {
            input type="hidden" name="csrf" value=(csrf);
            div.hp aria-hidden="true" {
                label for="website" { "No llene este campo" }
                input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
            }
            fieldset {
                legend { "Tipo de solicitante *" }
                @for (i, (code, label)) in REQUESTER_TYPES.iter().enumerate() {
                    @let checked = input.requester_type == *code || (input.requester_type.is_empty() && (if input.anonymous { *code == "anonimo" } else { *code == "natural" }));
                    label { input type="radio" id=[(i == 0).then_some("requester_type")] name="requester_type" value=(code) checked[checked] aria-describedby=[described("requester_type")]; " " (label) }
                }
                p.hint { "Anónimo: no se piden nombre, documento ni correo; no recibirá acuse ni podrá consultar el estado, y la respuesta se publica. Niña, niño o adolescente: su petición se atiende con prioridad." }
                (field_error(errors, "requester_type"))
            }
            fieldset {
                legend { "Sus datos" }
                label for="name" { "Nombre completo (de la persona, o de quien representa a la persona jurídica) *" }
                input type="text" id="name" name="name" value=(input.name) maxlength="200" autocomplete="name" aria-describedby=[described("name")];
                (field_error(errors, "name"))
                label for="razon_social" { "Razón social (solo persona jurídica)" }
                input type="text" id="razon_social" name="razon_social" value=(input.razon_social) maxlength="200" autocomplete="organization" aria-describedby=[described("razon_social")];
                (field_error(errors, "razon_social"))
                label for="document_type" { "Tipo de documento" }
                select id="document_type" name="document_type" aria-describedby=[described("document_type")] {
                    option value="" { "(sin documento)" }
                    @for (code, label) in DOCUMENT_TYPES { option value=(code) selected[input.document_type == code] { (label) } }
                }
                (field_error(errors, "document_type"))
                label for="document_number" { "Número de documento" }
                p.hint id="document_number-hint" { "Persona jurídica: el NIT con su dígito de verificación, por ejemplo 900123456-7." }
                input type="text" id="document_number" name="document_number" value=(input.document_number) maxlength="20" aria-describedby=(described("document_number").map(|e| format!("document_number-hint {e}")).unwrap_or_else(|| "document_number-hint".into()));
                (field_error(errors, "document_number"))
                label for="email" { "Correo electrónico (obligatorio si quiere la respuesta por correo)" }
                input type="email" id="email" name="email" value=(input.email) maxlength="254" autocomplete="email" aria-describedby=[described("email")];
                (field_error(errors, "email"))
                label for="phone" { "Teléfono" }
                input type="tel" id="phone" name="phone" value=(input.phone) maxlength="30" autocomplete="tel" aria-describedby=[described("phone")];
                (field_error(errors, "phone"))
            }
            fieldset {
                legend { "¿Cómo quiere recibir la respuesta?" }
                @for (i, (code, label)) in REPLY_BY.iter().enumerate() {
                    label { input type="radio" id=[(i == 0).then_some("reply_by")] name="reply_by" value=(code) checked[input.reply_by == *code || (input.reply_by.is_empty() && *code == "email")] aria-describedby=[described("reply_by")]; " " (label) }
                }
                (field_error(errors, "reply_by"))
                p.hint { "Para la respuesta por correo postal escriba la dirección completa." }
                label for="address" { "Dirección" }
                input type="text" id="address" name="address" value=(input.address) maxlength="200" autocomplete="street-address" aria-describedby=[described("address")];
                (field_error(errors, "address"))
                label for="municipality" { "Municipio" }
                input type="text" id="municipality" name="municipality" value=(input.municipality) maxlength="100" autocomplete="address-level2" aria-describedby=[described("municipality")];
                (field_error(errors, "municipality"))
                label for="region" { "Departamento" }
                input type="text" id="region" name="region" value=(input.region) maxlength="100" autocomplete="address-level1" aria-describedby=[described("region")];
                (field_error(errors, "region"))
                label for="country" { "País" }
                input type="text" id="country" name="country" value=(if input.country.is_empty() { "Colombia" } else { &input.country }) maxlength="100" autocomplete="country-name" aria-describedby=[described("country")];
                (field_error(errors, "country"))
            }
            fieldset {
                legend { "Su solicitud" }
                label for="kind" { "Tipo de solicitud" }
                p.hint id="kind-hint" { "Si no está seguro, déjelo en blanco: la entidad lo clasificará." }
                select id="kind" name="kind" aria-describedby="kind-hint" {
                    option value="" { "(no sé / que lo clasifique la entidad)" }
                    @for k in PetitionKind::ALL { option value=(k.as_str()) selected[input.kind == k.as_str()] { (k.label()) } }
                }
                (field_error(errors, "kind"))
                label for="subject" { "Asunto *" }
                input type="text" id="subject" name="subject" value=(input.subject) maxlength="200" required aria-describedby=[described("subject")];
                (field_error(errors, "subject"))
                label for="message" { "Describa su solicitud *" }
                textarea id="message" name="message" maxlength="20000" required aria-describedby=[described("message")] { (input.message) }
                (field_error(errors, "message"))
                label for="attachments" { "Anexos" }
                p.hint id="attachments-hint" { "Hasta 5 archivos PDF, JPG, PNG, DOCX, XLSX, ODT, TXT o ZIP; máximo 10 MB cada uno y 20 MB en total." }
                input type="file" id="attachments" name="attachments" multiple aria-describedby="attachments-hint";
                (field_error(errors, "attachments"))
            }
            fieldset {
                legend { "Enfoque diferencial (opcional, solo con fines estadísticos)" }
                p.hint { "Estas respuestas no se muestran en su caso ni cambian su trámite; la entidad solo las usa en cifras agregadas." }
                @for (field, legend, options) in DEMOGRAPHICS {
                    label for=(field) { (legend) }
                    select id=(field) name=(field) aria-describedby=[described(field)] {
                        option value="" { "(sin responder)" }
                        @for (code, label) in options.iter() { option value=(code) selected[demographic(input, field) == *code] { (label) } }
                    }
                    (field_error(errors, field))
                }
            }
            p.hint id="privacy-notice" { "Aviso de privacidad (versión " (PRIVACY_NOTICE_VERSION) "): " (PRIVACY_NOTICE) }
            (consent_field(input.consent, errors))
            button type="submit" { "Radicar" }
        }
    })
}

/// The data-protection consent checkbox of the public forms (Ley 1581 de 2012), with its error.
pub(super) fn consent_field(checked: bool, errors: &BTreeMap<String, String>) -> Markup {
    let described = errors.contains_key("consent").then(|| "consent-error".to_string());
    html! {
        label {
            input type="checkbox" id="consent" name="consent" checked[checked] aria-describedby=[described];
            " Autorizo el tratamiento de mis datos personales para atender esta solicitud, conforme a la Ley 1581 de 2012. *"
        }
        (field_error(errors, "consent"))
    }
}

/// The caller's CSRF token (its cookie's, when it has a well-formed one) or a new one.
pub(super) fn csrf_token(req: &HttpRequest) -> String {
    req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|t| t.len() == 64).unwrap_or_else(random_token)
}

/// `m` with the CSRF cookie set to `token` (double-submit: the form carries the same token).
pub(super) fn with_csrf(status: StatusCode, token: &str, m: Markup) -> HttpResponse {
    let mut res = html_response(status, m);
    let cookie = Cookie::build(CSRF_COOKIE, token.to_string()).path("/").http_only(true).same_site(SameSite::Strict).finish();
    let _ = res.add_cookie(&cookie);
    res
}

pub async fn form(req: HttpRequest) -> HttpResponse {
    let token = csrf_token(&req);
    with_csrf(StatusCode::OK, &token, form_page(&FilingInput::default(), &BTreeMap::new(), &token))
}

fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    html_response(status, page(title, &NAV, html! { h1 { (title) } p { (message) } p { a href="/radicar" { "Volver al formulario" } } }))
}

pub async fn submit(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> HttpResponse {
    if rate_limited(&state, &req).is_err() {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Demasiadas solicitudes", "Ha enviado muchas solicitudes seguidas. Espere un minuto e intente de nuevo.");
    }
    let (fields, uploads) = match read_multipart(Multipart::new(req.headers(), payload)).await {
        Ok(x) => x,
        Err(e) => return error_page(e.status, "No pudimos leer el formulario", &e.message),
    };
    let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
    let token = fields.get("csrf").cloned().unwrap_or_default();
    if cookie.as_deref() != Some(token.as_str()) || token.len() != 64 {
        return error_page(StatusCode::FORBIDDEN, "El formulario expiró", "Por seguridad, vuelva a abrir el formulario y envíelo de nuevo.");
    }
    let input = input_from_fields(&fields);
    let valid = match web_form::validate(input.clone(), uploads) {
        Ok(v) => v,
        Err(errors) => return with_csrf(StatusCode::UNPROCESSABLE_ENTITY, &token, form_page(&input, &errors, &token)),
    };
    // The CSRF token doubles as the idempotency key: a double click files once.
    match file(&state, valid, Some(format!("form:{token}:{}", input.subject)), Channel::RadicadorWeb, "radicador_web".into()).await {
        Ok(f) => {
            let new_token = random_token();
            with_csrf(StatusCode::CREATED, &new_token, confirmation(&f, &input))
        }
        Err(e) => error_page(e.status, "No pudimos radicar su solicitud", &e.message),
    }
}

fn confirmation(f: &WebFiled, input: &FilingInput) -> Markup {
    let local = f.received_at.with_timezone(&chrono_tz::America::Bogota);
    page("Solicitud radicada", &NAV, html! {
        h1 { "Su solicitud fue radicada" }
        div.card {
            p { "Número de radicado: " strong style="font-size:1.4rem" { (f.radicado) } }
            p { "Recibida el " (fecha_larga(local.date_naive())) " a las " (local.format("%H:%M")) " (hora de Bogotá)." }
            @match f.due_date {
                Some(d) => p { "Fecha máxima de respuesta: " strong { (fecha_larga(d)) } "." },
                None => p { "Esta comunicación no tiene un término legal de respuesta." },
            }
            @if input.email.is_empty() {
                p { "Guarde este número: como no dio un correo, esta página es su constancia de radicación." }
            } @else {
                p { "Enviamos el acuse de recibo a " (input.email) ". Con el radicado y su correo puede " a href=(format!("/consulta?radicado={}", f.radicado)) { "consultar el estado" } "." }
            }
        }
        (print_button("Imprimir constancia"))
    })
}

/// What the citizen may see of a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    pub radicado: String,
    pub status: String,
    /// The status in Spanish.
    pub status_label: String,
    #[schema(value_type = String)]
    pub received_at: NaiveDateTime,
    #[schema(required)]
    pub due_date: Option<NaiveDate>,
    pub timeline: Vec<PublicEvent>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicEvent {
    #[schema(value_type = String)]
    pub at: NaiveDateTime,
    pub label: String,
}

fn public_label(event: &str, payload: &serde_json::Value) -> Option<String> {
    Some(match event {
        "radicado" => "Solicitud radicada".into(),
        "asignado" | "reasignado" => "Asignada a la dependencia competente".into(),
        "en_tramite" => "En trámite".into(),
        "requerimiento" => "La entidad le solicitó completar la información".into(),
        "respuesta_ciudadano" => "Recibimos un mensaje suyo".into(),
        "reanudado" => "Información recibida; el trámite continúa".into(),
        "prorroga" => format!("Término ampliado hasta el {}", payload.get("new_due").and_then(|v| v.as_str()).unwrap_or("")),
        "trasladado" => format!("Trasladada por competencia a {}", payload.get("entity").and_then(|v| v.as_str()).unwrap_or("otra entidad")),
        "respondido" => "Respondida".into(),
        "cerrado" | "desistimiento" => "Cerrada".into(),
        "anulado" => "Anulada".into(),
        _ => return None,
    })
}

/// Look up a case by radicado and e-mail; `None` for any mismatch (nothing is revealed).
pub fn lookup(conn: &mut crate::db::AnyConnection, radicado: &str, email: &str) -> Result<Option<PublicStatus>, crate::db::QueryError> {
    let email = email.trim().to_ascii_lowercase();
    let Some(case) = CaseRow::by_radicado(conn, radicado.trim())? else { return Ok(None) };
    if email.is_empty() || case.citizen_email.as_deref().map(str::to_ascii_lowercase).as_deref() != Some(email.as_str()) {
        return Ok(None);
    }
    let timeline = crate::db::cases::events(conn, case.id)?
        .into_iter()
        .filter_map(|e| {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
            public_label(&e.event_type, &payload).map(|label| PublicEvent { at: e.at, label })
        })
        .collect();
    let status_label = case.status.label().to_string();
    Ok(Some(PublicStatus { radicado: case.radicado, status: case.status.to_string(), status_label, received_at: case.received_at, due_date: case.due_date, timeline }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[schema(as = StatusQuery)]
pub struct LookupForm {
    #[serde(default)]
    #[schema(required)]
    pub radicado: String,
    #[serde(default)]
    #[schema(required)]
    pub email: String,
}

async fn do_lookup(state: &AppState, f: LookupForm) -> Result<Option<PublicStatus>, ApiError> {
    super::with_conn(state, move |c| Ok(lookup(c, &f.radicado, &f.email)?)).await
}

/// `POST /api/v1/status`: a case's public status by radicado and e-mail (a wrong pair: 404).
#[utoipa::path(post, path = "/api/v1/status", operation_id = "public_status", summary = "Consultar el estado (radicado + correo)", tag = "público",
    request_body = LookupForm,
    responses(
        (status = 200, description = "Estado", body = PublicStatus),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 404, description = "No encontrado (o fuera del alcance del usuario)", body = crate::error::ErrorBody),
        (status = 429, description = "Demasiadas solicitudes", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn api_status(req: HttpRequest, state: web::Data<AppState>, body: web::Json<LookupForm>) -> Result<HttpResponse, ApiError> {
    rate_limited(&state, &req)?;
    match do_lookup(&state, body.into_inner()).await? {
        Some(s) => Ok(HttpResponse::Ok().json(s)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "No encontramos una solicitud con ese radicado y ese correo.")),
    }
}

fn lookup_page(f: &LookupForm, result: Option<Result<&PublicStatus, ()>>) -> Markup {
    page("Consultar estado", &NAV, html! {
        h1 { "Consultar el estado de su solicitud" }
        form method="post" action="/consulta" {
            label for="radicado" { "Número de radicado" }
            input type="text" id="radicado" name="radicado" value=(f.radicado) inputmode="numeric" maxlength="15" required;
            label for="email" { "Correo electrónico con el que radicó" }
            input type="email" id="email" name="email" value=(f.email) maxlength="254" required;
            button type="submit" { "Consultar" }
        }
        @match result {
            Some(Ok(s)) => div.card aria-live="polite" {
                h2 { "Radicado " (s.radicado) }
                p { "Estado: " strong { (s.status_label) } }
                @if let Some(d) = s.due_date { p { "Fecha máxima de respuesta: " (fecha_larga(d)) } }
                ol.timeline { @for e in &s.timeline { li { (e.at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M")) " — " (e.label) } } }
            },
            Some(Err(())) => p.error role="alert" { "No encontramos una solicitud con ese radicado y ese correo. Revise los datos." },
            None => {},
        }
    })
}

pub async fn lookup_form(q: web::Query<LookupForm>) -> HttpResponse {
    html_response(StatusCode::OK, lookup_page(&q.into_inner(), None))
}

pub async fn lookup_submit(req: HttpRequest, state: web::Data<AppState>, form: web::Form<LookupForm>) -> HttpResponse {
    if rate_limited(&state, &req).is_err() {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Demasiadas consultas", "Espere un minuto e intente de nuevo.");
    }
    let f = form.into_inner();
    let shown = LookupForm { radicado: f.radicado.clone(), email: f.email.clone() };
    match do_lookup(&state, f).await {
        Ok(Some(s)) => html_response(StatusCode::OK, lookup_page(&shown, Some(Ok(&s)))),
        Ok(None) => html_response(StatusCode::OK, lookup_page(&shown, Some(Err(())))),
        Err(e) => error_page(e.status, "No pudimos consultar", &e.message),
    }
}

pub async fn home() -> HttpResponse {
    html_response(StatusCode::OK, page("Inicio", &NAV, html! {
        h1 { "Peticiones, quejas, reclamos, sugerencias y denuncias" }
        p { a.button href="/radicar" { "Radicar una PQRS" } " " a.button href="/consulta" { "Consultar el estado" } }
        p.small { a href="/personal" { "Ingreso de funcionarios" } }
    }))
}
