//! Error policy.
//!
//! - Each layer has its own typed error (`thiserror`): [`crate::db::DbError`] for the store,
//!   [`crate::config::ConfigError`] for configuration, `ParseError` for mail parsing,
//!   `RuleError` for rule files, [`crate::workflow::FilingError`] for the filing workflow.
//!   Their messages are English and meant for logs and operators.
//! - `anyhow` is used only at the edges that end a process: `main`, CLI commands and start-up.
//! - Everything that leaves over HTTP goes through one type, [`ApiError`]. It carries a stable
//!   snake_case `code` (clients and the web UI switch on it), a message in Spanish for people, and
//!   optional per-field messages. The internal cause is logged once, here, and never sent: a 500
//!   says only "error interno" with the request's code.
//! - No input may panic the process; a panic is a bug.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::collections::BTreeMap;

/// The one error type of the HTTP layer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine code, e.g. `not_found`, `validation_failed`.
    pub code: &'static str,
    /// Spanish, for people.
    pub message: String,
    /// Spanish per-field messages (422).
    pub fields: BTreeMap<String, String>,
}

/// The body of every error response (the OpenAPI schema `Error`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// Stable machine code, e.g. `not_found`, `validation_failed`.
    error: &'a str,
    /// Spanish, for people.
    message: &'a str,
    /// Spanish per-field messages (422).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: &'a BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), fields: BTreeMap::new() }
    }
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "No encontrado.")
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Debe iniciar sesión.")
    }
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "No tiene permiso para esta acción.")
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
    pub fn validation(fields: BTreeMap<String, String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: "Revise los campos marcados.".into(),
            fields,
        }
    }
    /// An internal failure: the cause is logged, the client sees only a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Error interno. Intente de nuevo más tarde.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code, self.status)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorBody {
            error: self.code,
            message: &self.message,
            fields: &self.fields,
        })
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> ApiError {
        if e.is_temporary() {
            tracing::warn!(error = %e, "database unavailable");
            ApiError::unavailable("El servicio no está disponible en este momento. Intente de nuevo.")
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<crate::db::QueryError> for ApiError {
    fn from(e: crate::db::QueryError) -> ApiError {
        if crate::db::is_not_found(&e) {
            ApiError::not_found()
        } else {
            ApiError::from(crate::db::DbError::from(e))
        }
    }
}

impl From<crate::workflow::FilingError> for ApiError {
    fn from(e: crate::workflow::FilingError) -> ApiError {
        match e {
            crate::workflow::FilingError::Db(db) if db.is_temporary() => ApiError::from(db),
            // Data this filing cannot be stored with (the store refused this row, a date outside
            // the calendar): say so; the client can correct it or call. Logged with the cause.
            other => {
                let reason = other.to_string();
                tracing::error!(%reason, "filing refused by the store");
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "not_fileable",
                    "No fue posible radicar esta solicitud con los datos enviados. Revise el contenido o comuníquese con la entidad.",
                )
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> ApiError {
        ApiError::internal(e)
    }
}
