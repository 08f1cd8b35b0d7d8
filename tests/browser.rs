//! A real browser (headless Chromium driven through ChromeDriver's WebDriver protocol) works the
//! staff app: triage logs in and reassigns a case, the department logs in and answers it, and the
//! timeline shows both steps. Screenshots are saved under `test-artifacts/browser/` (not
//! committed).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use common::{server_envs, Backend, TestApp, TestDb, PASSWORD};
use pqrs::intake::{Outcome, RawMail, Source};
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: awc::Client,
}

impl Driver {
    async fn start(chromedriver: &str, chromium: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(chromedriver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let mut caps = None;
        for _ in 0..100 {
            let req = http.post(format!("{base}/session")).send_json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1600", format!("--user-data-dir={}", std::env::temp_dir().join(format!("pqrs-chrome-{port}")).display())]}
            }}})).await;
            if let Ok(mut r) = req {
                let v: Value = r.json().limit(1 << 20).await.unwrap_or_default();
                if let Some(id) = v["value"]["sessionId"].as_str() {
                    caps = Some(id.to_string());
                    break;
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        Driver { child, base, session: caps.expect("WebDriver session"), http }
    }
    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let req = match method {
            "GET" => self.http.get(url).send().await,
            _ => self.http.post(url).send_json(&body).await,
        };
        let mut res = req.expect("webdriver request");
        let v: Value = res.json().limit(50 << 20).await.expect("webdriver json");
        assert!(v["value"]["error"].is_null(), "{method} {path}: {v}");
        v["value"].clone()
    }
    async fn go(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url })).await;
    }
    async fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", json!({"using": "css selector", "value": css})).await;
        v[ELEMENT].as_str().unwrap().to_string()
    }
    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd("POST", &format!("/element/{e}/click"), json!({})).await;
    }
    async fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd("POST", &format!("/element/{e}/value"), json!({ "text": text })).await;
    }
    async fn source(&self) -> String {
        self.cmd("GET", "/source", json!({})).await.as_str().unwrap_or_default().to_string()
    }
    /// The page source once it contains `needle` (navigation after a form post may lag).
    async fn wait_for(&self, needle: &str) -> String {
        for _ in 0..100 {
            let s = self.source().await;
            if s.contains(needle) {
                return s;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {needle:?}");
    }
    async fn screenshot(&self, name: &str) {
        let v = self.cmd("GET", "/screenshot", json!({})).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/browser");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
    async fn login(&self, app: &str, email: &str) {
        self.go(&format!("{app}/personal")).await;
        self.type_in("#email", email).await;
        self.type_in("#password", PASSWORD).await;
        self.click("button[type=submit]").await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[actix_web::test]
async fn triage_reassigns_and_the_department_answers_in_a_real_browser() {
    let Some([chromedriver, chromium]) = server_envs(["PQRS_TEST_CHROMEDRIVER", "PQRS_TEST_CHROMIUM"]) else { return };
    let db = TestDb::new(Backend::Sqlite);
    let intake = db.intake();
    let raw = "Message-ID: <browser@x>\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\nSubject: Pregunta sobre mi trámite\r\n\
               Content-Type: text/plain; charset=utf-8\r\n\r\nBuenos días, quisiera saber en qué va mi solicitud de cesión de derechos del título.\r\n";
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Pipe, source_ref: None, source_time: None };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), m, false).unwrap() else { panic!() };
    db.add_staff("triage@anm.test", "triage", None);
    db.add_staff("oaj@anm.test", "department", Some("OAJ"));
    let app = TestApp::builder(Backend::Sqlite).db(db).spawn().await;
    let base = &app.base;

    let d = Driver::start(&chromedriver, &chromium).await;
    // Triage: the inbox lists the case; reassign it to OAJ with a reason.
    d.login(base, "triage@anm.test").await;
    d.wait_for(&radicado).await;
    d.screenshot("01-triage-inbox.png").await;
    d.go(&format!("{base}/casos/{radicado}")).await;
    d.click("#accion-asignar > summary").await;
    d.click("#accion-asignar select[name=department] option[value=OAJ]").await;
    d.type_in("#accion-asignar input[name=reason]", "Es una consulta jurídica").await;
    d.click("#accion-asignar button[type=submit]").await;
    d.wait_for("Dependencia: <strong>OAJ</strong>").await;
    d.screenshot("02-triage-reassigned.png").await;
    d.click("form[action='/salir'] button").await;
    d.wait_for("Ingreso de funcionarios").await;

    // The department: sees it, answers it.
    d.login(base, "oaj@anm.test").await;
    d.wait_for(&radicado).await;
    d.go(&format!("{base}/casos/{radicado}")).await;
    d.click("#accion-responder > summary").await;
    d.type_in("#accion-responder textarea[name=text]", "Su solicitud de cesión está en estudio; le informaremos la decisión.").await;
    d.click("#accion-responder button[type=submit]").await;
    let page = d.wait_for("Estado: <strong>Respondido</strong>").await;
    d.screenshot("03-department-answered.png").await;
    let timeline = page.split("<h2>Historial</h2>").nth(1).unwrap();
    for step in ["Radicado", "Asignado", "Es una consulta jurídica", "Respondido", "oaj@anm.test", "triage@anm.test"] {
        assert!(timeline.contains(step), "timeline lacks {step}");
    }
    let _ = d.cmd("POST", "/url", json!({"url": "about:blank"})).await;
    app.stop().await;
}
