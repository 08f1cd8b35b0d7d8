//! The case page: the original message sanitised, attachments, timeline and the action forms;
//! the form posts of those actions (and triage's correction); attachment downloads.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use maud::{html, Markup, PreEscaped};

use super::{light, nav, redirect, sanitize_mail_html, staff_page, with_error, CaseQuery};
use crate::auth::Caller;
use crate::domain::{CaseStatus, Channel, PetitionKind, PriorityReason};
use crate::error::ApiError;
use crate::mailer::templates::fecha_larga;
use crate::web::cases_api::{self, ActionRequest};
use crate::web::layout::{allow_remote_images, html_response, page};
use crate::web::AppState;

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
        // Before the combined acknowledgement (legal engine issue) a sender over the limit got none.
        "acuse_omitido" => "Acuse no enviado (límite por remitente)".into(),
        "acuse_agrupado" => "Acuse de recibo agrupado (límite de acuses por remitente y hora)".into(),
        "notificacion_fallida" => "Notificación fallida".into(),
        "notificacion_atendida" => "Notificación fallida atendida".into(),
        "devuelto" => "Devuelta al ciudadano para aclarar (art. 19; término suspendido)".into(),
        "aclarado" => "Aclarada por el ciudadano (el término cuenta desde la aclaración)".into(),
        "archivado" => "Archivada sin aclarar (art. 19)".into(),
        "archivo_propuesto" => "Archivo propuesto (10 días hábiles sin aclaración)".into(),
        "respuesta_extemporanea" => "Respuesta del ciudadano fuera de plazo (no reanuda el término)".into(),
        "prorroga_ciudadano" => "Prórroga de un mes pedida por el ciudadano".into(),
        "desistimiento_expreso" => "Desistimiento expreso del ciudadano".into(),
        "rechazado" => "Rechazada (art. 19)".into(),
        "prioridad" => "Atención prioritaria (art. 20)".into(),
        "prioridad_retirada" => "Prioridad retirada".into(),
        "termino_recalculado" => "Término recalculado por cambio del calendario".into(),
        "datos_rectificados" => "Datos del ciudadano rectificados (habeas data)".into(),
        "datos_suprimidos" => "Datos personales suprimidos (retención vencida)".into(),
        "encuesta_registrada" => "Encuesta de satisfacción registrada (verbal)".into(),
        other => other.to_string(),
    }
}

pub async fn case_page(caller: Option<Caller>, state: web::Data<AppState>, path: web::Path<String>, q: web::Query<CaseQuery>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let policy = state.intake.policy.clone();
    let today = crate::time::bogota_date(Utc::now());
    let radicado = path.into_inner();
    let c2 = caller.clone();
    let loaded = crate::web::with_conn(&state, move |c| cases_api::load_detail(c, &c2, &radicado, &policy, today)).await;
    let (case, d) = match loaded {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } p { a href="/bandeja" { "Volver a la bandeja" } } }))
        }
        Err(e) => return html_response(e.status, page("Error", &[], html! { p { (e.message) } })),
    };
    // Proof of notification: a pending failed notification, its bounce, and each mail's delivery.
    let case_for_proof = case.clone();
    let proof = crate::web::with_conn(&state, move |c| {
        let failure = crate::db::notification::pending_failure(c, &case_for_proof)?;
        let bounce = match failure.as_ref().and_then(|f| f.bounce_message_row_id) {
            Some(id) => crate::db::notification::bounce_excerpt(c, id)?,
            None => None,
        };
        let requester = crate::db::intake::requester_of(c, case_for_proof.id)?;
        let survey = crate::db::surveys::of_case(c, case_for_proof.id)?;
        Ok((failure, bounce, crate::db::notification::communications(c, case_for_proof.id)?, requester, survey))
    })
    .await;
    let (failure, bounce, mails, requester, survey) = match proof {
        Ok(x) => x,
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
    let mut res = staff_page(&caller, &format!("Caso {}", case.radicado), html! {
        h1 { "Caso " (case.radicado) }
        @if let Some(e) = &q.error { p.error role="alert" { (e) } }
        @if let Some(f) = &failure { (super::notification::failure_banner(&case.radicado, f, bounce.as_ref(), &csrf)) }
        div.card {
            p { strong { (case.subject) } }
            p { "Estado: " strong { (case.status.label()) } " · Dependencia: " strong { (case.department) } " · Tipo: " (case.kind.label())
                " · Canal: " (case.channel.label()) " · Prioridad: " (case.priority) }
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
            (action_form("rectificar", "Rectificar datos del ciudadano (habeas data)", html! {
                label { "Dato" select name="field" { @for fld in crate::workflow::lifecycle::CitizenField::ALL { option value=(fld.code()) { (fld.label()) } } } }
                label { "Valor corregido" input type="text" name="value" maxlength="320"; }
                label { "Motivo (solicitud del titular, soporte)" textarea name="reason" required {} }
            }))
        }
        @if let Some(r) = &requester { (requester_block(r)) }
        h2 { "Encuesta de satisfacción" }
        div.card {
            @match &survey {
                Some(s) if s.answered_at.is_some() => p { "Respondida el " (s.answered_at.map(|t| t.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default())
                    @match s.answered_via.as_deref() { Some("enlace") => { " por el ciudadano (enlace)." } Some(v) => { " (" (v) ", registrada por " (s.entered_by.clone().unwrap_or_default()) ")." } None => {} } },
                Some(s) => p { "Enviada con la respuesta el " (s.created_at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%Y-%m-%d")) "; sin responder." },
                None => p { "Sin encuesta." },
            }
            @if verbal_survey_allowed(&case) && survey.as_ref().is_none_or(|s| s.answered_at.is_none()) {
                (action_form("encuesta", "Registrar la encuesta tomada en persona o por teléfono", survey_fields()))
            }
        }
        h2 { "Clasificación automática" }
        div.card.small {
            @if rules.is_empty() { p { "Ninguna regla decidió: el caso quedó para revisión de triage." } }
            @else { ul { @for (id, m, f) in &rules { li { code { (id) } " encontró «" (m) "» en " (f) } } } }
        }
        h2 { "Mensajes" }
        @for m in &d.messages {
            div.card.mail id=(format!("mensaje-{}", m.id)) {
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
        (super::respond::communications_list(&d.communications))
        (super::notification::deliveries(&mails))
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
                    (action_form("devolver", "Devolver para aclarar (art. 19: no se comprende el objeto)", html! {
                        label { "¿Qué debe aclarar el ciudadano?" textarea name="message" required {} }
                    }))
                    (action_form("prorroga", "Prorrogar el término", html! {
                        label { "Nueva fecha de vencimiento" input type="date" name="new_due" required; }
                        label { "Motivo (se envía al ciudadano)" textarea name="reason" required {} }
                    }))
                    (action_form("traslado", "Trasladar por competencia", html! {
                        label { "Entidad competente" input type="text" name="entity" required; }
                        label { "Motivo" textarea name="reason" required {} }
                    }))
                    @if case.channel == Channel::TeLlamamos {
                        (action_form("registrar_llamada", "Registrar llamada (Te llamamos)", html! {
                            p.small { "Teléfono del ciudadano: " strong { (case.citizen_phone.clone().unwrap_or_default()) } }
                            fieldset {
                                legend { "Resultado de la llamada" }
                                label { input type="radio" name="outcome" value="resuelta_en_llamada" checked; " Resuelta en la llamada: la respuesta queda en la constancia y el caso se cierra" }
                                label { input type="radio" name="outcome" value="convertida"; " Convertida en una PQRS del tipo elegido (sigue su trámite y su término)" }
                            }
                            label { "Respuesta dada en la llamada (obligatoria si se resolvió)" textarea name="text" {} }
                            label { "Tipo de PQRS (si se convirtió)" select name="kind" { @for k in PetitionKind::ALL { option value=(k.as_str()) selected[*k == case.kind] { (k.label()) } } } }
                        }))
                    }
                    (super::respond::respond_form(&case, &csrf))
                    (action_form("reclasificar", "Corregir el tipo", html! {
                        label { "Tipo" select name="kind" { @for k in PetitionKind::ALL { option value=(k.as_str()) selected[*k == case.kind] { (k.label()) } } } }
                        label { "Motivo" input type="text" name="reason"; }
                    }))
                    (action_form("negar", "Responder negando (con fundamento legal)", html! {
                        label { "Respuesta (se envía al ciudadano con radicado de salida)" textarea name="text" required {} }
                        label { "Fundamento legal de la negativa" input type="text" name="legal_basis" required; }
                    }))
                    @if case.status == CaseStatus::Requerimiento {
                        (action_form("completado", "Registrar lo aportado por el ciudadano (reanuda el término)", html! {
                            label { "Fecha de recibo" input type="date" name="date" required; }
                            label { "Medio (radicado físico, presencial, teléfono, ...)" input type="text" name="via" required; }
                        }))
                        (action_form("prorroga_ciudadano", "El ciudadano pide un mes más (art. 17)", html! {
                            label { "Fecha de la solicitud" input type="date" name="date" required; }
                        }))
                    } @else {
                        (action_form("rechazar", "Rechazar por irrespetuosa (art. 19)", html! {
                            label { "Motivo (se envía al ciudadano)" textarea name="reason" required {} }
                        }))
                    }
                    (action_form("desistimiento_expreso", "Desistimiento expreso del ciudadano (art. 18)", html! {
                        label { "Manifestación del ciudadano (fecha, medio, texto)" textarea name="reason" required {} }
                    }))
                    (action_form("priorizar", "Atención prioritaria (art. 20)", html! {
                        label { "Motivo" select name="priority" {
                            option value="none" selected[case.priority_reason.is_none()] { "Sin prioridad" }
                            @for p in PriorityReason::ALL { option value=(p.as_str()) selected[case.priority_reason.as_deref() == Some(p.as_str())] { (p.label()) } }
                        } }
                        label { "Observación" input type="text" name="reason"; }
                    }))
                }
                (action_form("cerrar", "Cerrar", html! { label { "Observación (obligatoria si es desistimiento)" input type="text" name="reason"; } }))
                @if caller.sees_all() && open {
                    (action_form("anular", "Anular (solo antes de responder; el número se conserva)", html! {
                        label { "Motivo" textarea name="reason" required {} }
                        label { "Aprobada por (nombre y cargo, o acto)" input type="text" name="approved_by" required; }
                    }))
                }
            }
        }
    });
    // The remote images the sanitiser kept are allowed by this response's policy only.
    if images {
        allow_remote_images(&mut res);
    }
    res
}

/// Form posts of the case page (and triage's one-click correction).
/// A verbal case (ventanilla, teléfono, Te llamamos) once answered: staff may enter its survey.
fn verbal_survey_allowed(case: &crate::db::models::CaseRow) -> bool {
    use crate::domain::{CaseStatus, Channel};
    matches!(case.channel, Channel::Presencial | Channel::Telefonico | Channel::TeLlamamos)
        && matches!(case.status, CaseStatus::Respondido | CaseStatus::Cerrado)
}

/// The staff form of a verbal survey: how it was taken, the four ratings, the comment.
fn survey_fields() -> Markup {
    html! {
        fieldset {
            legend { "¿Cómo se tomó?" }
            @for (i, (code, label)) in crate::db::surveys::VERBAL_VIA.iter().enumerate() {
                label.inline { input type="radio" name="via" value=(code) required checked[i == 0]; " " (label) }
            }
        }
        @for (field, name, question) in crate::survey::QUESTIONS {
            fieldset {
                legend { (name) ": " (question) }
                @for (i, label) in crate::survey::SCALE.iter().enumerate() {
                    label.inline { input type="radio" name=(field) value=(i + 1) required; " " (label) }
                }
            }
        }
        label { "Comentario del ciudadano (opcional)" textarea name="comentario" maxlength=(crate::survey::MAX_COMMENT) {} }
    }
}

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
        Some(e) => redirect(&with_error(&format!("/casos/{radicado}"), &e)),
        None => redirect(&format!("/casos/{radicado}")),
    };
    // Staff record how a failed notification was handled (db::notification).
    if action == "notificacion_atendida" {
        let Some(reason) = get("reason") else { return back(Some("Indique qué se hizo con la notificación fallida.".into())) };
        let r = radicado.clone();
        let scope = caller.scope().map(str::to_string);
        let actor = caller.actor();
        let done = crate::web::with_conn(&state, move |c| Ok(crate::db::notification::clear(c, &r, scope.as_deref(), &actor, reason.trim())?)).await;
        return match done {
            Ok(crate::db::notification::Cleared::Done) => back(None),
            Ok(crate::db::notification::Cleared::NothingPending) => back(Some("El caso no tiene una notificación fallida pendiente.".into())),
            Ok(crate::db::notification::Cleared::NotFound) => {
                html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } }))
            }
            Err(e) => back(Some(e.message)),
        };
    }
    // A verbal case's survey, taken in person or by phone.
    if action == "encuesta" {
        let via = get("via").filter(|v| crate::db::surveys::VERBAL_VIA.iter().any(|(c, _)| c == v));
        let Some(via) = via else { return back(Some("Indique cómo se tomó la encuesta.".into())) };
        let (ratings, comment) = match crate::survey::validate(&crate::survey::SurveyInput::from_form(&f)) {
            Ok(x) => x,
            Err(errors) => return back(Some(format!("Encuesta incompleta: {}", errors.values().next().cloned().unwrap_or_default()))),
        };
        let r = radicado.clone();
        let scope = caller.scope().map(str::to_string);
        let actor = caller.actor();
        let done = crate::web::with_conn(&state, move |c| {
            let Some(case) = crate::db::cases::get_scoped(c, &r, scope.as_deref())? else { return Ok(None) };
            if !verbal_survey_allowed(&case) {
                return Ok(Some(Err("La encuesta se registra aquí solo para peticiones verbales ya respondidas.".to_string())));
            }
            Ok(Some(Ok(crate::db::surveys::enter_verbal(c, &case, &via, &ratings, comment.as_deref(), &actor, Utc::now())?)))
        })
        .await;
        return match done {
            Ok(Some(Ok(crate::db::surveys::Answered::Recorded))) => back(None),
            Ok(Some(Ok(_))) => back(Some("La encuesta de este caso ya fue respondida.".into())),
            Ok(Some(Err(m))) => back(Some(m)),
            Ok(None) => html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } })),
            Err(e) => back(Some(e.message)),
        };
    }
    // Triage's correction: department and kind in one click.
    if action == "corregir" {
        let current = crate::web::with_conn(&state, {
            let r = radicado.clone();
            let scope = caller.scope().map(str::to_string);
            move |c| Ok(crate::db::cases::get_scoped(c, &r, scope.as_deref())?)
        }).await.ok().flatten();
        let Some(current) = current else { return back(Some("Caso no encontrado".into())) };
        let mut reqs = Vec::new();
        if let Some(k) = get("kind").filter(|k| *k != current.kind.as_str()) {
            reqs.push(ActionRequest { action: "reclassify".into(), kind: Some(k), reason: get("reason"), ..Default::default() });
        }
        reqs.push(ActionRequest { action: "assign".into(), department: get("department"), reason: get("reason"), ..Default::default() });
        // Both in one transaction: a refused assignment leaves the kind as it was.
        return match cases_api::run_actions(&state, &caller, radicado.clone(), reqs).await {
            Ok(_) => redirect("/triage"),
            Err(e) => back(Some(e.message)),
        };
    }
    // "Te llamamos": staff record the call through the existing actions, in one transaction:
    // answered in the call (the answer, with its oficio, then closed) or turned into a PQRS of a
    // kind (reclassified: the term follows the kind).
    if action == "registrar_llamada" {
        let reqs = match get("outcome").as_deref() {
            Some("resuelta_en_llamada") => {
                let Some(text) = get("text") else { return back(Some("Escriba la respuesta que se dio en la llamada.".into())) };
                let today = crate::time::bogota_date(Utc::now());
                vec![
                    ActionRequest { action: "respond".into(), text: Some(format!("Respuesta dada en llamada telefónica (Te llamamos) el {}:\n\n{}", fecha_larga(today), text.trim())), ..Default::default() },
                    ActionRequest { action: "close".into(), reason: Some("Resuelta en la llamada (Te llamamos)".into()), ..Default::default() },
                ]
            }
            Some("convertida") => {
                let Some(kind) = get("kind") else { return back(Some("Elija el tipo de PQRS.".into())) };
                vec![ActionRequest { action: "reclassify".into(), kind: Some(kind), reason: Some("Convertida en PQRS tras la llamada (Te llamamos)".into()), ..Default::default() }]
            }
            _ => return back(Some("Elija el resultado de la llamada.".into())),
        };
        return match cases_api::run_actions(&state, &caller, radicado.clone(), reqs).await {
            Ok(_) => back(None),
            Err(e) if e.status == StatusCode::NOT_FOUND => html_response(StatusCode::NOT_FOUND, page("No encontrado", &nav(&caller), html! { h1 { "Caso no encontrado" } })),
            Err(e) => back(Some(e.message)),
        };
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
        date: get("date"),
        via: get("via"),
        legal_basis: get("legal_basis"),
        approved_by: get("approved_by"),
        priority: get("priority"),
        field: get("field"),
        value: f.get("value").cloned(),
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

/// "Datos del solicitante" (Res. 1519 Anexo 2): requester type, razón social, how the answer is
/// received and the notice accepted. The statistics-only answers are never shown here.
fn requester_block(r: &crate::intake::requester::RequesterDetails) -> Markup {
    use crate::intake::requester::{label_of, REPLY_BY, REQUESTER_TYPES};
    html! {
        div.card {
            h3 { "Datos del solicitante" }
            p { "Tipo de solicitante: " strong { (label_of(&REQUESTER_TYPES, &r.requester_type).unwrap_or(&r.requester_type)) }
                @if r.requester_type == "nna" { " · atención prioritaria (art. 20, Ley 1755 de 2015)" } }
            @if let Some(rs) = &r.razon_social { p { "Razón social: " (rs) } }
            p { "Respuesta por: " (r.reply_by.as_deref().and_then(|c| label_of(&REPLY_BY, c)).unwrap_or("(no pidió respuesta)"))
                @if let Some(a) = &r.postal_address { " · " (a) ", " (r.region.clone().unwrap_or_default()) ", " (r.country.clone().unwrap_or_default()) } }
            p.small { "Aviso de privacidad aceptado: " (r.privacy_notice_version.clone().map(|v| format!("versión {v}")).unwrap_or_else(|| "ninguno".into())) }
        }
    }
}
