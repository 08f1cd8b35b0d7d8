//! Charset repair and decoding. mail-parser decodes the common charsets itself; this module
//! repairs what it could not (raw 8-bit header fields, 8-bit text without a declared charset,
//! UTF-8 declared but Latin-1 sent, ISO-2022-JP left undecoded) and records what stays
//! undecodable as problem codes for [`super::HeaderSummary::encoding_problems`].

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

use super::PARSER;

// ---------------------------------------------------------------------------------------------
// Header fields

/// Header text still holding ISO-2022-JP escape sequences (an encoded word mail-parser could not
/// decode without `full_encoding`): decoded when possible, else recorded as a problem.
pub(super) fn decode_iso2022_header(text: &str, problems: &mut Vec<String>) -> String {
    if !text.contains('\u{1b}') {
        return text.to_string();
    }
    if let Some(decoder) = charset_decoder(b"iso-2022-jp") {
        let out = decoder(text.as_bytes());
        if !out.contains('\u{1b}') && !out.contains('\u{FFFD}') {
            return out;
        }
    }
    problems.push("undecoded_charset:iso-2022-jp".to_string());
    text.to_string()
}

/// Header fields whose display text we use; these get re-decoded when they hold raw 8-bit bytes.
const TEXT_HEADERS: [&str; 6] = ["subject", "from", "to", "cc", "reply-to", "sender"];

/// When one of [`TEXT_HEADERS`] holds raw 8-bit bytes that are not UTF-8 (mail-parser would show
/// U+FFFD), returns a synthetic header block in UTF-8 with those fields decoded with the mail's
/// declared charset, else Windows-1252. Returns `None` when nothing needs repair.
pub(super) fn repair_raw_headers(
    msg: &Message<'_>,
    root_charset: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<Vec<u8>> {
    let raw: &[u8] = &msg.raw_message;
    let headers = msg.parts.first()?.headers.as_slice();
    let fields: Vec<&[u8]> = headers
        .iter()
        .filter(|h| {
            TEXT_HEADERS
                .iter()
                .any(|n| h.name.as_str().eq_ignore_ascii_case(n))
        })
        .filter_map(|h| raw.get(h.offset_field as usize..h.offset_end as usize))
        .collect();
    if fields.iter().all(|f| std::str::from_utf8(f).is_ok()) {
        return None;
    }
    let declared = root_charset
        .filter(|c| !is_utf8_label(c))
        .and_then(|c| charset_decoder(c.as_bytes()).map(|d| (c, d)));
    let (label, decoder, guessed) = match declared {
        Some((c, d)) => (c.to_string(), d, false),
        None => ("windows-1252".to_string(), windows_1252(), true),
    };
    let mut out = Vec::new();
    for field in fields {
        let mut text = match std::str::from_utf8(field) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let decoded = decoder(field);
                if guessed && looks_garbled(&decoded) {
                    problems.push("raw_8bit_header_guessed".to_string());
                } else if decoded.contains('\u{FFFD}') {
                    problems.push(format!(
                        "raw_8bit_header_undecodable:{}",
                        label_code(&label)
                    ));
                }
                decoded
            }
        };
        if !text.ends_with('\n') {
            text.push_str("\r\n");
        }
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Text parts

/// Repairs the decoded text of one body part where mail-parser could not decode it; returns the
/// replacement text, or `None` to keep mail-parser's text. Records what stays undecodable.
pub(super) fn repair_text_part(
    raw: &[u8],
    part: &MessagePart<'_>,
    text: &str,
    is_html: bool,
    problems: &mut Vec<String>,
) -> Option<String> {
    let declared = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    let has_fffd = text.contains('\u{FFFD}');
    let has_esc = text.contains('\u{1b}');

    if has_esc
        && declared
            .as_deref()
            .is_none_or(|c| c.starts_with("iso-2022-jp") || c == "csiso2022jp")
    {
        // ISO-2022-JP is 7-bit, so mail-parser's text still holds the original bytes.
        if let Some(decoder) = charset_decoder(b"iso-2022-jp") {
            let out = decoder(text.as_bytes());
            if !out.contains('\u{1b}') && !out.contains('\u{FFFD}') {
                return Some(out);
            }
        }
        problems.push("undecoded_charset:iso-2022-jp".to_string());
        return None;
    }
    if has_esc {
        problems.push(format!(
            "escape_sequences_in_text:{}",
            declared
                .as_deref()
                .map_or_else(|| "none".to_string(), label_code)
        ));
    }

    match declared.as_deref() {
        Some(label) if is_utf8_label(label) => {
            if !has_fffd {
                return None;
            }
            let bytes = transfer_decoded_bytes(raw, part)?;
            if contains_literal_replacement(&bytes) && std::str::from_utf8(&bytes).is_ok() {
                return None;
            }
            // Declared UTF-8 but invalid: when no valid multi-byte sequence exists at all, it is
            // Latin-1/Windows-1252 mislabelled; otherwise keep the lossy text.
            if has_utf8_multibyte(&bytes) {
                problems.push("invalid_utf8".to_string());
                None
            } else {
                problems.push("invalid_utf8_decoded_as_windows_1252".to_string());
                Some(windows_1252()(&bytes))
            }
        }
        Some(label) if charset_decoder(label.as_bytes()).is_none() => {
            // Unknown charset name: mail-parser took the bytes as UTF-8 (lossy).
            if text.is_ascii() {
                return None;
            }
            problems.push(format!("unknown_charset:{}", label_code(label)));
            if !has_fffd {
                return None;
            }
            let bytes = transfer_decoded_bytes(raw, part)?;
            // Some valid UTF-8 in it: keep the lossy UTF-8; none at all: a single-byte charset.
            if has_utf8_multibyte(&bytes) {
                None
            } else {
                Some(windows_1252()(&bytes))
            }
        }
        Some(label) => {
            // Known charset, yet replacement characters: a multi-byte charset without
            // mail-parser's `full_encoding`, or bytes the charset does not define.
            if has_fffd {
                let bytes = transfer_decoded_bytes(raw, part);
                if !bytes.as_deref().is_some_and(contains_literal_replacement) {
                    problems.push(format!("undecoded_charset:{}", label_code(label)));
                }
            }
            None
        }
        None => {
            if !has_fffd {
                return None;
            }
            let bytes = transfer_decoded_bytes(raw, part)?;
            if contains_literal_replacement(&bytes) && std::str::from_utf8(&bytes).is_ok() {
                return None;
            }
            // 8-bit text without a declared charset: an HTML <meta> charset, else Windows-1252.
            let meta = if is_html { meta_charset(&bytes) } else { None };
            let decoder = meta
                .as_deref()
                .filter(|c| !is_utf8_label(c))
                .and_then(|c| charset_decoder(c.as_bytes()))
                .unwrap_or_else(windows_1252);
            let out = decoder(&bytes);
            if looks_garbled(&out) || out.contains('\u{FFFD}') {
                problems.push("undeclared_charset_guessed".to_string());
            }
            Some(out)
        }
    }
}

/// The body of a part, decoded from base64/quoted-printable but not from its charset.
pub(super) fn transfer_decoded_bytes(raw: &[u8], part: &MessagePart<'_>) -> Option<Vec<u8>> {
    let body = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    let cte = match part.encoding {
        Encoding::Base64 => "base64",
        Encoding::QuotedPrintable => "quoted-printable",
        Encoding::None => return Some(body.to_vec()),
    };
    let mut synthetic = Vec::with_capacity(body.len() + 100);
    synthetic.extend_from_slice(
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: ",
    );
    synthetic.extend_from_slice(cte.as_bytes());
    synthetic.extend_from_slice(b"\r\n\r\n");
    synthetic.extend_from_slice(body);
    let m = PARSER.parse(&synthetic[..])?;
    match &m.parts.first()?.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => Some(b.to_vec()),
        PartType::Text(t) | PartType::Html(t) => Some(t.as_bytes().to_vec()),
        _ => None,
    }
}

pub(super) fn windows_1252() -> mail_parser::decoders::charsets::DecoderFnc {
    charset_decoder(b"windows-1252").unwrap_or(latin1_fallback)
}

/// Only used if mail-parser ever stops knowing windows-1252: ISO-8859-1 maps bytes to code points.
fn latin1_fallback(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

pub(super) fn is_utf8_label(label: &str) -> bool {
    let l = label
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase()
        .replace('_', "-");
    matches!(
        l.as_str(),
        "utf-8"
            | "utf8"
            | "unicode-1-1-utf-8"
            | "unicode11utf8"
            | "unicode20utf8"
            | "x-unicode20utf8"
    )
}

/// True when `bytes` hold at least one valid multi-byte UTF-8 sequence.
fn has_utf8_multibyte(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|c| !c.valid().is_ascii())
}

fn contains_literal_replacement(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| w == b"\xEF\xBF\xBD")
}

/// The charset named by a `<meta>` tag near the top of an HTML part.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let pos = lower.windows(8).position(|w| w == b"charset=")?;
    let rest = &lower[pos + 8..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let name: String = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        .map(|&b| char::from(b))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// A guessed single-byte decode that does not look like Spanish (or any Latin-script) text: C1
/// control characters, or more than a quarter of the letters outside ASCII.
pub(super) fn looks_garbled(text: &str) -> bool {
    let mut letters = 0usize;
    let mut non_ascii = 0usize;
    for c in text.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{FFFD}' {
            return true;
        }
        if c.is_alphabetic() {
            letters += 1;
            if !c.is_ascii() {
                non_ascii += 1;
            }
        }
    }
    letters >= 4 && non_ascii * 4 > letters
}

/// A charset name fit for a problem code: ASCII letters, digits and `-_.:` only, at most 40.
fn label_code(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::intake::parse::test_support::*;
    use crate::intake::parse::Address;
    use sha2::{Digest, Sha256};

    #[test]
    fn windows_1252_sample_decodes_to_correct_spanish() {
        let raw = include_bytes!("../../../tests/data/mail/002.eml");
        let m = parse_bytes(raw);
        assert!(
            m.body_text.starts_with("Buenos días señores\n"),
            "{:?}",
            m.body_text
        );
        assert!(m.body_text.contains("mina de oro pequeña en Zaragoza"));
        assert!(m.body_text.contains("¿Me pueden dejar pagar por cuotas?"));
        assert_eq!(m.subject, "quiero ponerme al dia");
        assert_eq!(
            m.message_id.as_deref(),
            Some("20260112143959.8834b2ec7217dc58@example.com")
        );
        assert_eq!(
            m.from,
            Some(Address {
                name: Some("Rafael Antonio Guerra".into()),
                email: "rafaguerra1970@example.com".into()
            })
        );
        assert_eq!(m.to.len(), 1);
        assert_eq!(m.to[0].email, "contacto@anm.gov.co");
        assert_eq!(m.date, Some(utc("2026-01-12T19:39:59Z")));
        assert_eq!(m.sha256, hex::encode(Sha256::digest(raw)));
        assert!(!m.encoding_problem);
        assert_eq!(m.automatic, None);
        assert!(m.attachments.is_empty());
        assert_eq!(m.body_html, None);
        assert_eq!(m.header_summary.charset.as_deref(), Some("windows-1252"));
    }

    #[test]
    fn iso_8859_1_quoted_printable_sample_decodes() {
        let m = parse_bytes(include_bytes!("../../../tests/data/mail/010.eml"));
        assert!(m.body_text.starts_with("Señores ANM,"));
        assert!(m.body_text.contains("título 509331"));
        assert!(m.body_text.contains("ajustáramos el programa mínimo"));
        assert_eq!(
            m.from.as_ref().map(|a| a.name.as_deref()),
            Some(Some("Adriana Milena Rueda"))
        );
        assert_eq!(m.to[0].name.as_deref(), Some("ANM Contacto"));
        assert!(!m.encoding_problem);
    }

    #[test]
    fn rfc2047_subjects_and_names_decode() {
        let m = parse(concat!(
            "From: =?ISO-8859-1?Q?Jos=E9_P=E9rez?= <JOSE@Example.COM>\r\n",
            "To: =?utf-8?B?TWluZXLDrWE=?= <contacto@anm.gov.co>, otra@example.com\r\n",
            "Cc: Grupo: uno@example.com, dos@example.com;\r\n",
            "Subject: =?utf-8?Q?Petici=C3=B3n_urgente?= =?windows-1252?Q?_=96_se=F1or?=\r\n",
            "Date: Mon, 12 Jan 2026 14:39:59 -0500\r\n",
            "\r\n",
            "Hola\r\n",
        ));
        assert_eq!(m.subject, "Petición urgente – señor");
        assert_eq!(
            m.from,
            Some(Address {
                name: Some("José Pérez".into()),
                email: "jose@example.com".into()
            })
        );
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[0].name.as_deref(), Some("Minería"));
        assert_eq!(
            m.to[1],
            Address {
                name: None,
                email: "otra@example.com".into()
            }
        );
        let cc: Vec<&str> = m.cc.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(cc, vec!["uno@example.com", "dos@example.com"]);
        assert_eq!(m.body_text, "Hola\n");
        assert!(!m.encoding_problem);
    }

    #[test]
    fn utf8_quoted_printable_body_decodes() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Subject: qp\r\n",
            "Content-Type: text/plain; charset=UTF-8\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "\r\n",
            "Solicito informaci=C3=B3n sobre el t=C3=ADtulo minero y la =\r\n",
            "prórroga.\r\n",
        ));
        assert_eq!(
            m.body_text,
            "Solicito información sobre el título minero y la prórroga.\n"
        );
        assert!(!m.encoding_problem);
    }

    #[test]
    fn raw_8bit_latin1_headers_use_the_declared_charset() {
        let mut raw = b"From: \"Jos\xe9 G\xf3mez\" <jose@example.com>\r\nSubject: Petici\xf3n de informaci\xf3n\r\n".to_vec();
        raw.extend_from_slice(
            b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nSe\xf1ores\r\n",
        );
        let m = parse_bytes(&raw);
        assert_eq!(m.subject, "Petición de información");
        assert_eq!(
            m.from.as_ref().and_then(|a| a.name.as_deref()),
            Some("José Gómez")
        );
        assert_eq!(m.body_text, "Señores\n");
        assert!(!m.encoding_problem, "{:?}", m.header_summary.encoding_problems);
    }

    #[test]
    fn raw_8bit_subject_without_any_charset_is_read_as_windows_1252() {
        let m = parse_bytes(b"From: a@example.com\r\nSubject: Reclamaci\xf3n \x96 urgente\r\n\r\nCuerpo en ASCII\r\n");
        assert_eq!(m.subject, "Reclamación – urgente");
        assert!(!m.encoding_problem, "{:?}", m.header_summary.encoding_problems);
    }

    #[test]
    fn undeclared_8bit_body_is_read_as_windows_1252() {
        let m = parse_bytes(b"From: a@example.com\r\nSubject: x\r\n\r\nBuenos d\xedas se\xf1ores, \x93gracias\x94\r\n");
        assert_eq!(m.body_text, "Buenos días señores, “gracias”\n");
        assert!(!m.encoding_problem, "{:?}", m.header_summary.encoding_problems);
    }

    #[test]
    fn utf8_declared_but_latin1_sent_is_repaired_and_flagged() {
        let m = parse_bytes(b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMiner\xeda ilegal\r\n");
        assert_eq!(m.body_text, "Minería ilegal\n");
        assert!(m.encoding_problem);
        assert_eq!(m.header_summary.encoding_problems, vec!["invalid_utf8_decoded_as_windows_1252"]);
    }

    #[test]
    fn html_part_without_charset_uses_its_meta_tag() {
        let mut raw = b"From: a@example.com\r\nContent-Type: text/html\r\n\r\n".to_vec();
        raw.extend_from_slice(b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Se\xf1or</p></body></html>\r\n");
        let m = parse_bytes(&raw);
        assert_eq!(m.body_text, "Señor");
        assert!(m.body_html.as_deref().is_some_and(|h| h.contains("Señor")));
    }

    #[test]
    fn unknown_and_unsupported_charsets_are_flagged_not_fatal() {
        let m = parse_bytes(b"From: a@example.com\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\nPeque\xf1o\r\n");
        assert!(m.encoding_problem);
        assert_eq!(m.header_summary.encoding_problems, vec!["unknown_charset:x-nonsense"]);
        assert_eq!(m.body_text, "Pequeño\n");
        // GB2312 "你好": decoded only when mail-parser has `full_encoding`; flagged otherwise.
        let m = parse_bytes(b"From: a@example.com\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n\xc4\xe3\xba\xc3\r\n");
        if m.body_text.contains('\u{FFFD}') {
            assert!(m.encoding_problem);
            assert_eq!(m.header_summary.encoding_problems, vec!["undecoded_charset:gb2312"]);
        } else {
            assert_eq!(m.body_text, "你好\n");
        }
    }

    #[test]
    fn iso_2022_jp_without_charset_is_decoded_or_flagged() {
        // "テスト" in ISO-2022-JP, no charset declared.
        let m = parse_bytes(b"From: a@example.com\r\nSubject: jp\r\n\r\n\x1b$B%F%9%H\x1b(B\r\n");
        if m.body_text.contains('\u{1b}') {
            assert!(m.encoding_problem);
            assert_eq!(m.header_summary.encoding_problems, vec!["undecoded_charset:iso-2022-jp"]);
        } else {
            assert_eq!(m.body_text, "テスト\n");
        }
    }
}
