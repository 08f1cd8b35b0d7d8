//! The staff side over HTTP on a real app: a department sees only its own cases (404 for
//! everything else, API and pages and attachments alike), hostile HTML in a mail renders
//! harmless, login locks out after repeated failures, sessions end on logout. Both backends.

mod common;

use actix_web::http::StatusCode;
use common::{Backend, TestApp, TestDb, PASSWORD};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use pqrs::workflow::lifecycle::{apply, Action};

/// File a mail and move its case to `dept`; returns the radicado.
fn case_in(db: &TestDb, intake: &Intake, mid: &str, body_html: &str, dept: &str) -> String {
    let raw = format!(
        "Message-ID: <{mid}>\r\nFrom: Ana <ana@example.com>\r\nTo: contacto@anm.gov.co\r\nSubject: Caso {mid}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{body_html}\r\n\
         --b\r\nContent-Type: application/pdf; name=\"soporte.pdf\"\r\nContent-Disposition: attachment; filename=\"soporte.pdf\"\r\n\r\n%PDF-1.4 x\r\n--b--\r\n"
    );
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Pipe, source_ref: None, source_time: None };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), m, false).unwrap() else { panic!() };
    let case = pqrs::db::models::CaseRow::by_radicado(&mut db.conn(), &radicado).unwrap().unwrap();
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    apply(&mut db.conn(), &ctx, case.id, "test", Action::Assign { department: dept.into(), assignee: None, reason: Some("prueba".into()) }, chrono::Utc::now()).unwrap();
    radicado
}

common::backend_tests!(#[actix_web::test] async fn a_department_gets_404_for_every_case_attachment_and_call_of_another);
async fn a_department_gets_404_for_every_case_attachment_and_call_of_another(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let own = case_in(&db, &intake, "own@x", "<p>Solicitud de certificado</p>", "VCT");
    let other = case_in(&db, &intake, "other@x", "<p>Regalías</p>", "REG");
    db.add_staff("vct@anm.test", "department", Some("VCT"));
    db.add_staff("triage@anm.test", "triage", None);
    let vct = db.user_token("vct@anm.test");
    let triage = db.user_token("triage@anm.test");
    let report = db.role_token("report");
    let app = TestApp::builder(backend).db(db).spawn().await;
    let db = &app.db;
    let c = app.client();
    let b = &app.base;
    let att_id: i64 = {
        use diesel::prelude::*;
        use pqrs::db::schema::{attachments, cases};
        attachments::table.inner_join(cases::table.on(cases::id.nullable().eq(attachments::case_id)))
            .filter(cases::radicado.eq(&other)).select(attachments::id).first(&mut db.conn()).unwrap()
    };
    // API, with the department's token.
    for url in [format!("{b}/api/v1/cases/{other}"), format!("{b}/api/v1/cases/{other}/attachments/{att_id}")] {
        assert_eq!(c.get(&url).bearer_auth(&vct).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{backend:?} {url}");
    }
    let res = c.post(format!("{b}/api/v1/cases/{other}/actions")).bearer_auth(&vct).send_json(&serde_json::json!({"action": "start"})).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let mut list = c.get(format!("{b}/api/v1/cases")).bearer_auth(&vct).send().await.unwrap();
    let v: serde_json::Value = list.json().await.unwrap();
    let seen: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["radicado"].as_str().unwrap()).collect();
    assert_eq!(seen, [own.as_str()], "{backend:?}");
    // Even filtering for the other department returns nothing.
    let mut list = c.get(format!("{b}/api/v1/cases?department=REG")).bearer_auth(&vct).send().await.unwrap();
    let v: serde_json::Value = list.json().await.unwrap();
    assert!(v["items"].as_array().unwrap().is_empty());
    // Own case: yes; triage: both; a report token: no cases at all.
    assert_eq!(c.get(format!("{b}/api/v1/cases/{own}")).bearer_auth(&vct).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(c.get(format!("{b}/api/v1/cases/{other}")).bearer_auth(&triage).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(c.get(format!("{b}/api/v1/cases/{other}/attachments/{att_id}")).bearer_auth(&triage).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(c.get(format!("{b}/api/v1/cases")).bearer_auth(&report).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    // Pages, with the department's session.
    let cookie = app.login("vct@anm.test", PASSWORD).await.unwrap();
    for url in [format!("{b}/casos/{other}"), format!("{b}/casos/{other}/adjuntos/{att_id}")] {
        assert_eq!(c.get(&url).cookie(cookie.clone()).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{url}");
    }
    let mut inbox = c.get(format!("{b}/bandeja")).cookie(cookie.clone()).send().await.unwrap();
    let html = String::from_utf8(inbox.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains(&own) && !html.contains(&other), "{backend:?}");
    // Without a session, pages send to the login and the API says 401.
    let res = c.get(format!("{b}/casos/{own}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get(format!("{b}/api/v1/cases/{own}")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[actix_web::test]
async fn hostile_mail_html_renders_harmless_on_the_case_page() {
    let db = TestDb::new(Backend::Sqlite);
    let intake = db.intake();
    let hostile = "<p onclick=\"steal()\">Hola</p><script>alert('x')</script><img src=\"https://tracker.example/p.gif\" onerror=\"alert(1)\">\
                   <a href=\"javascript:alert(2)\">clic</a><a href=\"https://anm.gov.co\">sitio</a><iframe src=\"https://evil.example\"></iframe>\
                   <style>body{display:none}</style>";
    let r = case_in(&db, &intake, "xss@x", hostile, "VCT");
    db.add_staff("triage@anm.test", "triage", None);
    let app = TestApp::builder(Backend::Sqlite).db(db).spawn().await;
    let c = app.client();
    let cookie = app.login("triage@anm.test", PASSWORD).await.unwrap();
    let mut res = c.get(format!("{}/casos/{r}", app.base)).cookie(cookie.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap();
    let mail = html.split("class=\"html-mail\">").nth(1).expect("the mail's HTML is shown").split("<h2>").next().unwrap();
    for bad in ["<script", "onclick", "onerror", "javascript:", "<img", "<iframe", "tracker.example", "display:none"] {
        assert!(!mail.contains(bad), "{bad} survived: {mail}");
    }
    assert!(mail.contains("href=\"https://anm.gov.co\"") && mail.contains("noopener"), "{mail}");
    // Remote images only when asked, and still without handlers.
    let mut res = c.get(format!("{}/casos/{r}?imagenes=1", app.base)).cookie(cookie).send().await.unwrap();
    let html = String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap();
    let mail = html.split("class=\"html-mail\">").nth(1).unwrap().split("<h2>").next().unwrap();
    assert!(mail.contains("<img") && !mail.contains("onerror"), "{mail}");
    app.stop().await;
}

#[actix_web::test]
async fn login_locks_out_after_repeated_failures_and_logout_ends_the_session() {
    let db = TestDb::new(Backend::Sqlite);
    db.add_staff("ana@anm.test", "triage", None);
    let app = TestApp::builder(Backend::Sqlite).db(db).spawn().await;
    let c = app.client();
    for _ in 0..4 {
        assert_eq!(app.login("ana@anm.test", "wrong").await.unwrap_err(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login("ana@anm.test", "wrong").await.unwrap_err(), StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password is refused for now.
    assert_eq!(app.login("ana@anm.test", PASSWORD).await.unwrap_err(), StatusCode::TOO_MANY_REQUESTS);
    // Unknown users get the same answer as wrong passwords.
    assert_eq!(app.login("nadie@anm.test", "x").await.unwrap_err(), StatusCode::UNAUTHORIZED);
    {
        use diesel::prelude::*;
        use pqrs::db::schema::staff_users;
        diesel::update(staff_users::table).set(staff_users::locked_until.eq(None::<chrono::NaiveDateTime>)).execute(&mut app.db.conn()).unwrap();
    }
    let cookie = app.login("ana@anm.test", PASSWORD).await.unwrap();
    let mut inbox = c.get(format!("{}/bandeja", app.base)).cookie(cookie.clone()).send().await.unwrap();
    assert_eq!(inbox.status(), StatusCode::OK);
    let html = String::from_utf8(inbox.body().await.unwrap().to_vec()).unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let res = c.post(format!("{}/salir", app.base)).cookie(cookie.clone()).send_form(&[("csrf", csrf.as_str())]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c.get(format!("{}/bandeja", app.base)).cookie(cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the old session must not work after logout");
    app.stop().await;
}

#[actix_web::test]
async fn staff_register_a_verbal_petition_through_the_same_filing_path() {
    let db = TestDb::new(Backend::Sqlite);
    db.add_staff("ventanilla@anm.test", "triage", None);
    let app = TestApp::builder(Backend::Sqlite).db(db).spawn().await;
    let db = &app.db;
    let c = app.client();
    let cookie = app.login("ventanilla@anm.test", PASSWORD).await.unwrap();
    let mut form = c.get(format!("{}/verbal", app.base)).cookie(cookie.clone()).send().await.unwrap();
    let html = String::from_utf8(form.body().await.unwrap().to_vec()).unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let res = c.post(format!("{}/verbal", app.base)).cookie(cookie.clone()).send_form(&[
        ("csrf", csrf.as_str()), ("channel", "telefonico"), ("name", "Pedro Gómez"), ("email", "pedro@example.com"),
        ("subject", "Llamada sobre regalías"), ("message", "El ciudadano pregunta cómo pagar regalías atrasadas por cuotas."), ("consent", "on"),
    ]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers().get("location").unwrap().to_str().unwrap().to_string();
    use diesel::prelude::*;
    use pqrs::db::schema::{case_events, cases, outbox};
    let (radicado, channel): (String, String) = cases::table.select((cases::radicado, cases::channel)).first(&mut db.conn()).unwrap();
    assert_eq!(location, format!("/casos/{radicado}"));
    assert_eq!(channel, "telefonico");
    let actor: String = case_events::table.select(case_events::actor).first(&mut db.conn()).unwrap();
    assert_eq!(actor, "ventanilla@anm.test", "the constancia records who registered it");
    let acks: i64 = outbox::table.count().get_result(&mut db.conn()).unwrap();
    assert_eq!(acks, 1);
    // Without the session's CSRF token nothing is filed.
    let res = c.post(format!("{}/verbal", app.base)).cookie(cookie).send_form(&[("csrf", "x"), ("subject", "Otra"), ("message", "Otro mensaje largo"), ("consent", "on")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let n: i64 = cases::table.count().get_result(&mut db.conn()).unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}
