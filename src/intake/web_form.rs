//! The Radicador Web: a filing from the public form or the filing API, validated field by field
//! (Spanish messages), turned into a raw RFC 5322 message (the legal record, like every mail we
//! keep), routed, dated and filed through the same transaction as mail, channel `radicador_web`.
//!
//! Anonymous filings are allowed (Ley 962 de 2005): no name, document or e-mail is required, and
//! there is then no acknowledgement by mail and no status lookup (the confirmation page is the
//! receipt).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};

use crate::domain::PetitionKind;
use crate::intake::requester;

/// Limits on a filing (also documented on the form).
pub const MAX_ATTACHMENTS: usize = 5;
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// Accepted attachment types: extension → content type.
pub const ALLOWED_TYPES: [(&str, &str); 9] = [
    ("pdf", "application/pdf"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("txt", "text/plain"),
    ("zip", "application/zip"),
];
pub const DOCUMENT_TYPES: [(&str, &str); 9] = [
    ("CC", "Cédula de ciudadanía"),
    ("CE", "Cédula de extranjería"),
    ("TI", "Tarjeta de identidad"),
    ("RC", "Registro civil de nacimiento"),
    ("NUIP", "NUIP"),
    ("PA", "Pasaporte"),
    ("PEP", "Permiso especial de permanencia (PEP)"),
    ("PPT", "Permiso por protección temporal (PPT)"),
    ("NIT", "NIT (persona jurídica)"),
];

/// The fields of a filing as submitted (JSON keys and form field names).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FilingInput {
    pub anonymous: bool,
    #[schema(max_length = 200)]
    pub name: String,
    #[schema(schema_with = crate::web::api_doc::document_types)]
    pub document_type: String,
    #[schema(max_length = 20)]
    pub document_number: String,
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 30)]
    pub phone: String,
    #[schema(max_length = 100)]
    pub municipality: String,
    /// Optional PQRS kind; the routing rules decide when empty.
    #[schema(schema_with = crate::web::api_doc::filing_kinds)]
    pub kind: String,
    #[schema(required, min_length = 3, max_length = 200)]
    pub subject: String,
    #[schema(required, min_length = 10, max_length = 20000)]
    pub message: String,
    /// Consent to personal-data processing (Ley 1581 de 2012).
    #[schema(required)]
    pub consent: bool,
    /// Honeypot: people never see it, so it must stay empty.
    pub website: String,
    /// Res. 1519 Anexo 2: `natural` (default), `juridica`, `anonimo` (same as `anonymous`), `nna`.
    #[schema(schema_with = crate::intake::requester::requester_type_schema)]
    pub requester_type: String,
    /// Persona jurídica: its razón social (its NIT, with check digit, in `document_number`).
    #[schema(max_length = 200)]
    pub razon_social: String,
    /// How the answer is to be received: `email` (default when an e-mail is given) or `postal`.
    #[schema(schema_with = crate::intake::requester::reply_by_schema)]
    pub reply_by: String,
    /// Postal answer: street address (with `municipality`, `region` and `country`).
    #[schema(max_length = 200)]
    pub address: String,
    /// Postal answer: departamento.
    #[schema(max_length = 100)]
    pub region: String,
    /// Postal answer: país (default Colombia).
    #[schema(max_length = 100)]
    pub country: String,
    /// Optional, statistics only (enfoque diferencial).
    #[schema(schema_with = crate::intake::requester::ethnic_group_schema)]
    pub ethnic_group: String,
    #[schema(schema_with = crate::intake::requester::disability_schema)]
    pub disability: String,
    #[schema(schema_with = crate::intake::requester::conflict_victim_schema)]
    pub conflict_victim: String,
    #[schema(schema_with = crate::intake::requester::gender_schema)]
    pub gender: String,
    #[schema(schema_with = crate::intake::requester::age_range_schema)]
    pub age_range: String,
}

/// A file sent with a filing.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A filing that passed validation.
#[derive(Debug, Clone)]
pub struct ValidFiling {
    pub input: FilingInput,
    pub kind: Option<PetitionKind>,
    pub attachments: Vec<(String, &'static str, Vec<u8>)>,
}

/// Per-field Spanish messages.
pub type FieldErrors = BTreeMap<String, String>;

fn clean(s: &str) -> String {
    // Control characters other than newlines and tabs have no place in a petition.
    s.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect::<String>().trim().to_string()
}

fn valid_email(e: &str) -> bool {
    e.len() <= 254
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && e.parse::<Mailbox>().is_ok()
}

/// The content type of an upload, from its extension, checked against its first bytes.
pub(crate) fn sniff(filename: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let Some((_, ct)) = ALLOWED_TYPES.iter().find(|(e, _)| *e == ext) else {
        return Err(format!("El tipo de archivo de «{filename}» no está permitido (PDF, JPG, PNG, DOCX, XLSX, ODT, TXT o ZIP)."));
    };
    let ok = match ext.as_str() {
        "pdf" => bytes.starts_with(b"%PDF-"),
        "jpg" | "jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "docx" | "xlsx" | "odt" | "zip" => bytes.starts_with(b"PK\x03\x04"),
        "txt" => std::str::from_utf8(bytes).is_ok(),
        _ => false,
    };
    if ok {
        Ok(ct)
    } else {
        Err(format!("El contenido de «{filename}» no corresponde a su extensión."))
    }
}

/// A safe file name: no folders, no control characters, at most 120 characters.
pub(crate) fn safe_filename(name: &str, i: usize) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .take(120)
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_string();
    if cleaned.is_empty() {
        format!("adjunto-{}", i + 1)
    } else {
        cleaned
    }
}

/// Check every field; all problems are reported at once.
pub fn validate(mut input: FilingInput, uploads: Vec<Upload>) -> Result<ValidFiling, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |f: &str, m: &str| {
        errors.entry(f.to_string()).or_insert_with(|| m.to_string());
    };
    for (field, value, max) in [
        ("name", &mut input.name, 200),
        ("document_number", &mut input.document_number, 20),
        ("email", &mut input.email, 254),
        ("phone", &mut input.phone, 30),
        ("municipality", &mut input.municipality, 100),
        ("subject", &mut input.subject, 200),
        ("message", &mut input.message, 20_000),
        ("kind", &mut input.kind, 40),
        ("document_type", &mut input.document_type, 10),
        ("requester_type", &mut input.requester_type, 20),
        ("razon_social", &mut input.razon_social, 200),
        ("reply_by", &mut input.reply_by, 20),
        ("address", &mut input.address, 200),
        ("region", &mut input.region, 100),
        ("country", &mut input.country, 100),
        ("ethnic_group", &mut input.ethnic_group, 40),
        ("disability", &mut input.disability, 40),
        ("conflict_victim", &mut input.conflict_victim, 40),
        ("gender", &mut input.gender, 40),
        ("age_range", &mut input.age_range, 40),
    ] {
        *value = clean(value);
        if value.chars().count() > max {
            err(field, &format!("Máximo {max} caracteres."));
        }
    }
    input.email = input.email.to_ascii_lowercase();
    input.document_type = input.document_type.to_ascii_uppercase();
    if !input.website.trim().is_empty() {
        err("website", "Deje este campo vacío.");
    }
    requester::check(&mut input, &mut err);
    if !input.anonymous {
        if input.name.is_empty() {
            err("name", "Escriba su nombre o marque la radicación anónima.");
        }
        if input.email.is_empty() && input.reply_by == "email" {
            err("email", "Escriba su correo electrónico para recibir el radicado y la respuesta.");
        }
    }
    if !input.email.is_empty() && !valid_email(&input.email) {
        err("email", "El correo electrónico no es válido.");
    }
    if !input.document_number.is_empty() || !input.document_type.is_empty() {
        if !DOCUMENT_TYPES.iter().any(|(c, _)| *c == input.document_type) {
            err("document_type", "Elija el tipo de documento.");
        }
        let digits_ok = match input.document_type.as_str() {
            "PA" => input.document_number.chars().all(|c| c.is_ascii_alphanumeric()),
            "NIT" => input.document_number.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '.'),
            _ => input.document_number.chars().all(|c| c.is_ascii_digit() || c == '.'),
        };
        if input.document_number.is_empty() || !digits_ok {
            err("document_number", "El número de documento no es válido.");
        }
    }
    if !input.phone.is_empty() && !input.phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
        err("phone", "El teléfono solo puede tener números, espacios y los signos + - ( ).");
    }
    let kind = if input.kind.is_empty() {
        None
    } else {
        match PetitionKind::parse(&input.kind) {
            Some(k) => Some(k),
            None => {
                err("kind", "Elija un tipo de solicitud de la lista.");
                None
            }
        }
    };
    if input.subject.chars().count() < 3 {
        err("subject", "Escriba el asunto (al menos 3 caracteres).");
    }
    if input.message.chars().count() < 10 {
        err("message", "Describa su solicitud (al menos 10 caracteres).");
    }
    if !input.consent {
        err("consent", "Debe autorizar el tratamiento de sus datos personales para radicar.");
    }
    let uploads: Vec<Upload> = uploads.into_iter().filter(|u| !(u.filename.is_empty() && u.bytes.is_empty())).collect();
    let mut attachments = Vec::new();
    if uploads.len() > MAX_ATTACHMENTS {
        err("attachments", &format!("Máximo {MAX_ATTACHMENTS} archivos."));
    }
    let total: usize = uploads.iter().map(|u| u.bytes.len()).sum();
    if total > MAX_TOTAL_BYTES {
        err("attachments", "Los anexos suman más de 20 MB.");
    }
    for (i, u) in uploads.into_iter().enumerate().take(MAX_ATTACHMENTS) {
        let name = safe_filename(&u.filename, i);
        if u.bytes.is_empty() {
            err("attachments", &format!("El archivo «{name}» está vacío."));
        } else if u.bytes.len() > MAX_ATTACHMENT_BYTES {
            err("attachments", &format!("El archivo «{name}» supera 10 MB."));
        } else {
            match sniff(&name, &u.bytes) {
                Ok(ct) => attachments.push((name, ct, u.bytes)),
                Err(m) => err("attachments", &m),
            }
        }
    }
    if errors.is_empty() {
        Ok(ValidFiling { input, kind, attachments })
    } else {
        Err(errors)
    }
}

/// The result of a web filing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WebFiled {
    pub radicado: String,
    pub received_at: DateTime<Utc>,
    pub due_date: Option<NaiveDate>,
    /// True when an earlier request with the same Idempotency-Key had filed it.
    #[serde(skip)]
    pub repeated: bool,
}

/// The raw RFC 5322 record of a filing.
pub fn raw_record(v: &ValidFiling, message_id: &str, now: DateTime<Utc>, kind_label: &str) -> Result<Vec<u8>, String> {
    let i = &v.input;
    let from: Mailbox = if i.email.is_empty() {
        "Radicación anónima <anonimo@radicador-web.invalid>".parse().map_err(|e| format!("{e}"))?
    } else {
        let name = if i.name.is_empty() { None } else { Some(i.name.clone()) };
        Mailbox::new(name, i.email.parse().map_err(|e| format!("{e}"))?)
    };
    let doc = DOCUMENT_TYPES.iter().find(|(c, _)| *c == i.document_type).map(|(_, l)| *l).unwrap_or("");
    let text = format!(
        "Radicación por el Radicador Web\n\nNombre: {}\nDocumento: {} {}\nCorreo: {}\nTeléfono: {}\nMunicipio: {}\n\
         Tipo indicado por el ciudadano: {}\nAutoriza tratamiento de datos: sí (aviso versión {})\nAnónima: {}\n\
         Tipo de solicitante: {}{}\nRespuesta por: {}{}\n\nAsunto: {}\n\n{}\n",
        if i.anonymous && i.name.is_empty() { "(anónimo)" } else { &i.name },
        doc, i.document_number, i.email, i.phone, i.municipality, kind_label,
        requester::PRIVACY_NOTICE_VERSION,
        if i.anonymous { "sí" } else { "no" },
        requester::label_of(&requester::REQUESTER_TYPES, &i.requester_type).unwrap_or("Persona natural"),
        if i.razon_social.is_empty() { String::new() } else { format!("\nRazón social: {}", i.razon_social) },
        requester::label_of(&requester::REPLY_BY, &i.reply_by).unwrap_or("(sin indicar)"),
        if i.reply_by == "postal" { format!("\nDirección: {}, {}, {}, {}", i.address, i.municipality, i.region, i.country) } else { String::new() },
        i.subject, i.message
    );
    let mut mp = MultiPart::mixed().singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text));
    for (name, ct, bytes) in &v.attachments {
        let ct = ContentType::parse(ct).map_err(|e| format!("{e}"))?;
        mp = mp.singlepart(MailAttachment::new(name.clone()).body(bytes.clone(), ct));
    }
    let msg = lettre::Message::builder()
        .from(from)
        .to("radicador-web@radicador-web.invalid".parse().map_err(|e| format!("{e}"))?)
        .subject(i.subject.clone())
        .date(now.into())
        .message_id(Some(format!("<{message_id}>")))
        .multipart(mp)
        .map_err(|e| format!("{e}"))?;
    Ok(msg.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> FilingInput {
        FilingInput {
            name: "Ana Pérez".into(),
            document_type: "CC".into(),
            document_number: "15.372.886".into(),
            email: "Ana@Example.com".into(),
            subject: "Certificado".into(),
            message: "Solicito el certificado de registro minero.".into(),
            consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_good_filing_passes_and_is_normalised() {
        let v = validate(good(), vec![]).unwrap();
        assert_eq!(v.input.email, "ana@example.com");
    }

    #[test]
    fn every_problem_is_reported_in_spanish() {
        let input = FilingInput { website: "http://spam".into(), kind: "nope".into(), email: "x@".into(), ..Default::default() };
        let e = validate(input, vec![]).unwrap_err();
        for f in ["website", "kind", "email", "subject", "message", "consent", "name"] {
            assert!(e.contains_key(f), "{f}: {e:?}");
        }
        assert!(e["consent"].contains("datos personales"));
    }

    #[test]
    fn anonymous_filings_need_no_identity() {
        let input = FilingInput { anonymous: true, subject: "Denuncia".into(), message: "Hay dragas en el río Nechí.".into(), consent: true, ..Default::default() };
        assert!(validate(input, vec![]).is_ok());
    }

    #[test]
    fn attachments_are_checked_by_type_content_and_size() {
        let pdf = Upload { filename: "../../etc/soporte.pdf".into(), bytes: b"%PDF-1.4 ...".to_vec() };
        let v = validate(good(), vec![pdf]).unwrap();
        assert_eq!(v.attachments[0].0, "soporte.pdf");
        let fake = Upload { filename: "virus.pdf".into(), bytes: b"MZ\x90\x00".to_vec() };
        assert!(validate(good(), vec![fake]).unwrap_err()["attachments"].contains("no corresponde"));
        let exe = Upload { filename: "a.exe".into(), bytes: b"MZ".to_vec() };
        assert!(validate(good(), vec![exe]).unwrap_err()["attachments"].contains("no está permitido"));
        let many: Vec<Upload> = (0..6).map(|i| Upload { filename: format!("{i}.txt"), bytes: b"hola".to_vec() }).collect();
        assert!(validate(good(), many).unwrap_err()["attachments"].contains("Máximo"));
    }

    #[test]
    fn oversized_fields_and_control_characters() {
        let mut i = good();
        i.subject = "x".repeat(201);
        i.name = "Ana\u{0}\u{7} Pérez".into();
        let e = validate(i.clone(), vec![]).unwrap_err();
        assert!(e["subject"].contains("200"));
        i.subject = "ok subject".into();
        assert_eq!(validate(i, vec![]).unwrap().input.name, "Ana Pérez");
    }
}
