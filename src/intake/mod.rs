//! Intake: every door a message comes through. Each reads mail and hands a [`door::RawMail`] to
//! the one intake workflow (`crate::workflow::intake`, also named `intake::pipeline` here).
//!
//! - `parse`: mail-parser → `InboundMessage` (the anti-corruption layer; mail-parser's borrowed
//!   types never leave it), automatic-mail and bounce detection, received time.
//! - `mbox`, `maildir`: reading archives for import.
//! - `door`: what a door hands over (raw bytes, source, arrival time) and the guards it shares.
//! - `web_form`: validation of web filings (filed by `crate::workflow::web_filing`).
//! - `callback`: "Te llamamos" callback requests, filed the same way on channel `te_llamamos`.
//! - `import`: `pqrs import`; `maildir_watch`: the embedded drop folder; `imap`: the contact
//!   mailbox.

pub mod callback;
pub mod imap;
pub mod import;
pub mod maildir;
pub mod maildir_watch;
pub mod mbox;
pub mod spool;
pub mod door;
pub mod parse;
pub mod requester;
/// The intake workflow, under the name the doors and tests use.
pub use crate::workflow::intake as pipeline;
pub mod synthetic;
pub mod web_form;

pub use pipeline::{Intake, Outcome, RawMail, Source};
