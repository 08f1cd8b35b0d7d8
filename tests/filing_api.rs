//! The Radicador Web over HTTP on a real app: JSON and multipart filings, Idempotency-Key, the
//! form with CSRF, the status lookup, and a battery of hostile input that must get clear 4xx
//! answers and leave nothing half-stored. Both backends.

mod common;

use actix_web::http::StatusCode;
use common::{Backend, TestApp, TestDb};
use diesel::prelude::*;
use pqrs::db::schema::{attachments, cases, messages, outbox};
use serde_json::json;

fn good() -> serde_json::Value {
    json!({"name": "Ana Pérez", "document_type": "CC", "document_number": "15372886", "email": "ana@example.com",
           "subject": "Certificado de registro", "message": "Solicito el certificado de registro minero de la placa JLC-16401.", "consent": true})
}

fn multipart(boundary: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (name, bytes) in files {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

fn counts(db: &TestDb) -> (i64, i64, i64) {
    let mut c = db.conn();
    (
        cases::table.count().get_result(&mut c).unwrap(),
        messages::table.count().get_result(&mut c).unwrap(),
        attachments::table.count().get_result(&mut c).unwrap(),
    )
}

common::backend_tests!(#[actix_web::test] async fn json_and_multipart_filings_get_a_radicado_an_acknowledgement_and_file_once_per_key);
async fn json_and_multipart_filings_get_a_radicado_an_acknowledgement_and_file_once_per_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    let c = app.client();
    let mut res = c.post(format!("{}/api/v1/filings", app.base)).insert_header(("Idempotency-Key", "k-1")).send_json(&good()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{backend:?}");
    let first: serde_json::Value = res.json().await.unwrap();
    let radicado = first["radicado"].as_str().unwrap().to_string();
    assert!(radicado.starts_with("2026") || radicado.starts_with("20"), "{first}");
    assert!(first["due_date"].is_string() && first["status_url"].as_str().unwrap().contains(&radicado));
    // The same request again with the same key: the same radicado, nothing new.
    let mut again = c.post(format!("{}/api/v1/filings", app.base)).insert_header(("Idempotency-Key", "k-1")).send_json(&good()).await.unwrap();
    let second: serde_json::Value = again.json().await.unwrap();
    assert_eq!(second["radicado"], first["radicado"]);
    assert_eq!(counts(db).0, 1, "{backend:?}: filed twice");

    // Multipart with a PDF.
    let body = multipart("XyZ", &[("name", "Beto"), ("email", "beto@example.com"), ("subject", "Denuncia"),
        ("message", "Hay dragas en el río Nechí sin título."), ("consent", "on")], &[("soporte.pdf", b"%PDF-1.4 test")]);
    let mut res = c.post(format!("{}/api/v1/filings", app.base)).content_type("multipart/form-data; boundary=XyZ").send_body(body).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.body().await);
    let (n_cases, _, n_att) = counts(db);
    assert_eq!((n_cases, n_att), (2, 1));
    let mut conn = db.conn();
    let channels: Vec<String> = cases::table.select(cases::channel).load(&mut conn).unwrap();
    assert!(channels.iter().all(|c| c == "radicador_web"));
    let acks: i64 = outbox::table.filter(outbox::purpose.eq("acuse")).count().get_result(&mut conn).unwrap();
    assert_eq!(acks, 2);
    // The raw record holds the attachment (the legal record).
    let raw: Vec<u8> = messages::table.order(messages::id.desc()).select(messages::raw).first(&mut conn).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.attachment_count(), 1);

    // Status lookup: the right pair shows the case; a wrong e-mail and an unknown radicado
    // get the same answer.
    let mut ok = c.post(format!("{}/api/v1/status", app.base)).send_json(&json!({"radicado": radicado, "email": "ANA@example.com"})).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let s: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(s["timeline"][0]["label"], "Solicitud radicada");
    let mut wrong = c.post(format!("{}/api/v1/status", app.base)).send_json(&json!({"radicado": radicado, "email": "otro@example.com"})).await.unwrap();
    let mut none = c.post(format!("{}/api/v1/status", app.base)).send_json(&json!({"radicado": "20269999999992", "email": "ana@example.com"})).await.unwrap();
    assert_eq!((wrong.status(), none.status()), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(wrong.body().await.unwrap(), none.body().await.unwrap());
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn hostile_input_gets_clear_4xx_and_nothing_half_stored);
async fn hostile_input_gets_clear_4xx_and_nothing_half_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    let c = app.client();
    let url = format!("{}/api/v1/filings", app.base);
    let with = |k: &str, v: serde_json::Value| { let mut g = good(); g[k] = v; g };
    let cases_json = vec![
        ("missing fields", json!({}), StatusCode::UNPROCESSABLE_ENTITY, "consent"),
        ("oversized subject", with("subject", json!("x".repeat(5000))), StatusCode::UNPROCESSABLE_ENTITY, "subject"),
        ("bad e-mail", with("email", json!("ana@@example")), StatusCode::UNPROCESSABLE_ENTITY, "email"),
        ("honeypot", with("website", json!("http://spam.example")), StatusCode::UNPROCESSABLE_ENTITY, "website"),
        ("unknown kind", with("kind", json!("DROP TABLE cases")), StatusCode::UNPROCESSABLE_ENTITY, "kind"),
        ("wrong type", with("consent", json!("yes")), StatusCode::BAD_REQUEST, "JSON"),
        ("bad document", with("document_number", json!("12<script>")), StatusCode::UNPROCESSABLE_ENTITY, "document_number"),
    ];
    for (what, body, status, needle) in cases_json {
        let mut res = c.post(&url).send_json(&body).await.unwrap();
        let text = String::from_utf8_lossy(&res.body().await.unwrap()).to_string();
        assert_eq!(res.status(), status, "{backend:?} {what}: {text}");
        assert!(text.contains(needle), "{what}: {text}");
    }
    // Malformed JSON, wrong content type, a huge JSON body.
    let res = c.post(&url).content_type("application/json").send_body("{\"subject\": ").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = c.post(&url).content_type("text/plain").send_body("hola").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = c.post(&url).content_type("application/json").send_body(format!("{{\"message\": \"{}\"}}", "a".repeat(400_000))).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Multipart: invalid UTF-8 in a text field, a disguised executable, a huge file.
    let mut bad_utf8 = multipart("B", &[("consent", "on")], &[]);
    let tail = bad_utf8.split_off(bad_utf8.len() - 7);
    bad_utf8.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n\xff\xfe\xfd\r\n");
    bad_utf8.extend_from_slice(&tail);
    let mut res = c.post(&url).content_type("multipart/form-data; boundary=B").send_body(bad_utf8).await.unwrap();
    let t = String::from_utf8_lossy(&res.body().await.unwrap()).to_string();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{t}");
    assert!(t.contains("UTF-8"), "{t}");
    let exe = multipart("B", &[("name", "A"), ("email", "a@example.com"), ("subject", "Hola"), ("message", "Un mensaje largo."), ("consent", "on")], &[("factura.pdf", b"MZ\x90\x00\x03")]);
    let res = c.post(&url).content_type("multipart/form-data; boundary=B").send_body(exe).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let big = vec![b'%'; 11 * 1024 * 1024];
    let huge = multipart("B", &[("subject", "Hola")], &[("grande.pdf", &big)]);
    let res = c.post(&url).content_type("multipart/form-data; boundary=B").send_body(huge).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let garbage = c.post(&url).content_type("multipart/form-data; boundary=B").send_body("--B\r\nnot a part").await.unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());
    // Script tags are stored as text, exactly (rendering escapes them).
    let mut res = c.post(&url).send_json(&with("subject", json!("<script>alert(1)</script>"))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.body().await);
    let (n_cases, n_msgs, n_att) = counts(db);
    assert_eq!((n_cases, n_msgs, n_att), (1, 1, 0), "{backend:?}: a rejected filing left something behind");
    let subject: String = cases::table.select(cases::subject).first(&mut db.conn()).unwrap();
    assert_eq!(subject, "<script>alert(1)</script>");
    app.stop().await;
}

#[actix_web::test]
async fn the_form_needs_its_csrf_token_and_shows_the_radicado() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let db = &app.db;
    let c = app.client();
    let mut page = c.get(format!("{}/radicar", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(page.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains("lang=\"es-CO\"") && html.contains("Autorizo el tratamiento"));
    let cookie = page.cookie("pqrs_csrf").expect("csrf cookie");
    let token = cookie.value().to_string();
    assert!(html.contains(&token));
    let fields = [("csrf", token.as_str()), ("name", "Ana"), ("email", "ana@example.com"), ("subject", "Regalías"),
        ("message", "Quiero pagar regalías atrasadas por cuotas."), ("consent", "on")];
    // Without the cookie: refused, nothing filed.
    let res = c.post(format!("{}/radicar", app.base)).content_type("multipart/form-data; boundary=F").send_body(multipart("F", &fields, &[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(counts(db).0, 0);
    // Missing consent: the form comes back with the message next to the field and the text kept.
    let no_consent: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != "consent").collect();
    let mut res = c.post(format!("{}/radicar", app.base)).cookie(cookie.clone()).content_type("multipart/form-data; boundary=F").send_body(multipart("F", &no_consent, &[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains("consent-error") && html.contains("Quiero pagar regalías"), "{html}");
    // With it: the confirmation page with the radicado.
    let mut res = c.post(format!("{}/radicar", app.base)).cookie(cookie).content_type("multipart/form-data; boundary=F").send_body(multipart("F", &fields, &[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    let radicado: String = cases::table.select(cases::radicado).first(&mut db.conn()).unwrap();
    assert!(html.contains(&radicado) && html.contains("Fecha máxima de respuesta"), "{html}");
    app.stop().await;
}

#[actix_web::test]
async fn the_filing_api_is_rate_limited_per_address() {
    let app = TestApp::builder(Backend::Sqlite).env("PQRS_FILING_BURST", "3").env("PQRS_FILING_RATE_PER_MINUTE", "1").spawn().await;
    let c = app.client();
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(c.post(format!("{}/api/v1/filings", app.base)).send_json(&json!({})).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 429, 429]);
    app.stop().await;
}
