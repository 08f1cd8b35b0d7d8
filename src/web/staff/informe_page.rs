//! `/reportes/informe?year=&month=`: the monthly "Informe de Servicios y Atención al Usuario",
//! print-ready (crate::informe).

use actix_web::{web, HttpResponse};
use chrono::{Datelike, Utc};
use maud::html;
use serde::Deserialize;

use super::{redirect, staff_page};
use crate::auth::Caller;
use crate::web::layout::{html_response, page, print_button};
use crate::web::AppState;

#[derive(Deserialize)]
pub struct MonthQ {
    year: Option<String>,
    month: Option<String>,
}

pub async fn informe_page(caller: Option<Caller>, state: web::Data<AppState>, q: web::Query<MonthQ>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.may_report() && c.csrf.is_some()) else { return redirect("/personal") };
    let today = crate::time::bogota_date(Utc::now());
    // A month of the past or this one; a bad value shows the current month with a message.
    let year = q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)));
    let month = q.month.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse::<u32>().ok().filter(|m| (1..=12).contains(m)));
    let bad = matches!(year, Some(None)) || matches!(month, Some(None));
    let (year, month) = (year.flatten().unwrap_or(today.year()), month.flatten().unwrap_or(today.month()));
    let policy = state.intake.policy.clone();
    let rules = state.intake.rules();
    let informe = match crate::web::with_conn(&state, move |c| Ok(crate::informe::informe(c, &policy.deadlines, rules.departments(), year, month, today)?)).await {
        Ok(r) => r,
        Err(e) => return html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    };
    staff_page(&caller, &format!("Informe de {} de {}", informe.month_name, year), html! {
        form.noprint method="get" {
            @if bad { p.error role="alert" { "El año debe estar entre 2000 y 2100 y el mes entre 1 y 12; se muestra el mes actual." } }
            label for="year" { "Año" } input type="text" id="year" name="year" value=(year) inputmode="numeric" style="width:6rem";
            label for="month" { "Mes" }
            select id="month" name="month" {
                @for (i, name) in crate::reports::MONTH_NAMES.iter().enumerate() {
                    option value=(i + 1) selected[i as u32 + 1 == month] { (name) }
                }
            }
            button type="submit" { "Ver" }
        }
        (informe.to_html())
        (print_button("Imprimir o guardar como PDF"))
    })
}
