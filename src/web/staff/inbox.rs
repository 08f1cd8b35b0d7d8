//! The inbox: triage sees every department, a department its own; filters and paging.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use maud::{html, Markup};

use super::{kind_label, light, redirect, staff_page, status_label};
use crate::auth::Caller;
use crate::domain::{CaseStatus, Channel, PetitionKind};
use crate::web::cases_api::{filter_for, summarize, CaseSummary, ListQuery};
use crate::web::layout::{html_response, page};
use crate::web::AppState;

fn case_table(items: &[CaseSummary]) -> Markup {
    html! {
        @if items.is_empty() { p { "No hay casos con estos filtros." } }
        @else {
            table {
                thead { tr { th { "Radicado" } th { "Asunto" } th { "Dependencia" } th { "Tipo" } th { "Estado" } th { "Recibido" } th { "Vence" } th { "Plazo" } } }
                tbody {
                    @for s in items {
                        tr {
                            td { a href=(format!("/casos/{}", s.radicado)) { (s.radicado) } @if s.needs_review { br; span.small { "por revisar" } } }
                            td { (s.subject) br; span.small { (s.citizen_name.clone().unwrap_or_default()) } }
                            td { (s.department) }
                            td { (kind_label(&s.kind)) }
                            td { (status_label(&s.status)) }
                            td { (s.received_at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M")) }
                            td { (s.due_date.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (light(s)) }
                        }
                    }
                }
            }
        }
    }
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[(String, String)]) -> Markup {
    html! {
        div {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" { "(todos)" }
                @for (v, l) in options { option value=(v) selected[current == Some(v.as_str())] { (l) } }
            }
        }
    }
}

pub async fn inbox(caller: Option<Caller>, state: web::Data<AppState>, q: web::Query<ListQuery>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let q = q.into_inner();
    let f = filter_for(&caller, &q, &policy, today);
    let page_no = f.page;
    let month = crate::time::bogota_month(Utc::now());
    let year: i32 = month[..4].parse().unwrap_or(2026);
    let res = crate::web::with_conn(&state, move |c| {
        let list = crate::db::cases::list(c, &f)?;
        let report = crate::reports::virtual_channel(c, year)?;
        Ok((list, report))
    })
    .await;
    let ((rows, more), report) = match res {
        Ok(x) => x,
        Err(e) => return html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    };
    let items: Vec<CaseSummary> = rows.iter().map(|r| summarize(r, &policy, today)).collect();
    let m = &report.months[month[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    let depts: Vec<(String, String)> = state.intake.rules().departments().iter().map(|d| (d.code.clone(), format!("{} · {}", d.code, d.name))).collect();
    let statuses: Vec<(String, String)> = CaseStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    let kinds: Vec<(String, String)> = PetitionKind::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    let channels: Vec<(String, String)> = Channel::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    let qs = |p: i64| page_query(&q, p);
    let title = match &caller.department {
        Some(d) if !caller.sees_all() => format!("Bandeja de {d}"),
        _ => "Bandeja de casos".to_string(),
    };
    staff_page(&caller, &title, html! {
        h1 { (title) }
        div.card.small {
            "Este mes (" (m.name) "): " strong { (m.incoming) } " entrantes (correo " (m.correo_contacto) ", Radicador Web " (m.radicador_web) "), "
            strong { (m.outgoing) } " salientes."
        }
        form method="get" action="/bandeja" class="card" {
            label for="q" { "Buscar (asunto, texto, ciudadano o radicado)" }
            input type="text" id="q" name="q" value=(q.q.clone().unwrap_or_default());
            div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0 1rem" {
                (select("status", "Estado", q.status.as_deref(), &statuses))
                (select("kind", "Tipo", q.kind.as_deref(), &kinds))
                (select("channel", "Canal", q.channel.as_deref(), &channels))
                @if caller.sees_all() { (select("department", "Dependencia", q.department.as_deref(), &depts)) }
                (select("due", "Vencimiento", q.due.as_deref(), &[("vencidos".into(), "Vencidos".into()), ("por_vencer".into(), "Por vencer".into())]))
                (select("sort", "Orden", q.sort.as_deref(), &[("recibido_desc".into(), "Más recientes".into()), ("recibido_asc".into(), "Más antiguos".into())]))
            }
            button type="submit" { "Filtrar" }
        }
        (case_table(&items))
        p {
            @if page_no > 0 { a href=(format!("/bandeja?{}", qs(page_no - 1))) { "← Anteriores" } " " }
            @if more { a href=(format!("/bandeja?{}", qs(page_no + 1))) { "Siguientes →" } }
        }
    })
}

/// The filters of the inbox link to another page, in the order of the form; empty ones left out.
#[derive(serde::Serialize)]
struct PageQuery<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort: Option<&'a str>,
    page: i64,
}

/// Query string of the filters and `page`, written by serde_urlencoded.
fn page_query(q: &ListQuery, page: i64) -> String {
    fn v(o: &Option<String>) -> Option<&str> {
        o.as_deref().filter(|v| !v.is_empty())
    }
    let pq = PageQuery { q: v(&q.q), status: v(&q.status), kind: v(&q.kind), channel: v(&q.channel), department: v(&q.department), due: v(&q.due), sort: v(&q.sort), page };
    // Strings and an integer in a flat struct always serialize.
    serde_urlencoded::to_string(pq).expect("query of strings and an integer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_every_filter_escaped_and_read_back() {
        let q = ListQuery {
            q: Some("tarifa & regalías=100% #2 ñ".into()),
            status: Some("radicado".into()),
            department: Some("".into()),
            sort: Some("recibido_asc".into()),
            page: Some(3),
            ..Default::default()
        };
        let s = page_query(&q, 4);
        assert_eq!(s, "q=tarifa+%26+regal%C3%ADas%3D100%25+%232+%C3%B1&status=radicado&sort=recibido_asc&page=4");
        let back: ListQuery = serde_urlencoded::from_str(&s).unwrap();
        assert_eq!(back.q.as_deref(), Some("tarifa & regalías=100% #2 ñ"));
        assert_eq!((back.status.as_deref(), back.sort.as_deref(), back.page), (Some("radicado"), Some("recibido_asc"), Some(4)));
        assert!(back.department.is_none() && back.kind.is_none());
        assert_eq!(page_query(&ListQuery::default(), 0), "page=0");
    }
}
