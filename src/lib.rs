//! pqrs: intake, filing (radicado), routing and legal follow-up of citizens' PQRS for Colombian
//! public entities. See README.md for the operator's view and DESIGN.md (shared) for contracts.
//!
//! The data flow, stage by stage, one module each:
//! `intake` (mail and web sources → `InboundMessage`) → `routing` (rules → department, kind) →
//! `workflow` (the filing transaction, case actions) → `db` (the store) → `mailer` (outbox) →
//! `web` (staff app, public pages, JSON API). `domain` holds the pure rules (radicado, kinds,
//! calendar, deadlines); `config` the settings; `error` the error policy.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod habeas;
pub mod health;
pub mod informe;
pub mod intake;
pub mod jobs;
pub mod mailer;
pub mod policy;
pub mod reports;
pub mod routing;
pub mod secret;
/// Staff users, sessions and tokens are a store use case (`db::staff`), named here for the CLI.
pub mod staff {
    pub use crate::db::staff::*;
}
pub mod startup;
pub mod survey;
pub mod telemetry;
pub mod time;
pub mod tls;
pub mod web;
pub mod workflow;

/// mimalloc instead of glibc's malloc, in the binary and in everything that links this library
/// (tests, benches). An import's store thread frees what the preparing threads allocated (each
/// mail's bytes and parse), and glibc serialises such frees on the allocating thread's arena
/// lock: perf sched showed the store thread asleep in `__lll_lock_wait_private`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
