//! The learned routing model: a triage correction through the API becomes a labelled example
//! that the next retraining uses; the service trains at start and routes with confidence and
//! candidates. Both backends.

mod common;

use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{Backend, TestApp, TestDb};
use pqrs::db::models::CaseRow;
use pqrs::intake::{Outcome, RawMail, Source};
use pqrs::routing::{ParsedMail, RuleSet};
use pqrs::workflow::routing_model;

/// Words no rule and no example knows, so only a labelled example can teach them.
const ODD: &str = "Solicitud sobre el quimbombó zarandeado del predio Tumbaburros y la trocha Guarapacha";

fn mail(mid: &str) -> String {
    format!(
        "Message-ID: <{mid}>\r\nDate: Mon, 2 Mar 2026 10:00:00 -0500\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\n\
         Subject: {ODD}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{ODD}. Quimbombó zarandeado, Tumbaburros, Guarapacha.\r\n"
    )
}

common::backend_tests!(#[actix_web::test] async fn a_correction_through_the_api_is_used_by_the_next_retraining);
async fn a_correction_through_the_api_is_used_by_the_next_retraining(backend: Backend) {
    let db = TestDb::new(backend);
    let raw = mail("odd1@x");
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: Some(Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()) };
    let Outcome::Case { radicado, .. } = db.intake().process(&mut db.conn(), m, false).unwrap() else { panic!("filed") };
    db.add_staff("triage@anm.test", "triage", None);
    let token = db.user_token("triage@anm.test");
    let rules_dir = Path::new(common::RULES);
    let rules = RuleSet::load_dir(rules_dir).unwrap();
    let before = routing_model::retrain(&rules, rules_dir, Some(&mut db.conn())).unwrap();
    let probe = ParsedMail { subject: ODD.into(), body: format!("{ODD}. Otra vez el quimbombó zarandeado."), from: "otro@example.com".into(), ..Default::default() };
    let p_before = routing_model::model_probability(&rules.model().unwrap(), &probe, "correo_contacto", "CID");

    // Triage corrects the case through the API: department CID.
    let app = TestApp::builder(backend).db(db).spawn().await;
    let mut res = app
        .client()
        .post(app.url(&format!("/api/v1/cases/{radicado}/actions")))
        .bearer_auth(&token)
        .send_json(&serde_json::json!({ "action": "assign", "department": "CID", "reason": "Es de control disciplinario" }))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", String::from_utf8_lossy(&res.body().await.unwrap()));
    let labelled = pqrs::db::routing::labelled_cases(&mut app.db.conn()).unwrap();
    assert_eq!(labelled.len(), 1, "{backend:?}");
    assert_eq!((labelled[0].department.as_str(), labelled[0].radicado.as_str()), ("CID", radicado.as_str()));
    assert!(labelled[0].body.contains("Tumbaburros"), "the example keeps the mail's text");

    // The next retraining has one example more, and learned from it.
    let after = routing_model::retrain(&rules, rules_dir, Some(&mut app.db.conn())).unwrap();
    assert_eq!(after, before + 1, "{backend:?}");
    let p_after = routing_model::model_probability(&rules.model().unwrap(), &probe, "correo_contacto", "CID");
    assert!(p_after > 2.0 * p_before && p_after > 0.2, "{backend:?}: CID {p_before} → {p_after}");
    // A system action is not a person's confirmation.
    let case = CaseRow::by_radicado(&mut app.db.conn(), &radicado).unwrap().unwrap();
    assert_eq!(case.department, "CID");
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn the_service_trains_at_start_and_routes_with_confidence_and_candidates);
async fn the_service_trains_at_start_and_routes_with_confidence_and_candidates(backend: Backend) {
    let app = TestApp::builder(backend).env("PQRS_ROUTING_MODEL", "true").spawn().await;
    let filing = serde_json::json!({"name": "Ana Pérez", "document_type": "CC", "document_number": "15372886", "email": "ana@example.com",
        "subject": "Certificado", "message": "Necesito el certificado de registro minero del título JLC-16401 para un banco.", "consent": true});
    // Until the model is trained, filings route with the rules alone (no model words).
    let db = &app.db;
    let mut routing = serde_json::Value::Null;
    for _ in 0..60 {
        let mut res = app.client().post(app.url("/api/v1/filings")).send_json(&filing).await.unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let v: serde_json::Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
        let case = CaseRow::by_radicado(&mut db.conn(), v["radicado"].as_str().unwrap()).unwrap().unwrap();
        routing = serde_json::from_str(&case.routing).unwrap();
        if routing["model_words"].as_array().is_some_and(|w| !w.is_empty()) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(routing["model_words"].as_array().is_some_and(|w| !w.is_empty()), "{backend:?}: never routed with the model: {routing}");
    let conf = routing["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&conf), "{routing}");
    let cands = routing["candidates"].as_array().unwrap();
    assert!(!cands.is_empty() && cands.len() <= 3, "{routing}");
    assert!(cands.windows(2).all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()), "{routing}");
    assert_eq!(cands[0]["department"], "RMN", "{backend:?}: {routing}");
    // Triage sees the candidates, one click each (a form that assigns that department).
    app.db.add_staff("triage@anm.test", "triage", None);
    let cookie = app.login("triage@anm.test", common::PASSWORD).await.unwrap();
    let mut res = app.client().get(app.url("/triage")).cookie(cookie).send().await.unwrap();
    let html = String::from_utf8_lossy(&res.body().limit(4 << 20).await.unwrap()).to_string();
    assert!(html.contains("Dependencias probables"), "{backend:?}");
    assert!(html.contains(r#"name="department" value="RMN""#) && html.contains("RMN · "), "{backend:?}: no one-click candidate");
    assert!(html.contains("confianza"), "{backend:?}");
    app.stop().await;
}

