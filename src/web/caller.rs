//! The request extractor for [`Caller`]: a bearer token or the session cookie, resolved by the
//! store (`db::staff::resolve`).

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};

use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::ApiError;
use crate::web::AppState;

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
            let caller = crate::web::with_conn(&state, move |c| {
                Ok(crate::db::staff::resolve(c, bearer.as_deref(), session.as_deref())?)
            })
            .await?;
            caller.ok_or_else(ApiError::unauthorized)
        })
    }
}
