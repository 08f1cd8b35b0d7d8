//! Pure domain types and rules: no I/O here.

pub mod calendar;
pub mod deadline;
pub mod kind;
pub mod outgoing;
pub mod radicado;

pub use kind::{CaseStatus, Channel, Outcome, OutboxStatus, PetitionKind, PriorityReason, Role, UnknownCode};

/// A new Message-ID (without angle brackets) in our domain.
pub fn new_message_id(domain: &str) -> String {
    let r: u128 = rand::random();
    format!("{}.{:032x}@{}", chrono::Utc::now().format("%Y%m%d%H%M%S"), r, domain)
}
