//! Verbal petitions (Decreto 1166 de 2016).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use maud::html;

use super::{redirect, staff_page, with_error, CaseQuery};
use crate::auth::Caller;
use crate::domain::Channel;
use crate::web::AppState;

pub async fn verbal_form(caller: Option<Caller>, q: web::Query<CaseQuery>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let csrf = caller.csrf.clone().unwrap_or_default();
    staff_page(&caller, "Petición verbal", html! {
        h1 { "Registrar una petición verbal" }
        p { "Decreto 1166 de 2016: la petición presentada en persona o por teléfono se radica con una constancia." }
        @if let Some(e) = &q.error { p.error role="alert" { (e) } }
        form method="post" action="/verbal" {
            input type="hidden" name="csrf" value=(csrf);
            label for="channel" { "Canal" }
            select id="channel" name="channel" { option value="presencial" { "Presencial" } option value="telefonico" { "Telefónico" } }
            label for="name" { "Nombre del ciudadano" } input type="text" id="name" name="name" maxlength="200";
            label for="email" { "Correo (para el acuse y la respuesta)" } input type="email" id="email" name="email" maxlength="254";
            label for="phone" { "Teléfono" } input type="tel" id="phone" name="phone" maxlength="30";
            label for="subject" { "Asunto" } input type="text" id="subject" name="subject" maxlength="200" required;
            label for="message" { "Lo que pide el ciudadano" } textarea id="message" name="message" required {}
            label { input type="checkbox" name="consent"; " El ciudadano autorizó el tratamiento de sus datos (Ley 1581 de 2012)." }
            button type="submit" { "Radicar" }
        }
    })
}

pub async fn verbal_submit(caller: Option<Caller>, state: web::Data<AppState>, form: web::Form<BTreeMap<String, String>>) -> HttpResponse {
    let Some(caller) = caller.filter(|c| c.is_staff() && c.csrf.is_some()) else { return redirect("/personal") };
    let f = form.into_inner();
    if f.get("csrf").map(String::as_str) != caller.csrf.as_deref() {
        return redirect(&with_error("/verbal", "Formulario expirado"));
    }
    let channel = match f.get("channel").map(String::as_str) {
        Some("telefonico") => Channel::Telefonico,
        _ => Channel::Presencial,
    };
    let mut input = crate::web::forms::input_from_fields(&f);
    input.anonymous = input.email.is_empty();
    match crate::intake::web_form::validate(input, vec![]) {
        Err(errors) => {
            let msg: Vec<String> = errors.values().cloned().collect();
            redirect(&with_error("/verbal", &msg.join(" ")))
        }
        Ok(v) => match crate::web::public::file(&state, v, None, channel, caller.actor()).await {
            Ok(filed) => redirect(&format!("/casos/{}", filed.radicado)),
            Err(e) => redirect(&with_error("/verbal", e.code)),
        },
    }
}
