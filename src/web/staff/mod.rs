//! The staff web app (server-rendered, Spanish): login with lockout, the inbox (triage sees every
//! department, a department its own), the triage queue with routing explanations and quarantine,
//! the case page with the original message sanitised, attachments, timeline and actions, verbal
//! petitions, and the printable virtual-channel report. Every page checks the session on the
//! server; forms carry the session's CSRF token.

mod case_page;
mod html;
mod inbox;
mod informe_page;
mod login;
mod notification;
mod oficio;
mod report_page;
pub(crate) mod respond;
mod triage;
mod verbal;

pub use case_page::{attachment, case_action, case_page};
pub use html::sanitize_mail_html;
pub use inbox::inbox;
pub use informe_page::{informe_page, MonthQ};
pub use login::{login, login_form, logout, CsrfForm, LoginForm};
pub use oficio::oficio_page;
pub use report_page::{report_page, YearQ};
pub use respond::respond_submit;
pub use triage::triage;
pub use verbal::{verbal_form, verbal_submit};

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::cases_api::CaseSummary;
use super::layout::{html_response, page};
use crate::auth::Caller;
use crate::domain::{CaseStatus, PetitionKind};

fn nav(caller: &Caller) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("Bandeja", "/bandeja")];
    if caller.sees_all() {
        v.push(("Triage", "/triage"));
    }
    v.push(("Petición verbal", "/verbal"));
    if caller.may_report() {
        v.push(("Reporte", "/reportes/canal-virtual"));
        v.push(("Informe mensual", "/reportes/informe"));
    }
    v
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", to)).finish()
}

/// `path?error=<message>`, the query written by serde_urlencoded (read back as [`CaseQuery`]).
fn with_error(path: &str, message: &str) -> String {
    #[derive(serde::Serialize)]
    struct ErrorQuery<'a> {
        error: &'a str,
    }
    // A struct of one string field always serializes.
    format!("{path}?{}", serde_urlencoded::to_string(ErrorQuery { error: message }).expect("query of one string"))
}

fn staff_page(caller: &Caller, title: &str, body: Markup) -> HttpResponse {
    let csrf = caller.csrf.clone().unwrap_or_default();
    let n = nav(caller);
    html_response(StatusCode::OK, page(title, &n, html! {
        div.small.noprint style="text-align:right" {
            (caller.email.clone().unwrap_or_default()) " · " (caller.role.label())
            @if let Some(d) = &caller.department { " · " (d) }
            form method="post" action="/salir" style="display:inline;margin-left:1rem" {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary type="submit" style="margin:0;padding:.2rem .6rem" { "Salir" }
            }
        }
        (body)
    }))
}

fn light(s: &CaseSummary) -> Markup {
    let (class, text) = match s.traffic_light.as_str() {
        "green" => ("green", format!("{} días", s.days_left.unwrap_or(0))),
        "amber" => ("amber", format!("{} días", s.days_left.unwrap_or(0))),
        "red" => ("red", format!("vencido {}", -s.days_left.unwrap_or(0))),
        "paused" => ("grey", "suspendido".to_string()),
        _ => ("grey", "—".to_string()),
    };
    html! { span class=(format!("light {class}")) title="Días hábiles restantes" { (text) } }
}

fn status_label(s: &str) -> &str {
    CaseStatus::parse(s).map(|x| x.label()).unwrap_or(s)
}

fn kind_label(s: &str) -> &str {
    PetitionKind::parse(s).map(|x| x.label()).unwrap_or(s)
}

/// Query of the case page (`?imagenes=1`, `?error=`), also read by the verbal form (`?error=`).
#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    imagenes: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[test]
    fn error_redirect_escapes_the_message_and_reads_back() {
        let url = with_error("/casos/2026-1", "El archivo «a&b=c.exe» no está permitido; 100% #1");
        let (path, query) = url.split_once('?').unwrap();
        assert_eq!(path, "/casos/2026-1");
        assert!(!query[6..].contains(['&', '=', '#', ' ', '?']), "{query}");
        let back: CaseQuery = serde_urlencoded::from_str(query).unwrap();
        assert_eq!(back.error.as_deref(), Some("El archivo «a&b=c.exe» no está permitido; 100% #1"));
        assert!(back.imagenes.is_none());
    }
}
