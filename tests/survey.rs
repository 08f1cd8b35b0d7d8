//! The satisfaction survey: a filing answered by its department gets a link in the answer's mail
//! (not in the oficio); opening the link stores nothing; answering it moves the month's figures of
//! the case's channel; a second answer is refused (409), a bad token is 404 and an out-of-range
//! rating 422; the public form answers it too; one survey per address per
//! `survey_interval_days`, none to automatic addresses nor anonymous filings; staff enter the
//! survey of a verbal case; the informe and the habeas-data export show it. Both backends.

mod common;

use actix_web::http::StatusCode;
use chrono::{Datelike, Utc};
use common::{Backend, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use pqrs::db::models::CaseRow;
use pqrs::db::schema::{communications, outbox, requester_details, surveys};
use pqrs::domain::Channel;
use pqrs::intake::web_form::{validate, FilingInput};
use pqrs::intake::Intake;
use pqrs::workflow::lifecycle::{apply, Action};
use serde_json::{json, Value};

fn file(intake: &Intake, db: &TestDb, channel: Channel, email: &str) -> CaseRow {
    let input = FilingInput {
        name: if email.is_empty() { String::new() } else { "Ana Pérez".into() },
        email: email.into(),
        anonymous: email.is_empty(),
        subject: "Certificado de registro".into(),
        message: "Solicito el certificado de registro minero de mi título.".into(),
        consent: true,
        ..Default::default()
    };
    let filed = intake.file_web(&mut db.conn(), validate(input, vec![]).unwrap(), None, channel, "prueba", Utc::now()).unwrap();
    CaseRow::by_radicado(&mut db.conn(), &filed.radicado).unwrap().unwrap()
}

/// The department answers the case (the final answer).
fn answer(intake: &Intake, db: &TestDb, case: &CaseRow) {
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    let text = "Le informamos que el certificado se expidió y se adjunta a este oficio.".to_string();
    apply(&mut db.conn(), &ctx, case.id, "funcionaria@anm.gov.co", Action::Respond { text }, Utc::now()).unwrap();
}

/// The token of the survey link in the case's answer mail, if it has one.
fn link_token(db: &TestDb, case: &CaseRow) -> Option<String> {
    let bodies: Vec<String> = outbox::table
        .filter(outbox::case_id.eq(case.id))
        .filter(outbox::purpose.eq("respuesta"))
        .select(outbox::body_text)
        .load(&mut db.conn())
        .unwrap();
    assert_eq!(bodies.len(), 1, "one answer mail");
    let rest = bodies[0].split("/encuesta/").nth(1)?;
    Some(rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect())
}

type Row = (Option<chrono::NaiveDateTime>, Option<String>, Option<i32>, Option<i32>, Option<i32>, Option<i32>, Option<String>, String);

fn row(db: &TestDb, case: &CaseRow) -> Option<Row> {
    surveys::table
        .filter(surveys::case_id.eq(case.id))
        .select((
            surveys::answered_at,
            surveys::answered_via,
            surveys::satisfaccion,
            surveys::percepcion,
            surveys::confianza,
            surveys::claridad,
            surveys::comment,
            surveys::channel,
        ))
        .first(&mut db.conn())
        .optional()
        .unwrap()
}

async fn metrics(app: &TestApp, token: &str) -> Value {
    let now = Utc::now().with_timezone(&chrono_tz::America::Bogota);
    let mut res = app
        .client()
        .get(app.url(&format!("/api/v1/metrics/satisfaction?year={}&month={}", now.year(), now.month())))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn post_answer(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    let mut res = app.client().post(app.url(&format!("/api/v1/surveys/{token}"))).send_json(body).await.unwrap();
    (res.status(), res.json().await.unwrap_or_default())
}

async fn get_text(app: &TestApp, path: &str) -> (StatusCode, String, Option<String>) {
    let mut res = app.client().get(app.url(path)).send().await.unwrap();
    let cookie = res.cookie("pqrs_csrf").map(|c| c.value().to_string());
    (res.status(), String::from_utf8(res.body().await.unwrap().to_vec()).unwrap(), cookie)
}

common::backend_tests!(#[actix_web::test] async fn an_answered_filing_gets_a_survey_link_answered_once);
async fn an_answered_filing_gets_a_survey_link_answered_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    let intake = db.intake();
    let report = db.role_token("report");
    let case = file(&intake, db, Channel::RadicadorWeb, "ana@example.com");
    assert!(row(db, &case).is_none(), "{backend:?}: no survey before the answer");
    answer(&intake, db, &case);
    let token = link_token(db, &case).expect("the answer mail carries the survey link");
    assert_eq!(token.len(), 64, "{backend:?}");
    let mail: String = outbox::table.filter(outbox::case_id.eq(case.id)).filter(outbox::purpose.eq("respuesta")).select(outbox::body_text).first(&mut db.conn()).unwrap();
    assert!(mail.contains(&format!("http://127.0.0.1:8080/encuesta/{token}")), "{mail}");
    let oficio: Vec<String> = communications::table.filter(communications::case_id.eq(case.id)).select(communications::body).load(&mut db.conn()).unwrap();
    assert!(oficio.iter().all(|b| !b.contains(&token)), "{backend:?}: the oficio does not carry the link");
    // Only the token's digest is stored.
    let stored: Option<String> = surveys::table.filter(surveys::case_id.eq(case.id)).select(surveys::token_sha256).first(&mut db.conn()).unwrap();
    assert_ne!(stored.as_deref(), Some(token.as_str()));

    // Opening the link (twice, as a mail scanner would) stores nothing.
    let before = row(db, &case);
    for _ in 0..2 {
        let (status, html, _) = get_text(&app, &format!("/encuesta/{token}")).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}");
        assert!(html.contains("Encuesta de satisfacción") && html.contains(&case.radicado) && html.contains("name=\"satisfaccion\""), "{html}");
    }
    assert_eq!(row(db, &case), before, "{backend:?}: opening the link recorded something");
    assert_eq!(metrics(&app, &report).await["total"]["responses"], 0);

    // A bad token, an out-of-range or missing rating: refused, nothing stored.
    let good = json!({"satisfaccion": 5, "percepcion": 4, "confianza": 3, "claridad": 2, "comentario": "Me respondieron a tiempo."});
    assert_eq!(post_answer(&app, &"0".repeat(64), &good).await.0, StatusCode::NOT_FOUND, "{backend:?}");
    assert_eq!(post_answer(&app, "abc", &good).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get_text(&app, &format!("/encuesta/{}", "a".repeat(64))).await.0, StatusCode::NOT_FOUND);
    let (status, body) = post_answer(&app, &token, &json!({"satisfaccion": 6, "percepcion": 0, "confianza": 3})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {body}");
    for f in ["satisfaccion", "percepcion", "claridad"] {
        assert!(body["fields"][f].is_string(), "{backend:?}: {f}: {body}");
    }
    assert_eq!(row(db, &case), before, "{backend:?}: a refused answer stored something");

    // The answer: 201, and the month's figures of the case's channel move.
    let (status, body) = post_answer(&app, &token, &good).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::CREATED, Some("recorded")), "{backend:?}: {body}");
    let r = row(db, &case).unwrap();
    assert!(r.0.is_some());
    assert_eq!((r.1.as_deref(), r.2, r.3, r.4, r.5, r.6.as_deref(), r.7.as_str()),
        (Some("enlace"), Some(5), Some(4), Some(3), Some(2), Some("Me respondieron a tiempo."), "radicador_web"));
    let m = metrics(&app, &report).await;
    assert_eq!(m["by_channel"]["radicador_web"], json!({"responses": 1, "satisfaccion": 100.0, "percepcion": 100.0, "confianza": 0.0, "claridad": 0.0}), "{backend:?}: {m}");
    assert_eq!(m["total"]["responses"], 1);

    // A second answer is refused; the figures stay.
    let (status, body) = post_answer(&app, &token, &json!({"satisfaccion": 1, "percepcion": 1, "confianza": 1, "claridad": 1})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("already_answered")), "{backend:?}");
    assert_eq!(metrics(&app, &report).await, m);
    let (status, html, _) = get_text(&app, &format!("/encuesta/{token}")).await;
    assert!(status == StatusCode::OK && html.contains("ya fue respondida"), "{backend:?}");

    // The public form (no JavaScript) answers another case's survey.
    let other = file(&intake, db, Channel::CorreoContacto, "beto@example.com");
    answer(&intake, db, &other);
    let token2 = link_token(db, &other).unwrap();
    let (_, html, cookie) = get_text(&app, &format!("/encuesta/{token2}")).await;
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(cookie.as_deref(), Some(csrf.as_str()));
    // The form's csrf field against the cookie set by the page (double submit).
    let post_form = |fields: Vec<(&'static str, &'static str)>, field: String| {
        let mut f: Vec<(&str, String)> = vec![("csrf", field)];
        f.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
        app.client().post(app.url(&format!("/encuesta/{token2}"))).cookie(awc::cookie::Cookie::new("pqrs_csrf", csrf.clone())).send_form(&f)
    };
    let mut res = post_form(vec![("satisfaccion", "4"), ("percepcion", "4")], csrf.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: incomplete form");
    let page = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(page.contains("Elija una calificación de 1 a 5.") && page.contains("value=\"4\" required checked"), "{backend:?}: errors shown, answers kept");
    let res = post_form(vec![("satisfaccion", "4"), ("percepcion", "5"), ("confianza", "4"), ("claridad", "5")], "f".repeat(64)).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}: a forged CSRF token");
    let res = post_form(vec![("satisfaccion", "4"), ("percepcion", "5"), ("confianza", "4"), ("claridad", "5")], csrf.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{backend:?}");
    let m = metrics(&app, &report).await;
    assert_eq!(m["by_channel"]["correo_contacto"]["responses"], 1, "{m}");
    assert_eq!((m["total"]["responses"].clone(), m["total"]["confianza"].clone()), (json!(2), json!(50.0)));

    // The figures are for report, triage and admin only.
    db.add_staff("dep@anm.test", "department", Some("GAPCC"));
    let mut res = app.client().get(app.url("/api/v1/metrics/satisfaction?year=2026")).bearer_auth(db.user_token("dep@anm.test")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "{:?}", res.body().await);

    // The informe of the month shows them.
    let now = Utc::now().with_timezone(&chrono_tz::America::Bogota);
    let rules = intake.rules();
    let inf = pqrs::informe::informe(&mut db.conn(), &intake.policy.deadlines, rules.departments(), now.year(), now.month(), now.date_naive()).unwrap();
    assert_eq!(inf.satisfaction.total.responses, 2, "{backend:?}");
    let html = inf.to_document("ANM");
    assert!(html.contains("Encuestas respondidas en el mes") && html.contains("Radicador Web"), "{backend:?}");

    // The habeas-data export of the citizen lists her survey.
    let out = tempfile::tempdir().unwrap();
    let m = pqrs::habeas::export(&mut db.conn(), "ana@example.com", None, &out.path().join("x"), "auditor", Utc::now()).unwrap();
    assert_eq!(m.surveys.len(), 1, "{backend:?}");
    assert_eq!(m.surveys[0]["radicado"], case.radicado.as_str());
    assert_eq!(m.surveys[0]["comment"], "Me respondieron a tiempo.");
    app.stop().await;
}

common::backend_tests!(#[test] fn one_survey_per_address_per_interval_and_none_to_automatic_or_anonymous);
fn one_survey_per_address_per_interval_and_none_to_automatic_or_anonymous(backend: Backend) {
    let db = TestDb::new(backend);
    let intake = db.intake();
    let first = file(&intake, &db, Channel::RadicadorWeb, "Carla@Example.com");
    answer(&intake, &db, &first);
    assert!(link_token(&db, &first).is_some(), "{backend:?}");
    // The same address (another case, other capitals) within 30 days: no survey.
    let second = file(&intake, &db, Channel::CorreoContacto, "carla@example.com");
    answer(&intake, &db, &second);
    assert_eq!(link_token(&db, &second), None, "{backend:?}: a second survey within the interval");
    assert!(row(&db, &second).is_none());
    // Once the interval is over, the next answer carries one again.
    let long_ago = Utc::now().naive_utc() - chrono::Duration::days(31);
    diesel::update(surveys::table.filter(surveys::case_id.eq(first.id))).set(surveys::created_at.eq(long_ago)).execute(&mut db.conn()).unwrap();
    let third = file(&intake, &db, Channel::RadicadorWeb, "carla@example.com");
    answer(&intake, &db, &third);
    assert!(link_token(&db, &third).is_some(), "{backend:?}: after the interval");
    // An automatic-looking address: none.
    let bot = file(&intake, &db, Channel::RadicadorWeb, "no-reply@example.com");
    answer(&intake, &db, &bot);
    assert_eq!(link_token(&db, &bot), None, "{backend:?}: no-reply");
    // A filing marked anonymous (Res. 1519 requester type) that left an address: none.
    let anon = file(&intake, &db, Channel::RadicadorWeb, "dora@example.com");
    diesel::update(requester_details::table.find(anon.id)).set(requester_details::requester_type.eq("anonimo")).execute(&mut db.conn()).unwrap();
    answer(&intake, &db, &anon);
    assert_eq!(link_token(&db, &anon), None, "{backend:?}: anonymous");
    // survey_interval_days = 0: no survey at all.
    let config = common::config_with(&[
        ("PQRS_DATABASE_URL", db.url_string()),
        ("PQRS_RULES_DIR", common::RULES.into()),
        ("PQRS_SURVEY_INTERVAL_DAYS", "0".into()),
    ]);
    let off = Intake::load(std::sync::Arc::new(config)).unwrap();
    let case = file(&off, &db, Channel::RadicadorWeb, "elena@example.com");
    answer(&off, &db, &case);
    assert_eq!(link_token(&db, &case), None, "{backend:?}: surveys off");
}

common::backend_tests!(#[actix_web::test] async fn staff_enter_the_survey_of_a_verbal_case);
async fn staff_enter_the_survey_of_a_verbal_case(backend: Backend) {
    let db = TestDb::new(backend);
    db.add_staff("ventanilla@anm.test", "triage", None);
    let app = TestApp::builder(backend).db(db).spawn().await;
    let db = &app.db;
    let intake = db.intake();
    let report = db.role_token("report");
    // A petition made at the counter, without an e-mail address, answered.
    let case = file(&intake, db, Channel::Presencial, "");
    let cookie = app.login("ventanilla@anm.test", PASSWORD).await.unwrap();
    let page = |path: String| {
        let c = app.client();
        let cookie = cookie.clone();
        let url = app.url(&path);
        async move {
            let mut res = c.get(url).cookie(cookie).send().await.unwrap();
            String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap()
        }
    };
    let html = page(format!("/casos/{}", case.radicado)).await;
    assert!(!html.contains("Registrar la encuesta"), "{backend:?}: not before the answer");
    answer(&intake, db, &case);
    assert!(row(db, &case).is_none(), "{backend:?}: nothing mailed, no link");
    let html = page(format!("/casos/{}", case.radicado)).await;
    assert!(html.contains("Registrar la encuesta tomada en persona o por teléfono"), "{backend:?}");
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let mut f: Vec<(&str, String)> = vec![("csrf", csrf.clone()), ("action", "encuesta".into())];
        f.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
        app.client().post(app.url(&format!("/casos/{}/acciones", case.radicado))).cookie(cookie.clone()).send_form(&f)
    };
    let location = |res: &awc::ClientResponse<_>| res.headers().get("location").unwrap().to_str().unwrap().to_string();
    let res = post(vec![("via", "telefonico"), ("satisfaccion", "5"), ("percepcion", "9")]).await.unwrap();
    assert!(location(&res).contains("error="), "{backend:?}: incomplete");
    assert!(row(db, &case).is_none());
    let full = vec![("via", "telefonico"), ("satisfaccion", "5"), ("percepcion", "4"), ("confianza", "2"), ("claridad", "5"), ("comentario", "Atención amable")];
    let res = post(full.clone()).await.unwrap();
    assert_eq!(location(&res), format!("/casos/{}", case.radicado), "{backend:?}: no error");
    let r = row(db, &case).unwrap();
    assert_eq!((r.1.as_deref(), r.2, r.4, r.7.as_str()), (Some("telefonico"), Some(5), Some(2), "presencial"), "{backend:?}");
    let m = metrics(&app, &report).await;
    assert_eq!(m["by_channel"]["presencial"]["responses"], 1, "{m}");
    assert_eq!(m["by_channel"]["presencial"]["confianza"], 0.0);
    // Once answered: refused, unchanged, and the form is gone.
    let res = post(full).await.unwrap();
    assert!(location(&res).contains("error="), "{backend:?}: a second entry");
    assert_eq!(row(db, &case).unwrap(), r);
    let html = page(format!("/casos/{}", case.radicado)).await;
    assert!(!html.contains("Registrar la encuesta tomada") && html.contains("registrada por ventanilla@anm.test"), "{backend:?}");
    // Not for a case that came by mail.
    let mailed = file(&intake, db, Channel::CorreoContacto, "fabio@example.com");
    answer(&intake, db, &mailed);
    let res = app
        .client()
        .post(app.url(&format!("/casos/{}/acciones", mailed.radicado)))
        .cookie(cookie.clone())
        .send_form(&[("csrf", csrf.as_str()), ("action", "encuesta"), ("via", "presencial"), ("satisfaccion", "5"), ("percepcion", "5"), ("confianza", "5"), ("claridad", "5")])
        .await
        .unwrap();
    assert!(location(&res).contains("error="), "{backend:?}: a mailed case");
    assert_eq!(row(db, &mailed).unwrap().0, None, "{backend:?}: its link survey stays unanswered");
    app.stop().await;
}
