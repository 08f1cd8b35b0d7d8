//! Mail parsing: raw RFC 5322 bytes in, our own owned [`InboundMessage`] out.
//!
//! This is the anti-corruption layer of intake (STYLE.md practice 10): mail-parser's borrowed
//! `Message` is used only inside this module and converted straight into [`InboundMessage`], which
//! owns everything and carries what the rest of the service needs: normalised ids for dedupe and
//! threading, decoded subject and addresses, text and HTML bodies, attachments, the automatic-mail
//! verdict of DESIGN.md §2, the bounce target and the dates for DESIGN.md §3.
//!
//! Neighbours: `mbox.rs` and `maildir.rs` (same folder) produce raw bytes plus a source time from
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
//!   under `"encoding_problems"` in [`InboundMessage::header_summary`]. Multi-byte Asian charsets
//!   (GB2312, Big5, Shift_JIS, EUC-*, ISO-2022-JP, KS C 5601) are decoded only when mail-parser is
//!   built with its `full_encoding` feature; without it such mails parse but are flagged.

use std::borrow::Cow;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;
use mail_parser::{
    Encoding, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Default upper bound of a raw mail accepted by [`parse_message`]: 25 MiB.
pub const DEFAULT_MAX_SIZE: usize = 25 * 1024 * 1024;

/// Reason codes for [`InboundMessage::automatic`] (DESIGN.md §2: stored and counted, never
/// acknowledged, never a case). When several signals are present the first one in this list wins;
/// all of them are listed under `"automatic_signals"` in [`InboundMessage::header_summary`].
pub mod automatic_reason {
    /// `multipart/report; report-type=delivery-status`, or a `message/delivery-status` part: a
    /// bounce or delay notice (see [`super::InboundMessage::bounce_of`]).
    pub const DELIVERY_STATUS_REPORT: &str = "delivery_status_report";
    /// `multipart/report; report-type=disposition-notification`: a read receipt (RFC 8098).
    pub const DISPOSITION_NOTIFICATION: &str = "disposition_notification";
    /// Any other `multipart/report` (abuse feedback, TLS reports, ...).
    pub const REPORT: &str = "report";
    /// The Message-ID's domain is one of [`super::ParseOptions::own_domains`]: our own mail came back.
    pub const OWN_MESSAGE_ID: &str = "own_message_id";
    /// RFC 3834 `Auto-Submitted` with a value other than `no`.
    pub const AUTO_SUBMITTED: &str = "auto_submitted";
    /// `X-Autoreply` (other than `no`) or `X-Autorespond`, set by common vacation responders.
    pub const AUTOREPLY_HEADER: &str = "autoreply_header";
    /// `Precedence: bulk`.
    pub const PRECEDENCE_BULK: &str = "precedence_bulk";
    /// `Precedence: junk`.
    pub const PRECEDENCE_JUNK: &str = "precedence_junk";
    /// `Precedence: list`.
    pub const PRECEDENCE_LIST: &str = "precedence_list";
    /// `Precedence: auto_reply` (also `auto-reply`).
    pub const PRECEDENCE_AUTO_REPLY: &str = "precedence_auto_reply";
    /// A `List-Id` header: mailing-list traffic.
    pub const LIST_ID: &str = "list_id";
    /// `Return-Path: <>`: the null reverse path that bounces and auto-replies use.
    pub const NULL_RETURN_PATH: &str = "null_return_path";
    /// `From` or `Sender` local part is `mailer-daemon` or `postmaster`.
    pub const MAILER_DAEMON: &str = "mailer_daemon";
}

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
    /// only delayed is `"dsn_action"` in `header_summary`.
    pub bounce_of: Option<String>,
    /// mail-parser flagged a malformed part, or some text could not be decoded reliably; the
    /// reasons are listed under `"encoding_problems"` in `header_summary`.
    pub encoding_problem: bool,
    /// A small JSON object for display and audit: selected headers (`auto_submitted`,
    /// `precedence`, `list_id`, `list_unsubscribe`, `x_mailer`, `user_agent`, `content_type`,
    /// `charset`, `x_auto_response_suppress`, ...), each at most 256 characters, plus the computed
    /// `automatic_signals`, `encoding_problems`, `report_type`, `dsn_action`, `dsn_status` and
    /// `received_count` when relevant. Keys are present only when they have a value.
    pub header_summary: serde_json::Value,
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

static PARSER: LazyLock<MessageParser> = LazyLock::new(MessageParser::default);

static RADICADO_RE: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII digits and ASCII word boundaries: fast (STACK.md §7) and not fooled by other scripts.
    Regex::new(r"(?-u:\b)20[0-9]{2}[0-9]{3}[0-9]{6,7}[123](?-u:\b)").expect("valid radicado regex")
});

static MESSAGE_ID_LINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^[ \t>]*message-id:[ \t]*(<[^<>\r\n]+>|[^\s<>]+@[^\s<>]+)")
        .expect("valid Message-ID line regex")
});

static HTML_BLOCK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(/?)(div|li|tr|h[1-6]|table|blockquote|ul|ol|dd|dt|section|article|header|footer|pre|hr)(?-u:\b)")
        .expect("valid HTML block regex")
});

static HTML_CELL_END_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)</t[dh]\s*>").expect("valid HTML cell regex"));

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

/// Normalises a Message-ID (or one id of In-Reply-To/References) for comparison: the first
/// `<...>` token if there is one (else the whole value), without angle brackets, whitespace or
/// control characters. Case is kept. Returns `None` when nothing is left, or when the id is longer
/// than 998 bytes (the RFC 5322 line limit), so an absurd id falls back to the SHA-256 dedupe key.
pub fn normalize_message_id(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = match s.find('<') {
        Some(start) => {
            let rest = &s[start + 1..];
            match rest.find('>') {
                Some(end) => &rest[..end],
                None => rest,
            }
        }
        None => s,
    };
    let id: String = inner
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '<' && *c != '>')
        .collect();
    if id.is_empty() || id.len() > 998 {
        None
    } else {
        Some(id)
    }
}

/// The key under which a mail is recorded once (DESIGN.md §2): `mid:<message-id>#<content digest>`
/// when the mail has a Message-ID, else `sha256:<hex of the raw bytes>`. A redelivery of the same
/// mail (transport headers added or changed on the way) gives the same key; a *different* mail that
/// reuses a Message-ID gives another key and is filed like any other (and flagged).
pub fn dedupe_key(msg: &InboundMessage) -> String {
    match &msg.message_id {
        Some(id) => format!("mid:{id}#{}", msg.content_sha256),
        None => format!("sha256:{}", msg.sha256),
    }
}

/// The headers that the author of a mail sets and that a transport never adds or rewrites. Two
/// deliveries of one mail agree on these and on the body; `Received`, `Return-Path`,
/// `Delivered-To`, spam and authentication verdicts, IMAP/mbox status headers and any other
/// header added on the way are left out.
const CONTENT_HEADERS: &[&str] = &[
    "from", "sender", "reply-to", "to", "cc", "subject", "date", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding",
];

/// Hex SHA-256 of what identifies a mail's content: the [`CONTENT_HEADERS`] in their order
/// (names lower-cased, folded lines joined, runs of white space collapsed) and the bytes after the
/// header block (line ends normalised to LF). Leading blank lines are skipped as the parser does.
pub fn content_digest(raw: &[u8]) -> String {
    let raw = skip_leading_noise(raw);
    let (head, body) = split_header_block(raw);
    let mut h = Sha256::new();
    let mut current: Vec<u8> = Vec::new();
    let flush = |line: &[u8], h: &mut Sha256| {
        let Some(colon) = line.iter().position(|&b| b == b':') else { return };
        let name = line[..colon].trim_ascii().to_ascii_lowercase();
        if !CONTENT_HEADERS.iter().any(|n| n.as_bytes() == name.as_slice()) {
            return;
        }
        h.update(&name);
        h.update(b":");
        let mut space = false;
        for &b in line[colon + 1..].trim_ascii() {
            if b.is_ascii_whitespace() {
                space = true;
            } else {
                if space {
                    h.update(b" ");
                    space = false;
                }
                h.update([b]);
            }
        }
        h.update(b"\n");
    };
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if matches!(line.first(), Some(b' ' | b'\t')) && !current.is_empty() {
            current.push(b' ');
            current.extend_from_slice(line);
            continue;
        }
        flush(&current, &mut h);
        current.clear();
        current.extend_from_slice(line);
    }
    flush(&current, &mut h);
    h.update(b"\n");
    let mut start = 0;
    for (i, pair) in body.windows(2).enumerate() {
        if pair == b"\r\n" {
            h.update(&body[start..i]);
            start = i + 1;
        }
    }
    h.update(&body[start..]);
    hex::encode(h.finalize())
}

/// The header block and the bytes after the blank line that ends it (empty when there is none).
fn split_header_block(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < raw.len() {
        match raw[i..].iter().position(|&b| b == b'\n') {
            None => return (raw, &[]),
            Some(p) => {
                let next = i + p + 1;
                let rest = &raw[next..];
                if rest.starts_with(b"\r\n") {
                    return (&raw[..next], &rest[2..]);
                }
                if rest.starts_with(b"\n") {
                    return (&raw[..next], &rest[1..]);
                }
                i = next;
            }
        }
    }
    (raw, &[])
}

/// Finds radicado numbers (DESIGN.md §2: year, 3-digit unit, 6- or 7-digit consecutive, type digit
/// 1/2/3; 14 or 15 digits) standing as whole numbers in `text`, in order of first appearance and
/// without duplicates. Digits inside longer numbers do not count.
pub fn find_radicados(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for m in RADICADO_RE.find_iter(text) {
        if !found.iter().any(|f| f == m.as_str()) {
            found.push(m.as_str().to_string());
        }
    }
    found
}

/// Which candidate [`received_at_with_source`] used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceivedAtSource {
    /// The time the source gave: IMAP INTERNALDATE, Maildir delivery time, mbox `From ` line.
    Source,
    /// The topmost `Received:` header.
    ReceivedHeader,
    /// The `Date:` header.
    DateHeader,
    /// The time of intake (`now`).
    IntakeTime,
}

impl ReceivedAtSource {
    /// Stable snake_case code, for audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceivedAtSource::Source => "source",
            ReceivedAtSource::ReceivedHeader => "received_header",
            ReceivedAtSource::DateHeader => "date_header",
            ReceivedAtSource::IntakeTime => "intake_time",
        }
    }
}

/// When a mail was received (DESIGN.md §3): it decides the month it is counted in and the start of
/// its legal term.
///
/// Candidates, first acceptable one wins:
/// 1. `source_time`: what the mailbox recorded (IMAP INTERNALDATE, the Maildir delivery time, the
///    mbox `From ` line); pass `None` for a loose .eml or stdin;
/// 2. the date of the topmost `Received:` header ([`InboundMessage::received_date`]);
/// 3. the `Date:` header (set by the sender's client, so the least trustworthy);
/// 4. `now`, the time of intake.
///
/// A candidate is rejected as absurd when it is before 1990-01-01 UTC or more than one day after
/// `now` (a wrong clock, a broken header); the next candidate is then used.
pub fn received_at(
    msg: &InboundMessage,
    source_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    received_at_with_source(msg, source_time, now).0
}

/// Like [`received_at`], also telling which candidate was used.
pub fn received_at_with_source(
    msg: &InboundMessage,
    source_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, ReceivedAtSource) {
    let earliest = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).single();
    let latest = now.checked_add_signed(Duration::days(1)).unwrap_or(now);
    let plausible = |t: &DateTime<Utc>| earliest.is_none_or(|e| *t >= e) && *t <= latest;
    [
        (source_time, ReceivedAtSource::Source),
        (msg.received_date, ReceivedAtSource::ReceivedHeader),
        (msg.date, ReceivedAtSource::DateHeader),
    ]
    .into_iter()
    .find_map(|(t, src)| t.filter(plausible).map(|t| (t, src)))
    .unwrap_or((now, ReceivedAtSource::IntakeTime))
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
    let repaired = repair_raw_headers(&msg, root_charset.as_deref(), &mut problems);
    let repaired_msg = repaired
        .as_ref()
        .and_then(|bytes| PARSER.parse_headers(&bytes[..]));
    let hdr: &Message<'_> = repaired_msg.as_ref().unwrap_or(&msg);

    let subject = clean_inline(&decode_iso2022_header(
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

    let (body_text, body_html) = extract_bodies(&msg, &mut problems);
    let attachments = extract_attachments(&msg, root_charset.as_deref(), &mut problems);

    // Automatic-mail signals, most specific first.
    let report_type = msg
        .parts
        .first()
        .and_then(|p| p.content_type())
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .map(|ct| {
            ct.attribute("report-type")
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let delivery_status = find_delivery_status(&msg);
    let mut signals: Vec<&'static str> = Vec::new();
    match report_type.as_deref() {
        Some("delivery-status") => signals.push(automatic_reason::DELIVERY_STATUS_REPORT),
        Some("disposition-notification") => {
            signals.push(automatic_reason::DISPOSITION_NOTIFICATION)
        }
        Some(_) if delivery_status.is_some() => {
            signals.push(automatic_reason::DELIVERY_STATUS_REPORT)
        }
        Some(_) => signals.push(automatic_reason::REPORT),
        None if delivery_status.is_some() => signals.push(automatic_reason::DELIVERY_STATUS_REPORT),
        None => {}
    }
    if let Some(domain) = message_id
        .as_deref()
        .and_then(|id| id.rsplit_once('@'))
        .map(|(_, d)| d)
    {
        if opts
            .own_domains
            .iter()
            .any(|own| own.trim().eq_ignore_ascii_case(domain))
        {
            signals.push(automatic_reason::OWN_MESSAGE_ID);
        }
    }
    let auto_submitted = first_raw(&msg, "Auto-Submitted");
    if let Some(v) = &auto_submitted {
        let token = v.split(';').next().unwrap_or("").trim();
        if !token.is_empty() && !token.eq_ignore_ascii_case("no") {
            signals.push(automatic_reason::AUTO_SUBMITTED);
        }
    }
    let x_autoreply = first_raw(&msg, "X-Autoreply");
    let x_autorespond = first_raw(&msg, "X-Autorespond");
    if x_autoreply
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("no"))
        || x_autorespond.is_some()
    {
        signals.push(automatic_reason::AUTOREPLY_HEADER);
    }
    let precedence = first_raw(&msg, "Precedence");
    if let Some(p) = &precedence {
        match p.trim().to_ascii_lowercase().as_str() {
            "bulk" => signals.push(automatic_reason::PRECEDENCE_BULK),
            "junk" => signals.push(automatic_reason::PRECEDENCE_JUNK),
            "list" => signals.push(automatic_reason::PRECEDENCE_LIST),
            "auto_reply" | "auto-reply" => signals.push(automatic_reason::PRECEDENCE_AUTO_REPLY),
            _ => {}
        }
    }
    let list_id = first_raw(&msg, "List-Id");
    if list_id.as_deref().is_some_and(|v| !v.trim().is_empty()) {
        signals.push(automatic_reason::LIST_ID);
    }
    if return_path.as_deref() == Some("") {
        signals.push(automatic_reason::NULL_RETURN_PATH);
    }
    let daemon = |a: &Option<Address>| a.as_ref().is_some_and(|a| is_mailer_daemon(&a.email));
    let from_daemon = daemon(&from) || daemon(&sender);
    if from_daemon {
        signals.push(automatic_reason::MAILER_DAEMON);
    }
    let automatic = signals.first().map(|s| (*s).to_string());

    // A bounce: a DSN, a mail from mailer-daemon/postmaster, or one with X-Failed-Recipients (Exim).
    let x_failed = first_raw(&msg, "X-Failed-Recipients");
    let is_bounce = signals.contains(&automatic_reason::DELIVERY_STATUS_REPORT)
        || from_daemon
        || x_failed.is_some();
    let bounce_of = if is_bounce {
        find_bounced_id(&msg, &body_text)
            .or_else(|| in_reply_to.first().cloned())
            .filter(|id| Some(id) != message_id.as_ref())
    } else {
        None
    };
    let (dsn_action, dsn_status) = delivery_status
        .as_deref()
        .map(parse_dsn)
        .unwrap_or((None, None));

    // Summary for display and audit.
    let mut summary = serde_json::Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value
            .map(|v| truncate_chars(&v.replace('\0', ""), 256))
            .filter(|v| !v.is_empty())
        {
            summary.insert(key.to_string(), serde_json::Value::String(v));
        }
    };
    put("auto_submitted", auto_submitted);
    put("precedence", precedence);
    put("list_id", list_id);
    put("list_unsubscribe", first_raw(&msg, "List-Unsubscribe"));
    put("x_autoreply", x_autoreply);
    put("x_autorespond", x_autorespond);
    put(
        "x_auto_response_suppress",
        first_raw(&msg, "X-Auto-Response-Suppress"),
    );
    put("x_mailer", first_raw(&msg, "X-Mailer"));
    put("user_agent", first_raw(&msg, "User-Agent"));
    put("return_path", first_raw(&msg, "Return-Path"));
    put("sender", first_raw(&msg, "Sender"));
    put("delivered_to", first_raw(&msg, "Delivered-To"));
    put("x_failed_recipients", x_failed);
    put("x_loop", first_raw(&msg, "X-Loop"));
    put("x_spam_flag", first_raw(&msg, "X-Spam-Flag"));
    put(
        "content_type",
        msg.parts
            .first()
            .and_then(|p| p.content_type())
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            }),
    );
    put("charset", root_charset);
    put("report_type", report_type);
    put("dsn_action", dsn_action);
    put("dsn_status", dsn_status);
    let received_count = raw_header_values(&msg, "Received").count();
    if received_count > 0 {
        summary.insert("received_count".into(), received_count.into());
    }
    if !signals.is_empty() {
        summary.insert(
            "automatic_signals".into(),
            signals
                .iter()
                .map(|s| serde_json::Value::from(*s))
                .collect(),
        );
    }
    let mut unique: Vec<String> = Vec::with_capacity(problems.len());
    for p in problems {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    let problems = unique;
    if !problems.is_empty() {
        summary.insert(
            "encoding_problems".into(),
            problems
                .iter()
                .map(|s| serde_json::Value::from(s.as_str()))
                .collect(),
        );
    }

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
        automatic,
        bounce_of,
        encoding_problem: !problems.is_empty(),
        header_summary: serde_json::Value::Object(summary),
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
// Headers

/// Raw values of the root header fields called `name` (case-insensitive), unfolded, trimmed,
/// without NULs, in order.
fn raw_header_values<'m>(msg: &'m Message<'_>, name: &'m str) -> impl Iterator<Item = String> + 'm {
    let raw: &[u8] = &msg.raw_message;
    msg.parts
        .first()
        .map(|p| p.headers.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(move |h| h.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(move |h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(|bytes| {
            String::from_utf8_lossy(bytes)
                .chars()
                .filter(|c| *c != '\r' && *c != '\n' && *c != '\0')
                .collect::<String>()
                .trim()
                .to_string()
        })
}

fn first_raw(msg: &Message<'_>, name: &str) -> Option<String> {
    raw_header_values(msg, name).next()
}

/// Normalised ids from id-list header values: every `<...>` token, or whitespace/comma separated
/// tokens when a value has no angle brackets. Duplicates dropped, order kept.
fn collect_ids(values: impl Iterator<Item = String>) -> Vec<String> {
    fn push(ids: &mut Vec<String>, id: Option<String>) {
        if let Some(id) = id {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let mut ids: Vec<String> = Vec::new();
    for value in values {
        if value.contains('<') {
            let mut rest = value.as_str();
            while let Some(start) = rest.find('<') {
                let after = &rest[start + 1..];
                let end = after.find('>').unwrap_or(after.len());
                push(&mut ids, normalize_message_id(&after[..end]));
                rest = after.get(end + 1..).unwrap_or("");
            }
        } else {
            for token in value.split(|c: char| c.is_whitespace() || c == ',') {
                push(&mut ids, normalize_message_id(token));
            }
        }
        if ids.len() >= 500 {
            break;
        }
    }
    ids.truncate(500);
    ids
}

/// `Some("")` for `<>`, the address between the angle brackets (lower-cased) otherwise.
fn parse_return_path(value: &str) -> Option<String> {
    let v = value.trim();
    let inner = match v.find('<') {
        Some(start) => {
            let after = &v[start + 1..];
            &after[..after.find('>').unwrap_or(after.len())]
        }
        None if v.is_empty() => return None,
        None => v,
    };
    Some(inner.trim().to_lowercase())
}

fn topmost_received_date(msg: &Message<'_>) -> Option<DateTime<Utc>> {
    let raw: &[u8] = &msg.raw_message;
    let headers = msg.parts.first()?.headers.as_slice();
    headers
        .iter()
        .filter(|h| matches!(h.name, HeaderName::Received))
        .take(100)
        .find_map(|h| {
            let parsed = match &h.value {
                HeaderValue::Received(r) => r.date.as_ref().and_then(to_chrono),
                _ => None,
            };
            parsed.or_else(|| {
                // mail-parser could not read the trace field: take the text after the last ';'.
                let text = String::from_utf8_lossy(
                    raw.get(h.offset_start as usize..h.offset_end as usize)?,
                )
                .into_owned();
                let (_, after) = text.rsplit_once(';')?;
                parse_date_text(after)
            })
        })
}

/// Parses an RFC 5322 date (leniently, as mail-parser does) into UTC.
pub(crate) fn parse_date_text(text: &str) -> Option<DateTime<Utc>> {
    let clean: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    let synthetic = format!("Date: {}\r\n\r\n", clean.trim());
    let m = PARSER.parse_headers(synthetic.as_bytes())?;
    m.date().and_then(to_chrono)
}

/// Header text still holding ISO-2022-JP escape sequences (an encoded word mail-parser could not
/// decode without `full_encoding`): decoded when possible, else recorded as a problem.
fn decode_iso2022_header(text: &str, problems: &mut Vec<String>) -> String {
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

fn to_chrono(d: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !d.is_valid() {
        return None;
    }
    DateTime::from_timestamp(d.to_timestamp(), 0)
}

fn convert_addr(a: &mail_parser::Addr<'_>) -> Option<Address> {
    // `From: "user@example.com"` (a quoted string only) comes back as a name without address.
    let address = a.address().or_else(|| {
        a.name()
            .map(str::trim)
            .filter(|n| n.contains('@') && !n.contains(char::is_whitespace))
    })?;
    let email = clean_inline(address)
        .trim_matches(|c| c == '<' || c == '>')
        .trim()
        .to_lowercase();
    if email.is_empty() {
        return None;
    }
    let name = a
        .name()
        .filter(|_| a.address().is_some())
        .map(clean_inline)
        .filter(|n| !n.is_empty());
    Some(Address { name, email })
}

fn is_mailer_daemon(email: &str) -> bool {
    let local = email.split('@').next().unwrap_or("");
    matches!(
        local,
        "mailer-daemon" | "mailer_daemon" | "mailerdaemon" | "postmaster"
    )
}

/// Header fields whose display text we use; these get re-decoded when they hold raw 8-bit bytes.
const TEXT_HEADERS: [&str; 6] = ["subject", "from", "to", "cc", "reply-to", "sender"];

/// When one of [`TEXT_HEADERS`] holds raw 8-bit bytes that are not UTF-8 (mail-parser would show
/// U+FFFD), returns a synthetic header block in UTF-8 with those fields decoded with the mail's
/// declared charset, else Windows-1252. Returns `None` when nothing needs repair.
fn repair_raw_headers(
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
// Bodies and charsets

fn extract_bodies(msg: &Message<'_>, problems: &mut Vec<String>) -> (String, Option<String>) {
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

/// Repairs the decoded text of one body part where mail-parser could not decode it; returns the
/// replacement text, or `None` to keep mail-parser's text. Records what stays undecodable.
fn repair_text_part(
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
fn transfer_decoded_bytes(raw: &[u8], part: &MessagePart<'_>) -> Option<Vec<u8>> {
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

fn windows_1252() -> mail_parser::decoders::charsets::DecoderFnc {
    charset_decoder(b"windows-1252").unwrap_or(latin1_fallback)
}

/// Only used if mail-parser ever stops knowing windows-1252: ISO-8859-1 maps bytes to code points.
fn latin1_fallback(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn is_utf8_label(label: &str) -> bool {
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
fn looks_garbled(text: &str) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Attachments

fn extract_attachments(
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

// ---------------------------------------------------------------------------------------------
// Bounces

/// The body of the `message/delivery-status` (or `message/global-delivery-status`) part, if any.
fn find_delivery_status(msg: &Message<'_>) -> Option<String> {
    msg.parts.iter().find_map(|p| {
        let ct = p.content_type()?;
        let sub = ct.subtype()?;
        if ct.ctype().eq_ignore_ascii_case("message")
            && (sub.eq_ignore_ascii_case("delivery-status")
                || sub.eq_ignore_ascii_case("global-delivery-status"))
        {
            let bytes = p.contents();
            Some(String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]).into_owned())
        } else {
            None
        }
    })
}

/// The most severe `Action:` (failed > delayed > delivered > relayed > expanded) and the first
/// `Status:` code of a delivery-status body.
fn parse_dsn(text: &str) -> (Option<String>, Option<String>) {
    const ORDER: [&str; 5] = ["failed", "delayed", "delivered", "relayed", "expanded"];
    let mut action: Option<usize> = None;
    let mut status: Option<String> = None;
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("action") {
            let v = value.to_ascii_lowercase();
            if let Some(rank) = ORDER.iter().position(|a| v.starts_with(a)) {
                action = Some(action.map_or(rank, |r: usize| r.min(rank)));
            }
        } else if name.trim().eq_ignore_ascii_case("status") && status.is_none() {
            let code: String = value
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if !code.is_empty() {
                status = Some(code);
            }
        }
    }
    (
        action.and_then(|r| ORDER.get(r)).map(|s| (*s).to_string()),
        status,
    )
}

/// The Message-ID of the returned mail: an attached `message/rfc822` part, a
/// `text/rfc822-headers` part, else a `Message-ID:` line in the text.
fn find_bounced_id(msg: &Message<'_>, body_text: &str) -> Option<String> {
    for part in &msg.parts {
        if let PartType::Message(nested) = &part.body {
            if let Some(id) =
                raw_header_values(nested, "Message-ID").find_map(|v| normalize_message_id(&v))
            {
                return Some(id);
            }
        } else if part.content_type().is_some_and(is_headers_part) {
            if let Some(id) = id_from_header_text(&String::from_utf8_lossy(part.contents())) {
                return Some(id);
            }
        }
    }
    // Non-standard bounces quote the original headers in the text.
    let mut texts: Vec<Cow<'_, str>> = vec![Cow::Borrowed(body_text)];
    for &id in &msg.attachments {
        if let Some(PartType::Text(t)) = msg.parts.get(id as usize).map(|p| &p.body) {
            texts.push(Cow::Borrowed(t.as_ref()));
        }
    }
    texts.iter().find_map(|t| {
        MESSAGE_ID_LINE_RE
            .captures(t)
            .and_then(|c| c.get(1))
            .and_then(|m| normalize_message_id(m.as_str()))
    })
}

fn is_headers_part(ct: &mail_parser::ContentType<'_>) -> bool {
    let sub = ct.subtype().unwrap_or("");
    (ct.ctype().eq_ignore_ascii_case("text") && sub.eq_ignore_ascii_case("rfc822-headers"))
        || (ct.ctype().eq_ignore_ascii_case("message")
            && (sub.eq_ignore_ascii_case("rfc822-headers")
                || sub.eq_ignore_ascii_case("global-headers")))
}

fn id_from_header_text(text: &str) -> Option<String> {
    let headers = PARSER.parse_headers(text.trim_start().as_bytes())?;
    let id = raw_header_values(&headers, "Message-ID").find_map(|v| normalize_message_id(&v));
    id.or_else(|| {
        MESSAGE_ID_LINE_RE
            .captures(text)
            .and_then(|c| c.get(1))
            .and_then(|m| normalize_message_id(m.as_str()))
    })
}

// ---------------------------------------------------------------------------------------------
// Text helpers

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

/// Body text: no NULs, `\n` line ends.
fn clean_body(s: &str) -> String {
    if !s.bytes().any(|b| b == b'\r' || b == 0) {
        return s.to_string();
    }
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "")
}

/// A charset name fit for a problem code: ASCII letters, digits and `-_.:` only, at most 40.
fn label_code(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .take(40)
        .collect()
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
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

    fn opts() -> ParseOptions {
        ParseOptions {
            own_domains: vec!["pqrs.anm.gov.co".to_string()],
            ..ParseOptions::default()
        }
    }

    fn parse(raw: &str) -> InboundMessage {
        parse_bytes(raw.as_bytes())
    }

    fn parse_bytes(raw: &[u8]) -> InboundMessage {
        match parse_message(raw, &opts()) {
            Ok(m) => m,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    fn problems(m: &InboundMessage) -> Vec<String> {
        m.header_summary
            .get("encoding_problems")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test date")
            .with_timezone(&Utc)
    }

    // --- Fixtures copied from the shared samples --------------------------------------------

    #[test]
    fn windows_1252_sample_decodes_to_correct_spanish() {
        let raw = include_bytes!("../../tests/data/mail/002.eml");
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
        assert_eq!(m.header_summary["charset"], "windows-1252");
    }

    #[test]
    fn iso_8859_1_quoted_printable_sample_decodes() {
        let m = parse_bytes(include_bytes!("../../tests/data/mail/010.eml"));
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
    fn outlook_sample_keeps_text_html_and_attachment() {
        let m = parse_bytes(include_bytes!("../../tests/data/mail/006.eml"));
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
        assert_eq!(m.header_summary["x_mailer"], "Microsoft Outlook 16.0");
        assert_eq!(m.header_summary["content_type"], "multipart/mixed");
        assert_eq!(m.automatic, None);
    }

    #[test]
    fn html_only_sample_is_converted_to_text() {
        let m = parse_bytes(include_bytes!("../../tests/data/mail/040.eml"));
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
    fn bare_pdf_sample_has_empty_subject_and_one_attachment() {
        let m = parse_bytes(include_bytes!("../../tests/data/mail/088.eml"));
        assert_eq!(m.subject, "");
        assert_eq!(m.body_text, "");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].filename, "scan0001.pdf");
        assert!(m.attachments[0].bytes.starts_with(b"%PDF"));
        assert_eq!(m.date, Some(utc("2026-09-14T10:42:47Z")));
    }

    #[test]
    fn reply_sample_quotes_a_radicado() {
        let m = parse_bytes(include_bytes!("../../tests/data/mail/096.eml"));
        assert_eq!(find_radicados(&m.subject), vec!["20265510019823"]);
    }

    // --- Charsets and encoded words ----------------------------------------------------------

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
        assert!(!m.encoding_problem, "{:?}", problems(&m));
    }

    #[test]
    fn raw_8bit_subject_without_any_charset_is_read_as_windows_1252() {
        let m = parse_bytes(b"From: a@example.com\r\nSubject: Reclamaci\xf3n \x96 urgente\r\n\r\nCuerpo en ASCII\r\n");
        assert_eq!(m.subject, "Reclamación – urgente");
        assert!(!m.encoding_problem, "{:?}", problems(&m));
    }

    #[test]
    fn undeclared_8bit_body_is_read_as_windows_1252() {
        let m = parse_bytes(b"From: a@example.com\r\nSubject: x\r\n\r\nBuenos d\xedas se\xf1ores, \x93gracias\x94\r\n");
        assert_eq!(m.body_text, "Buenos días señores, “gracias”\n");
        assert!(!m.encoding_problem, "{:?}", problems(&m));
    }

    #[test]
    fn utf8_declared_but_latin1_sent_is_repaired_and_flagged() {
        let m = parse_bytes(b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMiner\xeda ilegal\r\n");
        assert_eq!(m.body_text, "Minería ilegal\n");
        assert!(m.encoding_problem);
        assert_eq!(problems(&m), vec!["invalid_utf8_decoded_as_windows_1252"]);
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
        assert_eq!(problems(&m), vec!["unknown_charset:x-nonsense"]);
        assert_eq!(m.body_text, "Pequeño\n");
        // GB2312 "你好": decoded only when mail-parser has `full_encoding`; flagged otherwise.
        let m = parse_bytes(b"From: a@example.com\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n\xc4\xe3\xba\xc3\r\n");
        if m.body_text.contains('\u{FFFD}') {
            assert!(m.encoding_problem);
            assert_eq!(problems(&m), vec!["undecoded_charset:gb2312"]);
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
            assert_eq!(problems(&m), vec!["undecoded_charset:iso-2022-jp"]);
        } else {
            assert_eq!(m.body_text, "テスト\n");
        }
    }

    #[test]
    fn nul_bytes_never_reach_the_text() {
        let m = parse_bytes(b"From: a@example.com\r\nSubject: a\x00b\r\n\r\nuno\x00dos\r\n");
        assert_eq!(m.subject, "a b");
        assert_eq!(m.body_text, "unodos\n");
    }

    // --- MIME structure ------------------------------------------------------------------------

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

    // --- Automatic mail ----------------------------------------------------------------------

    fn auto_of(extra_headers: &str) -> Option<String> {
        let raw = format!(
            "From: Ciudadana <ciudadana@example.com>\r\nTo: contacto@anm.gov.co\r\nSubject: x\r\nMessage-ID: <1@example.com>\r\n{extra_headers}\r\nCuerpo\r\n"
        );
        parse(&raw).automatic
    }

    #[test]
    fn a_human_mail_is_not_automatic() {
        assert_eq!(auto_of(""), None);
        assert_eq!(auto_of("Auto-Submitted: no\r\n"), None);
        assert_eq!(auto_of("Precedence: first-class\r\n"), None);
        assert_eq!(auto_of("Return-Path: <ciudadana@example.com>\r\n"), None);
        // Exchange's request not to auto-reply is not itself a sign of an automatic mail.
        assert_eq!(auto_of("X-Auto-Response-Suppress: All\r\n"), None);
        assert_eq!(auto_of("X-Autoreply: no\r\n"), None);
    }

    #[test]
    fn each_automatic_signal_is_recognised() {
        let cases = [
            ("Auto-Submitted: auto-replied\r\n", "auto_submitted"),
            (
                "Auto-Submitted: auto-generated; owner-email=\"x@y\"\r\n",
                "auto_submitted",
            ),
            ("Precedence: bulk\r\n", "precedence_bulk"),
            ("Precedence: Junk\r\n", "precedence_junk"),
            ("Precedence: list\r\n", "precedence_list"),
            ("Precedence: auto_reply\r\n", "precedence_auto_reply"),
            ("List-Id: Boletin <boletin.example.com>\r\n", "list_id"),
            ("Return-Path: <>\r\n", "null_return_path"),
            ("X-Autoreply: yes\r\n", "autoreply_header"),
            ("X-Autorespond: Vacaciones\r\n", "autoreply_header"),
            ("Sender: MAILER-DAEMON@mx.example.com\r\n", "mailer_daemon"),
        ];
        for (header, reason) in cases {
            assert_eq!(auto_of(header).as_deref(), Some(reason), "{header}");
        }
        let m = parse(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nSubject: x\r\n\r\nx\r\n",
        );
        assert_eq!(m.automatic.as_deref(), Some("mailer_daemon"));
        let m = parse("From: postmaster@example.com\r\nSubject: x\r\n\r\nx\r\n");
        assert_eq!(m.automatic.as_deref(), Some("mailer_daemon"));
    }

    #[test]
    fn our_own_message_id_domain_is_a_loop() {
        let m = parse("From: contacto@anm.gov.co\r\nMessage-ID: <abc.123@PQRS.anm.gov.co>\r\nSubject: Acuse\r\n\r\nx\r\n");
        assert_eq!(m.automatic.as_deref(), Some("own_message_id"));
        // Only the exact domain: a subdomain or the entity's domain is not ours.
        let m = parse(
            "From: staff@anm.gov.co\r\nMessage-ID: <abc@anm.gov.co>\r\nSubject: x\r\n\r\nx\r\n",
        );
        assert_eq!(m.automatic, None);
    }

    #[test]
    fn all_signals_are_listed_in_the_summary() {
        let m = parse(concat!(
            "Return-Path: <>\r\n",
            "From: MAILER-DAEMON@example.com\r\n",
            "Auto-Submitted: auto-replied\r\n",
            "Precedence: bulk\r\n",
            "Subject: x\r\n",
            "\r\n",
            "x\r\n",
        ));
        assert_eq!(m.automatic.as_deref(), Some("auto_submitted"));
        assert!(m.is_automatic());
        assert_eq!(
            m.header_summary["automatic_signals"],
            serde_json::json!([
                "auto_submitted",
                "precedence_bulk",
                "null_return_path",
                "mailer_daemon"
            ])
        );
        assert_eq!(m.header_summary["auto_submitted"], "auto-replied");
        assert_eq!(m.header_summary["precedence"], "bulk");
    }

    const BOUNCE: &str = concat!(
        "Return-Path: <>\r\n",
        "Received: from mx.example.com by mail.anm.gov.co; Tue, 3 Feb 2026 10:00:05 -0500\r\n",
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n",
        "To: contacto@anm.gov.co\r\n",
        "Subject: Undelivered Mail Returned to Sender\r\n",
        "Auto-Submitted: auto-replied\r\n",
        "Message-ID: <bounce-1@mx.example.com>\r\n",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n",
        "\r\n",
        "--r\r\n",
        "Content-Type: text/plain; charset=us-ascii\r\n",
        "\r\n",
        "Your message could not be delivered.\r\n",
        "--r\r\n",
        "Content-Type: message/delivery-status\r\n",
        "\r\n",
        "Reporting-MTA: dns; mx.example.com\r\n",
        "\r\n",
        "Final-Recipient: rfc822; nadie@example.com\r\n",
        "Action: failed\r\n",
        "Status: 5.1.1\r\n",
        "\r\n",
        "--r\r\n",
        "Content-Type: message/rfc822\r\n",
        "\r\n",
        "From: contacto@anm.gov.co\r\n",
        "To: nadie@example.com\r\n",
        "Subject: Acuse de recibo radicado 20261000001232\r\n",
        "Message-ID: <acuse-20261000001232@pqrs.anm.gov.co>\r\n",
        "\r\n",
        "Su solicitud fue radicada.\r\n",
        "--r--\r\n",
    );

    #[test]
    fn a_bounce_names_the_original_message() {
        let m = parse(BOUNCE);
        assert_eq!(m.automatic.as_deref(), Some("delivery_status_report"));
        assert_eq!(
            m.bounce_of.as_deref(),
            Some("acuse-20261000001232@pqrs.anm.gov.co")
        );
        assert_eq!(m.header_summary["dsn_action"], "failed");
        assert_eq!(m.header_summary["dsn_status"], "5.1.1");
        assert_eq!(m.header_summary["report_type"], "delivery-status");
        assert!(m
            .attachments
            .iter()
            .any(|a| a.kind == AttachmentKind::NestedMessage));
        assert_eq!(m.received_date, Some(utc("2026-02-03T15:00:05Z")));
    }

    #[test]
    fn a_bounce_with_only_the_returned_headers_or_a_quoted_copy() {
        let headers_only = BOUNCE
            .replace(
                "Content-Type: message/rfc822\r\n",
                "Content-Type: text/rfc822-headers\r\n",
            )
            .replace("Action: failed", "Action: delayed");
        let m = parse(&headers_only);
        assert_eq!(
            m.bounce_of.as_deref(),
            Some("acuse-20261000001232@pqrs.anm.gov.co")
        );
        assert_eq!(m.header_summary["dsn_action"], "delayed");

        // A non-standard bounce (no multipart/report) that quotes the original headers.
        let m = parse(concat!(
            "From: MAILER-DAEMON@old.example.com\r\n",
            "Subject: failure notice\r\n",
            "\r\n",
            "Hi. This is the qmail-send program. Sorry.\r\n",
            "--- Below this line is a copy of the message.\r\n",
            "\r\n",
            "From: contacto@anm.gov.co\r\n",
            "Message-Id: <respuesta-7@pqrs.anm.gov.co>\r\n",
            "Subject: Respuesta\r\n",
        ));
        assert_eq!(m.automatic.as_deref(), Some("mailer_daemon"));
        assert_eq!(m.bounce_of.as_deref(), Some("respuesta-7@pqrs.anm.gov.co"));
    }

    #[test]
    fn read_receipts_and_other_reports_are_automatic() {
        let receipt = BOUNCE
            .replace(
                "report-type=delivery-status",
                "report-type=disposition-notification",
            )
            .replace(
                "Content-Type: message/delivery-status\r\n",
                "Content-Type: message/disposition-notification\r\n",
            )
            .replace(
                "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
                "From: ciudadana@example.com",
            )
            .replace("Return-Path: <>\r\n", "")
            .replace("Auto-Submitted: auto-replied\r\n", "");
        let m = parse(&receipt);
        assert_eq!(m.automatic.as_deref(), Some("disposition_notification"));
        assert_eq!(m.bounce_of, None);
        let feedback = receipt.replace(
            "report-type=disposition-notification",
            "report-type=feedback-report",
        );
        assert_eq!(parse(&feedback).automatic.as_deref(), Some("report"));
    }

    #[test]
    fn a_human_mail_quoting_headers_is_not_a_bounce() {
        let m =
            parse("From: a@example.com\r\nSubject: x\r\n\r\nMessage-ID: <quoted@example.com>\r\n");
        assert_eq!(m.bounce_of, None);
    }

    // --- Ids, dedupe, dates ------------------------------------------------------------------

    #[test]
    fn message_ids_are_normalised() {
        assert_eq!(
            normalize_message_id("<abc@example.com>").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            normalize_message_id("  < abc@example.com >  ").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            normalize_message_id("abc@example.com").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            normalize_message_id("<abc\r\n @example.com>").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            normalize_message_id("<ABC@Example.com> (comment)").as_deref(),
            Some("ABC@Example.com")
        );
        assert_eq!(
            normalize_message_id("<first@x> <second@x>").as_deref(),
            Some("first@x")
        );
        assert_eq!(normalize_message_id(""), None);
        assert_eq!(normalize_message_id("<>"), None);
        assert_eq!(normalize_message_id("  "), None);
        assert_eq!(
            normalize_message_id(&format!("<{}@x>", "a".repeat(2000))),
            None
        );
    }

    #[test]
    fn dedupe_key_uses_message_id_else_hash() {
        let with_id =
            parse("From: a@example.com\r\nMessage-ID:   <Id-1@Example.com>  \r\n\r\nx\r\n");
        assert_eq!(with_id.message_id.as_deref(), Some("Id-1@Example.com"));
        assert_eq!(dedupe_key(&with_id), format!("mid:Id-1@Example.com#{}", with_id.content_sha256));
        let raw = b"From: a@example.com\r\nMessage-ID: <>\r\n\r\nx\r\n";
        let without = parse_bytes(raw);
        assert_eq!(without.message_id, None);
        assert_eq!(
            dedupe_key(&without),
            format!("sha256:{}", hex::encode(Sha256::digest(raw)))
        );
        // The same id with different bytes (a re-delivery) gives the same key.
        let again = parse("Received: by x; Tue, 3 Feb 2026 10:00:05 -0500\r\nFrom: a@example.com\r\nMessage-ID: <Id-1@Example.com>\r\n\r\nx\r\n");
        assert_eq!(dedupe_key(&again), dedupe_key(&with_id));
        assert_ne!(again.sha256, with_id.sha256);
        // So does one with other line ends, folding and transport headers.
        let crlf_less = parse("Delivered-To: pqrs@x\nX-Spam-Score: 1\nFrom:  a@example.com\nMessage-ID: <Id-1@Example.com>\n\nx\n");
        assert_eq!(dedupe_key(&crlf_less), dedupe_key(&with_id));
        // A different mail that reuses the Message-ID does not: another body, or another subject.
        let other_body = parse("From: a@example.com\r\nMessage-ID: <Id-1@Example.com>\r\n\r\ny\r\n");
        assert_ne!(dedupe_key(&other_body), dedupe_key(&with_id));
        let other_subject = parse("From: a@example.com\r\nSubject: otro\r\nMessage-ID: <Id-1@Example.com>\r\n\r\nx\r\n");
        assert_ne!(dedupe_key(&other_subject), dedupe_key(&with_id));
        assert_eq!(other_subject.message_id, with_id.message_id);
    }

    #[test]
    fn threading_headers_are_collected() {
        let m = parse(concat!(
            "From: a@example.com\r\n",
            "In-Reply-To: <acuse-1@pqrs.anm.gov.co> (Acuse)\r\n",
            "References: <root@example.com>\r\n",
            " <acuse-1@pqrs.anm.gov.co>\r\n",
            "\t<root@example.com>\r\n",
            "References: bare-id@example.com\r\n",
            "\r\n",
            "x\r\n",
        ));
        assert_eq!(m.in_reply_to, vec!["acuse-1@pqrs.anm.gov.co"]);
        assert_eq!(
            m.references,
            vec![
                "root@example.com",
                "acuse-1@pqrs.anm.gov.co",
                "bare-id@example.com"
            ]
        );
    }

    #[test]
    fn dates_and_return_path_are_read() {
        let m = parse(concat!(
            "Return-Path: <Ciudadana@Example.com>\r\n",
            "Received: from mx2 by mx3; Tue, 03 Feb 2026 10:00:05 -0500\r\n",
            "Received: from mx1 by mx2; Tue, 03 Feb 2026 09:59:00 -0500\r\n",
            "From: a@example.com\r\n",
            "Date: Tue, 3 Feb 2026 09:58:00 -0500\r\n",
            "\r\n",
            "x\r\n",
        ));
        assert_eq!(m.received_date, Some(utc("2026-02-03T15:00:05Z")));
        assert_eq!(m.date, Some(utc("2026-02-03T14:58:00Z")));
        assert_eq!(m.return_path.as_deref(), Some("ciudadana@example.com"));
        assert_eq!(m.header_summary["received_count"], 2);

        let m = parse("Return-Path: < >\r\nReceived: garbage without date\r\nReceived: x; Mon, 2 Feb 2026 08:00:00 +0000\r\nFrom: a@b.co\r\nDate: not a date\r\n\r\nx\r\n");
        assert_eq!(m.return_path.as_deref(), Some(""));
        assert_eq!(m.received_date, Some(utc("2026-02-02T08:00:00Z")));
        assert_eq!(m.date, None);
        let m = parse("From: a@b.co\r\n\r\nx\r\n");
        assert_eq!((m.return_path, m.received_date, m.date), (None, None, None));
    }

    #[test]
    fn received_at_follows_design_section_3() {
        let now = utc("2026-03-10T12:00:00Z");
        let mut m = parse("From: a@b.co\r\n\r\nx\r\n");
        assert_eq!(
            received_at_with_source(&m, None, now),
            (now, ReceivedAtSource::IntakeTime)
        );
        m.date = Some(utc("2026-03-01T10:00:00Z"));
        assert_eq!(
            received_at_with_source(&m, None, now),
            (utc("2026-03-01T10:00:00Z"), ReceivedAtSource::DateHeader)
        );
        m.received_date = Some(utc("2026-03-02T10:00:00Z"));
        assert_eq!(
            received_at_with_source(&m, None, now),
            (
                utc("2026-03-02T10:00:00Z"),
                ReceivedAtSource::ReceivedHeader
            )
        );
        let source = Some(utc("2026-03-03T10:00:00Z"));
        assert_eq!(received_at(&m, source, now), utc("2026-03-03T10:00:00Z"));
        // Absurd candidates fall through to the next one.
        assert_eq!(
            received_at(&m, Some(utc("1970-01-01T00:00:00Z")), now),
            utc("2026-03-02T10:00:00Z")
        );
        m.received_date = Some(utc("2026-03-12T10:00:00Z"));
        assert_eq!(received_at(&m, None, now), utc("2026-03-01T10:00:00Z"));
        m.date = Some(utc("1989-12-31T23:59:59Z"));
        assert_eq!(
            received_at_with_source(&m, None, now),
            (now, ReceivedAtSource::IntakeTime)
        );
        // Within a day ahead (clock skew) is accepted.
        assert_eq!(
            received_at(&m, Some(utc("2026-03-11T11:00:00Z")), now),
            utc("2026-03-11T11:00:00Z")
        );
        assert_eq!(ReceivedAtSource::ReceivedHeader.as_str(), "received_header");
    }

    // --- Radicados ---------------------------------------------------------------------------

    #[test]
    fn radicados_are_found_as_whole_numbers() {
        assert_eq!(
            find_radicados("RE: Respuesta radicado 20261000001232 - gracias"),
            vec!["20261000001232"]
        );
        assert_eq!(
            find_radicados("Rad. 202610000012341, y 20261000001232."),
            vec!["202610000012341", "20261000001232"]
        );
        assert_eq!(
            find_radicados("(20261000001233)(20261000001231)"),
            vec!["20261000001233", "20261000001231"]
        );
        assert_eq!(
            find_radicados("duplicado 20261000001232 y 20261000001232"),
            vec!["20261000001232"]
        );
        // Wrong type digit, too short, too long, not a 20xx year, inside a longer number.
        assert!(
            find_radicados("20261000001234 2026100000123 2026100000123412 19991000001232")
                .is_empty()
        );
        assert!(find_radicados("tutela 05736408900220260012300").is_empty());
        assert!(find_radicados("radicado20261000001232").is_empty());
        assert_eq!(
            find_radicados("Radicación nº20261000001232ñ"),
            vec!["20261000001232"]
        );
        assert!(find_radicados("").is_empty());
    }

    // --- Robustness ----------------------------------------------------------------------------

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
            include_bytes!("../../tests/data/mail/006.eml"),
            include_bytes!("../../tests/data/mail/040.eml"),
            include_bytes!("../../tests/data/mail/088.eml"),
            BOUNCE.as_bytes(),
        ];
        for sample in samples {
            for cut in (0..sample.len()).step_by(97) {
                let _ = parse_message(&sample[..cut], &opts());
            }
        }
    }
}
