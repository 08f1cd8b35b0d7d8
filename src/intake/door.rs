//! What a door hands to the intake workflow: one raw mail with where and when it came from,
//! plus the guards every door shares (the parse time limit, text fit for a column).

use chrono::{DateTime, Utc};

use super::parse::{self, InboundMessage, ParseOptions};

/// Which door a mail came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Imap,
    Maildir,
    Pipe,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Imap => "imap",
            Source::Maildir => "maildir",
            Source::Pipe => "pipe",
            Source::Import => "import",
        }
    }
}

/// One raw mail as a door hands it over.
#[derive(Debug, Clone, Copy)]
pub struct RawMail<'a> {
    pub bytes: &'a [u8],
    pub source: Source,
    /// Where it came from (file path, `mailbox/uid`), for quarantine records.
    pub source_ref: Option<&'a str>,
    /// What the mailbox recorded as its arrival (IMAP INTERNALDATE, Maildir delivery, mbox From_).
    pub source_time: Option<DateTime<Utc>>,
}

/// How long parsing one mail (of 1 MiB or more) may take before it is quarantined instead
/// (mail-parser is linear, so only a pathological input could come near it; the rest of the
/// mailbox must not wait).
pub const PARSE_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Parse on a helper thread and give up after `limit`. A timed-out parse is left to finish on its
/// own (Rust threads cannot be killed); its result is discarded. Errors are quarantine reasons.
pub fn parse_with_time_limit(raw: &[u8], opts: &ParseOptions, limit: std::time::Duration) -> Result<InboundMessage, String> {
    // mail-parser is linear in the input: a mail under this size parses in milliseconds, so it is
    // parsed here, without the cost of a thread and a copy.
    const INLINE_BELOW: usize = 1024 * 1024;
    if raw.len() < INLINE_BELOW {
        return parse::parse_message(raw, opts).map_err(|e| format!("{}: {e}", e.code()));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let (owned, thread_opts) = (raw.to_vec(), opts.clone());
    let spawned = std::thread::Builder::new().name("pqrs-parse".into()).spawn(move || {
        let _ = tx.send(parse::parse_message(&owned, &thread_opts));
    });
    if spawned.is_err() {
        // No thread to be had: parse here, without the limit, rather than not at all.
        return parse::parse_message(raw, opts).map_err(|e| format!("{}: {e}", e.code()));
    }
    match rx.recv_timeout(limit) {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(format!("{}: {e}", e.code())),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(format!("timeout: parsing took longer than {} s", limit.as_secs())),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err("parser_failure: the parser stopped without a result".into()),
    }
}

/// Text for a column: NUL characters (which PostgreSQL refuses in text) become U+FFFD, and at
/// most `max` characters are kept.
pub fn clean(s: &str, max: usize) -> String {
    truncate(&no_nul(s), max)
}

pub fn no_nul(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s.to_string()
    }
}

/// At most `max` characters (not bytes), for bounded columns.
pub use super::parse::truncate_chars as truncate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_with_a_time_limit_returns_the_message_or_a_quarantine_reason() {
        let limit = std::time::Duration::from_secs(20);
        let ok = parse_with_time_limit(b"Message-ID: <a@b>\r\nSubject: hola\r\n\r\ncuerpo\r\n", &ParseOptions::default(), limit);
        assert_eq!(ok.unwrap().subject, "hola");
        let bad = parse_with_time_limit(b"", &ParseOptions::default(), limit).unwrap_err();
        assert!(bad.starts_with("empty"), "{bad}");
        let opts = ParseOptions { max_size: 10, ..Default::default() };
        let big = parse_with_time_limit(b"Subject: a long mail\r\n\r\nbody", &opts, limit).unwrap_err();
        assert!(big.contains("limit"), "{big}");
    }
}
