//! The triage queue: new and to-review cases with the routing explanation and a one-click
//! correction (posted to the case actions), and the quarantine.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use maud::html;

use super::{light, redirect, staff_page};
use crate::auth::Caller;
use crate::domain::PetitionKind;
use crate::web::cases_api::summarize;
use crate::web::layout::{html_response, page};
use crate::web::AppState;

pub async fn triage(caller: Option<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.sees_all() && c.csrf.is_some()) else { return redirect("/personal") };
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let res = crate::web::with_conn(&state, move |c| {
        let base = crate::db::cases::CaseFilter { per_page: 100, sort: crate::db::cases::Sort::ReceivedAsc, ..Default::default() };
        let new = crate::db::cases::list(c, &crate::db::cases::CaseFilter { status: Some("radicado".into()), ..base.clone() })?.0;
        let review = crate::db::cases::list(c, &crate::db::cases::CaseFilter { needs_review: Some(true), open_only: true, ..base })?.0;
        let quarantine = crate::db::models::QuarantineMeta::open(c)?;
        let failed = crate::db::notification::pending_failures(c)?;
        Ok((new, review, quarantine, failed))
    })
    .await;
    let (new, review, quarantine, failed) = match res {
        Ok(x) => x,
        Err(e) => return html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    };
    let csrf = caller.csrf.clone().unwrap_or_default();
    let departments = state.intake.rules().departments().to_vec();
    let row = |c: &crate::db::models::CaseRow| {
        let s = summarize(c, &policy, today);
        let routing: serde_json::Value = serde_json::from_str(&c.routing).unwrap_or_default();
        let rules: Vec<(String, String)> = routing["rules"].as_array().map(|a| a.iter().map(|r| (
            r["id"].as_str().unwrap_or("").to_string(), r["matched"].as_str().unwrap_or("").to_string())).collect()).unwrap_or_default();
        let candidates: Vec<(String, f64)> = routing["candidates"].as_array().map(|a| a.iter().filter_map(|x| Some((
            x["department"].as_str()?.to_string(), x["score"].as_f64().unwrap_or(0.0)))).collect()).unwrap_or_default();
        let confidence = routing["confidence"].as_f64();
        let words: Vec<String> = routing["model_words"].as_array().map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect()).unwrap_or_default();
        let dept_name = |code: &str| departments.iter().find(|d| d.code == code).map(|d| d.name.clone()).unwrap_or_default();
        html! {
            div.card {
                p { a href=(format!("/casos/{}", c.radicado)) { strong { (c.radicado) } } " · " (c.subject) " · " (light(&s)) }
                p.small {
                    "Decisión: " strong { (c.department) } " / " (c.kind.label())
                    @if let Some(conf) = confidence { " · confianza " (format!("{:.0} %", conf * 100.0)) }
                    @if rules.is_empty() { " — ninguna regla decidió" }
                    @else { " — reglas: " @for (id, m) in &rules { code { (id) } " («" (m) "») " } }
                    @if !words.is_empty() { " — palabras que más pesaron: " (words.join(", ")) }
                }
                @if !candidates.is_empty() {
                    div.candidatos style="display:flex;gap:.5rem;flex-wrap:wrap;margin:.25rem 0" {
                        span.small { "Dependencias probables:" }
                        @for (code, score) in &candidates {
                            form method="post" action=(format!("/casos/{}/acciones", c.radicado)) style="margin:0" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="action" value="corregir";
                                input type="hidden" name="department" value=(code);
                                input type="hidden" name="kind" value=(c.kind.as_str());
                                input type="hidden" name="reason" value="Corrección de triage";
                                // The accessible name starts with the visible text (WCAG 2.5.3, label in name).
                                @let shown = format!("{code} · {:.0} %", score * 100.0);
                                button type="submit" title=(dept_name(code)) style="margin:0" aria-label=(format!("{shown}: asignar a {}", dept_name(code))) {
                                    (shown)
                                }
                            }
                        }
                    }
                }
                form method="post" action=(format!("/casos/{}/acciones", c.radicado)) style="display:flex;gap:.5rem;flex-wrap:wrap;align-items:end" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value="corregir";
                    label { "Dependencia" select name="department" { @for d in &departments { option value=(d.code) selected[d.code == c.department] { (d.code) } } } }
                    label { "Tipo" select name="kind" { @for k in PetitionKind::ALL { option value=(k.as_str()) selected[*k == c.kind] { (k.label()) } } } }
                    input type="hidden" name="reason" value="Corrección de triage";
                    button type="submit" style="margin:0" { "Confirmar" }
                }
            }
        }
    };
    // Cases whose notification failed are listed apart, with the mark and the reason.
    let failed_ids: std::collections::BTreeSet<i64> = failed.iter().map(|(c, _)| c.id).collect();
    let review: Vec<_> = review.into_iter().filter(|c| !failed_ids.contains(&c.id)).collect();
    staff_page(&caller, "Triage", html! {
        h1 { "Triage" }
        h2 { "Notificación fallida (" (failed.len()) ")" }
        @if failed.is_empty() { p { "Ninguna comunicación al ciudadano quedó sin entregar." } }
        @for (c, f) in &failed {
            div.card.notificacion-fallida style="border-left:4px solid #b00020" {
                p { strong.error { "Notificación fallida" } " · " a href=(format!("/casos/{}", c.radicado)) { strong { (c.radicado) } } " · " (c.subject)
                    " · " (c.status.label()) }
                p.small { "Motivo: " (super::notification::failure_reason(f)) }
                p.small { a href=(format!("/casos/{}#entrega", c.radicado)) { "Ver el rebote y registrar cómo se notificó" } }
            }
        }
        h2 { "Por revisar (" (review.len()) ")" }
        @for c in &review { (row(c)) }
        h2 { "Nuevos sin asignar (" (new.len()) ")" }
        @for c in new.iter().filter(|c| !c.needs_review && !failed_ids.contains(&c.id)) { (row(c)) }
        h2 { "Correos en cuarentena (" (quarantine.len()) ")" }
        @if quarantine.is_empty() { p { "No hay correos en cuarentena." } }
        @else {
            table { thead { tr { th { "#" } th { "Recibido" } th { "Origen" } th { "Motivo" } th { "Tamaño" } } }
                tbody { @for q in &quarantine { tr { td { (q.id) } td { (q.received_at.format("%Y-%m-%d %H:%M")) } td { (q.source) " " (q.source_ref.clone().unwrap_or_default()) } td { (q.reason) } td { (q.raw_size) " B" } } } } }
            p.small { "Para reprocesar: " code { "pqrs quarantine retry [ID]" } }
        }
    })
}
