//! Attachments: decoded bytes, content type, kind (regular file, TNEF container, attached mail)
//! and a safe file name.

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::charset::{is_utf8_label, looks_garbled, transfer_decoded_bytes, windows_1252};
use super::{clean_inline, truncate_chars, Attachment, AttachmentKind, PARSER};

/// The attachments, inline images and attached mails of a mail, in MIME order, decoded from
/// their transfer encoding, each with a safe file name and its [`AttachmentKind`].
pub(super) fn extract_attachments(
    msg: &Message<'_>,
    root_charset: Option<&str>,
    problems: &mut Vec<String>,
) -> Vec<Attachment> {
    let raw: &[u8] = &msg.raw_message;
    let mut out = Vec::new();
    for (n, &id) in msg.attachments.iter().enumerate() {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .map(|s| truncate_chars(&clean_inline(&s).to_ascii_lowercase(), 100))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| match &part.body {
                PartType::Text(_) => "text/plain".to_string(),
                PartType::Html(_) => "text/html".to_string(),
                PartType::Message(_) => "message/rfc822".to_string(),
                _ => "application/octet-stream".to_string(),
            });
        let bytes: Vec<u8> = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
            PartType::Text(t) | PartType::Html(t) => {
                transfer_decoded_bytes(raw, part).unwrap_or_else(|| t.as_bytes().to_vec())
            }
            PartType::Message(m) => m.raw_message().to_vec(),
            PartType::Multipart(_) => continue,
        };
        let mut declared_name = part.attachment_name().map(clean_inline);
        if declared_name
            .as_deref()
            .is_some_and(|n| n.contains('\u{FFFD}'))
        {
            let repaired = repair_attachment_name(raw, part, root_charset);
            let guessed = repaired.as_ref().is_some_and(|(_, guessed)| *guessed);
            declared_name = repaired.map(|(name, _)| name).or(declared_name);
            if declared_name
                .as_deref()
                .is_none_or(|n| n.contains('\u{FFFD}') || (guessed && looks_garbled(n)))
            {
                problems.push("undecodable_attachment_name".to_string());
            }
        }
        let is_tnef = matches!(
            content_type.as_str(),
            "application/ms-tnef" | "application/vnd.ms-tnef"
        ) || declared_name.as_deref().is_some_and(|n| {
            let base = n.rsplit(['/', '\\']).next().unwrap_or(n).trim();
            base.eq_ignore_ascii_case("winmail.dat") || base.eq_ignore_ascii_case("win.dat")
        });
        let is_message = matches!(part.body, PartType::Message(_))
            || matches!(content_type.as_str(), "message/rfc822" | "message/global");
        let kind = if is_tnef {
            AttachmentKind::Winmail
        } else if is_message {
            AttachmentKind::NestedMessage
        } else {
            AttachmentKind::Regular
        };
        let filename = declared_name
            .as_deref()
            .and_then(safe_filename)
            .or_else(|| match (&part.body, kind) {
                // An attached mail without a name: use its subject.
                (PartType::Message(m), _) => m.subject().and_then(|s| {
                    safe_filename(&format!("{}.eml", truncate_chars(&clean_inline(s), 120)))
                }),
                _ => None,
            })
            .unwrap_or_else(|| default_filename(n + 1, kind, &content_type));
        out.push(Attachment {
            filename,
            content_type,
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
            kind,
        });
    }
    out
}

/// Re-reads an attachment name written as raw 8-bit bytes (not UTF-8) in `Content-Disposition`
/// or `Content-Type`, decoding it with the mail's declared charset or, guessing, Windows-1252.
/// Returns the name and whether the charset was guessed.
fn repair_attachment_name(
    raw: &[u8],
    part: &MessagePart<'_>,
    root_charset: Option<&str>,
) -> Option<(String, bool)> {
    let fields: Vec<&[u8]> = part
        .headers
        .iter()
        .filter(|h| {
            matches!(
                h.name,
                HeaderName::ContentDisposition | HeaderName::ContentType
            )
        })
        .filter_map(|h| raw.get(h.offset_field as usize..h.offset_end as usize))
        .collect();
    if fields.iter().all(|f| std::str::from_utf8(f).is_ok()) {
        return None;
    }
    let declared = root_charset
        .filter(|c| !is_utf8_label(c))
        .and_then(|c| charset_decoder(c.as_bytes()));
    let guessed = declared.is_none();
    let decoder = declared.unwrap_or_else(windows_1252);
    let mut synthetic = String::new();
    for field in fields {
        synthetic.push_str(&match std::str::from_utf8(field) {
            Ok(s) => s.to_string(),
            Err(_) => decoder(field),
        });
        if !synthetic.ends_with('\n') {
            synthetic.push_str("\r\n");
        }
    }
    synthetic.push_str("\r\n");
    let m = PARSER.parse_headers(synthetic.as_bytes())?;
    let name = m.parts.first()?.attachment_name().map(clean_inline);
    name.map(|n| (n, guessed))
}

/// A file name safe to show and to store: last path component only, control and reserved
/// characters replaced, no leading dots, at most 180 bytes (extension kept).
fn safe_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let replaced: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '\u{FFFD}') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = replaced
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .trim();
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        return None;
    }
    const MAX: usize = 180;
    if trimmed.len() <= MAX {
        return Some(trimmed.to_string());
    }
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() && e.len() <= 16 => (s, format!(".{e}")),
        _ => (trimmed, String::new()),
    };
    Some(format!("{}{}", truncate_bytes(stem, MAX - ext.len()), ext))
}

fn default_filename(n: usize, kind: AttachmentKind, content_type: &str) -> String {
    match kind {
        AttachmentKind::Winmail => "winmail.dat".to_string(),
        AttachmentKind::NestedMessage => format!("mensaje-adjunto-{n}.eml"),
        AttachmentKind::Regular => {
            let ext = match content_type {
                "application/pdf" => "pdf",
                "image/png" => "png",
                "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
                "image/gif" => "gif",
                "image/tiff" => "tif",
                "image/webp" => "webp",
                "image/bmp" => "bmp",
                "text/plain" => "txt",
                "text/html" => "html",
                "text/csv" => "csv",
                "text/calendar" => "ics",
                "text/rfc822-headers" => "txt",
                "application/msword" => "doc",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
                "application/vnd.ms-excel" => "xls",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
                "application/vnd.ms-powerpoint" => "ppt",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
                    "pptx"
                }
                "application/zip" | "application/x-zip-compressed" => "zip",
                "application/pkcs7-signature" | "application/x-pkcs7-signature" => "p7s",
                "application/pgp-signature" => "asc",
                "message/delivery-status" => "txt",
                "audio/mpeg" => "mp3",
                "video/mp4" => "mp4",
                _ => "bin",
            };
            format!("adjunto-{n}.{ext}")
        }
    }
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::parse::test_support::*;

    #[test]
    fn bare_pdf_sample_has_empty_subject_and_one_attachment() {
        let m = parse_bytes(include_bytes!("../../../tests/data/mail/088.eml"));
        assert_eq!(m.subject, "");
        assert_eq!(m.body_text, "");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].filename, "scan0001.pdf");
        assert!(m.attachments[0].bytes.starts_with(b"%PDF"));
        assert_eq!(m.date, Some(utc("2026-09-14T10:42:47Z")));
    }

    #[test]
    fn rfc2231_and_unsafe_attachment_names() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: text/plain\r\n",
            "\r\n",
            "Adjunto documentos\r\n",
            "--b\r\n",
            "Content-Type: application/pdf\r\n",
            "Content-Disposition: attachment; filename*=UTF-8''Petici%C3%B3n%20firmada.pdf\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "JVBERi0xLjQK\r\n",
            "--b\r\n",
            "Content-Type: application/pdf\r\n",
            "Content-Disposition: attachment; filename*0*=iso-8859-1''Resoluci%F3n%20;\r\n",
            " filename*1=\"nº 12.pdf\"\r\n",
            "\r\n",
            "%PDF-1.4\r\n",
            "--b\r\n",
            "Content-Type: application/octet-stream; name=\"../../etc/passwd\"\r\n",
            "\r\n",
            "root\r\n",
            "--b\r\n",
            "Content-Type: application/pdf\r\n",
            "Content-Disposition: attachment\r\n",
            "\r\n",
            "%PDF-1.4\r\n",
            "--b--\r\n",
        ));
        let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "Petición firmada.pdf",
                "Resolución nº 12.pdf",
                "passwd",
                "adjunto-4.pdf"
            ]
        );
        assert_eq!(m.attachments[0].bytes, b"%PDF-1.4\n");
        assert_eq!(m.body_text, "Adjunto documentos");
    }

    #[test]
    fn nested_message_is_an_attachment_of_its_own_kind() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Subject: Fwd: queja\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: text/plain\r\n",
            "\r\n",
            "Reenvio la queja original.\r\n",
            "--b\r\n",
            "Content-Type: message/rfc822\r\n",
            "\r\n",
            "From: ciudadano@example.com\r\n",
            "Subject: Queja original\r\n",
            "Message-ID: <orig@example.com>\r\n",
            "\r\n",
            "Texto de la queja.\r\n",
            "--b--\r\n",
        ));
        assert_eq!(m.body_text, "Reenvio la queja original.");
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.kind, AttachmentKind::NestedMessage);
        assert_eq!(a.content_type, "message/rfc822");
        assert_eq!(a.filename, "Queja original.eml");
        let inner = parse_bytes(&a.bytes);
        assert_eq!(inner.subject, "Queja original");
        assert_eq!(inner.message_id.as_deref(), Some("orig@example.com"));
        // Not a bounce: the attached message is not a bounced mail.
        assert_eq!(m.bounce_of, None);
    }

    #[test]
    fn winmail_dat_is_recognised() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "eJ8+IgAAAA==\r\n",
            "--b\r\n",
            "Content-Type: application/octet-stream\r\n",
            "Content-Disposition: attachment; filename=\"WINMAIL.DAT\"\r\n",
            "\r\n",
            "x\r\n",
            "--b\r\n",
            "Content-Type: application/vnd.ms-tnef\r\n",
            "\r\n",
            "y\r\n",
            "--b--\r\n",
        ));
        let kinds: Vec<AttachmentKind> = m.attachments.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, vec![AttachmentKind::Winmail; 3]);
        assert_eq!(m.attachments[0].bytes, b"\x78\x9f\x3e\x22\x00\x00\x00");
        assert_eq!(m.attachments[2].filename, "winmail.dat");
    }
}
