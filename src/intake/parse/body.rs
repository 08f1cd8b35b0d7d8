//! The text and HTML bodies of a mail: mail-parser's choice of body parts, charset-repaired
//! (`charset.rs`), HTML converted to text where a part has no text version.

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::decoders::html::html_to_text;
use mail_parser::{Message, PartType};
use regex::Regex;

use super::charset::repair_text_part;

static HTML_BLOCK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(/?)(div|li|tr|h[1-6]|table|blockquote|ul|ol|dd|dt|section|article|header|footer|pre|hr)(?-u:\b)")
        .expect("valid HTML block regex")
});

static HTML_CELL_END_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)</t[dh]\s*>").expect("valid HTML cell regex"));

/// The text body (text parts joined, HTML converted to text where a part has no text version)
/// and the HTML body (HTML parts joined), charset-repaired, without NULs, with `\n` line ends.
pub(super) fn extract_bodies(msg: &Message<'_>, problems: &mut Vec<String>) -> (String, Option<String>) {
    let raw: &[u8] = &msg.raw_message;
    let mut decoded: Vec<(u32, String)> = Vec::new();
    let mut text_of = |id: u32, problems: &mut Vec<String>| -> Option<String> {
        if let Some((_, t)) = decoded.iter().find(|(i, _)| *i == id) {
            return Some(t.clone());
        }
        let part = msg.parts.get(id as usize)?;
        let (text, is_html) = match &part.body {
            PartType::Text(t) => (t.as_ref(), false),
            PartType::Html(h) => (h.as_ref(), true),
            _ => return None,
        };
        let fixed = repair_text_part(raw, part, text, is_html, problems)
            .unwrap_or_else(|| text.to_string());
        decoded.push((id, fixed.clone()));
        Some(fixed)
    };

    let mut text_parts: Vec<String> = Vec::new();
    for &id in &msg.text_body {
        let is_html = matches!(
            msg.parts.get(id as usize).map(|p| &p.body),
            Some(PartType::Html(_))
        );
        if let Some(t) = text_of(id, problems) {
            text_parts.push(if is_html { html_body_to_text(&t) } else { t });
        }
    }
    let mut html_parts: Vec<String> = Vec::new();
    for &id in &msg.html_body {
        if matches!(
            msg.parts.get(id as usize).map(|p| &p.body),
            Some(PartType::Html(_))
        ) {
            if let Some(h) = text_of(id, problems) {
                html_parts.push(h);
            }
        }
    }
    let body_text = clean_body(&text_parts.join("\n"));
    let body_html = if html_parts.is_empty() {
        None
    } else {
        Some(clean_body(&html_parts.join("\n")))
    };
    (body_text, body_html)
}

/// HTML to plain text: mail-parser's converter, which breaks lines only at `<br>` and `</p>`,
/// with block elements (`div`, `li`, `tr`, headings, ...) also ending a line and table cells
/// separated by a space. Block boundaries are marked with a private-use character before
/// conversion and turned into at most one line break after it.
fn html_body_to_text(html: &str) -> String {
    const BLOCK: char = '\u{E000}';
    let html: Cow<'_, str> = if html.contains(BLOCK) {
        Cow::Owned(html.replace(BLOCK, ""))
    } else {
        Cow::Borrowed(html)
    };
    let marked = HTML_BLOCK_RE.replace_all(&html, "\u{E000}<$1$2");
    let marked = HTML_CELL_END_RE.replace_all(&marked, "$0 ");
    let converted = html_to_text(&marked);
    let mut text = String::with_capacity(converted.len());
    let mut after_block = false;
    for c in converted.chars() {
        if c == BLOCK {
            while text.ends_with(' ') {
                text.pop();
            }
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            after_block = true;
        } else if after_block && c == ' ' {
            continue;
        } else {
            after_block = false;
            text.push(c);
        }
    }
    // HTML collapses whitespace, so indentation left by the converter means nothing; runs of
    // blank lines collapse to one.
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_matches('\n').to_string()
}

/// Body text: no NULs, `\n` line ends.
fn clean_body(s: &str) -> String {
    if !s.bytes().any(|b| b == b'\r' || b == 0) {
        return s.to_string();
    }
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "")
}

#[cfg(test)]
mod tests {
    use crate::intake::parse::test_support::*;
    use crate::intake::parse::AttachmentKind;
    use sha2::{Digest, Sha256};

    #[test]
    fn outlook_sample_keeps_text_html_and_attachment() {
        let m = parse_bytes(include_bytes!("../../../tests/data/mail/006.eml"));
        assert!(m.body_text.starts_with("Buenos días."));
        assert!(m
            .body_text
            .contains("“Error 500 – Ha ocurrido un error inesperado”"));
        assert!(!m.body_text.contains("<p"), "text part, not HTML");
        let html = m.body_html.as_deref().expect("html part");
        assert!(html.contains("<p class=\"MsoNormal\">Buenos días."));
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.filename, "captura_error_FBM.png");
        assert_eq!(a.content_type, "image/png");
        assert_eq!(a.kind, AttachmentKind::Regular);
        assert!(a.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(a.size, a.bytes.len() as u64);
        assert_eq!(a.sha256, hex::encode(Sha256::digest(&a.bytes)));
        assert_eq!(m.header_summary.x_mailer.as_deref(), Some("Microsoft Outlook 16.0"));
        assert_eq!(m.header_summary.content_type.as_deref(), Some("multipart/mixed"));
        assert_eq!(m.automatic, None);
    }

    #[test]
    fn html_only_sample_is_converted_to_text() {
        let m = parse_bytes(include_bytes!("../../../tests/data/mail/040.eml"));
        assert!(
            m.body_text
                .contains("Comisión Quinta Constitucional Permanente"),
            "{}",
            m.body_text
        );
        assert!(m
            .body_text
            .contains("¿Cuántas propuestas de contrato de concesión"));
        assert!(!m.body_text.contains("<p"));
        assert!(m.body_html.as_deref().is_some_and(|h| h.contains("<")));
        assert!(!m.encoding_problem);
    }

    #[test]
    fn multipart_alternative_gives_text_and_html() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Content-Type: multipart/alternative; boundary=\"b1\"\r\n",
            "\r\n",
            "--b1\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "\r\n",
            "Texto plano\r\n",
            "--b1\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "\r\n",
            "<p>Texto <b>HTML</b></p>\r\n",
            "--b1--\r\n",
        ));
        assert_eq!(m.body_text, "Texto plano");
        assert_eq!(m.body_html.as_deref(), Some("<p>Texto <b>HTML</b></p>"));
        assert!(m.attachments.is_empty());
    }

    #[test]
    fn html_blocks_and_cells_become_lines_and_spaces() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "\r\n",
            "<div>Hola</div><div>Quiero una copia</div><table><tr><td>uno</td><td>dos</td></tr></table>",
            "<style>p {color: red}</style>Fin<br>&aacute;rea &amp; m&aacute;s\r\n",
        ));
        assert_eq!(
            m.body_text,
            "Hola\nQuiero una copia\nuno dos\nFin\nárea & más"
        );
    }

    #[test]
    fn nul_bytes_never_reach_the_text() {
        let m = parse_bytes(b"From: a@example.com\r\nSubject: a\x00b\r\n\r\nuno\x00dos\r\n");
        assert_eq!(m.subject, "a b");
        assert_eq!(m.body_text, "unodos\n");
    }

    #[test]
    fn broken_base64_and_truncated_mime_do_not_fail() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "Subject: roto\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "SG9sYSBtdW5kbw==!!!%%%\r\n",
            "--b\r\n",
            "Content-Type: application/pdf; name=\"x.pdf\"\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "JVBERi0x",
        ));
        assert_eq!(m.subject, "roto");
        assert!(m.body_text.contains("Hola mundo") || m.encoding_problem);
    }
}
