//! "Te llamamos" over HTTP: the public form `GET`/`POST /te-llamamos` (no JavaScript; CSRF by
//! double-submit cookie; honeypot) and `POST /api/v1/callbacks` (JSON; `Idempotency-Key`). Both
//! share one validation (`crate::intake::callback`), the per-IP rate limit of the filings, and
//! the Radicador Web's filing path on channel `te_llamamos`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::layout::{field_error, html_response, page, print_button, random_token};
use super::public::{consent_field, created, csrf_token, error_summary, file, idempotency_key, rate_limited, with_csrf, CSRF_COOKIE};
use super::AppState;
use crate::domain::Channel;
use crate::error::ApiError;
use crate::intake::callback::{self, CallbackInput};
use crate::intake::web_form::WebFiled;
use crate::mailer::templates::fecha_larga;

const NAV: [(&str, &str); 3] = [("Radicar una PQRS", "/radicar"), ("Te llamamos", "/te-llamamos"), ("Consultar estado", "/consulta")];
const ACTOR: &str = "te_llamamos";

/// `POST /api/v1/callbacks`: `{name, phone, email?, topic, preferred_time?, consent}` → 201
/// `{radicado, status_url}`; 422 with Spanish messages per field.
#[utoipa::path(post, path = "/api/v1/callbacks", operation_id = "create_callback", tag = "público",
    summary = "Te llamamos: pedir que la entidad llame al ciudadano (canal te_llamamos, con radicado y término)",
    params(("Idempotency-Key" = Option<String>, Header, max_length = 200, description = "Un reintento con la misma clave radica una sola vez")),
    request_body = CallbackInput,
    responses(
        (status = 201, description = "Radicada", body = super::public::Created, links(
            ("GetCase" = (operation_id = "get_case", parameters(("radicado" = "$response.body#/radicado")))),
            ("CaseAction" = (operation_id = "case_action", parameters(("radicado" = "$response.body#/radicado")))),
            ("ListCommunications" = (operation_id = "list_communications", parameters(("radicado" = "$response.body#/radicado")))),
        )),
        (status = 400, description = "Petición mal formada", body = crate::error::ErrorBody),
        (status = 422, description = "Datos inválidos, con mensajes por campo", body = crate::error::ErrorBody),
        (status = 429, description = "Demasiadas solicitudes", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn api_create(req: HttpRequest, state: web::Data<AppState>, body: web::Json<CallbackInput>) -> Result<HttpResponse, ApiError> {
    rate_limited(&state, &req)?;
    let valid = callback::validate(body.into_inner()).map_err(ApiError::validation)?;
    let filed = file(&state, valid.into_filing(), idempotency_key(&req, "callback:")?, Channel::TeLlamamos, ACTOR.into()).await?;
    Ok(created(&state, &filed))
}

fn form_page(input: &CallbackInput, errors: &BTreeMap<String, String>, csrf: &str) -> Markup {
    let described = |f: &str| errors.contains_key(f).then(|| format!("{f}-error"));
    page("Te llamamos", &NAV, html! {
        h1 { "Te llamamos: pida que la entidad lo llame" }
        p { "Déjenos su número y el tema; un funcionario lo llamará. Su solicitud recibe un número de radicado y un término de respuesta como cualquier PQRS. Los campos marcados con * son obligatorios." }
        (error_summary(errors))
        form method="post" action="/te-llamamos" novalidate {
            input type="hidden" name="csrf" value=(csrf);
            div.hp aria-hidden="true" {
                label for="website" { "No llene este campo" }
                input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
            }
            label for="name" { "Nombre completo *" }
            input type="text" id="name" name="name" value=(input.name) maxlength="200" autocomplete="name" required aria-describedby=[described("name")];
            (field_error(errors, "name"))
            label for="phone" { "Teléfono *" }
            p.hint id="phone-hint" { "Entre 7 y 15 dígitos; puede usar espacios, + y -." }
            input type="tel" id="phone" name="phone" value=(input.phone) maxlength="30" autocomplete="tel" required
                aria-describedby=(described("phone").map(|e| format!("phone-hint {e}")).unwrap_or_else(|| "phone-hint".into()));
            (field_error(errors, "phone"))
            label for="email" { "Correo electrónico (opcional)" }
            p.hint id="email-hint" { "Si lo da, le enviamos el acuse de recibo con el radicado." }
            input type="email" id="email" name="email" value=(input.email) maxlength="254" autocomplete="email"
                aria-describedby=(described("email").map(|e| format!("email-hint {e}")).unwrap_or_else(|| "email-hint".into()));
            (field_error(errors, "email"))
            label for="topic" { "¿Sobre qué quiere que hablemos? *" }
            textarea id="topic" name="topic" maxlength="2000" required aria-describedby=[described("topic")] { (input.topic) }
            (field_error(errors, "topic"))
            label for="preferred_time" { "Horario en que prefiere que lo llamemos (opcional)" }
            input type="text" id="preferred_time" name="preferred_time" value=(input.preferred_time) maxlength="200" aria-describedby=[described("preferred_time")];
            (field_error(errors, "preferred_time"))
            (consent_field(input.consent, errors))
            button type="submit" { "Solicitar la llamada" }
        }
    })
}

/// `GET /te-llamamos`.
pub async fn form(req: HttpRequest) -> HttpResponse {
    let token = csrf_token(&req);
    with_csrf(StatusCode::OK, &token, form_page(&CallbackInput::default(), &BTreeMap::new(), &token))
}

fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    html_response(status, page(title, &NAV, html! { h1 { (title) } p { (message) } p { a href="/te-llamamos" { "Volver al formulario" } } }))
}

/// `POST /te-llamamos` (application/x-www-form-urlencoded).
pub async fn submit(req: HttpRequest, state: web::Data<AppState>, fields: web::Form<BTreeMap<String, String>>) -> HttpResponse {
    if rate_limited(&state, &req).is_err() {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Demasiadas solicitudes", "Ha enviado muchas solicitudes seguidas. Espere un minuto e intente de nuevo.");
    }
    let fields = fields.into_inner();
    let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
    let token = fields.get("csrf").cloned().unwrap_or_default();
    if cookie.as_deref() != Some(token.as_str()) || token.len() != 64 {
        return error_page(StatusCode::FORBIDDEN, "El formulario expiró", "Por seguridad, vuelva a abrir el formulario y envíelo de nuevo.");
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let input = CallbackInput {
        name: get("name"),
        phone: get("phone"),
        email: get("email"),
        topic: get("topic"),
        preferred_time: get("preferred_time"),
        consent: matches!(get("consent").as_str(), "on" | "true" | "1"),
        website: get("website"),
    };
    let valid = match callback::validate(input.clone()) {
        Ok(v) => v,
        Err(errors) => return with_csrf(StatusCode::UNPROCESSABLE_ENTITY, &token, form_page(&input, &errors, &token)),
    };
    // The CSRF token doubles as the idempotency key: a double click files once.
    match file(&state, valid.into_filing(), Some(format!("callback-form:{token}:{}", input.topic)), Channel::TeLlamamos, ACTOR.into()).await {
        Ok(f) => with_csrf(StatusCode::CREATED, &random_token(), confirmation(&f, &input)),
        Err(e) => error_page(e.status, "No pudimos registrar su solicitud", &e.message),
    }
}

fn confirmation(f: &WebFiled, input: &CallbackInput) -> Markup {
    let local = f.received_at.with_timezone(&chrono_tz::America::Bogota);
    page("Solicitud de llamada radicada", &NAV, html! {
        h1 { "Recibimos su solicitud: lo llamaremos" }
        div.card {
            p { "Número de radicado: " strong style="font-size:1.4rem" { (f.radicado) } }
            p { "Recibida el " (fecha_larga(local.date_naive())) " a las " (local.format("%H:%M")) " (hora de Bogotá)." }
            p { "Lo llamaremos al " strong { (input.phone) } @if !input.preferred_time.is_empty() { " (" (input.preferred_time) ")" } "." }
            @if let Some(d) = f.due_date { p { "Fecha máxima de respuesta: " strong { (fecha_larga(d)) } "." } }
            @if input.email.is_empty() {
                p { "Guarde este número: como no dio un correo, esta página es su constancia." }
            } @else {
                p { "Enviamos el acuse de recibo a " (input.email) ". Con el radicado y su correo puede " a href=(format!("/consulta?radicado={}", f.radicado)) { "consultar el estado" } "." }
            }
        }
        (print_button("Imprimir constancia"))
    })
}
