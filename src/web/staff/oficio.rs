//! The printable oficio of an outgoing communication (`GET /staff/oficios/{radicado}`): the
//! entity, the outgoing radicado, the date in words, the addressee and address, the subject, the
//! text, the signature block, the attachments and, when the case was annulled, a clear ANULADO
//! mark. Print-ready HTML (A4, nothing but the oficio when printed). Staff only; a department
//! user sees only its own department's oficios (404 otherwise, like a case page).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{nav, redirect};
use crate::auth::Caller;
use crate::db::communications::{self, CommunicationDetail};
use crate::db::models::CaseRow;
use crate::error::ApiError;
use crate::mailer::templates::fecha_larga;
use crate::web::layout::{html_response, page, print_button};
use crate::web::AppState;

const CSS: &str = r#"
@page{size:A4;margin:2.5cm 2cm}
*{box-sizing:border-box}
body{margin:0;background:#e9ecef;color:#111;font:12pt/1.45 Georgia,"Times New Roman",serif}
.toolbar{font:15px/1.4 system-ui,sans-serif;max-width:21cm;margin:0 auto;padding:.75rem 0;display:flex;gap:1rem;align-items:center}
.toolbar a{color:#0b5cad}.toolbar p{margin:0}.toolbar button{padding:.5rem 1rem;background:#0b5cad;color:#fff;border:0;border-radius:4px;font:inherit;cursor:pointer}
.sheet{position:relative;background:#fff;width:21cm;min-height:29.7cm;margin:0 auto 2rem;padding:2.5cm 2cm;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.entity{text-align:center;font-weight:bold;font-size:14pt;text-transform:uppercase;letter-spacing:.04em;border-bottom:2px solid #111;padding-bottom:.4rem;margin:0 0 1.2rem}
.radicado{text-align:right;margin:0}.radicado strong{font-size:13pt;letter-spacing:.03em}
.date{margin:1rem 0 1.5rem}.addressee p{margin:0}.subject{margin:1.5rem 0}
.body{white-space:pre-wrap;text-align:justify}
.signature{margin-top:3rem;page-break-inside:avoid}.signature .line{width:7cm;border-top:1px solid #111;margin-bottom:.3rem}.signature p{margin:0}
.annexes{margin-top:2rem;font-size:11pt}.annexes ul{margin:.3rem 0;padding-left:1.2rem}
.meta{margin-top:2rem;font-size:9pt;color:#444;border-top:1px solid #999;padding-top:.4rem}
.annulled{position:absolute;top:11cm;left:0;right:0;text-align:center;font:bold 72pt/1 system-ui,sans-serif;color:rgba(176,0,32,.28);transform:rotate(-28deg);pointer-events:none;letter-spacing:.1em}
.annulled-note{border:3px solid #b00020;color:#b00020;font-weight:bold;padding:.5rem;margin:0 0 1rem;text-align:center}
@media print{body{background:#fff}.toolbar,.noprint{display:none}.sheet{width:auto;min-height:0;margin:0;padding:0;box-shadow:none}}
"#;

/// What the signature block says: (name, office).
fn signature(c: &mut crate::db::AnyConnection, comm: &CommunicationDetail, entity: &str) -> Result<(String, String), ApiError> {
    let by = comm.row.created_by.trim();
    if by.is_empty() || by == "sistema" || !by.contains('@') {
        return Ok((entity.to_string(), String::new()));
    }
    let office = match communications::signer_department(c, by)? {
        Some((code, name)) => format!("{name} ({code})"),
        None => entity.to_string(),
    };
    Ok((by.to_string(), office))
}

/// The communication `radicado` with its case, if the caller may see that case.
fn load(c: &mut crate::db::AnyConnection, caller: &Caller, radicado: &str) -> Result<(CommunicationDetail, CaseRow), ApiError> {
    let row = communications::by_radicado(c, radicado)?.ok_or_else(ApiError::not_found)?;
    let case = CaseRow::by_id(c, row.case_id)?;
    if caller.scope().is_some_and(|d| d != case.department) {
        return Err(ApiError::not_found());
    }
    crate::db::cases::audit(c, &caller.actor(), "ver_oficio", Some(case.id), radicado)?;
    Ok((communications::detail(c, row)?, case))
}

fn render(entity: &str, comm: &CommunicationDetail, case: &CaseRow, sig: &(String, String)) -> Markup {
    let r = &comm.row;
    let local = r.created_at.and_utc().with_timezone(&chrono_tz::America::Bogota);
    let title = format!("Oficio {}", r.radicado);
    html! {
        (DOCTYPE)
        html lang="es-CO" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · PQRS" }
                style { (PreEscaped(CSS)) }
            }
            body {
                div.toolbar.noprint {
                    p { a href=(format!("/casos/{}", case.radicado)) { "← Volver al caso " (case.radicado) } }
                    (print_button("Imprimir oficio"))
                }
                main.sheet {
                    @if r.annulled_at.is_some() {
                        div.annulled aria-hidden="true" { "ANULADO" }
                        p.annulled-note role="status" {
                            "ANULADO"
                            @if let Some(at) = r.annulled_at { " el " (fecha_larga(at.and_utc().with_timezone(&chrono_tz::America::Bogota).date_naive())) }
                            @if let Some(why) = &r.annulled_reason { ": " (why) }
                            ". El número de radicado se conserva y no se reutiliza."
                        }
                    }
                    p.entity { (entity) }
                    p.radicado { "Radicado de salida: " strong { (r.radicado) } }
                    p.radicado.small { "Radicado de entrada: " (case.radicado) }
                    p.date { "Fecha: " (fecha_larga(local.date_naive())) }
                    div.addressee {
                        p { "Señor(a)" }
                        p { strong { (r.addressee_name) } }
                        p { (r.addressee_address) }
                    }
                    p.subject { strong { "Asunto: " } (r.subject) }
                    div.body { (r.body) }
                    div.signature {
                        div.line {}
                        p { strong { (sig.0) } }
                        @if !sig.1.is_empty() { p { (sig.1) } }
                        @if sig.0 != entity { p { (entity) } }
                    }
                    div.annexes {
                        strong { "Anexos: " }
                        @if comm.attachments.is_empty() { "ninguno." }
                        @else {
                            ul { @for a in &comm.attachments { li { (a.filename) " (" (human_size(a.size)) ")" } } }
                        }
                    }
                    p.meta {
                        (communications::purpose_label(&r.purpose)) " · Entrega: " (communications::channel_label(&r.channel))
                        @if let Some(s) = &comm.outbox_status { " · Correo: " (outbox_label(s)) }
                        " · Generado el " (local.format("%Y-%m-%d %H:%M")) " (hora de Bogotá)"
                    }
                }
            }
        }
    }
}

fn outbox_label(s: &str) -> &str {
    crate::domain::OutboxStatus::parse(s).map(|x| x.label()).unwrap_or(s)
}

fn human_size(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

pub async fn oficio_page(caller: Option<Caller>, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff()) else { return redirect("/personal") };
    let radicado = path.into_inner();
    let entity = state.intake.config.settings.entity_name.clone();
    let c2 = caller.clone();
    let e2 = entity.clone();
    let loaded = crate::web::with_conn(&state, move |c| {
        let (comm, case) = load(c, &c2, &radicado)?;
        let sig = signature(c, &comm, &e2)?;
        Ok((comm, case, sig))
    })
    .await;
    match loaded {
        Ok((comm, case, sig)) => html_response(StatusCode::OK, render(&entity, &comm, &case, &sig)),
        Err(e) if e.status == StatusCode::NOT_FOUND => html_response(
            StatusCode::NOT_FOUND,
            page("No encontrado", &nav(&caller), html! { h1 { "Oficio no encontrado" } p { a href="/bandeja" { "Volver a la bandeja" } } }),
        ),
        Err(e) => html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    }
}
