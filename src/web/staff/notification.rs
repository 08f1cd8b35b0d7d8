//! Proof of notification on the staff pages: the "Notificación fallida" mark with its reason and
//! the bounce (case page, triage), the delivery state of each mail of a case, and the form that
//! records how staff handled a failure (`db::notification`). maud escapes every value.

use chrono::NaiveDateTime;
use maud::{html, Markup};

use crate::db::models::OutboxRow;
use crate::db::notification::Failure;
use crate::domain::outgoing::purpose_label;
use crate::domain::OutboxStatus;

/// `DD/MM/AAAA HH:MM` in Bogotá time.
fn bogota(at: NaiveDateTime) -> String {
    at.and_utc().with_timezone(&chrono_tz::America::Bogota).format("%d/%m/%Y %H:%M").to_string()
}

/// The delivery state of an outgoing mail, in Spanish: pendiente; enviado (accepted by the mail
/// server on …, Bogotá time); fallido (reason); rebotado (reason).
pub fn delivery_state(row: &OutboxRow) -> String {
    let reason = row.last_error.as_deref().map(str::trim).filter(|e| !e.is_empty()).unwrap_or("sin detalle");
    match row.status {
        OutboxStatus::Pending | OutboxStatus::Sending if row.attempts > 0 => {
            format!("pendiente (reintento {} tras: {reason})", row.attempts)
        }
        OutboxStatus::Pending | OutboxStatus::Sending => "pendiente".to_string(),
        OutboxStatus::Sent => match row.sent_at {
            Some(at) => format!("enviado (aceptado por el servidor de correo el {}, hora de Bogotá)", bogota(at)),
            None => "enviado".to_string(),
        },
        OutboxStatus::Failed if row.bounce_message_row_id.is_some() => format!("rebotado ({reason})"),
        OutboxStatus::Failed => format!("fallido ({reason})"),
        #[allow(unreachable_patterns)]
        other => other.label().to_lowercase(),
    }
}

/// A short sentence naming the mail that failed and why.
pub fn failure_reason(f: &Failure) -> String {
    let mut s = purpose_label(&f.purpose).to_string();
    if let Some(r) = &f.radicado {
        s.push_str(&format!(" (radicado de salida {r})"));
    }
    if let Some(to) = &f.to {
        s.push_str(&format!(" a {to}"));
    }
    s.push_str(&format!(": {}", f.error));
    s
}

/// The mark at the top of the case page: what failed, the bounce (link to the stored message
/// and its start) and the form to record how staff handled it.
pub fn failure_banner(radicado: &str, f: &Failure, bounce: Option<&(String, String)>, csrf: &str) -> Markup {
    html! {
        div.card.notificacion-fallida role="alert" style="border-left:4px solid #b00020" {
            p { strong.error { "Notificación fallida" } " — " (failure_reason(f)) }
            p.small { "Registrado el " (bogota(f.at)) " (hora de Bogotá). La comunicación no se tiene por notificada: "
                "notifique por otro medio (p. ej., por aviso, art. 69 CPACA) y registre lo hecho." }
            @if let (Some(id), Some((subject, excerpt))) = (f.bounce_message_row_id, bounce) {
                div.small {
                    p { "Rebote recibido: " a href=(format!("#mensaje-{id}")) { (subject) } }
                    pre style="white-space:pre-wrap;font:inherit;max-height:12rem;overflow:auto" { (excerpt) }
                }
            }
            details.noprint {
                summary { "Registrar cómo se atendió" }
                form method="post" action=(format!("/casos/{radicado}/acciones")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value="notificacion_atendida";
                    label { "¿Qué se hizo? (notificación por aviso, entrega personal, nueva dirección, ...)" textarea name="reason" required {} }
                    button type="submit" { "Registrar" }
                }
            }
        }
    }
}

/// Each mail to the citizen of a case with its delivery state.
pub fn deliveries(rows: &[OutboxRow]) -> Markup {
    html! {
        @if !rows.is_empty() {
            h2 id="entrega" { "Correos al ciudadano y su entrega" }
            table.entregas {
                thead { tr { th { "Creado" } th { "Comunicación" } th { "Radicado de salida" } th { "Para" } th { "Estado de entrega" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (bogota(r.created_at)) }
                            td { (purpose_label(&r.purpose)) br; span.small { (r.subject) } }
                            td { (r.radicado.clone().unwrap_or_else(|| "—".into())) }
                            td { (r.to_addr) }
                            td { @if matches!(r.status, OutboxStatus::Failed) { strong.error { (delivery_state(r)) } } @else { (delivery_state(r)) } }
                        }
                    }
                }
            }
        }
    }
}
