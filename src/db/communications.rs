//! The store of outgoing communications: every oficio a case sends (answer, requerimiento,
//! extension, transfer, ...) gets an outgoing radicado (type digit 1) and a `communications`
//! row, whatever the channel, in the transaction of the lifecycle action that sends it
//! (`db::lifecycle::apply_plan`). Only an e-mail communication queues an outbox row; a printed
//! one (`fisico`) or a published one (`publicacion`, anonymous petitions) is printed from its
//! oficio page. Attachments are stored like incoming ones: one raw MIME record (a `messages`
//! row, direction `out`) holding the files, and one `attachments` row per file pointing into
//! it by part index. Annulling a case annuls its communications (the numbers stay allocated,
//! shown as annulled) and cancels their mails not yet sent.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::Digest;

use super::cases::AttachmentMeta;
use super::models::{CaseRow, CommunicationRow, NewAttachment, NewCommunication, NewMessage, NewOutbox};
use super::schema::{attachments, communications, messages, outbox};
use super::AnyConnection;
use crate::domain::radicado::RadicadoType;

/// Delivered by e-mail (an outbox row).
pub const EMAIL: &str = "email";
/// Printed and delivered by post or in person.
pub const FISICO: &str = "fisico";
/// Published (web page and a public place of the entity): the addressee is unknown.
pub const PUBLICACION: &str = "publicacion";

/// The Spanish label of a delivery channel.
pub fn channel_label(channel: &str) -> &str {
    match channel {
        EMAIL => "Correo electrónico",
        FISICO => "Físico (correo postal o entrega personal)",
        PUBLICACION => "Publicación",
        other => other,
    }
}

/// The Spanish label of a purpose.
pub fn purpose_label(purpose: &str) -> &str {
    match purpose {
        "respuesta" => "Respuesta",
        "requerimiento" => "Requerimiento (art. 17)",
        "prorroga" => "Ampliación del término",
        "traslado" => "Traslado por competencia",
        other => other,
    }
}

/// A file sent with a communication (already validated: name, type and size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What a communication says: purpose, subject (without the radicado) and text.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter<'a> {
    pub purpose: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub attachments: &'a [OutgoingAttachment],
    /// A postal address given by staff for a printed communication (replaces the default).
    pub address: Option<&'a str>,
}

/// What [`record`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub radicado: String,
    pub channel: &'static str,
    /// An outbox row was queued (e-mail communications only).
    pub mailed: bool,
    /// That outbox row.
    pub outbox_id: Option<i64>,
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// How a communication to this case's citizen travels, to whom and where: (channel, name, address).
/// E-mail when the case has an address; printed when the citizen is identified some other way
/// (name, phone, document, municipality); published when the petition is anonymous.
pub fn addressee(case: &CaseRow, address: Option<&str>) -> (&'static str, String, String) {
    let name = non_empty(case.citizen_name.as_deref());
    if let Some(email) = non_empty(case.citizen_email.as_deref()) {
        return (EMAIL, name.unwrap_or("Ciudadano(a)").to_string(), email.to_string());
    }
    let identified = name.is_some()
        || non_empty(case.citizen_phone.as_deref()).is_some()
        || non_empty(case.citizen_doc_number.as_deref()).is_some()
        || non_empty(address).is_some();
    if !identified {
        return (
            PUBLICACION,
            "Peticionario(a) anónimo(a)".to_string(),
            "Publicación en la página web y en un lugar de acceso al público de la entidad (art. 69 CPACA)".to_string(),
        );
    }
    let where_ = match non_empty(address) {
        Some(a) => a.to_string(),
        None => {
            let parts: Vec<String> = [
                non_empty(case.citizen_municipality.as_deref()).map(str::to_string),
                non_empty(case.citizen_phone.as_deref()).map(|p| format!("Teléfono {p}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            if parts.is_empty() {
                "Entrega personal en la ventanilla de la entidad".to_string()
            } else {
                parts.join(" · ")
            }
        }
    };
    (FISICO, name.unwrap_or("Ciudadano(a)").to_string(), where_)
}

/// The text of an answer's oficio when the decision planned no mail (a case without e-mail);
/// the oficio page adds the entity's name, the date and the signature.
pub fn answer_text(case: &CaseRow, text: &str) -> String {
    let saludo = match non_empty(case.citizen_name.as_deref()) {
        Some(n) => format!("Señor(a) {n}:"),
        None => "Cordial saludo:".to_string(),
    };
    format!("{saludo}\n\nEn respuesta a su solicitud radicada con el número {}, le informamos:\n\n{text}\n", case.radicado)
}

/// Allocate an outgoing radicado and record the communication `letter` of `case`, inside the
/// caller's transaction; for e-mail, queue its mail (threaded with the citizen's last mail).
pub fn record(
    c: &mut AnyConnection,
    unit: &crate::domain::radicado::UnitCode,
    message_id_domain: &str,
    case: &CaseRow,
    actor: &str,
    letter: &Letter<'_>,
    now: DateTime<Utc>,
) -> QueryResult<Recorded> {
    let year = chrono::Datelike::year(&crate::time::bogota_date(now));
    let radicado = super::radicado::allocate(c, year, RadicadoType::Outgoing, unit)?.to_string();
    let n = now.naive_utc();
    let (channel, name, address) = addressee(case, letter.address);
    let subject = format!("Radicado {} - {}", radicado, letter.subject);
    let message_id = crate::domain::new_message_id(message_id_domain);
    let outbox_id = if channel == EMAIL {
        // Thread with the citizen's own mail when there is one.
        let in_reply_to: Option<String> = messages::table
            .filter(messages::case_id.eq(case.id))
            .filter(messages::direction.eq("in"))
            .order(messages::id.desc())
            .select(messages::message_id)
            .first::<Option<String>>(c)
            .optional()?
            .flatten();
        let id = diesel::insert_into(outbox::table)
            .values(NewOutbox {
                case_id: Some(case.id),
                purpose: letter.purpose.into(),
                internal: false,
                radicado: Some(radicado.clone()),
                to_addr: address.clone(),
                subject: subject.clone(),
                body_text: letter.body.to_string(),
                message_id: message_id.clone(),
                in_reply_to,
                status: crate::domain::OutboxStatus::Pending,
                next_attempt_at: n,
                created_at: n,
            })
            .returning(outbox::id)
            .get_result::<i64>(c)?;
        Some(id)
    } else {
        None
    };
    let message_row_id = if letter.attachments.is_empty() {
        None
    } else {
        Some(store_record(c, case, &radicado, &message_id, &subject, letter, channel, &address, now)?)
    };
    let id = diesel::insert_into(communications::table)
        .values(NewCommunication {
            case_id: case.id,
            radicado: radicado.clone(),
            purpose: letter.purpose.to_string(),
            channel: channel.to_string(),
            addressee_name: name,
            addressee_address: address,
            subject: letter.subject.to_string(),
            body: letter.body.to_string(),
            created_at: n,
            created_by: actor.to_string(),
            outbox_id,
            message_row_id,
        })
        .returning(communications::id)
        .get_result::<i64>(c)?;
    Ok(Recorded { id, radicado, channel, mailed: outbox_id.is_some(), outbox_id })
}

/// The raw record of an outgoing communication with attachments (text first, then the files in
/// order: part index n is the n-th file), stored as a `messages` row (direction `out`) with one
/// `attachments` row per file, like an incoming mail's.
#[allow(clippy::too_many_arguments)]
fn store_record(
    c: &mut AnyConnection,
    case: &CaseRow,
    radicado: &str,
    message_id: &str,
    subject: &str,
    letter: &Letter<'_>,
    channel: &str,
    address: &str,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let raw = raw_record(message_id, subject, letter.body, letter.attachments, channel, address, now)
        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    let n = now.naive_utc();
    let msg = NewMessage {
        direction: "out".into(),
        channel: channel.into(),
        source: "staff".into(),
        dedupe_key: format!("out:{radicado}"),
        message_id: Some(message_id.to_string()),
        sha256: hex::encode(sha2::Sha256::digest(&raw)),
        disposition: "communication".into(),
        case_id: Some(case.id),
        subject: subject.to_string(),
        from_addr: None,
        from_name: None,
        to_addrs: serde_json::json!([address]).to_string(),
        in_reply_to: None,
        references_ids: "[]".into(),
        received_at: n,
        received_month: crate::time::bogota_month(now),
        body_text: letter.body.to_string(),
        body_html: None,
        headers: serde_json::json!({ "radicado_salida": radicado, "channel": channel }).to_string(),
        raw_size: raw.len() as i64,
        raw,
        created_at: n,
        reused_message_id: false,
    };
    let id = diesel::insert_into(messages::table).values(&msg).returning(messages::id).get_result::<i64>(c)?;
    for (i, a) in letter.attachments.iter().enumerate() {
        diesel::insert_into(attachments::table)
            .values(NewAttachment {
                message_row_id: id,
                case_id: Some(case.id),
                part_index: i as i64,
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: a.bytes.len() as i64,
                sha256: hex::encode(sha2::Sha256::digest(&a.bytes)),
                kind: "regular".into(),
                created_at: n,
            })
            .execute(c)?;
    }
    Ok(id)
}

/// The MIME record: the text, then each file as an attachment.
fn raw_record(
    message_id: &str,
    subject: &str,
    body: &str,
    files: &[OutgoingAttachment],
    channel: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment, MultiPart, SinglePart};
    let domain = message_id.rsplit_once('@').map(|(_, d)| d).unwrap_or("pqrs.localhost");
    let to = if channel == EMAIL { address.to_string() } else { format!("oficio-{channel}@{domain}") };
    let mut mp = MultiPart::mixed().singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(body.to_string()));
    for f in files {
        let ct = ContentType::parse(&f.content_type).map_err(|e| e.to_string())?;
        mp = mp.singlepart(Attachment::new(f.filename.clone()).body(f.bytes.clone(), ct));
    }
    let msg = lettre::Message::builder()
        .from(format!("PQRS <pqrs@{domain}>").parse().map_err(|e| format!("{e}"))?)
        .to(to.parse().map_err(|e| format!("{e}"))?)
        .subject(subject.to_string())
        .date(now.into())
        .message_id(Some(format!("<{message_id}>")))
        .multipart(mp)
        .map_err(|e| e.to_string())?;
    Ok(msg.formatted())
}

/// Annul every communication of the case not yet annulled and cancel their mails not yet sent
/// (inside the caller's transaction). Returns (communications annulled, mails cancelled).
pub fn annul_case(c: &mut AnyConnection, case_id: i64, reason: Option<&str>, now: NaiveDateTime) -> QueryResult<(usize, usize)> {
    let outbox_ids: Vec<i64> = communications::table
        .filter(communications::case_id.eq(case_id))
        .filter(communications::outbox_id.is_not_null())
        .select(communications::outbox_id.assume_not_null())
        .load(c)?;
    let annulled = diesel::update(
        communications::table.filter(communications::case_id.eq(case_id)).filter(communications::annulled_at.is_null()),
    )
    .set((communications::annulled_at.eq(now), communications::annulled_reason.eq(reason)))
    .execute(c)?;
    let cancelled = if outbox_ids.is_empty() {
        0
    } else {
        diesel::update(
            outbox::table.filter(outbox::id.eq_any(&outbox_ids)).filter(outbox::status.eq_any(["pending", "sending"])),
        )
        .set((outbox::status.eq(crate::domain::OutboxStatus::Cancelled.as_str()), outbox::last_error.eq("caso anulado")))
        .execute(c)?
    };
    Ok((annulled, cancelled))
}

/// Cancel the outbox row `outbox_id` if its communication is annulled (a row claimed, or put
/// back for a retry, after its case was annulled); true when it was.
pub fn cancel_if_annulled(c: &mut AnyConnection, outbox_id: i64) -> QueryResult<bool> {
    let annulled: i64 = communications::table
        .filter(communications::outbox_id.eq(outbox_id))
        .filter(communications::annulled_at.is_not_null())
        .count()
        .get_result(c)?;
    if annulled == 0 {
        return Ok(false);
    }
    diesel::update(outbox::table.find(outbox_id).filter(outbox::status.ne("sent")))
        .set((outbox::status.eq(crate::domain::OutboxStatus::Cancelled.as_str()), outbox::last_error.eq("caso anulado")))
        .execute(c)?;
    Ok(true)
}

/// The communications of a case, oldest first.
pub fn for_case(c: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<CommunicationRow>> {
    communications::table
        .filter(communications::case_id.eq(case_id))
        .order(communications::id.asc())
        .select(CommunicationRow::as_select())
        .load(c)
}

/// The communication with this outgoing radicado.
pub fn by_radicado(c: &mut AnyConnection, radicado: &str) -> QueryResult<Option<CommunicationRow>> {
    communications::table
        .filter(communications::radicado.eq(radicado))
        .select(CommunicationRow::as_select())
        .first(c)
        .optional()
}

/// The attachments of a communication (in part order).
pub fn attachments_of(c: &mut AnyConnection, comm: &CommunicationRow) -> QueryResult<Vec<AttachmentMeta>> {
    let Some(mid) = comm.message_row_id else { return Ok(vec![]) };
    attachments::table
        .filter(attachments::message_row_id.eq(mid))
        .order(attachments::part_index.asc())
        .select((attachments::id, attachments::message_row_id, attachments::part_index, attachments::filename, attachments::content_type, attachments::size))
        .load(c)
}

/// The attachments to send with an outbox row and the raw record they are stored in (None when
/// the row's communication has none).
pub fn outbox_attachments(c: &mut AnyConnection, outbox_id: i64) -> QueryResult<Option<(Vec<AttachmentMeta>, Vec<u8>)>> {
    let comm: Option<CommunicationRow> = communications::table
        .filter(communications::outbox_id.eq(outbox_id))
        .select(CommunicationRow::as_select())
        .first(c)
        .optional()?;
    let Some(comm) = comm.filter(|c| c.message_row_id.is_some()) else { return Ok(None) };
    let metas = attachments_of(c, &comm)?;
    if metas.is_empty() {
        return Ok(None);
    }
    let raw: Vec<u8> = messages::table.find(comm.message_row_id.unwrap_or_default()).select(messages::raw).first(c)?;
    Ok(Some((metas, raw)))
}

/// The department (code and name) of an active staff user, for the signature block.
pub fn signer_department(c: &mut AnyConnection, email: &str) -> QueryResult<Option<(String, String)>> {
    use super::schema::{departments, staff_users};
    let dept: Option<Option<String>> = staff_users::table
        .filter(staff_users::email.eq(email))
        .select(staff_users::department)
        .first(c)
        .optional()?;
    let Some(code) = dept.flatten() else { return Ok(None) };
    let name: Option<String> = departments::table.find(&code).select(departments::name).first(c).optional()?;
    Ok(Some((code.clone(), name.unwrap_or(code))))
}

/// A communication with what staff see beside it: its mail's outbox status (e-mail only) and
/// its attachments.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommunicationDetail {
    #[serde(flatten)]
    pub row: CommunicationRow,
    /// `pending`, `sending`, `sent`, `failed` or `cancelled`; None when not mailed.
    #[schema(required)]
    pub outbox_status: Option<String>,
    pub attachments: Vec<AttachmentMeta>,
}

/// The communications of a case with their outbox status and attachments, oldest first.
pub fn details_for_case(c: &mut AnyConnection, case_id: i64) -> QueryResult<Vec<CommunicationDetail>> {
    let rows = for_case(c, case_id)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(detail(c, row)?);
    }
    Ok(out)
}

/// [`CommunicationDetail`] of one row.
pub fn detail(c: &mut AnyConnection, row: CommunicationRow) -> QueryResult<CommunicationDetail> {
    let outbox_status = match row.outbox_id {
        Some(id) => outbox::table.find(id).select(outbox::status).first::<String>(c).optional()?,
        None => None,
    };
    let attachments = attachments_of(c, &row)?;
    Ok(CommunicationDetail { row, outbox_status, attachments })
}
