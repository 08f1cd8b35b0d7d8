//! Helpers and fixtures shared by the unit tests of the modules of this folder.

use chrono::{DateTime, Utc};

use super::{parse_message, InboundMessage, ParseOptions};

pub(super) fn opts() -> ParseOptions {
    ParseOptions {
        own_domains: vec!["pqrs.anm.gov.co".to_string()],
        ..ParseOptions::default()
    }
}

pub(super) fn parse(raw: &str) -> InboundMessage {
    parse_bytes(raw.as_bytes())
}

pub(super) fn parse_bytes(raw: &[u8]) -> InboundMessage {
    match parse_message(raw, &opts()) {
        Ok(m) => m,
        Err(e) => panic!("parse failed: {e}"),
    }
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test date")
        .with_timezone(&Utc)
}

/// A standard delivery status notification for one of our acknowledgements.
pub(super) const BOUNCE: &str = concat!(
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
