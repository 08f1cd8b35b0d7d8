//! Workflows: the only layer that combines the domain, the store and the mailer.

pub mod filing;
pub mod follow_up;
pub mod lifecycle;

pub use filing::{CaseDraft, FilingError, FilingOutcome};
