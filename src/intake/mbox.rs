//! Reading mbox files for `pqrs import`: a streaming iterator over the messages of an mbox.
//!
//! The file is read through a [`BufRead`] in pieces of at most 64 KiB, so a 1 GB mbox is never
//! held in memory: only the message being assembled is (bounded by
//! [`MboxReader::max_message_size`]). Each message comes with the date of its `From ` separator
//! line, which is its receipt time for DESIGN.md §3 (see `parse::received_at`).
//!
//! Format handling (mboxo and mboxrd, as written by Postfix, Dovecot, mutt, Thunderbird, Google
//! Takeout):
//! - A message starts at a line beginning with `From ` that is the first line of the file, follows
//!   an empty line, or carries a readable date. Writers escape body lines starting with `From `,
//!   so these rules only matter for sloppy files.
//! - Body lines matching `>+From ` lose one `>` (mboxrd un-escaping; in an mboxo file this also
//!   turns `>From ` back into `From `, the usual reading).
//! - The empty line that separates messages is removed from the message's end.
//! - Text before the first `From ` line (a file that is not quite an mbox) is still yielded as a
//!   message, without a date: nothing in the file is skipped silently.
//!
//! Why not mail-parser's own reader (`mail_parser::mailbox::mbox::MessageIterator`): it streams
//! too and un-escapes `>From ` the same way, but it loses what this one keeps, each of which
//! `mail_parsers_mbox_reader_loses_what_this_one_keeps` below shows on one file:
//! - the `From ` line date's zone (`... 2026 -0500` is read as UTC, five hours off for Colombian
//!   servers) and [`MboxReader::assume_utc_offset`] for zoneless lines; a date it cannot read
//!   becomes 0 (1970), not "unknown";
//! - the text before the first `From ` line, dropped silently;
//! - the blank-line rule: any line starting with `From ` (an unescaped body line of a sloppy
//!   writer) starts a new message;
//! - the separating empty line, left at the end of each message (so the same mail imported from
//!   an mbox and from an .eml would differ by a byte);
//! - a bound on memory: a line or message of any size is read whole (here 64 KiB pieces and
//!   [`MboxReader::max_message_size`]), and no byte offset for error reports.
//!
//! Neighbours: `parse/` turns each [`MboxMessage::raw`] into an `InboundMessage`;
//! `maildir.rs` has [`super::maildir::detect_source`], which tells an mbox from a Maildir or .eml.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};

/// Default [`MboxReader::max_message_size`]: 64 MiB, well above the parser's 25 MiB limit, so an
/// oversized mail still reaches the parser (and quarantine) with its bytes.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// Longest piece of a line read at once.
const SEGMENT_MAX: usize = 64 * 1024;

/// One message of an mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// The message bytes, without the `From ` line, un-escaped, without the separating empty line.
    pub raw: Vec<u8>,
    /// Date of the `From ` line, in UTC (see [`parse_from_line_date`]); `None` if missing or
    /// unreadable.
    pub from_line_date: Option<DateTime<Utc>>,
    /// Byte offset in the file where the message (its `From ` line) starts, for error reports.
    pub offset: u64,
    /// 0-based position of the message in the file.
    pub index: usize,
}

/// Problems while reading an mbox.
#[derive(Debug, thiserror::Error)]
pub enum MboxError {
    /// Reading the file failed; iteration stops after this item.
    #[error("reading the mbox failed: {0}")]
    Io(#[from] io::Error),
    /// A message exceeded [`MboxReader::max_message_size`]; it was skipped and reading goes on
    /// with the next message.
    #[error("message {index} at byte {offset} of the mbox is {size} bytes, more than the limit of {limit} bytes; skipped")]
    TooLarge {
        /// 0-based position of the message in the file.
        index: usize,
        /// Byte offset of the message in the file.
        offset: u64,
        /// Its full size in bytes.
        size: u64,
        /// The configured limit in bytes.
        limit: usize,
    },
}

/// Streaming iterator over the messages of an mbox; see the module documentation.
///
/// Yields `Ok(MboxMessage)`, `Err(MboxError::TooLarge)` for a skipped message (iteration goes
/// on), or `Err(MboxError::Io)` once, after which it ends.
pub struct MboxReader<R> {
    reader: R,
    max_message_size: usize,
    default_offset: FixedOffset,
    pos: u64,
    index: usize,
    current: Option<Pending>,
    segment: Vec<u8>,
    at_line_start: bool,
    prev_blank: bool,
    first_segment: bool,
    skipping_from_line: bool,
    finished: bool,
}

struct Pending {
    raw: Vec<u8>,
    size: u64,
    offset: u64,
    index: usize,
    date: Option<DateTime<Utc>>,
}

impl Pending {
    fn push(&mut self, data: &[u8], limit: usize) {
        self.size += data.len() as u64;
        if self.size <= limit as u64 {
            self.raw.extend_from_slice(data);
        } else if !self.raw.is_empty() {
            // Over the limit: stop keeping bytes, keep counting.
            self.raw = Vec::new();
        }
    }

    fn finish(mut self, limit: usize) -> Result<MboxMessage, MboxError> {
        if self.size > limit as u64 {
            return Err(MboxError::TooLarge {
                index: self.index,
                offset: self.offset,
                size: self.size,
                limit,
            });
        }
        if self.raw.ends_with(b"\r\n\r\n") {
            self.raw.truncate(self.raw.len() - 2);
        } else if self.raw.ends_with(b"\n\n") {
            self.raw.truncate(self.raw.len() - 1);
        }
        Ok(MboxMessage {
            raw: self.raw,
            from_line_date: self.date,
            offset: self.offset,
            index: self.index,
        })
    }
}

impl MboxReader<BufReader<File>> {
    /// Opens an mbox file for streaming.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(MboxReader::new(BufReader::with_capacity(
            256 * 1024,
            File::open(path)?,
        )))
    }
}

impl<R: BufRead> MboxReader<R> {
    /// Reads messages from any buffered reader.
    pub fn new(reader: R) -> Self {
        MboxReader {
            reader,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            default_offset: Utc.fix(),
            pos: 0,
            index: 0,
            current: None,
            segment: Vec::with_capacity(1024),
            at_line_start: true,
            prev_blank: false,
            first_segment: true,
            skipping_from_line: false,
            finished: false,
        }
    }

    /// Sets the largest message kept in memory (default [`DEFAULT_MAX_MESSAGE_SIZE`]); a larger
    /// one is skipped with [`MboxError::TooLarge`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The UTC offset, in seconds east, assumed for `From ` lines without a zone (the traditional
    /// asctime form is in the delivering host's local time; default 0, UTC). An archive from a
    /// server running on Colombian time would use `-5 * 3600`.
    pub fn assume_utc_offset(mut self, seconds_east: i32) -> Self {
        if let Some(offset) = FixedOffset::east_opt(seconds_east) {
            self.default_offset = offset;
        }
        self
    }

    /// Reads the next piece of a line (at most [`SEGMENT_MAX`] bytes) into `self.segment`.
    /// `Ok(None)` at the end of the input; `Ok(Some(true))` when the piece ends the line.
    fn read_segment(&mut self) -> io::Result<Option<bool>> {
        self.segment.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(if self.segment.is_empty() {
                    None
                } else {
                    Some(false)
                });
            }
            let room = SEGMENT_MAX - self.segment.len();
            let window = &buf[..buf.len().min(room)];
            if let Some(i) = window.iter().position(|&b| b == b'\n') {
                self.segment.extend_from_slice(&window[..=i]);
                self.reader.consume(i + 1);
                self.pos += (i + 1) as u64;
                return Ok(Some(true));
            }
            let n = window.len();
            self.segment.extend_from_slice(window);
            self.reader.consume(n);
            self.pos += n as u64;
            if self.segment.len() >= SEGMENT_MAX {
                return Ok(Some(false));
            }
        }
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Result<MboxMessage, MboxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            let segment_offset = self.pos;
            let complete = match self.read_segment() {
                Ok(Some(complete)) => complete,
                Ok(None) => {
                    self.finished = true;
                    let limit = self.max_message_size;
                    return self.current.take().map(|p| p.finish(limit));
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(MboxError::Io(e)));
                }
            };
            let line_start = self.at_line_start;
            self.at_line_start = complete;
            let first = std::mem::replace(&mut self.first_segment, false);

            if self.skipping_from_line {
                // The rest of an overlong `From ` line.
                self.skipping_from_line = !complete;
                continue;
            }

            if line_start && self.segment.starts_with(b"From ") {
                let date = parse_from_line_date_with(&self.segment, self.default_offset);
                if first || self.prev_blank || date.is_some() {
                    self.prev_blank = false;
                    self.skipping_from_line = !complete;
                    let started = Pending {
                        raw: Vec::new(),
                        size: 0,
                        offset: segment_offset,
                        index: self.index,
                        date,
                    };
                    self.index += 1;
                    if let Some(done) = self.current.replace(started) {
                        return Some(done.finish(self.max_message_size));
                    }
                    continue;
                }
            }

            let limit = self.max_message_size;
            let current = self.current.get_or_insert_with(|| {
                // Content before any `From ` line: keep it as a message of its own.
                let p = Pending {
                    raw: Vec::new(),
                    size: 0,
                    offset: segment_offset,
                    index: self.index,
                    date: None,
                };
                self.index += 1;
                p
            });
            let escaped = line_start && is_escaped_from(&self.segment);
            let data = if escaped {
                &self.segment[1..]
            } else {
                &self.segment[..]
            };
            current.push(data, limit);
            self.prev_blank =
                line_start && complete && (self.segment == b"\n" || self.segment == b"\r\n");
        }
    }
}

/// `>From `, `>>From `, ...: a body line escaped by the mbox writer.
fn is_escaped_from(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

/// Reads the date of an mbox `From ` line (`From sender Mon Jan 12 14:39:59 2026`), as UTC.
///
/// Accepts the asctime form (with or without seconds, optionally with a numeric zone or a common
/// zone abbreviation before or after the year, optionally followed by UUCP `remote from ...`), and
/// RFC 5322 dates. A line without a zone is read as UTC; see [`MboxReader::assume_utc_offset`].
/// The weekday is not checked.
pub fn parse_from_line_date(line: &[u8]) -> Option<DateTime<Utc>> {
    parse_from_line_date_with(line, FixedOffset::east_opt(0)?)
}

fn parse_from_line_date_with(line: &[u8], default_offset: FixedOffset) -> Option<DateTime<Utc>> {
    let line = &line[..line.len().min(1024)];
    let text = String::from_utf8_lossy(line);
    let rest = text.strip_prefix("From ")?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    // Normally the first token is the envelope sender; some writers leave it out.
    for skip in [1usize, 0] {
        let Some(tail) = tokens.get(skip..) else {
            continue;
        };
        if let Some(date) = parse_asctime_tokens(tail, default_offset) {
            return Some(date);
        }
        if let Ok(date) = DateTime::parse_from_rfc2822(&tail.join(" ")) {
            return Some(date.with_timezone(&Utc));
        }
    }
    None
}

fn parse_asctime_tokens(tokens: &[&str], default_offset: FixedOffset) -> Option<DateTime<Utc>> {
    let mut t: Vec<&str> = tokens.iter().copied().take(7).collect();
    // Drop the weekday (not cross-checked: a wrong weekday must not lose the date).
    if t.first().is_some_and(|w| {
        w.len() == 3 && w.chars().all(|c| c.is_ascii_alphabetic()) && is_weekday(w)
    }) {
        t.remove(0);
    }
    // Now: Mon DD HH:MM[:SS] [zone] YYYY [zone] [remote from ...]
    if t.len() < 4 {
        return None;
    }
    let (month, day, time) = (t[0], t[1], t[2]);
    let (year, zone) = if t[3].len() == 4 && t[3].chars().all(|c| c.is_ascii_digit()) {
        (t[3], t.get(4).copied().filter(|z| zone_offset(z).is_some()))
    } else {
        (*t.get(4)?, Some(t[3]))
    };
    let time = if time.matches(':').count() == 1 {
        format!("{time}:00")
    } else {
        time.to_string()
    };
    let naive =
        NaiveDateTime::parse_from_str(&format!("{month} {day} {year} {time}"), "%b %d %Y %H:%M:%S")
            .ok()?;
    let offset = match zone {
        Some(z) => zone_offset(z)?,
        None => default_offset,
    };
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn is_weekday(w: &str) -> bool {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(w))
}

/// `+0200`, `-0500`, or a few common abbreviations.
fn zone_offset(zone: &str) -> Option<FixedOffset> {
    let bytes = zone.as_bytes();
    if bytes.len() == 5
        && (bytes[0] == b'+' || bytes[0] == b'-')
        && bytes[1..].iter().all(u8::is_ascii_digit)
    {
        let hours: i32 = zone.get(1..3)?.parse().ok()?;
        let minutes: i32 = zone.get(3..5)?.parse().ok()?;
        let secs = hours * 3600 + minutes * 60;
        return FixedOffset::east_opt(if bytes[0] == b'-' { -secs } else { secs });
    }
    let hours = match zone.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "COT" | "EST" | "CDT" => -5,
        "EDT" => -4,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        "CET" => 1,
        "CEST" => 2,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(data: &[u8]) -> Vec<Result<MboxMessage, MboxError>> {
        MboxReader::new(Cursor::new(data.to_vec())).collect()
    }

    fn ok_raws(data: &[u8]) -> Vec<String> {
        read_all(data)
            .into_iter()
            .map(|r| String::from_utf8(r.expect("message").raw).expect("utf-8"))
            .collect()
    }

    /// The reasons, in the module documentation, for keeping this reader instead of
    /// mail-parser's: if mail-parser's reader gains them, this test says so.
    #[test]
    fn mail_parsers_mbox_reader_loses_what_this_one_keeps() {
        let mbox = concat!(
            "texto suelto antes del primer separador\n",
            "\n",
            "From ana@example.com Tue Mar 10 10:00:00 2026 -0500\n",
            "Subject: uno\n",
            "\n",
            "linea\n",
            "From aqui en adelante, una linea sin escapar\n",
            "\n",
            "From beto@example.com Tue Mar 10 11:00:00 2026 -0500\n",
            "Subject: dos\n",
            "\n",
            ">From citado\n",
        );
        let theirs: Vec<mail_parser::mailbox::mbox::Message> =
            mail_parser::mailbox::mbox::MessageIterator::new(Cursor::new(mbox.as_bytes())).map(|m| m.expect("read")).collect();
        let ours: Vec<MboxMessage> = read_all(mbox.as_bytes()).into_iter().map(|r| r.expect("ok")).collect();
        // Both un-escape `>From `.
        assert!(theirs.last().unwrap().contents().ends_with(b"\nFrom citado\n"));
        assert!(ours.last().unwrap().raw.ends_with(b"\nFrom citado\n"));
        // The text before the first separator: kept here, dropped there.
        assert_eq!(ours[0].raw, b"texto suelto antes del primer separador\n");
        assert!(theirs.iter().all(|m| !m.contents().starts_with(b"texto suelto")));
        // The unescaped body line after a non-empty line: kept in the body here, a new message there.
        assert_eq!(ours.len(), 3);
        assert_eq!(theirs.len(), 3, "texto suelto dropped, the body line split off");
        assert!(ours[1].raw.ends_with(b"linea\nFrom aqui en adelante, una linea sin escapar\n"));
        assert_eq!(theirs[1].contents(), b"\n");
        // The zone of the From line: 15:00 UTC here; there 10:00 read as UTC, five hours off.
        assert_eq!(ours[1].from_line_date, Some("2026-03-10T15:00:00Z".parse().unwrap()));
        let t0 = DateTime::<Utc>::from_timestamp(theirs[0].internal_date() as i64, 0).unwrap();
        assert_eq!(t0, "2026-03-10T10:00:00Z".parse::<DateTime<Utc>>().unwrap());
        // The separating empty line: removed here (ours[1] ends with its last body line, ours[2]
        // has none), left in the message there (theirs[1] is nothing but that line).
        assert_eq!(ours[2].raw, b"Subject: dos\n\nFrom citado\n");
    }

    #[test]
    fn splits_messages_and_reads_from_line_dates() {
        let mbox = concat!(
            "From alice@example.com Mon Jan 12 14:39:59 2026\n",
            "From: alice@example.com\n",
            "Subject: uno\n",
            "\n",
            "cuerpo uno\n",
            "\n",
            "From bob@example.com  Tue Feb  3 08:05:01 2026\n",
            "From: bob@example.com\n",
            "Subject: dos\n",
            "\n",
            "cuerpo dos\n",
        );
        let msgs: Vec<MboxMessage> = read_all(mbox.as_bytes())
            .into_iter()
            .map(|r| r.expect("ok"))
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].raw,
            b"From: alice@example.com\nSubject: uno\n\ncuerpo uno\n"
        );
        assert_eq!(
            msgs[1].raw,
            b"From: bob@example.com\nSubject: dos\n\ncuerpo dos\n"
        );
        assert_eq!(
            msgs[0].from_line_date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-01-12T14:39:59+00:00")
        );
        assert_eq!(
            msgs[1].from_line_date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-02-03T08:05:01+00:00")
        );
        assert_eq!((msgs[0].index, msgs[0].offset), (0, 0));
        assert_eq!(msgs[1].index, 1);
        assert_eq!(&mbox.as_bytes()[msgs[1].offset as usize..][..5], b"From ");
    }

    #[test]
    fn unescapes_from_lines_in_bodies() {
        let mbox = concat!(
            "From a@example.com Mon Jan 12 14:39:59 2026\n",
            "Subject: x\n",
            "\n",
            ">From the start\n",
            ">>From quoted\n",
            "> From not an escape\n",
            "From here on\n",
        );
        // "From here on" follows a non-blank line and has no date: body text of an mboxo writer.
        assert_eq!(
            ok_raws(mbox.as_bytes()),
            vec![
                "Subject: x\n\nFrom the start\n>From quoted\n> From not an escape\nFrom here on\n"
            ]
        );
    }

    #[test]
    fn handles_crlf_and_missing_final_newline() {
        let mbox = "From a Mon Jan 12 14:39:59 2026\r\nSubject: a\r\n\r\nA\r\n\r\nFrom b Mon Jan 12 14:40:00 2026\r\nSubject: b\r\n\r\nB";
        assert_eq!(
            ok_raws(mbox.as_bytes()),
            vec!["Subject: a\r\n\r\nA\r\n", "Subject: b\r\n\r\nB"]
        );
    }

    #[test]
    fn keeps_text_before_the_first_from_line() {
        let data = "Subject: stray\n\nno separator\n\nFrom a Mon Jan 12 14:39:59 2026\nSubject: real\n\nbody\n";
        let msgs: Vec<MboxMessage> = read_all(data.as_bytes())
            .into_iter()
            .map(|r| r.expect("ok"))
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].raw, b"Subject: stray\n\nno separator\n");
        assert_eq!(msgs[0].from_line_date, None);
        assert_eq!(msgs[1].raw, b"Subject: real\n\nbody\n");
    }

    #[test]
    fn empty_input_yields_nothing() {
        assert!(read_all(b"").is_empty());
    }

    #[test]
    fn oversized_message_is_reported_and_reading_goes_on() {
        let big = "x".repeat(5000);
        let data = format!(
            "From a Mon Jan 12 14:39:59 2026\nSubject: big\n\n{big}\n\nFrom b Mon Jan 12 14:40:00 2026\nSubject: small\n\nok\n"
        );
        let items: Vec<_> = MboxReader::new(Cursor::new(data.into_bytes()))
            .max_message_size(1000)
            .collect();
        assert_eq!(items.len(), 2);
        match &items[0] {
            Err(MboxError::TooLarge {
                index: 0,
                size,
                limit: 1000,
                ..
            }) => assert!(*size > 5000),
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert_eq!(
            items[1].as_ref().expect("second message").raw,
            b"Subject: small\n\nok\n"
        );
    }

    #[test]
    fn long_lines_are_streamed_in_pieces() {
        let long = "y".repeat(3 * SEGMENT_MAX + 17);
        let data = format!("From a Mon Jan 12 14:39:59 2026\nSubject: l\n\n{long}\nFrom x\n");
        let raws = ok_raws(data.as_bytes());
        // "From x" follows a non-blank line and has no date: it is body text.
        assert_eq!(raws, vec![format!("Subject: l\n\n{long}\nFrom x\n")]);
    }

    #[test]
    fn reads_from_line_date_variants() {
        let d = |s: &str| parse_from_line_date(s.as_bytes()).map(|d| d.to_rfc3339());
        assert_eq!(
            d("From a@b Mon Jan 12 14:39:59 2026").as_deref(),
            Some("2026-01-12T14:39:59+00:00")
        );
        assert_eq!(
            d("From a@b Mon Jan  5 14:39 2026\n").as_deref(),
            Some("2026-01-05T14:39:00+00:00")
        );
        assert_eq!(
            d("From a@b Mon Jan 12 14:39:59 -0500 2026").as_deref(),
            Some("2026-01-12T19:39:59+00:00")
        );
        assert_eq!(
            d("From a@b Mon Jan 12 14:39:59 2026 -0500").as_deref(),
            Some("2026-01-12T19:39:59+00:00")
        );
        assert_eq!(
            d("From a@b Mon Jan 12 14:39:59 COT 2026").as_deref(),
            Some("2026-01-12T19:39:59+00:00")
        );
        // Wrong weekday: still read.
        assert_eq!(
            d("From a@b Fri Jan 12 14:39:59 2026").as_deref(),
            Some("2026-01-12T14:39:59+00:00")
        );
        assert_eq!(
            d("From a@b Mon, 12 Jan 2026 14:39:59 +0100").as_deref(),
            Some("2026-01-12T13:39:59+00:00")
        );
        assert_eq!(
            d("From MAILER-DAEMON Mon Jan 12 14:39:59 2026 remote from x").as_deref(),
            Some("2026-01-12T14:39:59+00:00")
        );
        assert_eq!(d("From a@b"), None);
        assert_eq!(d("From a@b yesterday"), None);
        assert_eq!(d("Subject: x"), None);
        let colombia = MboxReader::new(Cursor::new(
            b"From a Mon Jan 12 09:00:00 2026\nSubject: x\n\nb\n".to_vec(),
        ))
        .assume_utc_offset(-5 * 3600)
        .next()
        .expect("one")
        .expect("ok");
        assert_eq!(
            colombia.from_line_date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-01-12T14:00:00+00:00")
        );
    }

    #[test]
    fn from_line_date_is_the_receipt_time_of_a_parsed_message() {
        use crate::intake::parse::{
            parse_message, received_at_with_source, ParseOptions, ReceivedAtSource,
        };
        let data = concat!(
            "From a@example.com Mon Jan 12 14:39:59 2026\n",
            "Received: by mx; Mon, 12 Jan 2026 09:39:58 -0500\n",
            "From: a@example.com\n",
            "Date: Mon, 12 Jan 2026 09:00:00 -0500\n",
            "Subject: archivo\n",
            "\n",
            "texto\n",
        );
        let item = MboxReader::new(Cursor::new(data.as_bytes().to_vec()))
            .next()
            .expect("one")
            .expect("ok");
        let msg = parse_message(&item.raw, &ParseOptions::default()).expect("parses");
        assert_eq!(msg.subject, "archivo");
        let now = Utc::now();
        let (at, source) = received_at_with_source(&msg, item.from_line_date, now);
        assert_eq!(source, ReceivedAtSource::Source);
        assert_eq!(at.to_rfc3339(), "2026-01-12T14:39:59+00:00");
    }

    #[test]
    fn opens_a_file() {
        let path = std::env::temp_dir().join(format!("pqrs-mbox-test-{}.mbox", std::process::id()));
        std::fs::write(
            &path,
            "From a Mon Jan 12 14:39:59 2026\nSubject: f\n\nbody\n",
        )
        .expect("write");
        let msgs: Vec<_> = MboxReader::open(&path).expect("open").collect();
        let _ = std::fs::remove_file(&path);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].as_ref().expect("ok").raw, b"Subject: f\n\nbody\n");
    }
}
