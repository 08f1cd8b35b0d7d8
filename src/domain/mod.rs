//! Pure domain types and rules: no I/O here.

pub mod calendar;
pub mod deadline;
pub mod kind;
pub mod radicado;

pub use kind::{CaseStatus, Channel, PetitionKind};
