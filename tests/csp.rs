//! The Content-Security-Policy and the pages that live under it: no page needs inline script
//! (the print buttons use the same-origin `/static/print.js`), and the case page widens `img-src`
//! to `https:` only for the response that shows a mail's remote images. Over HTTP (headers and
//! markup), then in headless Chromium (no violation is reported, the print button calls
//! `window.print()`, a remote image is not blocked once asked for).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::http::StatusCode;
use common::{server_env, Backend, TestApp, TestDb, PASSWORD};
use pqrs::intake::{Outcome, RawMail, Source};
use serde_json::{json, Value};

/// An HTTPS image nothing serves: under a policy that allows it, it fails to load; under one that
/// does not, the browser reports a violation.
const REMOTE_IMG: &str = "https://127.0.0.1:9/pixel.png";

/// An app on SQLite with a triage user and one case whose HTML mail has a remote image; the
/// case's radicado.
async fn spawn() -> (TestApp, String) {
    let db = TestDb::new(Backend::Sqlite);
    let intake = db.intake();
    let raw = format!(
        "Message-ID: <csp@x>\r\nFrom: Ana <ana@example.com>\r\nTo: contacto@anm.gov.co\r\nSubject: Solicitud con imagen\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<p>Solicito el certificado.</p><img src=\"{REMOTE_IMG}\" alt=\"firma\">\r\n"
    );
    let m = RawMail { bytes: raw.as_bytes(), source: Source::Pipe, source_ref: None, source_time: None };
    let Outcome::Case { radicado, .. } = intake.process(&mut db.conn(), m, false).unwrap() else { panic!("not filed") };
    db.add_staff("triage@anm.test", "triage", None);
    (TestApp::builder(Backend::Sqlite).db(db).spawn().await, radicado)
}

/// The directives of a policy, by name.
fn directives(csp: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|d| {
            let mut w = d.split_whitespace();
            Some((w.next()?.to_string(), w.map(str::to_string).collect()))
        })
        .collect()
}

async fn get(c: &awc::Client, url: &str, cookie: Option<&awc::cookie::Cookie<'static>>) -> (String, String) {
    let mut req = c.get(url);
    if let Some(k) = cookie {
        req = req.cookie(k.clone());
    }
    let mut res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    let csp = res.headers().get("content-security-policy").expect("CSP header").to_str().unwrap().to_string();
    let body = String::from_utf8(res.body().limit(5_000_000).await.unwrap().to_vec()).unwrap();
    (csp, body)
}

/// Scripts only from this origin, never inline; and the page has no inline handler.
fn assert_strict(url: &str, csp: &str, html: &str) {
    let d = directives(csp);
    assert!(!d.contains_key("script-src") && d["default-src"] == ["'self'"], "{url}: {csp}");
    assert!(!csp.contains("unsafe-eval") && !d["default-src"].iter().any(|s| s.contains("unsafe")), "{url}: {csp}");
    for bad in [" onclick=", " onload=", "javascript:"] {
        assert!(!html.contains(bad), "{url} has {bad}");
    }
}

#[actix_web::test]
async fn pages_need_no_inline_script_and_only_the_remote_images_view_allows_https_images() {
    let (app, radicado) = spawn().await;
    let c = app.client();
    let b = &app.base;

    // The script: same origin, JavaScript, not sniffable as anything else.
    let mut res = c.get(format!("{b}/static/print.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(res.headers().get("x-content-type-options").unwrap(), "nosniff");
    let js = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(js.contains("button[data-print]") && js.contains("window.print()"), "{js}");

    // The citizen's confirmation page (after a form filing) prints through it.
    let mut form = c.get(format!("{b}/radicar")).send().await.unwrap();
    let cookie = form.cookie("pqrs_csrf").expect("csrf cookie").into_owned();
    let _ = form.body().await;
    let token = cookie.value().to_string();
    let mut body = Vec::new();
    for (k, v) in [("csrf", token.as_str()), ("name", "Ana"), ("email", "ana@example.com"), ("subject", "Certificado"),
        ("message", "Solicito el certificado de registro minero."), ("consent", "on")] {
        body.extend_from_slice(format!("--F\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(b"--F--\r\n");
    let mut res = c.post(format!("{b}/radicar")).cookie(cookie).content_type("multipart/form-data; boundary=F").send_body(body).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
    let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert_strict("confirmation", &csp, &html);
    assert!(html.contains("data-print") && html.contains("<script src=\"/static/print.js\" defer>"), "{html}");

    // Staff pages.
    let session = app.login("triage@anm.test", PASSWORD).await.expect("session");
    for path in ["/personal", "/radicar", "/consulta", "/bandeja", "/triage", "/verbal"] {
        let cookie = (path != "/personal").then_some(&session);
        let (csp, html) = get(&c, &format!("{b}{path}"), cookie).await;
        assert_strict(path, &csp, &html);
    }
    let (csp, html) = get(&c, &format!("{b}/reportes/canal-virtual"), Some(&session)).await;
    assert_strict("report", &csp, &html);
    assert!(html.contains("data-print") && html.contains("/static/print.js"), "{html}");

    // The case page: images from this origin only, and the remote image is not in the markup...
    let r = &radicado;
    let (csp, html) = get(&c, &format!("{b}/casos/{r}"), Some(&session)).await;
    assert_strict("case", &csp, &html);
    assert_eq!(directives(&csp)["img-src"], ["'self'", "data:"], "{csp}");
    assert!(!html.contains(REMOTE_IMG), "the remote image is shown without asking");
    assert!(html.contains(&format!("href=\"/casos/{r}?imagenes=1\"")), "no link to show the images");
    // ...until asked: then it is, and this response's policy lets HTTPS images load, nothing else.
    let (wide, html) = get(&c, &format!("{b}/casos/{r}?imagenes=1"), Some(&session)).await;
    assert_strict("case with images", &wide, &html);
    assert!(html.contains(&format!("src=\"{REMOTE_IMG}\"")), "the remote image is missing");
    let (mut d, mut w) = (directives(&csp), directives(&wide));
    assert_eq!(w["img-src"], ["'self'", "data:", "https:"], "{wide}");
    d.remove("img-src");
    w.remove("img-src");
    assert_eq!(d, w, "only img-src may differ");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// In a real browser

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: awc::Client,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Driver {
    async fn start(chromedriver: &str, chromium: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(chromedriver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let profile = std::env::temp_dir().join(format!("pqrs-chrome-csp-{port}"));
        let mut session = None;
        for _ in 0..100 {
            let req = http.post(format!("{base}/session")).send_json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display())]}
            }}})).await;
            if let Ok(mut r) = req {
                let v: Value = r.json().limit(1 << 20).await.unwrap_or_default();
                if let Some(id) = v["value"]["sessionId"].as_str() {
                    session = Some(id.to_string());
                    break;
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let d = Driver { child, base, session: session.expect("WebDriver session"), http };
        // Record every policy violation of every document, from its first script on.
        d.cmd("/goog/cdp/execute", json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source":
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));"}})).await;
        d
    }
    async fn cmd(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut res = self.http.post(url).send_json(&body).await.expect("webdriver request");
        let v: Value = res.json().limit(50 << 20).await.expect("webdriver json");
        assert!(v["value"]["error"].is_null(), "{path}: {v}");
        v["value"].clone()
    }
    async fn go(&self, url: &str) {
        self.cmd("/url", json!({ "url": url })).await;
    }
    async fn js(&self, script: &str) -> Value {
        self.cmd("/execute/sync", json!({"script": script, "args": []})).await
    }
    async fn click(&self, css: &str) {
        let v = self.cmd("/element", json!({"using": "css selector", "value": css})).await;
        let e = v[ELEMENT].as_str().unwrap().to_string();
        self.cmd(&format!("/element/{e}/click"), json!({})).await;
    }
    async fn type_in(&self, css: &str, text: &str) {
        let v = self.cmd("/element", json!({"using": "css selector", "value": css})).await;
        let e = v[ELEMENT].as_str().unwrap().to_string();
        self.cmd(&format!("/element/{e}/value"), json!({ "text": text })).await;
    }
    /// Waits until the document at `path` has loaded (and its images settled), then returns the
    /// violations it reported.
    async fn violations_at(&self, path: &str) -> Vec<String> {
        for _ in 0..100 {
            let v = self.js("return [location.pathname + location.search, document.readyState, window.__csp || []];").await;
            if v[0].as_str() == Some(path) && v[1] == "complete" {
                return v[2].as_array().unwrap().iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect();
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never finished loading {path}");
    }
    /// Clicks the print button with `window.print` replaced by a counter; returns the count.
    async fn print_clicks(&self) -> i64 {
        self.js("window.__printed = 0; window.print = () => { window.__printed += 1; };").await;
        self.click("button[data-print]").await;
        self.js("return window.__printed;").await.as_i64().unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[actix_web::test]
async fn print_buttons_and_remote_images_work_under_the_policy_in_a_real_browser() {
    let (Some(chromedriver), Some(chromium)) = (server_env("PQRS_TEST_CHROMEDRIVER"), server_env("PQRS_TEST_CHROMIUM")) else { return };
    let (app, radicado) = spawn().await;
    let b = &app.base;
    let d = Driver::start(&chromedriver, &chromium).await;

    // A citizen files on the form and prints the confirmation.
    d.go(&format!("{b}/radicar")).await;
    d.type_in("#name", "Ana Pérez").await;
    d.type_in("#email", "ana@example.com").await;
    d.type_in("#subject", "Certificado").await;
    d.type_in("#message", "Solicito el certificado de registro minero.").await;
    d.click("#consent").await;
    d.click("button[type=submit]").await;
    for _ in 0..100 {
        if d.js("return document.querySelector('button[data-print]') !== null && document.readyState === 'complete';").await == true {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(d.violations_at("/radicar").await, Vec::<String>::new(), "confirmation page");
    assert_eq!(d.print_clicks().await, 1, "the confirmation's print button does not print");

    // Staff: the report prints; the case page shows the remote image only when asked, unblocked.
    d.go(&format!("{b}/personal")).await;
    d.type_in("#email", "triage@anm.test").await;
    d.type_in("#password", PASSWORD).await;
    d.click("button[type=submit]").await;
    d.violations_at("/bandeja").await;
    d.go(&format!("{b}/reportes/canal-virtual")).await;
    assert_eq!(d.violations_at("/reportes/canal-virtual").await, Vec::<String>::new(), "report page");
    assert_eq!(d.print_clicks().await, 1, "the report's print button does not print");

    let r = &radicado;
    d.go(&format!("{b}/casos/{r}")).await;
    assert_eq!(d.violations_at(&format!("/casos/{r}")).await, Vec::<String>::new(), "case page");
    assert_eq!(d.js("return document.images.length;").await, 0);
    // The watch works: an HTTPS image added here is refused by this page's policy.
    d.js(&format!("const i = new Image(); i.src = '{REMOTE_IMG}'; document.body.append(i);")).await;
    let mut seen = Value::Null;
    for _ in 0..50 {
        seen = d.js("return window.__csp;").await;
        if seen.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, json!([format!("img-src {REMOTE_IMG}")]), "the policy did not refuse a remote image, or the watch saw nothing");
    d.click(&format!("a[href='/casos/{r}?imagenes=1']")).await;
    assert_eq!(d.violations_at(&format!("/casos/{r}?imagenes=1")).await, Vec::<String>::new(), "case page with images");
    assert_eq!(d.js("return Array.from(document.images).map(i => i.src);").await, json!([REMOTE_IMG]));
    app.stop().await;
}
