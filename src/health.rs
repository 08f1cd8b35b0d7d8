//! What the intake workers report about themselves (source, last successful poll, last error),
//! read by `/healthz` and `/metrics`. Neutral ground: intake writes it, web reads it, neither
//! imports the other for it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// What the intake workers report for `/healthz`.
#[derive(Debug, Default)]
pub struct HealthState {
    inner: Mutex<IntakeHealth>,
    /// The supervised workers' states (`crate::jobs`).
    pub workers: Arc<crate::jobs::Workers>,
}

/// A copy of the intake's state at one moment.
#[derive(Debug, Default, Clone)]
pub struct IntakeHealth {
    /// `imap` or `maildir`; `None` while no intake worker runs.
    pub source: Option<String>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl HealthState {
    pub fn set_source(&self, source: &str) {
        if let Ok(mut g) = self.inner.lock() {
            g.source = Some(source.to_string());
        }
    }
    pub fn poll_succeeded(&self, at: DateTime<Utc>) {
        if let Ok(mut g) = self.inner.lock() {
            g.last_success = Some(at);
            g.last_error = None;
        }
    }
    pub fn poll_failed(&self, error: String) {
        if let Ok(mut g) = self.inner.lock() {
            g.last_error = Some(error);
        }
    }
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.inner.lock().ok().and_then(|g| g.last_success)
    }
    /// The intake's state now (the default when the lock is poisoned).
    pub fn intake(&self) -> IntakeHealth {
        self.inner.lock().map(|g| g.clone()).unwrap_or_default()
    }
}
