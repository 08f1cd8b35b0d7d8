//! Login with lockout, and logout.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::redirect;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::staff::LoginResult;
use crate::web::layout::{html_response, page};
use crate::web::AppState;

fn login_page(email: &str, error: Option<&str>) -> Markup {
    page("Ingreso de funcionarios", &[], html! {
        h1 { "Ingreso de funcionarios" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/personal" {
            label for="email" { "Correo institucional" }
            input type="email" id="email" name="email" value=(email) autocomplete="username" required;
            label for="password" { "Contraseña" }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            button type="submit" { "Ingresar" }
        }
    })
}

pub async fn login_form(caller: Option<Caller>) -> HttpResponse {
    if caller.is_some_and(|c| c.csrf.is_some()) {
        return redirect("/bandeja");
    }
    html_response(StatusCode::OK, login_page("", None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login(req: HttpRequest, state: web::Data<AppState>, form: web::Form<LoginForm>) -> HttpResponse {
    if !state.limiter.allow(crate::web::public::client_ip(&req)) {
        return html_response(StatusCode::TOO_MANY_REQUESTS, login_page(&form.email, Some("Demasiados intentos. Espere un minuto.")));
    }
    let email = form.email.trim().to_ascii_lowercase();
    let password = form.password.clone();
    let shown = email.clone();
    let result = crate::web::with_conn(&state, move |c| Ok(crate::staff::login(c, &email, &password, Utc::now())?)).await;
    match result {
        Ok(LoginResult::Ok { session }) => {
            let secure = state.config.settings.public_base_url.starts_with("https://");
            let cookie = Cookie::build(SESSION_COOKIE, session).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).finish();
            HttpResponse::SeeOther().insert_header(("Location", "/bandeja")).cookie(cookie).finish()
        }
        Ok(LoginResult::Bad) => html_response(StatusCode::UNAUTHORIZED, login_page(&shown, Some("Correo o contraseña incorrectos."))),
        Ok(LoginResult::Locked) => html_response(StatusCode::TOO_MANY_REQUESTS, login_page(&shown, Some("La cuenta quedó bloqueada 15 minutos por intentos fallidos."))),
        Err(e) => html_response(e.status, login_page(&shown, Some(&e.message))),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(req: HttpRequest, caller: Option<Caller>, state: web::Data<AppState>, form: web::Form<CsrfForm>) -> HttpResponse {
    if let (Some(c), Some(sid)) = (caller, req.cookie(SESSION_COOKIE)) {
        if c.csrf.as_deref() == Some(form.csrf.as_str()) {
            let sid = sid.value().to_string();
            let _ = crate::web::with_conn(&state, move |conn| Ok(crate::staff::end_session(conn, &sid)?)).await;
        }
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    HttpResponse::SeeOther().insert_header(("Location", "/personal")).cookie(gone).finish()
}
