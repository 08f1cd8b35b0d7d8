//! The staff web app (server-rendered, Spanish): login with lockout, the inbox (triage sees every
//! department, a department its own), the triage queue with routing explanations and quarantine,
//! the case page with the original message sanitised, attachments, timeline and actions, verbal
//! petitions, and the printable virtual-channel report. Every page checks the session on the
//! server; forms carry the session's CSRF token.

use std::collections::BTreeMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::cases_api::{self, filter_for, summarize, ActionRequest, CaseSummary, ListQuery};
use super::layout::{html_response, page};
use super::AppState;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::staff::LoginResult;
use crate::domain::{CaseStatus, Channel, PetitionKind};
use crate::error::ApiError;
use crate::mailer::templates::fecha_larga;


fn nav(caller: &Caller) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("Bandeja", "/bandeja")];
    if caller.sees_all() {
        v.push(("Triage", "/triage"));
    }
    v.push(("Petición verbal", "/verbal"));
    if caller.may_report() {
        v.push(("Reporte", "/reportes/canal-virtual"));
    }
    v
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", to)).finish()
}

fn staff_page(caller: &Caller, title: &str, body: Markup) -> HttpResponse {
    let csrf = caller.csrf.clone().unwrap_or_default();
    let n = nav(caller);
    html_response(StatusCode::OK, page(title, &n, html! {
        div.small.noprint style="text-align:right" {
            (caller.email.clone().unwrap_or_default()) " · " (role_label(&caller.role))
            @if let Some(d) = &caller.department { " · " (d) }
            form method="post" action="/salir" style="display:inline;margin-left:1rem" {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary type="submit" style="margin:0;padding:.2rem .6rem" { "Salir" }
            }
        }
        (body)
    }))
}

fn role_label(r: &str) -> &'static str {
    match r {
        "admin" => "Administración",
        "triage" => "Triage",
        "department" => "Dependencia",
        "report" => "Reportes",
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------------
// Login

fn login_page(email: &str, error: Option<&str>) -> Markup {
    page("Ingreso de funcionarios", &[], html! {
        h1 { "Ingreso de funcionarios" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/personal" {
            label for="email" { "Correo institucional" }
            input type="email" id="email" name="email" value=(email) autocomplete="username" required;
            label for="password" { "Contraseña" }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            button type="submit" { "Ingresar" }
        }
    })
}

pub async fn login_form(caller: Option<Caller>) -> HttpResponse {
    if caller.is_some_and(|c| c.csrf.is_some()) {
        return redirect("/bandeja");
    }
    html_response(StatusCode::OK, login_page("", None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login(req: HttpRequest, state: web::Data<AppState>, form: web::Form<LoginForm>) -> HttpResponse {
    if !state.limiter.allow(super::public::client_ip(&req)) {
        return html_response(StatusCode::TOO_MANY_REQUESTS, login_page(&form.email, Some("Demasiados intentos. Espere un minuto.")));
    }
    let email = form.email.trim().to_ascii_lowercase();
    let password = form.password.clone();
    let shown = email.clone();
    let result = super::with_conn(&state, move |c| Ok(crate::staff::login(c, &email, &password, Utc::now())?)).await;
    match result {
        Ok(LoginResult::Ok { session }) => {
            let secure = state.config.settings.public_base_url.starts_with("https://");
            let cookie = Cookie::build(SESSION_COOKIE, session).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).finish();
            HttpResponse::SeeOther().insert_header(("Location", "/bandeja")).cookie(cookie).finish()
        }
        Ok(LoginResult::Bad) => html_response(StatusCode::UNAUTHORIZED, login_page(&shown, Some("Correo o contraseña incorrectos."))),
        Ok(LoginResult::Locked) => html_response(StatusCode::TOO_MANY_REQUESTS, login_page(&shown, Some("La cuenta quedó bloqueada 15 minutos por intentos fallidos."))),
        Err(e) => html_response(e.status, login_page(&shown, Some(&e.message))),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(req: HttpRequest, caller: Option<Caller>, state: web::Data<AppState>, form: web::Form<CsrfForm>) -> HttpResponse {
    if let (Some(c), Some(sid)) = (caller, req.cookie(SESSION_COOKIE)) {
        if c.csrf.as_deref() == Some(form.csrf.as_str()) {
            let sid = sid.value().to_string();
            let _ = super::with_conn(&state, move |conn| Ok(crate::staff::end_session(conn, &sid)?)).await;
        }
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    HttpResponse::SeeOther().insert_header(("Location", "/personal")).cookie(gone).finish()
}

// ---------------------------------------------------------------------------------------------
// Inbox and triage

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
    let res = super::with_conn(&state, move |c| {
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
    let qs = |p: i64| {
        let mut s = serde_urlencoded_like(&q);
        s.push_str(&format!("&page={p}"));
        s
    };
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

/// Query string of the filters (without the page), escaped.
fn serde_urlencoded_like(q: &ListQuery) -> String {
    let enc = |s: &str| -> String {
        s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
    let mut parts = vec![];
    for (k, v) in [("q", &q.q), ("status", &q.status), ("kind", &q.kind), ("channel", &q.channel), ("department", &q.department), ("due", &q.due), ("sort", &q.sort)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", enc(v)));
        }
    }
    parts.join("&")
}

pub async fn triage(caller: Option<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.sees_all() && c.csrf.is_some()) else { return redirect("/personal") };
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let res = super::with_conn(&state, move |c| {
        let base = crate::db::cases::CaseFilter { per_page: 100, sort: crate::db::cases::Sort::ReceivedAsc, ..Default::default() };
        let new = crate::db::cases::list(c, &crate::db::cases::CaseFilter { status: Some("radicado".into()), ..base.clone() })?.0;
        let review = crate::db::cases::list(c, &crate::db::cases::CaseFilter { needs_review: Some(true), open_only: true, ..base })?.0;
        let quarantine = crate::db::models::QuarantineMeta::open(c)?;
        Ok((new, review, quarantine))
    })
    .await;
    let (new, review, quarantine) = match res {
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
        html! {
            div.card {
                p { a href=(format!("/casos/{}", c.radicado)) { strong { (c.radicado) } } " · " (c.subject) " · " (light(&s)) }
                p.small {
                    "Decisión: " strong { (c.department) } " / " (kind_label(&c.kind))
                    @if rules.is_empty() { " — ninguna regla decidió (revisión manual)" }
                    @else { " — reglas: " @for (id, m) in &rules { code { (id) } " («" (m) "») " } }
                }
                form method="post" action=(format!("/casos/{}/acciones", c.radicado)) style="display:flex;gap:.5rem;flex-wrap:wrap;align-items:end" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value="corregir";
                    label { "Dependencia" select name="department" { @for d in &departments { option value=(d.code) selected[d.code == c.department] { (d.code) } } } }
                    label { "Tipo" select name="kind" { @for k in PetitionKind::ALL { option value=(k.as_str()) selected[k.as_str() == c.kind] { (k.label()) } } } }
                    input type="hidden" name="reason" value="Corrección de triage";
                    button type="submit" style="margin:0" { "Confirmar" }
                }
            }
        }
    };
    staff_page(&caller, "Triage", html! {
        h1 { "Triage" }
        h2 { "Por revisar (" (review.len()) ")" }
        @for c in &review { (row(c)) }
        h2 { "Nuevos sin asignar (" (new.len()) ")" }
        @for c in new.iter().filter(|c| !c.needs_review) { (row(c)) }
        h2 { "Correos en cuarentena (" (quarantine.len()) ")" }
        @if quarantine.is_empty() { p { "No hay correos en cuarentena." } }
        @else {
            table { thead { tr { th { "#" } th { "Recibido" } th { "Origen" } th { "Motivo" } th { "Tamaño" } } }
                tbody { @for q in &quarantine { tr { td { (q.id) } td { (q.received_at.format("%Y-%m-%d %H:%M")) } td { (q.source) " " (q.source_ref.clone().unwrap_or_default()) } td { (q.reason) } td { (q.raw_size) " B" } } } } }
            p.small { "Para reprocesar: " code { "pqrs quarantine retry [ID]" } }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Case page

/// Sanitise a mail's HTML: no scripts, no event handlers, no `javascript:` links, no remote
/// images unless asked; links open apart and are marked as external.
pub fn sanitize_mail_html(html: &str, images: bool) -> String {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .set_tag_attribute_value("a", "class", "externo");
    if !images {
        b.rm_tags(["img"]);
    }
    b.clean(html).to_string()
}

fn event_label(t: &str) -> String {
    match t {
        "radicado" => "Radicado".into(),
        "asignado" => "Asignado".into(),
        "reasignado" => "Reasignado".into(),
        "en_tramite" => "En trámite".into(),
        "requerimiento" => "Requerimiento al ciudadano (término suspendido)".into(),
        "respuesta_ciudadano" => "Mensaje del ciudadano".into(),
        "reanudado" => "Término reanudado".into(),
        "prorroga" => "Prórroga".into(),
        "trasladado" => "Trasladado por competencia".into(),
        "respondido" => "Respondido".into(),
        "cerrado" => "Cerrado".into(),
        "desistimiento" => "Cerrado por desistimiento".into(),
        "desistimiento_propuesto" => "Desistimiento propuesto (un mes sin respuesta)".into(),
        "anulado" => "Anulado".into(),
        "reclasificado" => "Tipo corregido".into(),
        "escalado" => "Escalado por vencimiento".into(),
        "rebote_correo" => "Correo rebotado".into(),
        "acuse_omitido" => "Acuse no enviado (límite por remitente)".into(),
        other => other.to_string(),
    }
}

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    imagenes: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub async fn case_page(caller: Option<Caller>, state: web::Data<AppState>, path: web::Path<String>, q: web::Query<CaseQuery>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let radicado = path.into_inner();
    let c2 = caller.clone();
    let loaded = super::with_conn(&state, move |c| cases_api::load_detail(c, &c2, &radicado, &policy, today)).await;
    let (case, d) = match loaded {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } p { a href="/bandeja" { "Volver a la bandeja" } } }))
        }
        Err(e) => return html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    };
    let images = q.imagenes.as_deref() == Some("1");
    let csrf = caller.csrf.clone().unwrap_or_default();
    let s = &d.summary;
    let departments = state.intake.rules().departments().to_vec();
    let rules: Vec<(String, String, String)> = d.routing["rules"].as_array().map(|a| a.iter().map(|r| (
        r["id"].as_str().unwrap_or("").to_string(), r["matched"].as_str().unwrap_or("").to_string(), r["field"].as_str().unwrap_or("").to_string())).collect()).unwrap_or_default();
    let action_form = |action: &str, title: &str, fields: Markup| html! {
        details.card id=(format!("accion-{action}")) {
            summary { strong { (title) } }
            form method="post" action=(format!("/casos/{}/acciones", case.radicado)) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="action" value=(action);
                (fields)
                button type="submit" { (title) }
            }
        }
    };
    let open = crate::db::cases::OPEN.contains(&case.status.as_str());
    staff_page(&caller, &format!("Caso {}", case.radicado), html! {
        h1 { "Caso " (case.radicado) }
        @if let Some(e) = &q.error { p.error role="alert" { (e) } }
        div.card {
            p { strong { (case.subject) } }
            p { "Estado: " strong { (status_label(&case.status)) } " · Dependencia: " strong { (case.department) } " · Tipo: " (kind_label(&case.kind))
                " · Canal: " (Channel::parse(&case.channel).map(|c| c.label()).unwrap_or(&case.channel)) " · Prioridad: " (case.priority) }
            p { "Recibido: " (case.received_at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M"))
                " · Radicación efectiva: " (fecha_larga(case.effective_date))
                @if let Some(due) = case.due_date { " · Vence: " strong { (fecha_larga(due)) } " " (light(s)) }
                @if let Some(o) = case.original_due_date { " (antes de la prórroga: " (o) ")" } }
            @if let Some(l) = &case.linked_radicado { p { "Relacionado con el radicado " (l) } }
            @if let Some(r) = &case.response_radicado { p { "Respuesta enviada con radicado de salida " (r) } }
            @if let Some(t) = &case.transferred_to { p { "Trasladado a: " (t) } }
        }
        h2 { "Ciudadano" }
        div.card {
            p { (case.citizen_name.clone().unwrap_or_else(|| "(sin nombre)".into())) " · " (case.citizen_email.clone().unwrap_or_else(|| "(sin correo)".into())) }
            p.small { "Documento: " (case.citizen_doc_type.clone().unwrap_or_default()) " " (case.citizen_doc_number.clone().unwrap_or_default())
                " · Teléfono: " (case.citizen_phone.clone().unwrap_or_default()) " · Municipio: " (case.citizen_municipality.clone().unwrap_or_default()) }
        }
        h2 { "Clasificación automática" }
        div.card.small {
            @if rules.is_empty() { p { "Ninguna regla decidió: el caso quedó para revisión de triage." } }
            @else { ul { @for (id, m, f) in &rules { li { code { (id) } " encontró «" (m) "» en " (f) } } } }
        }
        h2 { "Mensajes" }
        @for m in &d.messages {
            div.card.mail {
                p.small { (m.received_at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M")) " · "
                    (m.from_name.clone().unwrap_or_default()) " <" (m.from_addr.clone().unwrap_or_default()) "> · " (m.disposition) }
                p { strong { (m.subject) } }
                @match &m.body_html {
                    Some(h) => {
                        div.html-mail { (PreEscaped(sanitize_mail_html(h, images))) }
                        @if !images { p.small { a href=(format!("/casos/{}?imagenes=1", case.radicado)) { "Mostrar imágenes remotas" } } }
                    }
                    None => pre style="white-space:pre-wrap;font:inherit" { (m.body_text) },
                }
            }
        }
        @if !d.attachments.is_empty() {
            h2 { "Anexos" }
            ul { @for a in &d.attachments { li { a href=(format!("/casos/{}/adjuntos/{}", case.radicado, a.id)) download { (a.filename) } " (" (a.content_type) ", " (a.size) " bytes)" } } }
        }
        h2 { "Historial" }
        ol.timeline {
            @for e in &d.timeline {
                li { (e.at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M")) " — " strong { (event_label(&e.event_type)) }
                    " · " (e.actor) @if let Some(r) = &e.reason { " — " em { (r) } } }
            }
        }
        @if open || matches!(case.status.as_str(), "respondido" | "trasladado") {
            h2.noprint { "Acciones" }
            div.noprint {
                @if open {
                    (action_form("asignar", "Asignar o reasignar", html! {
                        label { "Dependencia" select name="department" { @for dep in &departments { option value=(dep.code) selected[dep.code == case.department] { (dep.code) " · " (dep.name) } } } }
                        label { "Funcionario (correo, opcional)" input type="email" name="assignee" value=(case.assigned_to.clone().unwrap_or_default()); }
                        label { "Motivo (obligatorio al reasignar)" input type="text" name="reason"; }
                    }))
                    (action_form("iniciar", "Iniciar trámite", html! {}))
                    (action_form("requerimiento", "Pedir que complete la petición", html! {
                        label { "¿Qué debe aportar el ciudadano?" textarea name="message" required {} }
                    }))
                    (action_form("prorroga", "Prorrogar el término", html! {
                        label { "Nueva fecha de vencimiento" input type="date" name="new_due" required; }
                        label { "Motivo (se envía al ciudadano)" textarea name="reason" required {} }
                    }))
                    (action_form("traslado", "Trasladar por competencia", html! {
                        label { "Entidad competente" input type="text" name="entity" required; }
                        label { "Motivo" textarea name="reason" required {} }
                    }))
                    (action_form("responder", "Responder", html! {
                        label { "Respuesta (se envía al ciudadano con radicado de salida)" textarea name="text" required {} }
                    }))
                    (action_form("reclasificar", "Corregir el tipo", html! {
                        label { "Tipo" select name="kind" { @for k in PetitionKind::ALL { option value=(k.as_str()) selected[k.as_str() == case.kind] { (k.label()) } } } }
                        label { "Motivo" input type="text" name="reason"; }
                    }))
                }
                (action_form("cerrar", "Cerrar", html! { label { "Observación (obligatoria si es desistimiento)" input type="text" name="reason"; } }))
                @if caller.sees_all() {
                    (action_form("anular", "Anular (el número se conserva)", html! { label { "Motivo" textarea name="reason" required {} } }))
                }
            }
        }
    })
}

/// Form posts of the case page (and triage's one-click correction).
pub async fn case_action(caller: Option<Caller>, state: web::Data<AppState>, path: web::Path<String>, form: web::Form<BTreeMap<String, String>>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let radicado = path.into_inner();
    let f = form.into_inner();
    if f.get("csrf").map(String::as_str) != caller.csrf.as_deref() {
        return html_response(StatusCode::FORBIDDEN, page("Formulario expirado", &nav(&caller), html! { p { "El formulario expiró; vuelva a abrir el caso." } }));
    }
    let get = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let action = get("action").unwrap_or_default();
    let back = |err: Option<String>| match err {
        Some(e) => redirect(&format!("/casos/{radicado}?error={}", e.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>())),
        None => redirect(&format!("/casos/{radicado}")),
    };
    // Triage's correction: department and kind in one click.
    if action == "corregir" {
        let mut err = None;
        let current = super::with_conn(&state, {
            let r = radicado.clone();
            let scope = caller.scope().map(str::to_string);
            move |c| Ok(crate::db::cases::get_scoped(c, &r, scope.as_deref())?)
        }).await.ok().flatten();
        let Some(current) = current else { return back(Some("Caso no encontrado".into())) };
        if let Some(k) = get("kind").filter(|k| *k != current.kind) {
            let req = ActionRequest { action: "reclassify".into(), kind: Some(k), reason: get("reason"), ..Default::default() };
            if let Err(e) = cases_api::run_action(&state, &caller, radicado.clone(), req).await { err = Some(e.message); }
        }
        if err.is_none() {
            let req = ActionRequest { action: "assign".into(), department: get("department"), reason: get("reason"), ..Default::default() };
            if let Err(e) = cases_api::run_action(&state, &caller, radicado.clone(), req).await { err = Some(e.message); }
        }
        return if err.is_some() { back(err) } else { redirect("/triage") };
    }
    let req = ActionRequest {
        action,
        department: get("department"),
        assignee: get("assignee"),
        reason: get("reason"),
        message: get("message"),
        new_due: get("new_due"),
        entity: get("entity"),
        text: get("text"),
        kind: get("kind"),
    };
    match cases_api::run_action(&state, &caller, radicado.clone(), req).await {
        Ok(_) => back(None),
        Err(e) if e.status == StatusCode::NOT_FOUND => html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } })),
        Err(e) => back(Some(e.message)),
    }
}

pub async fn attachment(caller: Option<Caller>, state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result<HttpResponse, ApiError> {
    let caller = caller.filter(|c| c.is_staff()).ok_or_else(ApiError::not_found)?;
    cases_api::attachment(caller, state, path).await
}

// ---------------------------------------------------------------------------------------------
// Verbal petitions (Decreto 1166 de 2016)

pub async fn verbal_form(caller: Option<Caller>, q: web::Query<CaseQuery>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let csrf = caller.csrf.clone().unwrap_or_default();
    staff_page(&caller, "Petición verbal", html! {
        h1 { "Registrar una petición verbal" }
        p { "Decreto 1166 de 2016: la petición presentada en persona o por teléfono se radica con una constancia." }
        @if let Some(e) = &q.error { p.error role="alert" { (e) } }
        form method="post" action="/verbal" {
            input type="hidden" name="csrf" value=(csrf);
            label for="channel" { "Canal" }
            select id="channel" name="channel" { option value="presencial" { "Presencial" } option value="telefonico" { "Telefónico" } }
            label for="name" { "Nombre del ciudadano" } input type="text" id="name" name="name" maxlength="200";
            label for="email" { "Correo (para el acuse y la respuesta)" } input type="email" id="email" name="email" maxlength="254";
            label for="phone" { "Teléfono" } input type="tel" id="phone" name="phone" maxlength="30";
            label for="subject" { "Asunto" } input type="text" id="subject" name="subject" maxlength="200" required;
            label for="message" { "Lo que pide el ciudadano" } textarea id="message" name="message" required {}
            label { input type="checkbox" name="consent"; " El ciudadano autorizó el tratamiento de sus datos (Ley 1581 de 2012)." }
            button type="submit" { "Radicar" }
        }
    })
}

pub async fn verbal_submit(caller: Option<Caller>, state: web::Data<AppState>, form: web::Form<BTreeMap<String, String>>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let f = form.into_inner();
    if f.get("csrf").map(String::as_str) != caller.csrf.as_deref() {
        return redirect("/verbal?error=Formulario%20expirado");
    }
    let channel = match f.get("channel").map(String::as_str) {
        Some("telefonico") => Channel::Telefonico,
        _ => Channel::Presencial,
    };
    let mut input = super::forms::input_from_fields(&f);
    input.anonymous = input.email.is_empty();
    match crate::intake::web_form::validate(input, vec![]) {
        Err(errors) => {
            let msg: Vec<String> = errors.values().cloned().collect();
            redirect(&format!("/verbal?error={}", msg.join(" ").bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>()))
        }
        Ok(v) => match super::public::file(&state, v, None, channel, caller.actor()).await {
            Ok(filed) => redirect(&format!("/casos/{}", filed.radicado)),
            Err(e) => redirect(&format!("/verbal?error={}", e.code)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The printable virtual-channel report

#[derive(Deserialize)]
pub struct YearQ {
    year: Option<i32>,
}

pub async fn report_page(caller: Option<Caller>, state: web::Data<AppState>, q: web::Query<YearQ>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.may_report() && c.csrf.is_some()) else { return redirect("/personal") };
    let year = q.year.unwrap_or_else(|| crate::time::bogota_month(Utc::now())[..4].parse().unwrap_or(2026)).clamp(2000, 2100);
    let r = match super::with_conn(&state, move |c| Ok(crate::reports::virtual_channel(c, year)?)).await {
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
        p.noprint { button type="button" onclick="window.print()" { "Imprimir o guardar como PDF" } }
    })
}
