//! Automatic mail and bounce detection (DESIGN.md §2), and the [`HeaderSummary`] kept for display
//! and audit.
//!
//! [`classify`] is a pure function: from the parsed mail and the facts the other modules already
//! read from it ([`Facts`]), it gives the automatic-mail verdict, the bounced Message-ID and the
//! typed summary. Nothing here decodes text or records problems.

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::{Message, MimeHeaders, PartType};
use regex::Regex;
use serde::Serialize;

use super::headers::{first_raw, normalize_message_id, raw_header_values};
use super::{truncate_chars, Address, PARSER};

/// Reason codes for [`super::InboundMessage::automatic`] (DESIGN.md §2: stored and counted, never
/// acknowledged, never a case). When several signals are present the first one in this list wins;
/// all of them are listed in [`HeaderSummary::automatic_signals`].
pub mod automatic_reason {
    /// `multipart/report; report-type=delivery-status`, or a `message/delivery-status` part: a
    /// bounce or delay notice (see [`crate::intake::parse::InboundMessage::bounce_of`]).
    pub const DELIVERY_STATUS_REPORT: &str = "delivery_status_report";
    /// `multipart/report; report-type=disposition-notification`: a read receipt (RFC 8098).
    pub const DISPOSITION_NOTIFICATION: &str = "disposition_notification";
    /// Any other `multipart/report` (abuse feedback, TLS reports, ...).
    pub const REPORT: &str = "report";
    /// The Message-ID's domain is one of [`crate::intake::parse::ParseOptions::own_domains`]: our own mail came back.
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


static MESSAGE_ID_LINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^[ \t>]*message-id:[ \t]*(<[^<>\r\n]+>|[^\s<>]+@[^\s<>]+)")
        .expect("valid Message-ID line regex")
});

/// Selected headers and computed facts of a mail, for display and audit: the header fields as
/// sent (unfolded, without NULs, at most 256 characters; `None` when absent or empty) and what
/// [`classify`] and the decoding found.
///
/// [`HeaderSummary::to_json`] is what intake stores in the `headers` column: a JSON object with
/// only the keys that have a value (`received_count` only when above zero, the lists only when not
/// empty). The fields are in alphabetical order, the order in which serde_json writes the keys of
/// a map, so serialising the struct directly gives the same bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HeaderSummary {
    /// `Auto-Submitted` (RFC 3834).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_submitted: Option<String>,
    /// Every [`automatic_reason`] found, in the order of that list; the first one is
    /// [`super::InboundMessage::automatic`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub automatic_signals: Vec<&'static str>,
    /// The root part's `charset` parameter, trimmed and lower-cased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// The root part's lower-cased `type/subtype`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Delivered-To`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_to: Option<String>,
    /// For a delivery status notification: the most severe `Action:` (`failed`, `delayed`,
    /// `delivered`, `relayed`, `expanded`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsn_action: Option<String>,
    /// For a delivery status notification: the first `Status:` code, such as `5.1.1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsn_status: Option<String>,
    /// Why some text could not be decoded reliably (problem codes such as `invalid_utf8` or
    /// `unknown_charset:x-foo`), each once, in the order found; not empty exactly when
    /// [`super::InboundMessage::encoding_problem`] is set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encoding_problems: Vec<String>,
    /// `List-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_id: Option<String>,
    /// `List-Unsubscribe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
    /// `Precedence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precedence: Option<String>,
    /// How many `Received:` headers the mail has; `None` for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_count: Option<usize>,
    /// The root `multipart/report`'s `report-type`, lower-cased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_type: Option<String>,
    /// `Return-Path`, as sent (`<>` for the null path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_path: Option<String>,
    /// `Sender`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// `User-Agent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `X-Auto-Response-Suppress` (Exchange).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_auto_response_suppress: Option<String>,
    /// `X-Autoreply`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_autoreply: Option<String>,
    /// `X-Autorespond`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_autorespond: Option<String>,
    /// `X-Failed-Recipients` (Exim bounces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_failed_recipients: Option<String>,
    /// `X-Loop`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_loop: Option<String>,
    /// `X-Mailer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_mailer: Option<String>,
    /// `X-Spam-Flag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_spam_flag: Option<String>,
}

impl HeaderSummary {
    /// The summary as a JSON object, as stored in the `headers` column of a message (see the
    /// type's documentation for which keys are present).
    pub fn to_json(&self) -> serde_json::Value {
        // Strings, numbers and lists of strings: serialising to a `Value` cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// What the other modules already read from a mail, as [`classify`] needs it.
pub(super) struct Facts<'a> {
    /// [`super::InboundMessage::message_id`].
    pub message_id: Option<&'a str>,
    /// [`super::InboundMessage::in_reply_to`].
    pub in_reply_to: &'a [String],
    /// [`super::InboundMessage::from`].
    pub from: Option<&'a Address>,
    /// The first `Sender` address.
    pub sender: Option<&'a Address>,
    /// [`super::InboundMessage::return_path`].
    pub return_path: Option<&'a str>,
    /// [`super::InboundMessage::body_text`].
    pub body_text: &'a str,
    /// The root part's `charset` parameter, trimmed and lower-cased.
    pub charset: Option<&'a str>,
    /// The decoding problems found, each once.
    pub encoding_problems: &'a [String],
}

/// What [`classify`] decides about a mail.
pub(super) struct Classification {
    /// [`super::InboundMessage::automatic`]: the first of the summary's `automatic_signals`.
    pub automatic: Option<String>,
    /// [`super::InboundMessage::bounce_of`].
    pub bounce_of: Option<String>,
    /// [`super::InboundMessage::header_summary`].
    pub summary: HeaderSummary,
}

/// The automatic-mail verdict, the bounce target and the header summary of a mail.
///
/// A mail is a bounce when it is a delivery status report, comes from mailer-daemon or
/// postmaster, or has `X-Failed-Recipients` (Exim); its target is the Message-ID of the returned
/// mail (see [`super::InboundMessage::bounce_of`]), never the bounce's own.
pub(super) fn classify(msg: &Message<'_>, facts: &Facts<'_>, own_domains: &[String]) -> Classification {
    let root_type = msg.parts.first().and_then(|p| p.content_type());
    let report_type = root_type
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
    let delivery_status = find_delivery_status(msg);
    let headers = AutoHeaders::read(msg);
    let from_daemon = [facts.from, facts.sender]
        .into_iter()
        .flatten()
        .any(|a| is_mailer_daemon(&a.email));
    let signals = automatic_signals(
        report_type.as_deref(),
        delivery_status.is_some(),
        &headers,
        facts,
        from_daemon,
        own_domains,
    );
    let automatic = signals.first().map(|s| (*s).to_string());

    let x_failed = first_raw(msg, "X-Failed-Recipients");
    let is_bounce = signals.contains(&automatic_reason::DELIVERY_STATUS_REPORT)
        || from_daemon
        || x_failed.is_some();
    let bounce_of = if is_bounce {
        find_bounced_id(msg, facts.body_text)
            .or_else(|| facts.in_reply_to.first().cloned())
            .filter(|id| Some(id.as_str()) != facts.message_id)
    } else {
        None
    };
    let (dsn_action, dsn_status) = delivery_status
        .as_deref()
        .map(parse_dsn)
        .unwrap_or((None, None));

    let summary = HeaderSummary {
        auto_submitted: shown(headers.auto_submitted),
        automatic_signals: signals,
        charset: shown(facts.charset.map(str::to_string)),
        content_type: shown(root_type.map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        })),
        delivered_to: shown(first_raw(msg, "Delivered-To")),
        dsn_action: shown(dsn_action),
        dsn_status: shown(dsn_status),
        encoding_problems: facts.encoding_problems.to_vec(),
        list_id: shown(headers.list_id),
        list_unsubscribe: shown(first_raw(msg, "List-Unsubscribe")),
        precedence: shown(headers.precedence),
        received_count: Some(raw_header_values(msg, "Received").count()).filter(|n| *n > 0),
        report_type: shown(report_type),
        return_path: shown(first_raw(msg, "Return-Path")),
        sender: shown(first_raw(msg, "Sender")),
        user_agent: shown(first_raw(msg, "User-Agent")),
        x_auto_response_suppress: shown(first_raw(msg, "X-Auto-Response-Suppress")),
        x_autoreply: shown(headers.x_autoreply),
        x_autorespond: shown(headers.x_autorespond),
        x_failed_recipients: shown(x_failed),
        x_loop: shown(first_raw(msg, "X-Loop")),
        x_mailer: shown(first_raw(msg, "X-Mailer")),
        x_spam_flag: shown(first_raw(msg, "X-Spam-Flag")),
    };
    Classification {
        automatic,
        bounce_of,
        summary,
    }
}

/// A header value as the summary shows it: without NULs, at most 256 characters, `None` when
/// empty.
fn shown(value: Option<String>) -> Option<String> {
    value
        .map(|v| truncate_chars(&v.replace('\0', ""), 256))
        .filter(|v| !v.is_empty())
}

/// The raw header fields that the automatic-mail signals read.
struct AutoHeaders {
    auto_submitted: Option<String>,
    x_autoreply: Option<String>,
    x_autorespond: Option<String>,
    precedence: Option<String>,
    list_id: Option<String>,
}

impl AutoHeaders {
    fn read(msg: &Message<'_>) -> Self {
        AutoHeaders {
            auto_submitted: first_raw(msg, "Auto-Submitted"),
            x_autoreply: first_raw(msg, "X-Autoreply"),
            x_autorespond: first_raw(msg, "X-Autorespond"),
            precedence: first_raw(msg, "Precedence"),
            list_id: first_raw(msg, "List-Id"),
        }
    }
}

/// Every automatic-mail signal present, in the order of [`automatic_reason`] (most specific
/// first).
fn automatic_signals(
    report_type: Option<&str>,
    has_delivery_status: bool,
    headers: &AutoHeaders,
    facts: &Facts<'_>,
    from_daemon: bool,
    own_domains: &[String],
) -> Vec<&'static str> {
    let mut signals: Vec<&'static str> = Vec::new();
    match report_type {
        Some("delivery-status") => signals.push(automatic_reason::DELIVERY_STATUS_REPORT),
        Some("disposition-notification") => {
            signals.push(automatic_reason::DISPOSITION_NOTIFICATION)
        }
        Some(_) if has_delivery_status => signals.push(automatic_reason::DELIVERY_STATUS_REPORT),
        Some(_) => signals.push(automatic_reason::REPORT),
        None if has_delivery_status => signals.push(automatic_reason::DELIVERY_STATUS_REPORT),
        None => {}
    }
    if let Some(domain) = facts
        .message_id
        .and_then(|id| id.rsplit_once('@'))
        .map(|(_, d)| d)
    {
        if own_domains
            .iter()
            .any(|own| own.trim().eq_ignore_ascii_case(domain))
        {
            signals.push(automatic_reason::OWN_MESSAGE_ID);
        }
    }
    if let Some(v) = &headers.auto_submitted {
        let token = v.split(';').next().unwrap_or("").trim();
        if !token.is_empty() && !token.eq_ignore_ascii_case("no") {
            signals.push(automatic_reason::AUTO_SUBMITTED);
        }
    }
    if headers
        .x_autoreply
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("no"))
        || headers.x_autorespond.is_some()
    {
        signals.push(automatic_reason::AUTOREPLY_HEADER);
    }
    if let Some(p) = &headers.precedence {
        match p.trim().to_ascii_lowercase().as_str() {
            "bulk" => signals.push(automatic_reason::PRECEDENCE_BULK),
            "junk" => signals.push(automatic_reason::PRECEDENCE_JUNK),
            "list" => signals.push(automatic_reason::PRECEDENCE_LIST),
            "auto_reply" | "auto-reply" => signals.push(automatic_reason::PRECEDENCE_AUTO_REPLY),
            _ => {}
        }
    }
    if headers
        .list_id
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty())
    {
        signals.push(automatic_reason::LIST_ID);
    }
    if facts.return_path == Some("") {
        signals.push(automatic_reason::NULL_RETURN_PATH);
    }
    if from_daemon {
        signals.push(automatic_reason::MAILER_DAEMON);
    }
    signals
}

fn is_mailer_daemon(email: &str) -> bool {
    let local = email.split('@').next().unwrap_or("");
    matches!(
        local,
        "mailer-daemon" | "mailer_daemon" | "mailerdaemon" | "postmaster"
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::parse::test_support::*;
    use crate::intake::parse::AttachmentKind;

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
            m.header_summary.automatic_signals,
            vec![
                "auto_submitted",
                "precedence_bulk",
                "null_return_path",
                "mailer_daemon"
            ]
        );
        assert_eq!(m.header_summary.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(m.header_summary.precedence.as_deref(), Some("bulk"));
    }

    #[test]
    fn a_bounce_names_the_original_message() {
        let m = parse(BOUNCE);
        assert_eq!(m.automatic.as_deref(), Some("delivery_status_report"));
        assert_eq!(
            m.bounce_of.as_deref(),
            Some("acuse-20261000001232@pqrs.anm.gov.co")
        );
        assert_eq!(m.header_summary.dsn_action.as_deref(), Some("failed"));
        assert_eq!(m.header_summary.dsn_status.as_deref(), Some("5.1.1"));
        assert_eq!(m.header_summary.report_type.as_deref(), Some("delivery-status"));
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
        assert_eq!(m.header_summary.dsn_action.as_deref(), Some("delayed"));

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

    /// An out-of-office reply, as Outlook sends it.
    const AUTO_REPLY: &str = concat!(
        "Return-Path: <>\r\n",
        "From: Ana Gómez <ana@example.com>\r\n",
        "To: contacto@anm.gov.co\r\n",
        "Subject: Respuesta automática: Acuse de recibo\r\n",
        "Date: Tue, 3 Feb 2026 10:00:05 -0500\r\n",
        "Message-ID: <auto-1@example.com>\r\n",
        "In-Reply-To: <acuse-20261000001232@pqrs.anm.gov.co>\r\n",
        "Auto-Submitted: auto-replied\r\n",
        "X-Autoreply: yes\r\n",
        "Precedence: auto_reply\r\n",
        "X-Auto-Response-Suppress: All\r\n",
        "X-Mailer: Microsoft Outlook 16.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "\r\n",
        "Estoy de vacaciones hasta el 10 de febrero.\r\n",
    );

    /// A mailing-list mail.
    const LIST_MAIL: &str = concat!(
        "Return-Path: <boletin-bounces@lists.example.org>\r\n",
        "Received: from lists.example.org by mx.anm.gov.co; Tue, 3 Feb 2026 10:00:05 -0500\r\n",
        "Received: from a.example.org by lists.example.org; Tue, 3 Feb 2026 09:59:00 -0500\r\n",
        "From: Boletín Minero <boletin@lists.example.org>\r\n",
        "Sender: boletin-bounces@lists.example.org\r\n",
        "To: contacto@anm.gov.co\r\n",
        "Subject: Boletín de febrero\r\n",
        "List-Id: Boletin Minero <boletin.lists.example.org>\r\n",
        "List-Unsubscribe: <mailto:leave@lists.example.org>\r\n",
        "Precedence: list\r\n",
        "User-Agent: Mailman 3\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "\r\n",
        "Noticias del sector.\r\n",
    );

    #[test]
    fn the_typed_summary_serialises_as_the_old_json_object() {
        // The expected strings are what the untyped `serde_json::Value` summary (before
        // `HeaderSummary`) stored in the `headers` column for these mails.
        let cases: [(&str, &[u8], &str); 5] = [
            (
                "auto-reply",
                AUTO_REPLY.as_bytes(),
                r#"{"auto_submitted":"auto-replied","automatic_signals":["auto_submitted","autoreply_header","precedence_auto_reply","null_return_path"],"charset":"utf-8","content_type":"text/plain","precedence":"auto_reply","return_path":"<>","x_auto_response_suppress":"All","x_autoreply":"yes","x_mailer":"Microsoft Outlook 16.0"}"#,
            ),
            (
                "DSN bounce",
                BOUNCE.as_bytes(),
                r#"{"auto_submitted":"auto-replied","automatic_signals":["delivery_status_report","auto_submitted","null_return_path","mailer_daemon"],"content_type":"multipart/report","dsn_action":"failed","dsn_status":"5.1.1","received_count":1,"report_type":"delivery-status","return_path":"<>"}"#,
            ),
            (
                "list mail",
                LIST_MAIL.as_bytes(),
                r#"{"automatic_signals":["precedence_list","list_id"],"charset":"utf-8","content_type":"text/plain","list_id":"Boletin Minero <boletin.lists.example.org>","list_unsubscribe":"<mailto:leave@lists.example.org>","precedence":"list","received_count":2,"return_path":"<boletin-bounces@lists.example.org>","sender":"boletin-bounces@lists.example.org","user_agent":"Mailman 3"}"#,
            ),
            (
                "plain mail",
                include_bytes!("../../../tests/data/mail/002.eml"),
                r#"{"charset":"windows-1252","content_type":"text/plain"}"#,
            ),
            (
                "encoding problem",
                b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMiner\xeda ilegal\r\n",
                r#"{"charset":"utf-8","content_type":"text/plain","encoding_problems":["invalid_utf8_decoded_as_windows_1252"]}"#,
            ),
        ];
        for (what, raw, expected) in cases {
            let summary = parse_bytes(raw).header_summary;
            assert_eq!(summary.to_json().to_string(), expected, "{what}");
            let direct = serde_json::to_string(&summary).expect("serialise");
            assert_eq!(direct, expected, "{what}: direct serialisation");
        }
        assert_eq!(HeaderSummary::default().to_json().to_string(), "{}");
    }
}
