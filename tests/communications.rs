//! Every outgoing communication gets an outgoing radicado and a printable oficio, whatever the
//! channel (legal engine issue): a verbal petition without e-mail answered on paper, an e-mail
//! petition answered with a document that reaches a real SMTP server as a MIME attachment, an
//! annulled case whose requerimiento number is annulled and whose mail is never sent, and the
//! department scope of the oficio page. Both backends.

mod common;

use std::time::Duration;

use actix_web::http::StatusCode;
use chrono::{TimeZone, Utc};
use common::{server_envs, wait_for_mail, Backend, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use mail_parser::MimeHeaders;
use pqrs::db::models::{CaseRow, CommunicationRow};
use pqrs::db::schema::{cases, communications, outbox};

fn boundary() -> String {
    format!("----pqrs{}", rand::random::<u64>())
}

fn multipart(boundary: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (name, bytes) in files {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

async fn body_of(mut res: awc::ClientResponse<impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin>) -> String {
    String::from_utf8(res.body().limit(4 << 20).await.unwrap().to_vec()).unwrap()
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).expect("a csrf field").split('"').next().unwrap().to_string()
}

/// GET `path` with the session cookie: (status, body).
async fn get(app: &TestApp, cookie: &awc::cookie::Cookie<'static>, path: &str) -> (StatusCode, String) {
    let res = app.client().get(app.url(path)).cookie(cookie.clone()).send().await.unwrap();
    let status = res.status();
    (status, body_of(res).await)
}

/// Answer the case through the staff form (multipart): the redirect's Location.
async fn answer(app: &TestApp, cookie: &awc::cookie::Cookie<'static>, radicado: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> String {
    let (status, page) = get(app, cookie, &format!("/casos/{radicado}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("action=\"/casos/{radicado}/responder\"")), "the answer form posts to the multipart route");
    let csrf = csrf_of(&page);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let b = boundary();
    let res = app
        .client()
        .post(app.url(&format!("/casos/{radicado}/responder")))
        .cookie(cookie.clone())
        .insert_header(("Content-Type", format!("multipart/form-data; boundary={b}")))
        .send_body(multipart(&b, &all, files))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers().get("location").unwrap().to_str().unwrap().to_string()
}

fn communications_of(db: &TestDb, case_id: i64) -> Vec<CommunicationRow> {
    communications::table
        .filter(communications::case_id.eq(case_id))
        .order(communications::id.asc())
        .select(CommunicationRow::as_select())
        .load(&mut db.conn())
        .unwrap()
}

fn entity_name() -> String {
    common::config_with(&[]).settings.entity_name
}

/// A verbal petition (in person, no e-mail) filed by the ventanilla through the staff form.
async fn file_verbal(app: &TestApp) -> CaseRow {
    app.db.add_staff("ventanilla@anm.test", "triage", None);
    let cookie = app.login("ventanilla@anm.test", PASSWORD).await.unwrap();
    let (_, form) = get(app, &cookie, "/verbal").await;
    let res = app
        .client()
        .post(app.url("/verbal"))
        .cookie(cookie)
        .send_form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("channel", "presencial"),
            ("name", "Pedro Gómez"),
            ("phone", "3001234567"),
            ("subject", "Certificado de título minero"),
            ("message", "El ciudadano pide en ventanilla una copia del certificado de su título minero."),
            ("consent", "on"),
        ])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers().get("location").unwrap().to_str().unwrap().to_string();
    let radicado = location.trim_start_matches("/casos/").to_string();
    CaseRow::by_radicado(&mut app.db.conn(), &radicado).unwrap().expect("the verbal case")
}

common::backend_tests!(#[actix_web::test] async fn a_verbal_petition_is_answered_on_paper_with_an_outgoing_radicado_and_an_oficio);
async fn a_verbal_petition_is_answered_on_paper_with_an_outgoing_radicado_and_an_oficio(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let case = file_verbal(&app).await;
    assert!(case.citizen_email.is_none());
    // A department user of the case's department answers it.
    app.db.add_staff("funcionaria@anm.test", "department", Some(&case.department));
    let cookie = app.login("funcionaria@anm.test", PASSWORD).await.unwrap();
    let text = "Le informamos que el certificado de su título minero está disponible en la ventanilla.";
    let back = answer(&app, &cookie, &case.radicado, &[("text", text), ("address", "Calle 26 # 59-51, Bogotá")], &[]).await;
    assert_eq!(back, format!("/casos/{}", case.radicado), "{backend:?}: answered without an error");

    let comms = communications_of(&app.db, case.id);
    assert_eq!(comms.len(), 1, "{backend:?}: one communication");
    let comm = &comms[0];
    assert_eq!((comm.purpose.as_str(), comm.channel.as_str()), ("respuesta", "fisico"), "{backend:?}");
    assert!(comm.radicado.ends_with('1') && comm.radicado != case.radicado, "an outgoing radicado (type 1): {}", comm.radicado);
    assert_eq!(comm.outbox_id, None);
    assert_eq!(comm.created_by, "funcionaria@anm.test");
    assert_eq!(comm.addressee_address, "Calle 26 # 59-51, Bogotá");
    let mails: i64 = outbox::table.filter(outbox::case_id.eq(case.id)).filter(outbox::purpose.eq("respuesta")).count().get_result(&mut app.db.conn()).unwrap();
    assert_eq!(mails, 0, "a printed answer queues no mail");
    let (status, response_radicado): (String, Option<String>) =
        cases::table.find(case.id).select((cases::status, cases::response_radicado)).first(&mut app.db.conn()).unwrap();
    assert_eq!((status.as_str(), response_radicado.as_deref()), ("respondido", Some(comm.radicado.as_str())));
    let payload: String = pqrs::db::schema::case_events::table
        .filter(pqrs::db::schema::case_events::case_id.eq(case.id))
        .filter(pqrs::db::schema::case_events::event_type.eq("respondido"))
        .select(pqrs::db::schema::case_events::payload)
        .first(&mut app.db.conn())
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["radicado_salida"], comm.radicado.as_str());
    assert_eq!(payload["mailed"], false);

    // The case page lists it; the oficio shows radicado, addressee, text and signature.
    let (_, page) = get(&app, &cookie, &format!("/casos/{}", case.radicado)).await;
    assert!(page.contains("Comunicaciones") && page.contains(&format!("/staff/oficios/{}", comm.radicado)), "{backend:?}: listed on the case page");
    let (status, oficio) = get(&app, &cookie, &format!("/staff/oficios/{}", comm.radicado)).await;
    assert_eq!(status, StatusCode::OK, "{backend:?}");
    for needle in [comm.radicado.as_str(), "Pedro Gómez", "Calle 26 # 59-51, Bogotá", text, "funcionaria@anm.test", case.department.as_str(), "Asunto", "@media print", "size:A4"] {
        assert!(oficio.contains(needle), "{backend:?}: the oficio shows {needle:?}");
    }
    assert!(oficio.contains(&entity_name()), "the entity's name");
    assert!(oficio.contains(&pqrs::mailer::templates::fecha_larga(pqrs::time::bogota_date(Utc::now()))), "the date in words");
    assert!(!oficio.contains("ANULADO"));
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn a_department_user_cannot_open_another_departments_oficio);
async fn a_department_user_cannot_open_another_departments_oficio(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let case = file_verbal(&app).await;
    let admin = app.login("ventanilla@anm.test", PASSWORD).await.unwrap();
    answer(&app, &admin, &case.radicado, &[("text", "Respuesta en papel para el ciudadano.")], &[]).await;
    let comm = communications_of(&app.db, case.id).pop().expect("a communication");
    let other = if case.department == "VCT" { "OAC" } else { "VCT" };
    app.db.add_staff("otra@anm.test", "department", Some(other));
    app.db.add_staff("propia@anm.test", "department", Some(&case.department));
    let stranger = app.login("otra@anm.test", PASSWORD).await.unwrap();
    let own = app.login("propia@anm.test", PASSWORD).await.unwrap();
    let path = format!("/staff/oficios/{}", comm.radicado);
    let (status, body) = get(&app, &stranger, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{backend:?}: another department's oficio is not found");
    assert!(!body.contains("Respuesta en papel"));
    assert_eq!(get(&app, &own, &path).await.0, StatusCode::OK, "{backend:?}: its own department's oficio opens");
    // Not logged in: to the login page.
    let res = app.client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The API: scoped the same way.
    let api = format!("/api/v1/cases/{}/communications", case.radicado);
    let token = app.db.user_token("otra@anm.test");
    let res = app.client().get(app.url(&api)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}");
    let mut res = app.client().get(app.url(&api)).bearer_auth(app.db.user_token("propia@anm.test")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let list: serde_json::Value = res.json().await.unwrap();
    assert_eq!(list["items"][0]["radicado"], comm.radicado.as_str());
    assert_eq!(list["items"][0]["channel"], "fisico");
    assert_eq!(list["items"][0]["oficio_url"], path.as_str());
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn an_answer_with_a_document_reaches_the_smtp_server_as_an_attachment_and_the_oficio_lists_it);
async fn an_answer_with_a_document_reaches_the_smtp_server_as_an_attachment_and_the_oficio_lists_it(backend: Backend) {
    let Some([smtp, root]) = server_envs(["PQRS_TEST_SMTP", "PQRS_TEST_MAILDIR_ROOT"]) else { return };
    let maildir = std::path::Path::new(&root).join("citizen/Maildir");
    let app = TestApp::builder(backend).env("PQRS_SMTP_URL", format!("smtp://{smtp}")).spawn().await;
    let token = rand::random::<u64>();
    let email = format!("ana.{token}@example.com");
    let mut res = app
        .client()
        .post(app.url("/api/v1/filings"))
        .send_json(&serde_json::json!({"name": "Ana Pérez", "document_type": "CC", "document_number": "15372886", "email": email,
            "subject": "Copia de resolución", "message": "Solicito copia de la resolución que otorgó mi título minero.", "consent": true}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let filed: serde_json::Value = res.json().await.unwrap();
    let radicado = filed["radicado"].as_str().unwrap().to_string();
    app.db.add_staff("triage@anm.test", "triage", None);
    let cookie = app.login("triage@anm.test", PASSWORD).await.unwrap();
    let pdf = format!("%PDF-1.4\n% resolución {token}\n%%EOF\n").into_bytes();
    let name = format!("resolucion-{token}.pdf");
    answer(&app, &cookie, &radicado, &[("text", "Adjuntamos la copia de la resolución solicitada.")], &[(name.as_str(), pdf.as_slice())]).await;

    let case = CaseRow::by_radicado(&mut app.db.conn(), &radicado).unwrap().unwrap();
    let comm = communications_of(&app.db, case.id).pop().expect("a communication");
    assert_eq!((comm.channel.as_str(), comm.addressee_address.as_str()), ("email", email.as_str()), "{backend:?}");
    let outbox_id = comm.outbox_id.expect("an e-mail answer queues its mail");
    let message_id: String = outbox::table.find(outbox_id).select(outbox::message_id).first(&mut app.db.conn()).unwrap();
    let mail = tokio::task::spawn_blocking(move || wait_for_mail(&maildir, &message_id, Duration::from_secs(20)))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{backend:?}: the answer never reached the SMTP server"));
    let parsed = mail_parser::MessageParser::default().parse(mail.as_bytes()).unwrap();
    assert!(parsed.subject().unwrap_or("").contains(&comm.radicado), "the subject carries the outgoing radicado");
    assert!(parsed.body_text(0).unwrap().contains("Adjuntamos la copia"), "the text");
    let att = parsed.attachments().find(|a| a.attachment_name() == Some(name.as_str())).unwrap_or_else(|| panic!("{backend:?}: no attachment {name} in\n{mail}"));
    assert_eq!(att.contents(), pdf.as_slice(), "the document's bytes");
    let status: String = outbox::table.find(outbox_id).select(outbox::status).first(&mut app.db.conn()).unwrap();
    assert_eq!(status, "sent");

    let (status, oficio) = get(&app, &cookie, &format!("/staff/oficios/{}", comm.radicado)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(oficio.contains("Anexos") && oficio.contains(&name), "{backend:?}: the oficio lists the attachment");
    // Stored like an incoming attachment: the case page links it and the download gives it back.
    let (_, page) = get(&app, &cookie, &format!("/casos/{radicado}")).await;
    let link = page.split(&format!("/casos/{radicado}/adjuntos/")).nth(1).expect("a download link").split('"').next().unwrap().to_string();
    let mut res = app.client().get(app.url(&format!("/casos/{radicado}/adjuntos/{link}"))).cookie(cookie.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body().await.unwrap().as_ref(), pdf.as_slice());

    // A file of a refused type is a clear Spanish error on the case page, never a 500, and
    // nothing is stored.
    let case2 = {
        let mut res = app
            .client()
            .post(app.url("/api/v1/filings"))
            .send_json(&serde_json::json!({"name": "Luis Mora", "email": format!("luis.{token}@example.com"), "subject": "Otra solicitud",
                "message": "Solicito información sobre el estado de mi trámite.", "consent": true}))
            .await
            .unwrap();
        res.json::<serde_json::Value>().await.unwrap()["radicado"].as_str().unwrap().to_string()
    };
    let back = answer(&app, &cookie, &case2, &[("text", "Respuesta")], &[("programa.exe", b"MZ\x90\x00")]).await;
    assert!(back.contains("?error=") && back.contains("no+est%C3%A1+permitido"), "{back}");
    let n: i64 = communications::table.count().get_result(&mut app.db.conn()).unwrap();
    assert_eq!(n, 1, "{backend:?}: the refused answer stored nothing");
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn annulling_a_case_annuls_its_outgoing_numbers_and_cancels_their_mail);
async fn annulling_a_case_annuls_its_outgoing_numbers_and_cancels_their_mail(backend: Backend) {
    use pqrs::intake::{Outcome, RawMail, Source};
    use pqrs::workflow::lifecycle::{apply, Action};
    let db = TestDb::new(backend);
    let intake = db.intake();
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    let at = |d: u32| Utc.with_ymd_and_hms(2026, 7, d, 15, 0, 0).unwrap();
    let raw = "Message-ID: <anul-1@example.com>\r\nDate: Fri, 10 Jul 2026 10:00:00 -0500\r\nFrom: Ana Pérez <ana@example.com>\r\n\
               To: contacto@anm.gov.co\r\nSubject: Solicitud de información\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
               Solicito información sobre mi trámite.\r\n";
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Import, source_ref: None, source_time: Some(at(10)) };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), m, false).unwrap() else { panic!("filed") };
    let case = CaseRow::by_radicado(&mut db.conn(), &radicado).unwrap().unwrap();
    apply(&mut db.conn(), &ctx, case.id, "funcionario@anm.gov.co", Action::RequestCompletion { message: "Copia de la cédula".into() }, at(15)).unwrap();
    let before = communications_of(&db, case.id);
    assert_eq!(before.len(), 1);
    assert_eq!((before[0].purpose.as_str(), before[0].channel.as_str()), ("requerimiento", "email"));
    assert!(before[0].annulled_at.is_none());
    let req_outbox = before[0].outbox_id.expect("the requerimiento's mail");
    // The annulment as the API asks for it (reason and approver).
    let admin = pqrs::auth::Caller { role: pqrs::domain::Role::Admin, department: None, email: Some("admin@anm.gov.co".into()), user_id: None, csrf: None };
    let req: pqrs::web::cases_api::ActionRequest = serde_json::from_value(serde_json::json!({
        "action": "annul", "reason": "Radicado por error (duplicado físico)", "approved_by": "Jefe OAC"})).unwrap();
    let annul = pqrs::web::cases_api::to_action(&admin, &req).unwrap();
    apply(&mut db.conn(), &ctx, case.id, "admin@anm.gov.co", annul, at(16)).unwrap();
    let after = communications_of(&db, case.id);
    assert_eq!(after.len(), 1, "the number stays allocated");
    assert_eq!(after[0].radicado, before[0].radicado);
    assert!(after[0].annulled_at.is_some(), "{backend:?}: the requerimiento's number is annulled");
    assert_eq!(after[0].annulled_reason.as_deref(), Some("Radicado por error (duplicado físico)"));
    let status: String = outbox::table.find(req_outbox).select(outbox::status).first(&mut db.conn()).unwrap();
    assert_eq!(status, "cancelled", "{backend:?}");
    // A sender that had claimed it before the annulment reports a temporary failure afterwards:
    // the row stays cancelled, it is not put back in the queue.
    let claimed: pqrs::db::models::OutboxRow = outbox::table.find(req_outbox).select(pqrs::db::models::OutboxRow::as_select()).first(&mut db.conn()).unwrap();
    let retry = pqrs::db::outbox::Delivery::Retry { error: "421 try later", next_attempt_at: at(16).naive_utc() };
    pqrs::db::outbox::record(&mut db.conn(), &claimed, retry, at(16)).unwrap();
    let status: String = outbox::table.find(req_outbox).select(outbox::status).first(&mut db.conn()).unwrap();
    assert_eq!(status, "cancelled", "{backend:?}: a late retry result revived an annulled mail");

    // The sender never takes it (the acknowledgement, not a communication, still goes).
    let out = tempfile::tempdir().unwrap();
    let config = common::config_with(&[("PQRS_DATA_DIR", out.path().display().to_string())]);
    let mailer = pqrs::mailer::Mailer::from_config(&config).unwrap();
    pqrs::mailer::drain_once(&db.pool(2), &mailer).await.unwrap();
    let status: String = outbox::table.find(req_outbox).select(outbox::status).first(&mut db.conn()).unwrap();
    assert_eq!(status, "cancelled", "{backend:?}: not sent");
    // A sender that had claimed it before the annulment and puts it back for a retry: the next
    // claim still never sends it.
    diesel::update(outbox::table.find(req_outbox)).set(outbox::status.eq("pending")).execute(&mut db.conn()).unwrap();
    pqrs::mailer::drain_once(&db.pool(2), &mailer).await.unwrap();
    let status: String = outbox::table.find(req_outbox).select(outbox::status).first(&mut db.conn()).unwrap();
    assert_eq!(status, "cancelled", "{backend:?}: a retry put back after the annulment is not sent");
    let sent: Vec<String> = std::fs::read_dir(out.path().join("outbox"))
        .map(|d| d.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect())
        .unwrap_or_default();
    assert!(!sent.iter().any(|m| m.contains(&before[0].radicado)), "{backend:?}: the requerimiento's mail was written out");

    // Shown as annulled on the case page and on its oficio.
    db.add_staff("admin@anm.test", "admin", None);
    let app = TestApp::builder(backend).db(db).spawn().await;
    let cookie = app.login("admin@anm.test", PASSWORD).await.unwrap();
    let (_, page) = get(&app, &cookie, &format!("/casos/{radicado}")).await;
    assert!(page.contains(&before[0].radicado) && page.contains("ANULADO"), "{backend:?}: the case page shows the number annulled");
    let (status, oficio) = get(&app, &cookie, &format!("/staff/oficios/{}", before[0].radicado)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(oficio.contains("ANULADO") && oficio.contains("Radicado por error"), "{backend:?}: the oficio is marked ANULADO");
    assert!(oficio.contains("Copia de la cédula"), "the requerimiento's text");
    app.stop().await;
}
