//! A real browser (headless Chromium driven by fantoccini through ChromeDriver) works the public
//! site and the staff app, and axe-core checks every HTML page for WCAG 2.1 A and AA violations.
//!
//! - The citizen side: the home page, the filing form (empty, after a failed submit with its
//!   error summary, the confirmation), the status lookup and its result, "Te llamamos" (form, error
//!   summary, confirmation).
//! - The staff side: triage logs in and reassigns a case, the department logs in and answers it,
//!   and the timeline shows both steps; the inbox, triage, the case page (with a timeline and an
//!   attachment, its action forms opened too), verbal petitions, the report and the oficio.
//!
//! axe-core (pinned in `tests/servers.sh`, installed there from the npm registry outside the
//! repository; `PQRS_TEST_AXE` names its `axe.min.js`) is injected with WebDriver's execute-script
//! and run with execute-async-script on each page, rules tagged [`AXE_TAGS`]. Any violation fails
//! the test, listed with its rule id, impact, help and the offending nodes' CSS targets.
//! [`AXE_PAGES`] names every HTML GET route of `src/web/mod.rs`; `every_html_route_is_checked_by_axe`
//! reads the route table and fails when a route is neither there nor in [`NOT_HTML`], and the
//! browser test fails when it did not check each of [`AXE_PAGES`].
//!
//! Screenshots are saved under `test-artifacts/browser/` (not committed). Runs on both backends.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{backend_tests, server_envs, Backend, TestApp, TestDb, PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use pqrs::intake::{Outcome, RawMail, Source};
use serde_json::{json, Value};

/// The axe-core rule tags run on every page: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Every GET route of the app that renders HTML, spelled as in `src/web/mod.rs`. The browser test
/// runs axe-core on each (and on the pages the form posts render) and fails if it missed one.
const AXE_PAGES: &[&str] = &[
    "/",
    "/radicar",
    "/te-llamamos",
    "/consulta",
    "/encuesta/{token}",
    "/personal",
    "/bandeja",
    "/triage",
    "/casos/{radicado}",
    "/staff/oficios/{radicado}",
    "/verbal",
    "/reportes/canal-virtual",
    "/reportes/informe",
];

/// GET routes that render no HTML page, with the reason (every `/api/` route is JSON).
const NOT_HTML: &[(&str, &str)] = &[
    ("/healthz", "JSON health report"),
    ("/metrics", "Prometheus text format"),
    ("layout::PRINT_JS_PATH", "the print buttons' JavaScript file"),
    ("/casos/{radicado}/adjuntos/{id}", "an attachment download (the file's own type)"),
];

/// Runs axe-core on the document; `arguments[0]` is the list of tags.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations', 'incomplete'] })
  .then(r => done({
    version: axe.version,
    passes: r.passes.length,
    passed: r.passes.map(p => p.id),
    incomplete: r.incomplete.map(i => i.id + ' ' + JSON.stringify(i.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\s+/g, ' ')))),
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary }))
    }))
  }))
  .catch(e => done({ error: String(e && e.stack || e) }));
"#;

struct Browser {
    c: Client,
    driver: Child,
    axe: String,
    /// Routes axe-core checked, and what it found.
    checked: BTreeSet<&'static str>,
    violations: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start(chromedriver: &str, chromium: &str, axe_js: &str) -> Browser {
        let axe = std::fs::read_to_string(axe_js).unwrap_or_else(|e| panic!("read axe-core from {axe_js}: {e}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(chromedriver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("chromedriver");
        let profile = tempfile::tempdir().expect("tempdir");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), json!({"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1280,1600", format!("--user-data-dir={}", profile.path().display())]}));
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match builder.connect(&url).await {
                Ok(c) => return Browser { c, driver, axe, checked: BTreeSet::new(), violations: Vec::new(), _profile: profile },
                Err(e) => last = Some(e),
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session from ChromeDriver on {url}: {last:?}");
    }

    async fn go(&self, url: &str) {
        self.c.goto(url).await.unwrap_or_else(|e| panic!("go to {url}: {e}"));
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    async fn type_in(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    async fn source(&self) -> String {
        self.c.source().await.expect("page source")
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
        panic!("the page never showed {needle:?}; it shows:\n{}", self.source().await);
    }

    async fn screenshot(&self, name: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/browser");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    async fn login(&self, app: &str, email: &str, password: &str) {
        self.go(&format!("{app}/personal")).await;
        self.type_in("#email", email).await;
        self.type_in("#password", password).await;
        self.click("button[type=submit]").await;
    }

    /// Opens every `<details>` of the page, so axe-core also sees what they hide.
    async fn open_details(&self) {
        self.c.execute("document.querySelectorAll('details').forEach(d => d.open = true)", vec![]).await.expect("open details");
    }

    /// Runs axe-core on the current page (`what` says which, `route` is its GET route in
    /// [`AXE_PAGES`]) and records its violations.
    async fn axe(&mut self, route: &'static str, what: &str) {
        assert!(AXE_PAGES.contains(&route), "{route} is not in AXE_PAGES");
        self.checked.insert(route);
        self.c.execute(&self.axe, vec![]).await.expect("inject axe-core");
        let r: Value = self.c.execute_async(RUN_AXE, vec![json!(AXE_TAGS)]).await.expect("run axe-core");
        if let Some(e) = r["error"].as_str() {
            panic!("axe-core failed on {what}: {e}");
        }
        let url = self.c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let violations = r["violations"].as_array().cloned().unwrap_or_default();
        // A run that checked nothing proves nothing.
        assert!(r["passes"].as_u64().unwrap_or(0) > 0, "axe-core passed no rule on {what} ({url}): {r}");
        // Rules axe-core could not decide (such as contrast over a background image) need a person.
        eprintln!("axe-core {}: {what} ({url}): {} rules passed, {} violated; to review by hand: {}", r["version"].as_str().unwrap_or("?"), r["passes"], violations.len(), r["incomplete"]);
        if std::env::var_os("PQRS_TEST_AXE_VERBOSE").is_some() {
            eprintln!("  passed: {}", r["passed"]);
        }
        for v in violations {
            let mut s = format!("{what} ({url}): {} [{}] {} ({})", v["id"].as_str().unwrap_or(""), v["impact"].as_str().unwrap_or(""),
                v["help"].as_str().unwrap_or(""), v["helpUrl"].as_str().unwrap_or(""));
            for n in v["nodes"].as_array().into_iter().flatten() {
                s.push_str(&format!("\n      {} — {}", n["target"], n["summary"].as_str().unwrap_or("").replace('\n', " ")));
            }
            self.violations.push(s);
        }
    }

    /// Fails on any recorded violation and on any page of [`AXE_PAGES`] axe-core did not check.
    fn assert_accessible(&self) {
        assert!(self.violations.is_empty(), "axe-core found {} WCAG 2.1 A/AA violation(s):\n  {}", self.violations.len(), self.violations.join("\n  "));
        let missed: Vec<_> = AXE_PAGES.iter().filter(|p| !self.checked.contains(*p)).collect();
        assert!(missed.is_empty(), "axe-core did not check {missed:?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that panics never ends its WebDriver session: killing ChromeDriver alone would
        // leave its Chromium running (re-parented to init, busy on a core). Its processes are the
        // ones started with this test's own profile directory.
        let _ = Command::new("pkill").arg("-KILL").arg("-f").arg(format!("user-data-dir={}", self._profile.path().display())).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The token of the survey link in a case's answer mail.
fn survey_token(db: &TestDb, radicado: &str) -> String {
    use diesel::prelude::*;
    use pqrs::db::schema::{cases, outbox};
    let body: String = outbox::table
        .inner_join(cases::table)
        .filter(cases::radicado.eq(radicado))
        .filter(outbox::purpose.eq("respuesta"))
        .select(outbox::body_text)
        .first(&mut db.conn())
        .expect("the answer mail");
    body.split("/encuesta/").nth(1).expect("a survey link in the answer mail").chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

/// Answer a case as its department would (the final answer).
fn answer(db: &TestDb, radicado: &str) {
    let intake = db.intake();
    let departments = intake.department_codes();
    let ctx = intake.lifecycle_context(&departments);
    let case = pqrs::db::models::CaseRow::by_radicado(&mut db.conn(), radicado).unwrap().expect("the case");
    let text = "Lo llamamos y resolvimos su inquietud.".to_string();
    pqrs::workflow::lifecycle::apply(&mut db.conn(), &ctx, case.id, "prueba", pqrs::workflow::lifecycle::Action::Respond { text }, chrono::Utc::now()).unwrap();
}

/// The radicado a confirmation page shows.
fn radicado_on(page: &str) -> String {
    let r = page.split("Número de radicado: <strong").nth(1).and_then(|s| s.split('>').nth(1)).and_then(|s| s.split('<').next());
    r.unwrap_or_else(|| panic!("no radicado on the page:\n{page}")).to_string()
}

/// A mail with a PDF attachment, so the case page lists one.
fn mail_with_attachment() -> String {
    "Message-ID: <browser@x>\r\nFrom: Ana Pérez <ana@example.com>\r\nTo: contacto@anm.gov.co\r\nSubject: Pregunta sobre mi trámite\r\n\
     MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
     --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBuenos días, quisiera saber en qué va mi solicitud de cesión de derechos del título.\r\n\
     --b1\r\nContent-Type: application/pdf; name=\"cedula.pdf\"\r\nContent-Disposition: attachment; filename=\"cedula.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
     JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n--b1--\r\n"
        .to_string()
}

backend_tests!(#[actix_web::test] async fn citizens_and_staff_work_the_site_in_a_real_browser_and_axe_finds_no_violation);

async fn citizens_and_staff_work_the_site_in_a_real_browser_and_axe_finds_no_violation(backend: Backend) {
    let Some([chromedriver, chromium, axe_js]) = server_envs(["PQRS_TEST_CHROMEDRIVER", "PQRS_TEST_CHROMIUM", "PQRS_TEST_AXE"]) else { return };
    let db = TestDb::new(backend);
    let intake = db.intake();
    let raw = mail_with_attachment();
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Pipe, source_ref: None, source_time: None };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), m, false).unwrap() else { panic!() };
    // A quarantined mail, so triage shows its quarantine table too.
    let now = chrono::Utc::now().naive_utc();
    let q = pqrs::db::models::NewQuarantine { source: "pipe".into(), source_ref: Some("prueba".into()), sha256: "ab".repeat(32),
        reason: "el correo no se pudo leer".into(), raw: b"no es un correo".to_vec(), raw_size: 15, received_at: now, created_at: now };
    assert!(pqrs::db::intake::quarantine(&mut db.conn(), &q).unwrap());
    db.add_staff("triage@anm.test", "triage", None);
    db.add_staff("oaj@anm.test", "department", Some("OAJ"));
    let app = TestApp::builder(backend).db(db).spawn().await;
    let base = &app.base;
    let mut d = Browser::start(&chromedriver, &chromium, &axe_js).await;

    // The citizen: home, the filing form, a failed submit, a filing, the status lookup.
    d.go(&format!("{base}/")).await;
    d.axe("/", "home").await;
    d.go(&format!("{base}/radicar")).await;
    d.axe("/radicar", "filing form").await;
    d.click("form[action='/radicar'] button[type=submit]").await;
    d.wait_for("Revise los campos marcados").await;
    d.screenshot("01-filing-errors.png").await;
    d.axe("/radicar", "filing form after a failed submit").await;
    d.type_in("#name", "Ana Pérez").await;
    d.type_in("#email", "ana.web@example.com").await;
    d.type_in("#subject", "Solicitud de copia del expediente").await;
    d.type_in("#message", "Solicito copia del expediente del título minero, por favor.").await;
    let consent = d.find("#consent").await;
    if !consent.is_selected().await.unwrap() {
        consent.click().await.unwrap();
    }
    d.click("form[action='/radicar'] button[type=submit]").await;
    let page = d.wait_for("Su solicitud fue radicada").await;
    d.screenshot("02-filing-confirmation.png").await;
    d.axe("/radicar", "filing confirmation").await;
    let filed = radicado_on(&page);
    d.go(&format!("{base}/consulta")).await;
    d.axe("/consulta", "status lookup").await;
    d.type_in("#radicado", &filed).await;
    d.type_in("#email", "ana.web@example.com").await;
    d.click("form[action='/consulta'] button[type=submit]").await;
    d.wait_for(&format!("Radicado {filed}")).await;
    d.axe("/consulta", "status lookup result").await;
    d.go(&format!("{base}/consulta")).await;
    d.type_in("#radicado", &filed).await;
    d.type_in("#email", "otra@example.com").await;
    d.click("form[action='/consulta'] button[type=submit]").await;
    d.wait_for("No encontramos una solicitud").await;
    d.axe("/consulta", "status lookup, not found").await;

    // "Te llamamos": the form, a failed submit, the confirmation.
    d.go(&format!("{base}/te-llamamos")).await;
    d.axe("/te-llamamos", "callback form").await;
    d.click("form[action='/te-llamamos'] button[type=submit]").await;
    d.wait_for("Revise los campos marcados").await;
    d.axe("/te-llamamos", "callback form after a failed submit").await;
    d.type_in("#name", "Luis Gómez").await;
    d.type_in("#phone", "300 123 4567").await;
    d.type_in("#topic", "Quiero saber cómo legalizar una mina pequeña.").await;
    let consent = d.find("#consent").await;
    if !consent.is_selected().await.unwrap() {
        consent.click().await.unwrap();
    }
    d.click("form[action='/te-llamamos'] button[type=submit]").await;
    let page = d.wait_for("Recibimos su solicitud").await;
    d.axe("/te-llamamos", "callback confirmation").await;
    let callback = radicado_on(&page);

    // Staff login: a wrong password, then triage.
    d.go(&format!("{base}/personal")).await;
    d.axe("/personal", "staff login").await;
    d.login(base, "triage@anm.test", "no es la clave").await;
    d.wait_for("Correo o contraseña incorrectos").await;
    d.axe("/personal", "staff login after a wrong password").await;

    // Triage: the inbox lists the case; reassign it to OAJ with a reason.
    d.login(base, "triage@anm.test", PASSWORD).await;
    d.wait_for(&radicado).await;
    d.screenshot("03-triage-inbox.png").await;
    d.axe("/bandeja", "inbox (triage)").await;
    d.go(&format!("{base}/triage")).await;
    d.wait_for("el correo no se pudo leer").await;
    d.axe("/triage", "triage queue (with a quarantined mail)").await;
    d.go(&format!("{base}/verbal")).await;
    d.axe("/verbal", "verbal petition form").await;
    // The browser's own validation stops an empty submit (required fields); the page's error
    // message is what the server's redirect shows.
    d.go(&format!("{base}/verbal?error=El%20asunto%20es%20obligatorio.")).await;
    d.wait_for("El asunto es obligatorio.").await;
    d.axe("/verbal", "verbal petition form with an error").await;
    d.go(&format!("{base}/reportes/canal-virtual")).await;
    d.axe("/reportes/canal-virtual", "virtual-channel report").await;
    d.go(&format!("{base}/reportes/informe")).await;
    d.wait_for("Informe de").await;
    d.axe("/reportes/informe", "monthly informe").await;
    d.go(&format!("{base}/reportes/informe?year=1&month=13")).await;
    d.wait_for("se muestra el mes actual").await;
    d.axe("/reportes/informe", "monthly informe after a bad month").await;
    d.go(&format!("{base}/casos/{radicado}")).await;
    d.wait_for("cedula.pdf").await;
    d.axe("/casos/{radicado}", "case page").await;
    d.open_details().await;
    d.axe("/casos/{radicado}", "case page with its action forms open").await;
    d.go(&format!("{base}/casos/{callback}")).await;
    d.wait_for("Registrar llamada").await;
    d.open_details().await;
    d.axe("/casos/{radicado}", "case page of a callback request, its forms open").await;
    d.go(&format!("{base}/casos/19990000000000")).await;
    d.wait_for("Caso no encontrado").await;
    d.axe("/casos/{radicado}", "case page, not found").await;
    d.go(&format!("{base}/casos/{radicado}")).await;
    d.click("#accion-asignar > summary").await;
    d.find("#accion-asignar select[name=department]").await.select_by_value("OAJ").await.expect("choose OAJ");
    d.type_in("#accion-asignar input[name=reason]", "Es una consulta jurídica").await;
    d.click("#accion-asignar button[type=submit]").await;
    d.wait_for("Dependencia: <strong>OAJ</strong>").await;
    d.screenshot("04-triage-reassigned.png").await;
    d.click("form[action='/salir'] button").await;
    d.wait_for("Ingreso de funcionarios").await;

    // The department: sees it, answers it.
    d.login(base, "oaj@anm.test", PASSWORD).await;
    d.wait_for(&radicado).await;
    d.axe("/bandeja", "inbox (department)").await;
    d.go(&format!("{base}/casos/{radicado}")).await;
    d.click("#accion-responder > summary").await;
    d.type_in("#accion-responder textarea[name=text]", "Su solicitud de cesión está en estudio; le informaremos la decisión.").await;
    d.click("#accion-responder button[type=submit]").await;
    let page = d.wait_for("Estado: <strong>Respondido</strong>").await;
    d.screenshot("05-department-answered.png").await;
    let timeline = page.split("<h2>Historial</h2>").nth(1).unwrap();
    for step in ["Radicado", "Asignado", "Es una consulta jurídica", "Respondido", "oaj@anm.test", "triage@anm.test"] {
        assert!(timeline.contains(step), "timeline lacks {step}");
    }
    d.axe("/casos/{radicado}", "case page after the answer").await;
    d.click("a[href^='/staff/oficios/']").await;
    d.wait_for("Radicado de salida").await;
    d.screenshot("06-oficio.png").await;
    d.axe("/staff/oficios/{radicado}", "oficio").await;

    // The citizen answers the satisfaction survey of the answer's mail: the questions, a failed
    // submit, the thanks.
    let token = survey_token(&app.db, &radicado);
    d.go(&format!("{base}/encuesta/{token}")).await;
    d.wait_for("Encuesta de satisfacción").await;
    d.axe("/encuesta/{token}", "satisfaction survey").await;
    d.click("form[action^='/encuesta/'] button[type=submit]").await;
    d.wait_for("Revise los campos marcados").await;
    d.axe("/encuesta/{token}", "satisfaction survey after a failed submit").await;
    for field in ["satisfaccion", "percepcion", "confianza", "claridad"] {
        d.click(&format!("input[name={field}][value='4']")).await;
    }
    d.type_in("#comentario", "La respuesta fue clara.").await;
    d.click("form[action^='/encuesta/'] button[type=submit]").await;
    d.wait_for("Gracias por responder la encuesta").await;
    d.screenshot("07-survey-answered.png").await;
    d.axe("/encuesta/{token}", "satisfaction survey answered").await;

    // A verbal case answered: staff enter its survey (the form open).
    // (The survey pages are public; the department's session is still open.)
    answer(&app.db, &callback);
    d.go(&format!("{base}/bandeja")).await;
    d.wait_for("action=\"/salir\"").await;
    d.click("form[action='/salir'] button").await;
    d.wait_for("Ingreso de funcionarios").await;
    d.login(base, "triage@anm.test", PASSWORD).await;
    d.wait_for("action=\"/salir\"").await;
    d.go(&format!("{base}/casos/{callback}")).await;
    d.wait_for("Registrar la encuesta tomada en persona o por teléfono").await;
    d.open_details().await;
    d.axe("/casos/{radicado}", "case page of an answered verbal case, the survey form open").await;

    d.assert_accessible();
    let _ = d.c.clone().close().await;
    app.stop().await;
}

/// The GET routes of the app's route table (`src/web/mod.rs`): a string literal, or the name of
/// the constant that holds the path.
fn get_routes() -> BTreeSet<String> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).expect("read src/web/mod.rs");
    // A path opens `route(`, `resource(` or `api(`; `web::get()` is a GET on the last path seen.
    let re = regex::Regex::new(r#"(?:route|resource|api)\(\s*(?:"([^"]*)"|((?:[a-z_]+::)*[A-Z][A-Z0-9_]*))|(web::get\(\))"#).unwrap();
    let mut path: Option<String> = None;
    let mut routes = BTreeSet::new();
    for c in re.captures_iter(&src) {
        if c.get(3).is_some() {
            routes.insert(path.clone().expect("web::get() before any path in src/web/mod.rs"));
        } else {
            path = Some(c.get(1).or(c.get(2)).unwrap().as_str().to_string());
        }
    }
    routes
}

/// Each HTML page of the route table is in the axe-core list (or excluded with a reason), and
/// each listed page is still a route.
#[test]
fn every_html_route_is_checked_by_axe() {
    let routes = get_routes();
    let unlisted: Vec<_> = routes
        .iter()
        .filter(|r| !r.starts_with("/api/") && !AXE_PAGES.contains(&r.as_str()) && !NOT_HTML.iter().any(|(p, _)| p == r))
        .collect();
    assert!(unlisted.is_empty(), "GET routes of src/web/mod.rs that axe-core does not check: {unlisted:?}; add each HTML page to AXE_PAGES in tests/browser.rs (and visit it in the browser test), or to NOT_HTML with the reason");
    let stale: Vec<_> = AXE_PAGES.iter().chain(NOT_HTML.iter().map(|(p, _)| p)).filter(|p| !routes.contains(**p)).collect();
    assert!(stale.is_empty(), "listed in tests/browser.rs but not a GET route of src/web/mod.rs: {stale:?}");
}
