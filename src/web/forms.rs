//! Reading request bodies of filings: multipart (form with files) or JSON, within the limits of
//! the Radicador Web. A body over the limits answers 413; a malformed one 400; never a 500.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::intake::web_form::{FilingInput, Upload, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES, MAX_TOTAL_BYTES};

const MAX_TEXT_FIELD: usize = 128 * 1024;
const MAX_FIELDS: usize = 40;

pub fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "La solicitud es demasiado grande: máximo 5 anexos de 10 MB y 20 MB en total.")
}

/// Text fields and files of a multipart body.
pub async fn read_multipart(mut mp: Multipart) -> Result<(BTreeMap<String, String>, Vec<Upload>), ApiError> {
    let mut fields = BTreeMap::new();
    let mut uploads = Vec::new();
    let mut total = 0usize;
    let mut count = 0usize;
    while let Some(item) = mp.next().await {
        let mut field = item.map_err(|e| ApiError::bad_request(format!("Formulario ilegible: {e}")))?;
        count += 1;
        if count > MAX_FIELDS + MAX_ATTACHMENTS {
            return Err(ApiError::bad_request("El formulario tiene demasiados campos."));
        }
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename().map(str::to_string));
        let limit = if filename.is_some() { MAX_ATTACHMENT_BYTES + 1 } else { MAX_TEXT_FIELD };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::bad_request(format!("Formulario ilegible: {e}")))?;
            total += chunk.len();
            if buf.len() + chunk.len() > limit || total > MAX_TOTAL_BYTES + MAX_FIELDS * MAX_TEXT_FIELD {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        match filename {
            Some(f) => {
                if !(f.is_empty() && buf.is_empty()) {
                    uploads.push(Upload { filename: f, bytes: buf });
                }
            }
            None => {
                let text = String::from_utf8(buf).map_err(|_| {
                    let mut m = BTreeMap::new();
                    m.insert(name.clone(), "El texto no es UTF-8 válido.".to_string());
                    ApiError::validation(m)
                })?;
                fields.insert(name, text);
            }
        }
    }
    Ok((fields, uploads))
}

/// Build a [`FilingInput`] from form fields (`on`/`true`/`1`/`sí` tick a checkbox).
pub fn input_from_fields(f: &BTreeMap<String, String>) -> FilingInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let tick = |k: &str| matches!(f.get(k).map(|s| s.trim().to_ascii_lowercase()).as_deref(), Some("on" | "true" | "1" | "si" | "sí"));
    FilingInput {
        anonymous: tick("anonymous"),
        name: get("name"),
        document_type: get("document_type"),
        document_number: get("document_number"),
        email: get("email"),
        phone: get("phone"),
        municipality: get("municipality"),
        kind: get("kind"),
        subject: get("subject"),
        message: get("message"),
        consent: tick("consent"),
        website: get("website"),
        requester_type: get("requester_type"),
        razon_social: get("razon_social"),
        reply_by: get("reply_by"),
        address: get("address"),
        region: get("region"),
        country: get("country"),
        ethnic_group: get("ethnic_group"),
        disability: get("disability"),
        conflict_victim: get("conflict_victim"),
        gender: get("gender"),
        age_range: get("age_range"),
    }
}
