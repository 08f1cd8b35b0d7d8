//! Who is calling: staff through a session cookie (the web app) or anyone with a bearer token
//! (`Authorization: Bearer pqrs_…`, from `pqrs token create`). Roles: `admin` and `triage` see
//! every case, `department` only its own department's, `report` only the metrics.
//! Authorisation is checked on the server for every page and API call; a case outside the
//! caller's scope answers 404, as if it did not exist.
//!
//! This module holds the caller and its rights; `db::staff::resolve` finds it from a token or a
//! session, and the request extractor is in `web::caller`.

pub use crate::domain::Role;

pub const SESSION_COOKIE: &str = "pqrs_session";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    pub department: Option<String>,
    /// The staff user's e-mail (None for role tokens).
    pub email: Option<String>,
    pub user_id: Option<i64>,
    /// The CSRF token of the session (None for bearer tokens, which need none).
    pub csrf: Option<String>,
}

impl Caller {
    /// Sees every case.
    pub fn sees_all(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Triage)
    }
    /// May work cases (not a report-only caller).
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Triage | Role::Department)
    }
    /// May read the metrics.
    pub fn may_report(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Triage | Role::Report)
    }
    /// The department filter for case queries: None = all.
    pub fn scope(&self) -> Option<&str> {
        if self.sees_all() {
            None
        } else {
            // A department caller without a department sees nothing: no case has an empty code.
            Some(self.department.as_deref().unwrap_or(""))
        }
    }
    /// Name for audit records and events.
    pub fn actor(&self) -> String {
        self.email.clone().unwrap_or_else(|| format!("token:{}", self.role))
    }
}

