//! Mail parsing: raw RFC 5322 bytes in, our own owned [`InboundMessage`] out.
//!
//! This is the anti-corruption layer of intake (STYLE.md practice 10): mail-parser's borrowed
//! `Message` is used only inside this module and converted straight into [`InboundMessage`], which
//! owns everything and carries what the rest of the service needs: normalised ids for dedupe and
//! threading, decoded subject and addresses, text and HTML bodies, attachments, the automatic-mail
//! verdict of DESIGN.md §2, the bounce target and the dates for DESIGN.md §3.
//!
//! Neighbours: `mbox.rs` and `maildir.rs` (in `intake/`) produce raw bytes plus a source time from
//! import files; IMAP and the `ingest` pipe hand raw bytes in directly. Whatever the source, the
//! raw bytes stay the legal record: callers store them untouched, and [`InboundMessage::sha256`]
//! is the hash of exactly those bytes.
//!
//! Robustness rules this module keeps:
//! - [`parse_message`] never panics on any input. mail-parser itself is defensive; as a last line
//!   the whole conversion runs under `catch_unwind` and a panic becomes
//!   [`ParseError::ParserFailure`], a quarantine reason like every other [`ParseError`].
//! - Input is bounded: mails above [`ParseOptions::max_size`] are rejected before parsing.
//! - Leading blank lines (mail-parser then sees no headers), a UTF-8 BOM and an mbox `From ` line
//!   are skipped before parsing; the hash still covers the bytes as received.
//! - Text never carries NUL characters (PostgreSQL `TEXT` rejects them), and line ends in bodies
//!   are `\n`.
//! - Charsets: mail-parser decodes the common single-byte charsets (Windows-1252, ISO-8859-x, ...)
//!   itself. Where it could not, this module repairs what it safely can (8-bit text without a
//!   declared charset, raw 8-bit header fields, UTF-8 declared but Latin-1 sent), using the
//!   mail's own declared charset or Windows-1252, the usual default of Spanish-language clients.
//!   Whatever stays undecodable sets [`InboundMessage::encoding_problem`], with the reasons listed
//!   in [`HeaderSummary::encoding_problems`]. Multi-byte Asian charsets (GB2312, Big5, Shift_JIS,
//!   EUC-*, ISO-2022-JP, KS C 5601) are decoded only when mail-parser is built with its
//!   `full_encoding` feature; without it such mails parse but are flagged.

//!
//! Layout of this folder:
//! - this file: the public types, [`parse_message`] and the conversion that ties the parts
//!   together;
//! - `headers.rs`: header access, Message-ID normalisation, the dedupe key and
//!   [`content_digest`], threading ids and radicados, received dates ([`received_at`]);
//! - `charset.rs`: charset repair and decoding of header fields and text parts;
//! - `body.rs`: the text and HTML bodies;
//! - `attachments.rs`: attachments, their kinds and safe file names;
//! - `classify.rs`: automatic mail and bounce detection, a pure function of the parsed mail that
//!   gives the typed [`HeaderSummary`].

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use mail_parser::{HeaderName, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use sha2::{Digest, Sha256};

mod attachments;
mod body;
mod charset;
mod classify;
mod headers;
#[cfg(test)]
mod test_support;

pub use classify::{automatic_reason, HeaderSummary};
pub use headers::{
    content_digest, dedupe_key, find_radicados, normalize_message_id, received_at,
    received_at_with_source, ReceivedAtSource,
};

use headers::{
    collect_ids, convert_addr, parse_return_path, raw_header_values, to_chrono,
    topmost_received_date,
};

/// Default upper bound of a raw mail accepted by [`parse_message`]: 25 MiB.
pub const DEFAULT_MAX_SIZE: usize = 25 * 1024 * 1024;

/// A mail address with its decoded display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    /// Display name, RFC 2047-decoded; `None` when absent or empty.
    pub name: Option<String>,
    /// The address, trimmed and lower-cased.
    pub email: String,
}

/// What kind of attachment a MIME part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// Any ordinary file.
    Regular,
    /// Outlook's TNEF container (`winmail.dat`, `application/ms-tnef`); not unpacked here, and it
    /// may hold the real body.
    Winmail,
    /// A whole mail attached as `message/rfc822` (or `message/global`); `bytes` are that mail.
    NestedMessage,
}

/// One attachment, decoded from its transfer encoding (base64 or quoted-printable).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// A safe file name: no directories, no control or reserved characters, at most 180 bytes;
    /// `adjunto-N.ext` (or `mensaje-adjunto-N.eml`, `winmail.dat`) when the mail gives none.
    pub filename: String,
    /// Lower-cased `type/subtype`.
    pub content_type: String,
    /// Length of `bytes`.
    pub size: u64,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The file as sent (for text attachments: the original bytes, not re-encoded).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Regular file, TNEF container or attached mail.
    pub kind: AttachmentKind,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("sha256", &self.sha256)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A parsed mail, owning all its data. Built only by [`parse_message`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboundMessage {
    /// Hex SHA-256 of the raw bytes exactly as received (before any trimming).
    pub sha256: String,
    /// [`content_digest`] of the raw bytes: equal for two deliveries of one mail.
    pub content_sha256: String,
    /// Normalised Message-ID (see [`normalize_message_id`]); `None` if absent or empty.
    pub message_id: Option<String>,
    /// Normalised ids of all `In-Reply-To` headers, in order, without duplicates.
    pub in_reply_to: Vec<String>,
    /// Normalised ids of all `References` headers, in order, without duplicates.
    pub references: Vec<String>,
    /// Decoded subject on one line, trimmed; `""` if none.
    pub subject: String,
    /// First `From` address.
    pub from: Option<Address>,
    /// First `Reply-To` address.
    pub reply_to: Option<Address>,
    /// All `To` addresses (groups flattened).
    pub to: Vec<Address>,
    /// All `Cc` addresses (groups flattened).
    pub cc: Vec<Address>,
    /// The `Date:` header, if present and valid.
    pub date: Option<DateTime<Utc>>,
    /// Date of the topmost `Received:` header that carries a valid date (the part after `;`).
    pub received_date: Option<DateTime<Utc>>,
    /// Address of the `Return-Path` header, lower-cased; `Some("")` for the null path `<>`.
    pub return_path: Option<String>,
    /// The text body: text parts joined; HTML converted to text when a part has no text version.
    pub body_text: String,
    /// The HTML body parts joined, unsanitised (display code must sanitise); `None` if no HTML.
    pub body_html: Option<String>,
    /// Attachments, inline images and attached mails, in MIME order.
    pub attachments: Vec<Attachment>,
    /// Why the mail is automatic (an [`automatic_reason`] code); `None` for a human mail.
    pub automatic: Option<String>,
    /// For a delivery status notification: the normalised Message-ID of the mail that bounced,
    /// when it can be found (returned `message/rfc822` or `text/rfc822-headers` part, a
    /// `Message-ID:` line in the text, else the bounce's `In-Reply-To`). Whether it failed or was
    /// only delayed is [`HeaderSummary::dsn_action`].
    pub bounce_of: Option<String>,
    /// mail-parser flagged a malformed part, or some text could not be decoded reliably; the
    /// reasons are listed in [`HeaderSummary::encoding_problems`].
    pub encoding_problem: bool,
    /// Selected headers and computed facts for display and audit (see [`HeaderSummary`]);
    /// [`HeaderSummary::to_json`] is what is stored in the `headers` column.
    pub header_summary: HeaderSummary,
}

impl InboundMessage {
    /// True when [`Self::automatic`] is set.
    pub fn is_automatic(&self) -> bool {
        self.automatic.is_some()
    }
}

/// Limits and site facts for [`parse_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Largest raw mail accepted, in bytes (default [`DEFAULT_MAX_SIZE`], 25 MiB).
    pub max_size: usize,
    /// Domains that the service itself puts in the Message-IDs it generates (for example
    /// `pqrs.anm.gov.co`), compared case-insensitively and exactly (no subdomains). A mail whose
    /// Message-ID has one of them is our own mail coming back. Do not list the entity's general
    /// mail domain if staff clients use it in their Message-IDs: their forwards would then count
    /// as automatic.
    pub own_domains: Vec<String>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_size: DEFAULT_MAX_SIZE,
            own_domains: Vec::new(),
        }
    }
}

/// Why a mail could not be turned into an [`InboundMessage`]. Every variant is a quarantine
/// reason: the caller keeps the raw bytes with [`ParseError::code`] and the message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Larger than [`ParseOptions::max_size`]; not parsed at all.
    #[error("the message is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the raw mail in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// Zero bytes, or only whitespace.
    #[error("the message is empty")]
    Empty,
    /// No header section with any known mail header field (From, Date, Subject, Received, ...).
    #[error("the input is not a mail message: no known header fields were found")]
    NotAMessage,
    /// The parser failed unexpectedly (a caught panic); the text is the panic message.
    #[error("the mail parser failed unexpectedly: {0}")]
    ParserFailure(String),
}

impl ParseError {
    /// Stable snake_case code for storing as a quarantine reason.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::TooLarge { .. } => "too_large",
            ParseError::Empty => "empty",
            ParseError::NotAMessage => "not_a_message",
            ParseError::ParserFailure(_) => "parser_failure",
        }
    }
}

/// The one mail-parser instance, shared by the modules of this folder.
static PARSER: LazyLock<MessageParser> = LazyLock::new(MessageParser::default);

/// Parses one raw mail into an [`InboundMessage`].
///
/// Never panics. Rejects, without parsing, mails larger than `opts.max_size`
/// ([`ParseError::TooLarge`]); rejects empty input and input without any known header field.
/// Everything else parses, possibly with [`InboundMessage::encoding_problem`] set.
pub fn parse_message(raw: &[u8], opts: &ParseOptions) -> Result<InboundMessage, ParseError> {
    if raw.len() > opts.max_size {
        return Err(ParseError::TooLarge {
            size: raw.len(),
            limit: opts.max_size,
        });
    }
    let body = skip_leading_noise(raw);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    match catch_unwind(AssertUnwindSafe(|| build_message(raw, body, opts))) {
        Ok(result) => result,
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(ParseError::ParserFailure(text))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion

/// Skips what makes mail-parser miss the headers: a UTF-8 BOM, leading whitespace and blank lines,
/// and an mbox `From ` separator line (a single message saved from an mbox).
fn skip_leading_noise(raw: &[u8]) -> &[u8] {
    let mut s = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    let ws = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    s = &s[ws..];
    // `From sender date` (an mbox separator), but not the obsolete `From : address` header form.
    if s.starts_with(b"From ") && !s[5..].trim_ascii_start().starts_with(b":") {
        if let Some(nl) = s.iter().position(|&b| b == b'\n') {
            s = &s[nl + 1..];
            let ws = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
            s = &s[ws..];
        }
    }
    s
}

/// The conversion behind [`parse_message`] (run under `catch_unwind`): mail-parser's `Message`
/// to our [`InboundMessage`], each part of it done by its own module.
fn build_message(
    raw: &[u8],
    body: &[u8],
    opts: &ParseOptions,
) -> Result<InboundMessage, ParseError> {
    let msg = PARSER.parse(body).ok_or(ParseError::NotAMessage)?;
    let root_headers = &msg.parts.first().ok_or(ParseError::NotAMessage)?.headers;
    if !root_headers
        .iter()
        .any(|h| !matches!(h.name, HeaderName::Other(_)))
    {
        return Err(ParseError::NotAMessage);
    }

    let mut problems: Vec<String> = Vec::new();
    if any_parser_flag(&msg, 0) {
        problems.push("malformed_mime_part".to_string());
    }

    // Root charset: used to decode raw 8-bit header fields.
    let root_charset = msg
        .parts
        .first()
        .and_then(|p| p.content_type())
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.trim().to_ascii_lowercase());

    // Headers with raw 8-bit bytes are re-decoded into a synthetic header block.
    let repaired = charset::repair_raw_headers(&msg, root_charset.as_deref(), &mut problems);
    let repaired_msg = repaired
        .as_ref()
        .and_then(|bytes| PARSER.parse_headers(&bytes[..]));
    let hdr: &Message<'_> = repaired_msg.as_ref().unwrap_or(&msg);

    let subject = clean_inline(&charset::decode_iso2022_header(
        hdr.subject().unwrap_or(""),
        &mut problems,
    ));
    if subject.contains('\u{FFFD}') {
        problems.push("undecodable_header:subject".to_string());
    }
    let from = hdr.from().and_then(|a| a.iter().find_map(convert_addr));
    let reply_to = hdr.reply_to().and_then(|a| a.iter().find_map(convert_addr));
    let to: Vec<Address> = hdr
        .all_to()
        .flat_map(|a| a.iter())
        .filter_map(convert_addr)
        .collect();
    let cc: Vec<Address> = hdr
        .all_cc()
        .flat_map(|a| a.iter())
        .filter_map(convert_addr)
        .collect();
    let sender = hdr.sender().and_then(|a| a.iter().find_map(convert_addr));
    if from
        .iter()
        .chain(reply_to.iter())
        .chain(to.iter())
        .chain(cc.iter())
        .any(|a| a.name.as_deref().is_some_and(|n| n.contains('\u{FFFD}')))
    {
        problems.push("undecodable_header:address_name".to_string());
    }

    let message_id = raw_header_values(&msg, "Message-ID").find_map(|v| normalize_message_id(&v));
    let in_reply_to = collect_ids(raw_header_values(&msg, "In-Reply-To"));
    let references = collect_ids(raw_header_values(&msg, "References"));
    let date = msg.date().and_then(to_chrono);
    let received_date = topmost_received_date(&msg);
    let return_path = raw_header_values(&msg, "Return-Path")
        .next()
        .and_then(|v| parse_return_path(&v));

    let (body_text, body_html) = body::extract_bodies(&msg, &mut problems);
    let attachments = attachments::extract_attachments(&msg, root_charset.as_deref(), &mut problems);

    // Problems are reported once each, in the order found.
    let mut unique: Vec<String> = Vec::with_capacity(problems.len());
    for p in problems {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    let problems = unique;

    let verdict = classify::classify(
        &msg,
        &classify::Facts {
            message_id: message_id.as_deref(),
            in_reply_to: &in_reply_to,
            from: from.as_ref(),
            sender: sender.as_ref(),
            return_path: return_path.as_deref(),
            body_text: &body_text,
            charset: root_charset.as_deref(),
            encoding_problems: &problems,
        },
        &opts.own_domains,
    );

    Ok(InboundMessage {
        sha256: hex::encode(Sha256::digest(raw)),
        content_sha256: content_digest(raw),
        message_id,
        in_reply_to,
        references,
        subject,
        from,
        reply_to,
        to,
        cc,
        date,
        received_date,
        return_path,
        body_text,
        body_html,
        attachments,
        automatic: verdict.automatic,
        bounce_of: verdict.bounce_of,
        encoding_problem: !problems.is_empty(),
        header_summary: verdict.summary,
    })
}

/// True when mail-parser flagged any part, nested mails included.
fn any_parser_flag(msg: &Message<'_>, depth: usize) -> bool {
    msg.parts.iter().any(|p| {
        p.is_encoding_problem
            || (depth < 8
                && matches!(&p.body, PartType::Message(m) if any_parser_flag(m, depth + 1)))
    })
}

// ---------------------------------------------------------------------------------------------
// Text helpers shared by the modules of this folder

/// One line of display text: control characters (NUL, CR, LF, tabs) become spaces, runs of
/// whitespace collapse, ends trimmed.
fn clean_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// At most `max` characters (not bytes).
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::parse::test_support::*;

    #[test]
    fn leading_blank_lines_bom_and_mbox_from_line_are_skipped() {
        let m = parse("\r\n   \r\n\t\r\nFrom: a@example.com\r\nSubject: con espacios\r\n\r\nx\r\n");
        assert_eq!(m.subject, "con espacios");
        let m = parse("\u{feff}From: a@example.com\r\nSubject: bom\r\n\r\nx\r\n");
        assert_eq!(m.subject, "bom");
        // The obsolete `From :` header form is a header, not an mbox separator.
        let m = parse("From : viejo@example.com\r\nSubject: obs\r\n\r\nx\r\n");
        assert_eq!(
            m.from.map(|a| a.email).as_deref(),
            Some("viejo@example.com")
        );
        let raw = "From a@example.com Mon Jan 12 14:39:59 2026\nFrom: a@example.com\nSubject: mbox\n\nx\n";
        let m = parse(raw);
        assert_eq!(m.subject, "mbox");
        assert_eq!(m.from.map(|a| a.email).as_deref(), Some("a@example.com"));
        // The hash covers the bytes as received.
        assert_eq!(m.sha256, hex::encode(Sha256::digest(raw.as_bytes())));
    }

    #[test]
    fn too_large_mails_are_rejected_without_parsing() {
        let raw = format!(
            "From: a@example.com\r\nSubject: big\r\n\r\n{}\r\n",
            "x".repeat(2000)
        );
        let small = ParseOptions {
            max_size: 1000,
            ..ParseOptions::default()
        };
        let err = parse_message(raw.as_bytes(), &small).expect_err("too large");
        assert_eq!(
            err,
            ParseError::TooLarge {
                size: raw.len(),
                limit: 1000
            }
        );
        assert_eq!(err.code(), "too_large");
        assert!(err
            .to_string()
            .contains("more than the limit of 1000 bytes"));
        let exact = ParseOptions {
            max_size: raw.len(),
            ..ParseOptions::default()
        };
        assert!(parse_message(raw.as_bytes(), &exact).is_ok());
        assert_eq!(ParseOptions::default().max_size, 25 * 1024 * 1024);
    }

    #[test]
    fn empty_and_garbage_input_are_errors() {
        assert_eq!(parse_message(b"", &opts()), Err(ParseError::Empty));
        assert_eq!(
            parse_message(b" \r\n\r\n\t ", &opts()),
            Err(ParseError::Empty)
        );
        assert_eq!(ParseError::Empty.code(), "empty");
        for garbage in [
            &b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"[..],
            b"\x00\x01\x02\xff\xfe garbage without colon\n\nbody",
            b"asdf:qwer\nzz",
            b"just one line of text",
            b"\n\n\nbody only",
        ] {
            assert_eq!(
                parse_message(garbage, &opts()),
                Err(ParseError::NotAMessage),
                "{garbage:?}"
            );
        }
        assert_eq!(ParseError::NotAMessage.code(), "not_a_message");
    }

    /// Deterministic pseudo-random bytes (no `rand` dependency in this module's tests).
    fn lcg_bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 33) as u8
            })
            .collect()
    }

    #[test]
    fn never_panics_on_random_bytes_or_truncated_mails() {
        for seed in 0..200u64 {
            let len = (seed as usize * 37) % 3000;
            let _ = parse_message(&lcg_bytes(seed, len), &opts());
            // Random bytes behind a valid header block.
            let mut raw =
                b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                    .to_vec();
            raw.extend(lcg_bytes(seed, len));
            let _ = parse_message(&raw, &opts());
        }
        let samples: [&[u8]; 4] = [
            include_bytes!("../../../tests/data/mail/006.eml"),
            include_bytes!("../../../tests/data/mail/040.eml"),
            include_bytes!("../../../tests/data/mail/088.eml"),
            BOUNCE.as_bytes(),
        ];
        for sample in samples {
            for cut in (0..sample.len()).step_by(97) {
                let _ = parse_message(&sample[..cut], &opts());
            }
        }
    }
}
