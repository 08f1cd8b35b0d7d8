//! Spanish texts of outgoing mail. Plain text on purpose: it reads the same in every client and
//! keeps the legal record simple.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::Bogota;

use crate::db::models::CaseRow;


const MONTHS: [&str; 12] = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
    "noviembre", "diciembre",
];
const WEEKDAYS: [&str; 7] = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"];

/// "martes 4 de agosto de 2026"
pub fn fecha_larga(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{} {} de {} de {}",
        WEEKDAYS[d.weekday().num_days_from_monday() as usize],
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    )
}

/// Everything an acknowledgement needs besides the case row.
pub struct AckContext<'a> {
    pub entity_name: &'a str,
    pub public_base_url: &'a str,
    pub attachments: i64,
}

/// One case's line in a combined acknowledgement (rendered once, when the case joins it).
pub fn combined_ack_line(c: &CaseRow) -> String {
    let received = Utc.from_utc_datetime(&c.received_at).with_timezone(&Bogota);
    let due = match c.due_date {
        Some(d) => format!("fecha máxima de respuesta: {}", fecha_larga(d)),
        None => "sin término legal de respuesta".to_string(),
    };
    format!(
        "- Radicado {r}: «{asunto}». Recibida el {fecha} a las {hora} (hora de Bogotá). {kind}; {due}.\n",
        r = c.radicado,
        asunto = if c.subject.trim().is_empty() { "(sin asunto)" } else { c.subject.trim() },
        fecha = fecha_larga(received.date_naive()),
        hora = received.format("%H:%M"),
        kind = c.kind.label(),
    )
}

/// The combined acuse de recibo for a sender over the per-sender hourly limit (loop protection:
/// one mail for the hour instead of one per filing, never none): each radicado with its subject,
/// date and time received (Bogotá), kind and due date.
/// From each case's (radicado, [line](combined_ack_line)).
pub fn combined_acknowledgement(entity_name: &str, public_base_url: &str, cases: &[(String, String)]) -> (String, String) {
    let radicados: Vec<&str> = cases.iter().map(|(r, _)| r.as_str()).collect();
    let subject = combined_ack_subject(&radicados);
    let list: String = cases.iter().map(|(_, l)| l.as_str()).collect();
    let body = format!(
        "Cordial saludo.\n\n\
         {entity_name} recibió varias comunicaciones suyas en la última hora y radicó cada una. Para no \
         llenar su buzón {COMBINED_LIST_BEFORE}{list}{COMBINED_LIST_AFTER} por separado y con su propio término, contado en días hábiles desde su \
         radicación. Puede consultar el estado de cada una en {base}/consulta con su número de radicado y \
         su correo electrónico. Si responde a este mensaje, indique en el asunto el radicado al que se refiere.\n\n\
         Protección de datos personales: sus datos serán tratados por {entity_name} para atender sus \
         solicitudes, conforme a la Ley 1581 de 2012 y a la política de tratamiento de datos de la entidad. \
         Puede conocer, actualizar y rectificar sus datos en cualquier momento.\n\n\
         Este es un mensaje automático de acuse de recibo.\n",
        base = public_base_url.trim_end_matches('/'),
    );
    (subject, body)
}

/// The text right before and right after the list of a combined acknowledgement's body.
const COMBINED_LIST_BEFORE: &str = "le enviamos un solo acuse de recibo por todas ellas:\n\n";
const COMBINED_LIST_AFTER: &str = "\nCada solicitud se tramita";

/// A [combined acknowledgement](combined_acknowledgement) written for fewer cases, with its list
/// replaced by `cases`' lines and its subject composed for them: the same text as composing it
/// for `cases` from the start. `None` when `body` is not such a text.
pub fn combined_acknowledgement_relisted(body: &str, cases: &[(String, String)]) -> Option<(String, String)> {
    let start = body.find(COMBINED_LIST_BEFORE)? + COMBINED_LIST_BEFORE.len();
    let end = body.rfind(COMBINED_LIST_AFTER).filter(|&e| e >= start)?;
    let list: String = cases.iter().map(|(_, l)| l.as_str()).collect();
    let radicados: Vec<&str> = cases.iter().map(|(r, _)| r.as_str()).collect();
    Some((combined_ack_subject(&radicados), format!("{}{list}{}", &body[..start], &body[end..])))
}

/// The subject of a combined acknowledgement listing `radicados` (the first eight named).
pub fn combined_ack_subject(radicados: &[&str]) -> String {
    match radicados {
        [one] => format!("Radicado {one} - Acuse de recibo de su solicitud"),
        many if many.len() <= 8 => format!("Acuse de recibo de {} solicitudes: radicados {}", many.len(), many.join(", ")),
        many => format!("Acuse de recibo de {} solicitudes: radicados {} y {} más", many.len(), many[..8].join(", "), many.len() - 8),
    }
}

/// The acuse de recibo (CPACA art. 61; Ley 1755 art. 15): radicado, date and time received
/// (Bogotá), channel, kind, term and due date, attachments, how to follow it, data protection.
pub fn acknowledgement(ctx: &AckContext<'_>, case: &CaseRow) -> (String, String) {
    let received = Utc.from_utc_datetime(&case.received_at).with_timezone(&Bogota);
    let channel = case.channel.label();
    let kind = case.kind.label();
    let term = match (case.term_days, case.due_date) {
        (Some(days), Some(due)) => format!(
            "Término de respuesta: {days} días hábiles, contados desde el {}.\n\
             Fecha máxima de respuesta: {}.",
            fecha_larga(case.effective_date),
            fecha_larga(due)
        ),
        _ => "Esta comunicación no tiene un término legal de respuesta; la tendremos en cuenta.".to_string(),
    };
    let subject = format!("Radicado {} - Acuse de recibo de su {}", case.radicado, kind.to_lowercase());
    let body = format!(
        "Cordial saludo.\n\n\
         {entity} recibió su comunicación y la radicó con el número {radicado}.\n\n\
         Fecha y hora de recibo: {fecha} a las {hora} (hora de Bogotá).\n\
         Canal: {channel}.\n\
         Tipo de solicitud: {kind}.\n\
         Asunto: {asunto}\n\
         Anexos recibidos: {anexos}.\n\
         {term}\n\n\
         Puede consultar el estado de su solicitud en {base}/consulta con este número de radicado y su \
         correo electrónico. Si responde a este mensaje, conserve el asunto para que su respuesta quede \
         unida a la misma solicitud.\n\n\
         Protección de datos personales: sus datos serán tratados por {entity} para atender su solicitud, \
         conforme a la Ley 1581 de 2012 y a la política de tratamiento de datos de la entidad. Puede \
         conocer, actualizar y rectificar sus datos en cualquier momento.\n\n\
         Este es un mensaje automático de acuse de recibo.\n",
        entity = ctx.entity_name,
        radicado = case.radicado,
        fecha = fecha_larga(received.date_naive()),
        hora = received.format("%H:%M"),
        asunto = if case.subject.trim().is_empty() { "(sin asunto)" } else { case.subject.trim() },
        anexos = ctx.attachments,
        base = ctx.public_base_url.trim_end_matches('/'),
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_dates_are_spanish() {
        assert_eq!(fecha_larga(NaiveDate::from_ymd_opt(2026, 8, 4).unwrap()), "martes 4 de agosto de 2026");
        assert_eq!(fecha_larga(NaiveDate::from_ymd_opt(2026, 1, 7).unwrap()), "miércoles 7 de enero de 2026");
    }
}

fn saludo(case: &CaseRow) -> String {
    match case.citizen_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("Señor(a) {n}:"),
        None => "Cordial saludo:".to_string(),
    }
}

/// Art. 17 requerimiento: what is missing, and that the term is suspended.
pub fn requerimiento(entity: &str, case: &CaseRow, message: &str, today: NaiveDate, last_day: NaiveDate) -> (String, String) {
    (
        "Solicitud para completar su petición".to_string(),
        format!(
            "{saludo}\n\nEn relación con su solicitud radicada con el número {r}, {entity} requiere que \
             complete la siguiente información o documentación:\n\n{message}\n\n\
             Conforme al artículo 17 de la Ley 1755 de 2015, el término para responder queda suspendido desde el \
             {hoy} y se reanudará al día siguiente de recibir su respuesta. Tiene plazo hasta el {ultimo} para \
             aportar lo solicitado; antes de esa fecha puede pedir una prórroga de hasta un mes más. Si no lo hace, \
             se entenderá que desistió de su petición.\n\n\
             Puede responder a este mismo correo conservando el asunto.\n",
            saludo = saludo(case),
            r = case.radicado,
            hoy = fecha_larga(today),
            ultimo = fecha_larga(last_day),
        ),
    )
}

/// Art. 19: an unclear petition goes back to the citizen to clarify within 10 business days.
pub fn devolucion(entity: &str, case: &CaseRow, message: &str, last_day: NaiveDate) -> (String, String) {
    (
        "Solicitud para aclarar su petición".to_string(),
        format!(
            "{saludo}\n\n{entity} no logra comprender el objeto de su solicitud radicada con el número {r}, por lo \
             siguiente:\n\n{message}\n\n\
             Conforme al artículo 19 de la Ley 1755 de 2015, le pedimos corregirla o aclararla a más tardar el {ultimo} \
             (diez días hábiles). El término para responder contará desde el día en que recibamos la aclaración; si \
             no la recibimos en ese plazo, la petición se archivará.\n\n\
             Puede responder a este mismo correo conservando el asunto.\n",
            saludo = saludo(case),
            r = case.radicado,
            ultimo = fecha_larga(last_day),
        ),
    )
}

/// Art. 19: an unclear petition not clarified in time is archived.
pub fn archivo(entity: &str, case: &CaseRow, last_day: NaiveDate, act: &str) -> (String, String) {
    (
        format!("Archivo de su solicitud {}", case.radicado),
        format!(
            "{saludo}\n\nEl plazo para aclarar su petición radicada con el número {r} venció el {ultimo} sin que se \
             recibiera la aclaración. Conforme al artículo 19 de la Ley 1755 de 2015, {entity} archiva la solicitud:\n\n\
             {act}\n\nPuede presentar de nuevo su petición.\n",
            saludo = saludo(case),
            r = case.radicado,
            ultimo = fecha_larga(last_day),
        ),
    )
}

/// Art. 17: the citizen's second month granted.
pub fn prorroga_ciudadano(entity: &str, case: &CaseRow, last_day: NaiveDate) -> (String, String) {
    (
        "Prórroga del plazo para completar su petición".to_string(),
        format!(
            "{saludo}\n\nAtendiendo su solicitud, {entity} amplía hasta el {ultimo} el plazo para completar su \
             petición radicada con el número {r} (artículo 17 de la Ley 1755 de 2015). El término para responder \
             sigue suspendido hasta que recibamos lo solicitado.\n",
            saludo = saludo(case),
            r = case.radicado,
            ultimo = fecha_larga(last_day),
        ),
    )
}

/// Art. 17: desistimiento tácito declared by a motivated act.
pub fn desistimiento(entity: &str, case: &CaseRow, last_day: NaiveDate, act: &str) -> (String, String) {
    (
        format!("Desistimiento de su solicitud {}", case.radicado),
        format!(
            "{saludo}\n\nEl plazo para completar su petición radicada con el número {r} venció el {ultimo} sin que \
             se recibiera lo solicitado. Conforme al artículo 17 de la Ley 1755 de 2015, {entity} declara el \
             desistimiento y el archivo de la solicitud:\n\n{act}\n\n\
             Contra esta decisión procede el recurso de reposición. Puede presentar de nuevo su petición con el \
             lleno de los requisitos legales.\n",
            saludo = saludo(case),
            r = case.radicado,
            ultimo = fecha_larga(last_day),
        ),
    )
}

/// Art. 19: a disrespectful petition is rejected, with the reason.
pub fn rechazo(entity: &str, case: &CaseRow, reason: &str) -> (String, String) {
    (
        format!("Rechazo de su solicitud {}", case.radicado),
        format!(
            "{saludo}\n\n{entity} rechaza su solicitud radicada con el número {r}, conforme al artículo 19 de la \
             Ley 1755 de 2015, por la siguiente razón:\n\n{reason}\n\n\
             Puede presentar una nueva petición en términos respetuosos.\n",
            saludo = saludo(case),
            r = case.radicado,
        ),
    )
}

/// Art. 14 parágrafo: extension notice with the reason and the new date.
pub fn prorroga(entity: &str, case: &CaseRow, old_due: NaiveDate, new_due: NaiveDate, reason: &str) -> (String, String) {
    (
        "Ampliación del término de respuesta".to_string(),
        format!(
            "{saludo}\n\n{entity} le informa que no es posible responder su solicitud radicada con el número {r} \
             dentro del término inicial, que vencía el {old}, por la siguiente razón:\n\n{reason}\n\n\
             Conforme al parágrafo del artículo 14 de la Ley 1755 de 2015, la respuesta se dará a más tardar el {new}.\n",
            saludo = saludo(case),
            r = case.radicado,
            old = fecha_larga(old_due),
            new = fecha_larga(new_due),
        ),
    )
}

/// Art. 21 traslado: the petition goes to the competent entity.
pub fn traslado(entity: &str, case: &CaseRow, to_entity: &str, reason: &str) -> (String, String) {
    (
        "Traslado de su petición por competencia".to_string(),
        format!(
            "{saludo}\n\n{entity} no es la entidad competente para resolver su solicitud radicada con el número {r}. \
             Conforme al artículo 21 de la Ley 1755 de 2015, la hemos trasladado a: {to_entity}.\n\nMotivo: {reason}\n\n\
             El término para responderle comenzará a contarse a partir del día siguiente a la recepción por esa entidad.\n",
            saludo = saludo(case),
            r = case.radicado,
        ),
    )
}

/// An answer that denies what was asked (arts. 24-25 Ley 1755 de 2015: the denial is motivated,
/// naming its legal basis, and may be challenged).
pub fn respuesta_negativa(entity: &str, case: &CaseRow, text: &str, legal_basis: &str) -> (String, String) {
    (
        format!("Respuesta a su solicitud {}", case.radicado),
        format!(
            "{saludo}\n\nEn respuesta a su solicitud radicada con el número {r}, {entity} le informa:\n\n{text}\n\n\
             Fundamento legal de la negativa: {legal_basis}\n\n\
             Si se trata de documentos o información, puede insistir ante la entidad, que enviará la \
             documentación al juez o tribunal competente (artículo 26 de la Ley 1755 de 2015).\n\n\
             Atentamente,\n{entity}\n",
            saludo = saludo(case),
            r = case.radicado,
        ),
    )
}

/// The answer to the petition.
pub fn respuesta(entity: &str, case: &CaseRow, text: &str) -> (String, String) {
    (
        format!("Respuesta a su solicitud {}", case.radicado),
        format!(
            "{saludo}\n\nEn respuesta a su solicitud radicada con el número {r}, {entity} le informa:\n\n{text}\n\n\
             Atentamente,\n{entity}\n",
            saludo = saludo(case),
            r = case.radicado,
        ),
    )
}
