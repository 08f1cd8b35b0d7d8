//! Intake: every door a message comes through, turned into our own [`parse::InboundMessage`] and
//! sent through the one [`pipeline::Intake`].
//!
//! - `parse`: mail-parser → `InboundMessage` (the anti-corruption layer; mail-parser's borrowed
//!   types never leave it), automatic-mail and bounce detection, received time.
//! - `mbox`, `maildir`: reading archives for import.
//! - `pipeline`: parse → dedupe → thread → route → date → file, or quarantine.
//! - `import`: `pqrs import`; `maildir_watch`: the embedded drop folder; `imap`: the contact
//!   mailbox.

pub mod imap;
pub mod import;
pub mod maildir;
pub mod maildir_watch;
pub mod mbox;
pub mod parse;
pub mod pipeline;
pub mod synthetic;
pub mod web_form;

pub use pipeline::{Intake, Outcome, RawMail, Source};
