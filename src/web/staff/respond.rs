//! The answer form's post (`POST /casos/{radicado}/responder`, multipart): the text, the files
//! it sends and, for a printed answer, a postal address. Over the limits or with a refused file
//! it goes back to the case page with the Spanish reason; nothing is stored then.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use maud::html;

use super::{nav, redirect, with_error};
use crate::auth::Caller;
use crate::web::layout::{html_response, page};
use crate::web::AppState;
use crate::workflow::communications::{respond_with_attachments, validate_attachments};

fn back(radicado: &str, err: Option<&str>) -> HttpResponse {
    match err {
        Some(e) => redirect(&with_error(&format!("/casos/{radicado}"), e)),
        None => redirect(&format!("/casos/{radicado}")),
    }
}

pub async fn respond_submit(req: HttpRequest, caller: Option<Caller>, state: web::Data<AppState>, path: web::Path<String>, payload: web::Payload) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let radicado = path.into_inner();
    let (fields, uploads) = match crate::web::forms::read_multipart(Multipart::new(req.headers(), payload)).await {
        Ok(x) => x,
        Err(e) => return back(&radicado, Some(&e.message)),
    };
    if fields.get("csrf").map(String::as_str) != caller.csrf.as_deref() {
        return html_response(StatusCode::FORBIDDEN, page("Formulario expirado", &nav(&caller), html! { p { "El formulario expiró; vuelva a abrir el caso." } }));
    }
    let files = match validate_attachments(uploads) {
        Ok(f) => f,
        Err(m) => return back(&radicado, Some(&m)),
    };
    let text = fields.get("text").cloned().unwrap_or_default();
    let address = fields.get("address").cloned();
    let intake = state.intake.clone();
    let c2 = caller.clone();
    let r2 = radicado.clone();
    let done = crate::web::with_conn(&state, move |c| {
        let case_id = crate::db::cases::id_by_radicado(c, &r2)?.ok_or_else(crate::error::ApiError::not_found)?;
        let departments = intake.department_codes();
        let ctx = intake.lifecycle_context(&departments);
        respond_with_attachments(c, &ctx, case_id, c2.scope(), &c2.actor(), &text, address, files, Utc::now())
            .map_err(crate::web::cases_api::action_error)
    })
    .await;
    match done {
        Ok(_) => {
            state.outbox_nudge.notify_one();
            back(&radicado, None)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } }))
        }
        Err(e) => back(&radicado, Some(&e.message)),
    }
}

/// The answer form of the case page: text, files and, for a printed answer, the address.
pub fn respond_form(case: &crate::db::models::CaseRow, csrf: &str) -> maud::Markup {
    let printed = case.citizen_email.as_deref().is_none_or(|e| e.trim().is_empty());
    html! {
        details.card id="accion-responder" {
            summary { strong { "Responder" } }
            form method="post" action=(format!("/casos/{}/responder", case.radicado)) enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(csrf);
                label for="respuesta-texto" { "Respuesta (se envía al ciudadano con radicado de salida)" }
                textarea id="respuesta-texto" name="text" required {}
                label for="respuesta-anexos" { "Anexos (opcional)" }
                p.hint id="respuesta-anexos-hint" { "Hasta 5 archivos PDF, JPG, PNG, DOCX, XLSX, ODT, TXT o ZIP; máximo 10 MB cada uno y 20 MB en total." }
                input type="file" id="respuesta-anexos" name="attachments" multiple aria-describedby="respuesta-anexos-hint";
                @if printed {
                    label for="respuesta-direccion" { "Dirección de entrega (el caso no tiene correo: la respuesta se imprime)" }
                    input type="text" id="respuesta-direccion" name="address" maxlength="300";
                }
                button type="submit" { "Responder" }
            }
        }
    }
}

/// The case page's list of outgoing communications, each linked to its printable oficio.
pub fn communications_list(list: &[crate::db::communications::CommunicationDetail]) -> maud::Markup {
    use crate::db::communications::{channel_label, purpose_label};
    html! {
        @if !list.is_empty() {
            h2 id="comunicaciones" { "Comunicaciones" }
            table.comunicaciones {
                thead { tr { th { "Radicado de salida" } th { "Tipo" } th { "Entrega" } th { "Fecha" } th { "Oficio" } } }
                tbody {
                    @for c in list {
                        tr {
                            td { (c.row.radicado) @if c.row.annulled_at.is_some() { " " strong.error { "ANULADO" } } }
                            td { (purpose_label(&c.row.purpose)) }
                            td { (channel_label(&c.row.channel)) }
                            td { (c.row.created_at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M")) }
                            td { a href=(format!("/staff/oficios/{}", c.row.radicado)) { "Ver e imprimir" } }
                        }
                    }
                }
            }
        }
    }
}
