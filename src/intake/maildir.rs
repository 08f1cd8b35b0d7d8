//! Reading Maildir folders, and telling import paths apart (Maildir, mbox, single .eml).
//!
//! A Maildir holds one file per message under `new/` (not yet seen by a client) and `cur/`;
//! `tmp/` holds deliveries in progress and is never read. By the Maildir convention a file name
//! starts with the delivery time in unix seconds (`1767900000.M20P3.host,S=1234:2,S`), which is
//! the receipt time for DESIGN.md §3; when the name does not start that way, the file's
//! modification time is used instead.
//!
//! Neighbours: `mbox.rs` reads mbox files; `parse/` parses each message's bytes and has
//! `received_at`, which takes [`MaildirEntry::delivered_at`] as the source time.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

/// Which Maildir subfolder a message was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaildirSubdir {
    /// `new/`: delivered, not yet seen by any client.
    New,
    /// `cur/`: seen by a client at least once.
    Cur,
}

/// Where [`MaildirEntry::delivered_at`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryTimeSource {
    /// The leading unix seconds of the file name.
    FileName,
    /// The file's modification time.
    ModifiedTime,
    /// Neither was available.
    Unknown,
}

/// One message file of a Maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirEntry {
    /// Full path of the message file.
    pub path: PathBuf,
    /// The subfolder it is in.
    pub subdir: MaildirSubdir,
    /// Delivery time: the leading unix seconds of the file name (when between 1990 and 2100),
    /// else the file's modification time.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Which of the two gave [`Self::delivered_at`].
    pub delivered_at_source: DeliveryTimeSource,
    /// The Maildir flags after `:2,` (`S` seen, `R` replied, `T` trashed, ...), empty if none.
    pub flags: String,
    /// The file's size when it was listed.
    pub size: u64,
}

/// What kind of import source a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A directory with `cur/`, `new/` and `tmp/`.
    Maildir,
    /// A file whose first line starts with `From ` (a UTF-8 BOM is ignored).
    Mbox,
    /// Any other file: one message.
    Eml,
    /// A directory that is not a Maildir; the caller may walk it for files.
    Directory,
}

/// True when `path` is a directory holding `cur/`, `new/` and `tmp/` directories.
pub fn is_maildir(path: impl AsRef<Path>) -> bool {
    let p = path.as_ref();
    ["cur", "new", "tmp"].iter().all(|d| p.join(d).is_dir())
}

/// Tells what kind of source `path` is; see [`SourceKind`]. Reads at most the first 1 KiB of a
/// file.
pub fn detect_source(path: impl AsRef<Path>) -> io::Result<SourceKind> {
    detect_source_sized(path).map(|(kind, _)| kind)
}

/// [`detect_source`] and the size of the file (0 for a directory), from the same `stat`.
pub fn detect_source_sized(path: impl AsRef<Path>) -> io::Result<(SourceKind, u64)> {
    let p = path.as_ref();
    let meta = fs::metadata(p)?;
    if meta.is_dir() {
        let kind = if is_maildir(p) { SourceKind::Maildir } else { SourceKind::Directory };
        return Ok((kind, 0));
    }
    let mut head = Vec::with_capacity(1024);
    fs::File::open(p)?.take(1024).read_to_end(&mut head)?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let kind = if head.starts_with(b"From ") { SourceKind::Mbox } else { SourceKind::Eml };
    Ok((kind, meta.len()))
}

/// Lists the messages of a Maildir: the regular files of `new/` and `cur/` (names starting with
/// `.` skipped, `tmp/` never read), sorted by delivery time, then path. Fails when `new/` or
/// `cur/` cannot be read.
pub fn list_maildir(path: impl AsRef<Path>) -> io::Result<Vec<MaildirEntry>> {
    let root = path.as_ref();
    let mut entries = Vec::new();
    for (name, subdir) in [("new", MaildirSubdir::New), ("cur", MaildirSubdir::Cur)] {
        for item in fs::read_dir(root.join(name))? {
            let item = item?;
            let file_name = item.file_name();
            let name = file_name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let path = item.path();
            // Follows symlinks; a dangling link or a directory is not a message.
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let (delivered_at, delivered_at_source) = match delivery_time_from_name(&name) {
                Some(t) => (Some(t), DeliveryTimeSource::FileName),
                None => match meta.modified() {
                    Ok(m) => (
                        Some(DateTime::<Utc>::from(m)),
                        DeliveryTimeSource::ModifiedTime,
                    ),
                    Err(_) => (None, DeliveryTimeSource::Unknown),
                },
            };
            let flags = name
                .rsplit_once(":2,")
                .map(|(_, f)| f.to_string())
                .unwrap_or_default();
            entries.push(MaildirEntry {
                path,
                subdir,
                delivered_at,
                delivered_at_source,
                flags,
                size: meta.len(),
            });
        }
    }
    entries.sort_by(|a, b| {
        a.delivered_at
            .cmp(&b.delivered_at)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(entries)
}

/// The folders of a Maildir to import: the Maildir itself (the inbox) first, then its Maildir++
/// subfolders (`.Enviados`, `.Archivo.2024`, ...: the direct children whose name starts with `.`
/// and that are Maildirs themselves), sorted by name. Maildir++ keeps every subfolder flat
/// under the root, the hierarchy in the name, so one level is walked.
///
/// Not mail-parser's `mailbox::maildir::FolderIterator`: it yields each folder's message
/// iterator with only a name, not the folder's path, and its message iterator dates a mail by
/// the file's modification time alone (reset by a copy or a restore from backup, where the file
/// name keeps the delivery time), cannot sort by delivery time without reading every file first,
/// and stops at the first file it cannot read (a mail a client moved meanwhile), where
/// [`list_maildir`] skips it.
pub fn maildir_folders(root: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
    let root = root.as_ref();
    let mut subs: Vec<PathBuf> = fs::read_dir(root)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with('.') && name != "." && name != ".." && is_maildir(e.path())
        })
        .map(|e| e.path())
        .collect();
    subs.sort();
    let mut out = vec![root.to_path_buf()];
    out.extend(subs);
    Ok(out)
}

/// The delivery time encoded in a Maildir file name: its leading digits as unix seconds, when they
/// are followed by `.` and fall between 1990-01-01 and 2100-01-01 UTC.
pub fn delivery_time_from_name(name: &str) -> Option<DateTime<Utc>> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 12 || name.as_bytes().get(digits) != Some(&b'.') {
        return None;
    }
    let secs: i64 = name[..digits].parse().ok()?;
    const EARLIEST: i64 = 631_152_000; // 1990-01-01T00:00:00Z
    const LATEST: i64 = 4_102_444_800; // 2100-01-01T00:00:00Z
    if !(EARLIEST..LATEST).contains(&secs) {
        return None;
    }
    DateTime::from_timestamp(secs, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "pqrs-maildir-test-{}-{}-{}",
                std::process::id(),
                nanos,
                N.fetch_add(1, Ordering::SeqCst)
            ));
            fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn make_maildir(root: &Path) {
        for d in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(d)).expect("mkdir");
        }
    }

    #[test]
    fn lists_new_and_cur_but_not_tmp_with_delivery_times() {
        let tmp = TempDir::new();
        let md = tmp.0.join("Maildir");
        make_maildir(&md);
        fs::write(md.join("new/1767900000.M1P2.host,S=10"), "Subject: a\n\na").expect("write");
        fs::write(
            md.join("cur/1767800000.M3P4.host,S=10:2,RS"),
            "Subject: b\n\nb",
        )
        .expect("write");
        fs::write(md.join("cur/no-time-in-name"), "Subject: c\n\nc").expect("write");
        fs::write(md.join("tmp/1767900001.M5P6.host"), "Subject: partial").expect("write");
        fs::write(md.join("new/.hidden"), "x").expect("write");
        fs::create_dir_all(md.join("cur/subdir")).expect("mkdir");

        let entries = list_maildir(&md).expect("list");
        let names: Vec<String> = entries
            .iter()
            .map(|e| {
                e.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(!names
            .iter()
            .any(|n| n.contains("M5P6") || n.starts_with('.')));
        // Sorted by delivery time: the cur/ message was delivered first.
        assert_eq!(names[0], "1767800000.M3P4.host,S=10:2,RS");
        assert_eq!(entries[0].subdir, MaildirSubdir::Cur);
        assert_eq!(entries[0].flags, "RS");
        assert_eq!(entries[0].delivered_at_source, DeliveryTimeSource::FileName);
        assert_eq!(
            entries[0].delivered_at.map(|d| d.timestamp()),
            Some(1_767_800_000)
        );
        assert_eq!(names[1], "1767900000.M1P2.host,S=10");
        assert_eq!(entries[1].subdir, MaildirSubdir::New);
        // No time in the name: the file's mtime (just now).
        let c = entries
            .iter()
            .find(|e| e.path.ends_with("no-time-in-name"))
            .expect("entry c");
        assert_eq!(c.delivered_at_source, DeliveryTimeSource::ModifiedTime);
        let age = Utc::now() - c.delivered_at.expect("mtime");
        assert!(age.num_seconds().abs() < 3600);
    }

    #[test]
    fn maildir_plus_plus_subfolders_come_after_the_inbox() {
        let tmp = TempDir::new();
        let md = tmp.0.join("Maildir");
        make_maildir(&md);
        make_maildir(&md.join(".Enviados"));
        make_maildir(&md.join(".Archivo.2024"));
        fs::create_dir_all(md.join(".sin-maildir")).expect("mkdir");
        fs::create_dir_all(md.join("otra")).expect("mkdir");
        fs::write(md.join(".Archivo.2024/maildirfolder"), "").expect("write");
        let names: Vec<String> = maildir_folders(&md)
            .expect("folders")
            .iter()
            .map(|p| p.strip_prefix(&md).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["", ".Archivo.2024", ".Enviados"]);
    }

    #[test]
    fn list_fails_on_a_folder_without_new_and_cur() {
        let tmp = TempDir::new();
        assert!(list_maildir(&tmp.0).is_err());
    }

    #[test]
    fn delivery_time_needs_plausible_leading_seconds() {
        assert_eq!(
            delivery_time_from_name("1767900000.M1P2.host").map(|d| d.timestamp()),
            Some(1_767_900_000)
        );
        assert_eq!(delivery_time_from_name("1767900000_1.host"), None);
        assert_eq!(delivery_time_from_name("123.host"), None);
        assert_eq!(delivery_time_from_name("99999999999.host"), None);
        assert_eq!(delivery_time_from_name("msg.eml"), None);
        assert_eq!(delivery_time_from_name(""), None);
    }

    #[test]
    fn detects_maildir_mbox_eml_and_plain_directories() {
        let tmp = TempDir::new();
        let md = tmp.0.join("md");
        make_maildir(&md);
        let mbox = tmp.0.join("archive.mbox");
        fs::write(
            &mbox,
            "\u{feff}From a@b Mon Jan 12 14:39:59 2026\nSubject: x\n\ny\n",
        )
        .expect("write");
        let eml = tmp.0.join("one.eml");
        fs::write(&eml, "From: a@b\nSubject: x\n\ny\n").expect("write");
        assert!(is_maildir(&md));
        assert!(!is_maildir(&tmp.0));
        assert_eq!(detect_source(&md).expect("md"), SourceKind::Maildir);
        assert_eq!(detect_source(&mbox).expect("mbox"), SourceKind::Mbox);
        assert_eq!(detect_source(&eml).expect("eml"), SourceKind::Eml);
        assert_eq!(detect_source(&tmp.0).expect("dir"), SourceKind::Directory);
        assert!(detect_source(tmp.0.join("missing")).is_err());
    }
}
