//! Who is calling: staff through a session cookie (the web app) or anyone with a bearer token
//! (`Authorization: Bearer pqrs_…`, from `pqrs token create`). Roles: `admin` and `triage` see
//! every case, `department` only its own department's, `report` only the metrics.
//! Authorisation is checked on the server for every page and API call; a case outside the
//! caller's scope answers 404, as if it did not exist.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use chrono::Utc;
use diesel::prelude::*;

use crate::db::schema::{api_tokens, sessions, staff_users};
use crate::error::ApiError;
use crate::web::AppState;

pub const SESSION_COOKIE: &str = "pqrs_session";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: String,
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
        matches!(self.role.as_str(), "admin" | "triage")
    }
    /// May work cases (not a report-only caller).
    pub fn is_staff(&self) -> bool {
        matches!(self.role.as_str(), "admin" | "triage" | "department")
    }
    /// May read the metrics.
    pub fn may_report(&self) -> bool {
        matches!(self.role.as_str(), "admin" | "triage" | "report")
    }
    /// The department filter for case queries: None = all.
    pub fn scope(&self) -> Option<&str> {
        if self.sees_all() {
            None
        } else {
            Some(self.department.as_deref().unwrap_or("\u{0}none"))
        }
    }
    /// Name for audit records and events.
    pub fn actor(&self) -> String {
        self.email.clone().unwrap_or_else(|| format!("token:{}", self.role))
    }
}

pub fn hash(token: &str) -> String {
    crate::staff::token_hash(token)
}

/// Resolve a bearer token or a session id.
pub fn resolve(conn: &mut crate::db::AnyConnection, bearer: Option<&str>, session: Option<&str>) -> QueryResult<Option<Caller>> {
    if let Some(t) = bearer {
        let row: Option<(String, Option<i64>)> = api_tokens::table
            .filter(api_tokens::token_hash.eq(hash(t)))
            .filter(api_tokens::revoked_at.is_null())
            .select((api_tokens::role, api_tokens::user_id))
            .first(conn)
            .optional()?;
        let Some((role, user_id)) = row else { return Ok(None) };
        if let Some(uid) = user_id {
            let user: Option<(String, String, Option<String>, bool)> = staff_users::table
                .find(uid)
                .select((staff_users::email, staff_users::role, staff_users::department, staff_users::active))
                .first(conn)
                .optional()?;
            return Ok(match user {
                Some((email, role, department, true)) => Some(Caller { role, department, email: Some(email), user_id: Some(uid), csrf: None }),
                _ => None,
            });
        }
        return Ok(Some(Caller { role, department: None, email: None, user_id: None, csrf: None }));
    }
    if let Some(sid) = session {
        let now = Utc::now().naive_utc();
        let row: Option<(i64, String, String, Option<String>, bool, String)> = sessions::table
            .inner_join(staff_users::table)
            .filter(sessions::id_hash.eq(hash(sid)))
            .filter(sessions::expires_at.gt(now))
            .select((staff_users::id, staff_users::email, staff_users::role, staff_users::department, staff_users::active, sessions::csrf))
            .first(conn)
            .optional()?;
        return Ok(match row {
            Some((id, email, role, department, true, csrf)) => Some(Caller { role, department, email: Some(email), user_id: Some(id), csrf: Some(csrf) }),
            _ => None,
        });
    }
    Ok(None)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let h = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty() && t.len() < 200)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = bearer(req);
        let session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no app state"))?;
            if bearer.is_none() && session.is_none() {
                return Err(ApiError::unauthorized());
            }
            let caller = crate::web::with_conn(&state, move |c| Ok(resolve(c, bearer.as_deref(), session.as_deref())?)).await?;
            caller.ok_or_else(ApiError::unauthorized)
        })
    }
}
