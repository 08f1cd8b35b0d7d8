//! The filing per MinTIC Res. 1519 de 2020 Anexo 2, over the filing API and the public form: the
//! requester type (persona natural, persona jurídica with NIT and razón social, anónimo, niña,
//! niño o adolescente), how the answer is received (e-mail or a postal address), the privacy
//! notice version stored, the statistics-only fields stored apart and never in the case API, a
//! priority for children, and Spanish 422s for what is missing or wrong. Both backends.

mod common;

use actix_web::http::StatusCode;
use common::{Backend, TestApp, PASSWORD};
use diesel::prelude::*;
use pqrs::db::schema::{cases, filing_demographics, outbox, requester_details};
use pqrs::intake::requester::PRIVACY_NOTICE_VERSION;
use serde_json::{json, Value};

fn base() -> Value {
    json!({"name": "Ana Pérez", "document_type": "CC", "document_number": "15372886", "email": "ana@example.com",
           "subject": "Certificado de registro", "message": "Solicito el certificado de registro minero de la placa JLC-16401.", "consent": true})
}

fn with(mut v: Value, extra: Value) -> Value {
    for (k, x) in extra.as_object().unwrap() {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = x.clone();
        }
    }
    v
}

type Details = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

fn details(app: &TestApp, radicado: &str) -> Details {
    requester_details::table
        .inner_join(cases::table)
        .filter(cases::radicado.eq(radicado))
        .select((
            requester_details::requester_type,
            requester_details::razon_social,
            requester_details::reply_by,
            requester_details::postal_address,
            requester_details::region,
            requester_details::country,
            requester_details::privacy_notice_version,
        ))
        .first(&mut app.db.conn())
        .unwrap()
}

async fn file(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let mut res = app.client().post(app.url("/api/v1/filings")).send_json(body).await.unwrap();
    let status = res.status();
    (status, res.json().limit(1 << 20).await.unwrap_or_default())
}

common::backend_tests!(#[actix_web::test] async fn each_requester_type_is_filed_with_its_details);
async fn each_requester_type_is_filed_with_its_details(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = PRIVACY_NOTICE_VERSION.to_string();

    // An older client that sends none of the new fields: a persona natural answered by e-mail.
    let (st, body) = file(&app, &base()).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let r = body["radicado"].as_str().unwrap();
    assert_eq!(details(&app, r), ("natural".into(), None, Some("email".into()), None, None, None, Some(v.clone())));

    // Persona jurídica with its NIT (check digit right) and razón social.
    let juridica = with(base(), json!({"requester_type": "juridica", "razon_social": "Minera El Porvenir S.A.S.", "document_type": "NIT", "document_number": "800.197.268-4"}));
    let (st, body) = file(&app, &juridica).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let d = details(&app, body["radicado"].as_str().unwrap());
    assert_eq!((d.0.as_str(), d.1.as_deref()), ("juridica", Some("Minera El Porvenir S.A.S.")));

    // Anónimo: nothing personal, no answer channel, no acknowledgement.
    let acks_before: i64 = outbox::table.count().get_result(&mut app.db.conn()).unwrap();
    let anon = json!({"requester_type": "anonimo", "subject": "Denuncia", "message": "Hay una mina ilegal en la vereda La Esperanza.", "consent": true});
    let (st, body) = file(&app, &anon).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let d = details(&app, body["radicado"].as_str().unwrap());
    assert_eq!((d.0.as_str(), d.2.as_deref()), ("anonimo", None));
    assert_eq!(outbox::table.count().get_result::<i64>(&mut app.db.conn()).unwrap(), acks_before, "an anonymous filing got an acknowledgement");

    // A child: filed with priority (art. 20).
    let nna = with(base(), json!({"requester_type": "nna", "document_type": "TI", "document_number": "1012345678", "name": "Sofía Gómez"}));
    let (st, body) = file(&app, &nna).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let r = body["radicado"].as_str().unwrap();
    let (priority, reason): (String, Option<String>) =
        cases::table.filter(cases::radicado.eq(r)).select((cases::priority, cases::priority_reason)).first(&mut app.db.conn()).unwrap();
    assert_eq!((priority.as_str(), reason.as_deref()), ("alta", Some("menor")), "{backend:?}");

    // A postal answer without e-mail: the address is stored; no e-mail asked for.
    let postal = with(base(), json!({"email": null, "reply_by": "postal", "address": "Calle 26 # 59-51, oficina 402", "municipality": "Bogotá D.C.", "region": "Bogotá D.C."}));
    let (st, body) = file(&app, &postal).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let d = details(&app, body["radicado"].as_str().unwrap());
    assert_eq!((d.2.as_deref(), d.3.as_deref(), d.4.as_deref(), d.5.as_deref()), (Some("postal"), Some("Calle 26 # 59-51, oficina 402"), Some("Bogotá D.C."), Some("Colombia")));
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn wrong_requester_fields_get_spanish_messages_and_nothing_is_filed);
async fn wrong_requester_fields_get_spanish_messages_and_nothing_is_filed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let long = "x".repeat(10_000);
    for (what, body, field, needle) in [
        ("no razón social", with(base(), json!({"requester_type": "juridica", "document_type": "NIT", "document_number": "800197268-4"})), "razon_social", "razón social"),
        ("wrong check digit", with(base(), json!({"requester_type": "juridica", "razon_social": "ACME", "document_type": "NIT", "document_number": "800197268-5"})), "document_number", "dígito de verificación"),
        ("NIT without its check digit", with(base(), json!({"requester_type": "juridica", "razon_social": "ACME", "document_type": "NIT", "document_number": "800197268"})), "document_number", "dígito de verificación"),
        ("a company with a cédula", with(base(), json!({"requester_type": "juridica", "razon_social": "ACME"})), "document_type", "NIT"),
        ("postal without address", with(base(), json!({"reply_by": "postal"})), "address", "dirección"),
        ("postal without departamento", with(base(), json!({"reply_by": "postal", "address": "Calle 1 # 2-3", "municipality": "Tunja"})), "region", "departamento"),
        ("unknown requester type", with(base(), json!({"requester_type": "empresa"})), "requester_type", "tipo de solicitante"),
        ("unknown reply_by", with(base(), json!({"reply_by": "fax"})), "reply_by", "recibir la respuesta"),
        ("anonymous and a child", with(base(), json!({"requester_type": "nna", "anonymous": true})), "requester_type", "anónima"),
        ("unknown ethnic group", with(base(), json!({"ethnic_group": "vikingo"})), "ethnic_group", "lista"),
        ("very long razón social", with(base(), json!({"requester_type": "juridica", "razon_social": long, "document_type": "NIT", "document_number": "800197268-4"})), "razon_social", "Máximo 200"),
    ] {
        let (st, body) = file(&app, &body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {what}: {body}");
        let m = body["fields"][field].as_str().unwrap_or_else(|| panic!("{what}: no message for {field}: {body}"));
        assert!(m.to_lowercase().contains(&needle.to_lowercase()), "{what}: {m}");
    }
    let n: i64 = cases::table.count().get_result(&mut app.db.conn()).unwrap();
    assert_eq!(n, 0, "{backend:?}: a wrong filing was filed");
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn the_statistics_fields_are_stored_apart_and_not_shown_on_the_case);
async fn the_statistics_fields_are_stored_apart_and_not_shown_on_the_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = with(base(), json!({"ethnic_group": "raizal", "disability": "visual", "conflict_victim": "si", "gender": "mujer", "age_range": "29_59"}));
    let (st, created) = file(&app, &body).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let radicado = created["radicado"].as_str().unwrap().to_string();
    let (id, department): (i64, String) = cases::table.filter(cases::radicado.eq(&radicado)).select((cases::id, cases::department)).first(&mut app.db.conn()).unwrap();
    let stored: (Option<String>, Option<String>, Option<String>) = filing_demographics::table
        .find(id)
        .select((filing_demographics::ethnic_group, filing_demographics::conflict_victim, filing_demographics::age_range))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, (Some("raizal".into()), Some("si".into()), Some("29_59".into())));
    // A filing without them stores no row.
    let (_, other) = file(&app, &base()).await;
    let other_id: i64 = cases::table.filter(cases::radicado.eq(other["radicado"].as_str().unwrap())).select(cases::id).first(&mut app.db.conn()).unwrap();
    assert_eq!(filing_demographics::table.find(other_id).count().get_result::<i64>(&mut app.db.conn()).unwrap(), 0);

    // The department sees the requester details, never the statistics answers.
    app.db.add_staff("dep@anm.test", "department", Some(&department));
    let token = app.db.user_token("dep@anm.test");
    let mut res = app.client().get(app.url(&format!("/api/v1/cases/{radicado}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["requester"]["requester_type"], "natural", "{v}");
    assert_eq!(v["requester"]["privacy_notice_version"], PRIVACY_NOTICE_VERSION);
    for secret in ["raizal", "ethnic_group", "conflict_victim", "29_59"] {
        assert!(!text.contains(secret), "{backend:?}: the case API shows {secret}");
    }
    // The staff case page neither.
    let cookie = app.login("dep@anm.test", PASSWORD).await.unwrap();
    let mut page = app.client().get(app.url(&format!("/casos/{radicado}"))).cookie(cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(page.body().limit(5_000_000).await.unwrap().to_vec()).unwrap();
    assert!(html.contains("Datos del solicitante") && html.contains("Persona natural"), "{html}");
    assert!(!html.contains("Raizal") && !html.contains("raizal"), "the case page shows the ethnic group");
    app.stop().await;
}

fn multipart(boundary: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

common::backend_tests!(#[actix_web::test] async fn the_public_form_offers_and_files_the_anexo_2_fields);
async fn the_public_form_offers_and_files_the_anexo_2_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app.client();
    let mut page = c.get(app.url("/radicar")).send().await.unwrap();
    let html = String::from_utf8(page.body().await.unwrap().to_vec()).unwrap();
    for needle in ["name=\"requester_type\"", "value=\"juridica\"", "value=\"nna\"", "name=\"razon_social\"", "name=\"reply_by\"", "autocomplete=\"street-address\"",
        "name=\"region\"", "name=\"ethnic_group\"", "solo con fines estadísticos", PRIVACY_NOTICE_VERSION] {
        assert!(html.contains(needle), "the form lacks {needle}");
    }
    let cookie = page.cookie("pqrs_csrf").expect("csrf cookie");
    let token = cookie.value().to_string();
    let mut fields = vec![("csrf", token.as_str()), ("requester_type", "juridica"), ("name", "Luis Rojas"), ("razon_social", "Arenas del Norte Ltda."),
        ("document_type", "NIT"), ("document_number", "890903938-7"), ("email", "luis@example.com"), ("subject", "Regalías"),
        ("message", "Solicitamos la liquidación de regalías del último trimestre."), ("consent", "on")];
    // A wrong check digit: the form comes back with the message next to the field.
    let mut res = c.post(app.url("/radicar")).cookie(cookie.clone()).content_type("multipart/form-data; boundary=F").send_body(multipart("F", &fields)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains("document_number-error") && html.contains("Arenas del Norte"), "{html}");
    fields[5] = ("document_number", "890903938-8");
    let res = c.post(app.url("/radicar")).cookie(cookie).content_type("multipart/form-data; boundary=F").send_body(multipart("F", &fields)).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let radicado: String = cases::table.select(cases::radicado).first(&mut app.db.conn()).unwrap();
    let d = details(&app, &radicado);
    assert_eq!((d.0.as_str(), d.1.as_deref(), d.6.as_deref()), ("juridica", Some("Arenas del Norte Ltda."), Some(PRIVACY_NOTICE_VERSION)));
    app.stop().await;
}
