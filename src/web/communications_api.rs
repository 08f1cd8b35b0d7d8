//! `GET /api/v1/cases/{radicado}/communications`: the outgoing communications of a case (every
//! oficio with its outgoing radicado, channel, addressee, text, attachments, mail status and
//! annulment), staff only and scoped like the case itself (404 outside the caller's scope).

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::AppState;
use crate::auth::Caller;
use crate::db::communications::{self, CommunicationDetail};
use crate::error::ApiError;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Communication)]
struct Item {
    #[serde(flatten)]
    detail: CommunicationDetail,
    /// The printable oficio (staff session).
    oficio_url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CommunicationList)]
struct Page {
    items: Vec<Item>,
}

#[utoipa::path(get, path = "/api/v1/cases/{radicado}/communications", operation_id = "list_communications", tag = "casos",
    summary = "Comunicaciones de salida del caso (oficios con radicado de salida, canal, anexos y estado del correo)",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Comunicaciones", body = Page),
        (status = 401, description = "Sin credenciales válidas", body = crate::error::ErrorBody),
        (status = 403, description = "Sin permiso", body = crate::error::ErrorBody),
        (status = 404, description = "No encontrado (o fuera del alcance del usuario)", body = crate::error::ErrorBody),
        (status = 503, description = "Servicio no disponible", body = crate::error::ErrorBody),
    ))]
pub async fn list(caller: Caller, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if !caller.is_staff() {
        return Err(ApiError::forbidden());
    }
    let radicado = path.into_inner();
    let items = super::with_conn(&state, move |c| {
        let case = crate::db::cases::get_scoped(c, &radicado, caller.scope())?.ok_or_else(ApiError::not_found)?;
        crate::db::cases::audit(c, &caller.actor(), "ver_comunicaciones", Some(case.id), &case.radicado)?;
        Ok(communications::details_for_case(c, case.id)?)
    })
    .await?;
    let items = items
        .into_iter()
        .map(|detail| Item { oficio_url: format!("/staff/oficios/{}", detail.row.radicado), detail })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items }))
}
