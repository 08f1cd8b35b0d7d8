//! Header access and what is read from the headers: Message-ID normalisation, the dedupe key and
//! [`content_digest`], threading ids (In-Reply-To/References) and radicados, addresses, and the
//! dates that decide when a mail was received ([`received_at`], DESIGN.md §3).

use std::sync::LazyLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mail_parser::{HeaderName, HeaderValue, Message};
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{clean_inline, skip_leading_noise, Address, InboundMessage, PARSER};

static RADICADO_RE: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII digits and ASCII word boundaries: fast (STACK.md §7) and not fooled by other scripts.
    Regex::new(r"(?-u:\b)20[0-9]{2}[0-9]{3}[0-9]{6,7}[123](?-u:\b)").expect("valid radicado regex")
});

// ---------------------------------------------------------------------------------------------
// Ids, dedupe and radicados

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
    // The normalised content headers, built in one buffer and hashed at once (hashing them byte
    // by byte cost more than the SHA-256 of the body).
    let mut norm: Vec<u8> = Vec::with_capacity(head.len().min(4096));
    let mut current: Vec<u8> = Vec::new();
    let flush = |line: &[u8], norm: &mut Vec<u8>| {
        let Some(colon) = line.iter().position(|&b| b == b':') else { return };
        let name = line[..colon].trim_ascii();
        if !CONTENT_HEADERS.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name)) {
            return;
        }
        norm.extend(name.iter().map(u8::to_ascii_lowercase));
        norm.push(b':');
        let mut space = false;
        for &b in line[colon + 1..].trim_ascii() {
            if b.is_ascii_whitespace() {
                space = true;
            } else {
                if space {
                    norm.push(b' ');
                    space = false;
                }
                norm.push(b);
            }
        }
        norm.push(b'\n');
    };
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if matches!(line.first(), Some(b' ' | b'\t')) && !current.is_empty() {
            current.push(b' ');
            current.extend_from_slice(line);
            continue;
        }
        flush(&current, &mut norm);
        current.clear();
        current.extend_from_slice(line);
    }
    flush(&current, &mut norm);
    norm.push(b'\n');
    h.update(&norm);
    // The body with each CRLF as LF: the runs between CRLFs, found with memchr.
    let mut start = 0;
    for i in memchr::memmem::find_iter(body, b"\r\n") {
        h.update(&body[start..i]);
        start = i + 1;
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

// ---------------------------------------------------------------------------------------------
// Received dates

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
// Header access

/// Raw values of the root header fields called `name` (case-insensitive), unfolded, trimmed,
/// without NULs, in order.
pub(super) fn raw_header_values<'m>(msg: &'m Message<'_>, name: &'m str) -> impl Iterator<Item = String> + 'm {
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

pub(super) fn first_raw(msg: &Message<'_>, name: &str) -> Option<String> {
    raw_header_values(msg, name).next()
}

/// Normalised ids from id-list header values: every `<...>` token, or whitespace/comma separated
/// tokens when a value has no angle brackets. Duplicates dropped, order kept.
pub(super) fn collect_ids(values: impl Iterator<Item = String>) -> Vec<String> {
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
pub(super) fn parse_return_path(value: &str) -> Option<String> {
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

pub(super) fn topmost_received_date(msg: &Message<'_>) -> Option<DateTime<Utc>> {
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

pub(super) fn to_chrono(d: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !d.is_valid() {
        return None;
    }
    DateTime::from_timestamp(d.to_timestamp(), 0)
}

pub(super) fn convert_addr(a: &mail_parser::Addr<'_>) -> Option<Address> {
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

#[cfg(test)]
mod tests {

    /// The first implementation of [`content_digest`] (byte by byte): the reference the faster
    /// one must agree with.
    fn content_digest_reference(raw: &[u8]) -> String {
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

    #[test]
    fn the_content_digest_agrees_with_its_first_implementation() {
        let mut mails: Vec<Vec<u8>> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mail"))
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        assert!(mails.len() >= 6, "test mails found: {}", mails.len());
        mails.extend((0..200).map(crate::intake::synthetic::synthetic_mail));
        // And edge cases: bare CR, CR at the end, CRLF split by folding, mixed-case names,
        // folded content headers, a header block without a body, no header block at all.
        for extra in [
            &b"From: a@b\r\nSUBJECT:  x \r\n\ty\r\n\r\nl1\rl2\r\nl3\r"[..],
            b"Subject: only headers",
            b"\r\n\r\nbody only\r\n\r\n",
            b"To: a\n b\nContent-Type: text/plain;\n\tcharset=utf-8\nX-Other: z\n\n\r\n\r\r\n\n",
            b"From x  Mon\nFrom: a@b\nDate: 1\n\nbody\r\n",
            b"",
        ] {
            mails.push(extra.to_vec());
        }
        for m in &mails {
            assert_eq!(content_digest(m), content_digest_reference(m), "{}", String::from_utf8_lossy(&m[..m.len().min(200)]));
        }
    }

    use super::*;
    use crate::intake::parse::test_support::*;

    #[test]
    fn reply_sample_quotes_a_radicado() {
        let m = parse_bytes(include_bytes!("../../../tests/data/mail/096.eml"));
        assert_eq!(find_radicados(&m.subject), vec!["20265510019823"]);
    }

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
        assert_eq!(m.header_summary.received_count, Some(2));

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
}
