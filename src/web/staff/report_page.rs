//! The printable report: the virtual channel and the Ley 1712 PQRS figures of a year.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::{redirect, staff_page};
use crate::auth::Caller;
use crate::domain::{Channel, PetitionKind};
use crate::reports::{PqrsFigures, PQRS_FIGURES};
use crate::web::layout::{html_response, page, print_button};
use crate::web::AppState;

#[derive(Deserialize)]
pub struct YearQ {
    year: Option<i32>,
}

pub async fn report_page(caller: Option<Caller>, state: web::Data<AppState>, q: web::Query<YearQ>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.may_report() && c.csrf.is_some()) else { return redirect("/personal") };
    let year = q.year.unwrap_or_else(|| crate::time::bogota_month(Utc::now())[..4].parse().unwrap_or(2026)).clamp(2000, 2100);
    let policy = state.intake.policy.clone();
    let (from, to) = (NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(), NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
    let today = crate::time::bogota_date(Utc::now());
    let (r, figures) = match crate::web::with_conn(&state, move |c| {
        Ok((crate::reports::virtual_channel(c, year)?, crate::reports::pqrs(c, &policy.deadlines, from, to, today)?))
    })
    .await
    {
        Ok(r) => r,
        Err(e) => return html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    };
    let max = r.months.iter().map(|m| m.incoming.max(m.outgoing)).max().unwrap_or(0).max(1) as f64;
    let (w, h, pad) = (720.0, 260.0, 30.0);
    let bw = (w - 2.0 * pad) / 12.0;
    let chart = html! {
        svg viewBox=(format!("0 0 {w} {h}")) width="100%" role="img" aria-label=(format!("Correos entrantes y salientes por mes en {year}")) {
            line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#444" {}
            @for (i, m) in r.months.iter().enumerate() {
                @let x = pad + i as f64 * bw;
                @let hi = (m.incoming as f64 / max) * (h - 2.0 * pad);
                @let ho = (m.outgoing as f64 / max) * (h - 2.0 * pad);
                rect x=(format!("{:.1}", x + 4.0)) y=(format!("{:.1}", h - pad - hi)) width=(format!("{:.1}", bw / 2.0 - 4.0)) height=(format!("{:.1}", hi)) fill="#0b5cad" { title { (m.name) ": " (m.incoming) " entrantes" } }
                rect x=(format!("{:.1}", x + bw / 2.0)) y=(format!("{:.1}", h - pad - ho)) width=(format!("{:.1}", bw / 2.0 - 4.0)) height=(format!("{:.1}", ho)) fill="#a86800" { title { (m.name) ": " (m.outgoing) " salientes" } }
                text x=(format!("{:.1}", x + bw / 2.0)) y=(format!("{:.1}", h - 10.0)) font-size="11" text-anchor="middle" { (&m.name[..3]) }
            }
        }
    };
    staff_page(&caller, "Reporte del canal virtual", html! {
        h1 { "Canal virtual · " (year) }
        form.noprint method="get" { label for="year" { "Año" } input type="text" id="year" name="year" value=(year) inputmode="numeric" style="width:8rem"; button type="submit" { "Ver" } }
        div.card {
            p { "Entrantes: " strong { (r.totals.incoming) } " (Correo contacto " (r.totals.correo_contacto) ", Radicador Web " (r.totals.radicador_web) ") · "
                "Salientes: " strong { (r.totals.outgoing) } " · Interacciones: " strong { (r.totals.total) } }
            (chart)
            p.small { span style="color:#0b5cad" { "■" } " entrantes  " span style="color:#a86800" { "■" } " salientes" }
        }
        table {
            thead { tr { th { "Mes" } th { "Correo contacto" } th { "Radicador Web" } th { "Entrantes" } th { "Salientes" } th { "Total" } th { "Alertas internas" } } }
            tbody {
                @for m in r.months.iter().chain(std::iter::once(&r.totals)) {
                    tr { td { (m.name) } td { (m.correo_contacto) } td { (m.radicador_web) } td { (m.incoming) } td { (m.outgoing) } td { strong { (m.total) } } td { (m.internal) } }
                }
            }
        }
        p.small { "Contado de lo almacenado: correos distintos recibidos (casos, respuestas, automáticos; duplicados una vez), radicaciones web y correos entregados sin falla permanente. Meses calendario en hora de Bogotá." }
        h2 { "Cifras PQRS (Ley 1712) · " (year) }
        (figures_table("Por tipo", &figures.totals, figures.by_kind.iter().map(|(k, f)| (PetitionKind::parse(k).map(|k| k.label().to_string()).unwrap_or_else(|| k.clone()), f))))
        (figures_table("Por dependencia", &figures.totals, figures.by_department.iter().map(|(k, f)| (k.clone(), f))))
        (figures_table("Por canal", &figures.totals, figures.by_channel.iter().map(|(k, f)| (Channel::parse(k).map(|c| c.label().to_string()).unwrap_or_else(|| k.clone()), f))))
        p.small { "PQRS radicadas en el año (día de radicación efectivo). Cada petición no anulada está en una sola de: respondida (a tiempo, fuera de término, con notificación pendiente o fallida), trasladada, desistimiento tácito o expreso, rechazada, archivada sin aclarar (art. 19), en trámite; la suma es el total de recibidas. "
            "A tiempo se juzga el día en que la respuesta llegó al ciudadano: la primera entrega aceptada por el servidor de correo o, sin correo, el día de la respuesta. "
            "Los días hábiles de respuesta descuentan los días en que el término estuvo suspendido por un requerimiento (art. 17, Ley 1755 de 2015). "
            "Las anuladas (errores de radicación) se muestran aparte y no cuentan en ninguna otra cifra." }
        (print_button("Imprimir o guardar como PDF"))
    })
}

/// One table of figures: a line per figure, a column per group, the total last.
fn figures_table<'a>(caption: &str, total: &PqrsFigures, groups: impl Iterator<Item = (String, &'a PqrsFigures)>) -> Markup {
    let groups: Vec<(String, [String; 18])> = groups.map(|(name, f)| (name, f.cells())).collect();
    let total = total.cells();
    html! {
        table {
            caption { (caption) }
            thead { tr { th { "Cifra" } @for (name, _) in &groups { th { (name) } } th { "Total" } } }
            tbody {
                @for (i, (_, _, label)) in PQRS_FIGURES.iter().enumerate() {
                    tr {
                        td { (label) }
                        @for (_, cells) in &groups { td { (dash(&cells[i])) } }
                        td { strong { (dash(&total[i])) } }
                    }
                }
            }
        }
    }
}

fn dash(v: &str) -> &str {
    if v.is_empty() { "–" } else { v }
}
