//! Workflows: the only layer that combines the domain, the store and the mailer.

/// Filing is a store use case; the workflow layer names it here for its callers.
pub mod filing {
    pub use crate::db::intake::*;
}
pub mod communications;
pub mod follow_up;
pub mod intake;
pub mod lifecycle;
pub mod recalc;
pub mod routing_model;
pub mod web_filing;

pub use filing::{CaseDraft, FilingError, FilingOutcome};
