//! The HTML shell of every page (Spanish, accessible, no JavaScript needed) and small helpers.
//!
//! Every page carries the same Content-Security-Policy ([`CSP`]): scripts only from this origin
//! and never inline (no `onclick=`), images only from this origin or `data:`. The one script,
//! `/static/print.js`, makes the print buttons work; the case page, when staff ask for a mail's
//! remote images, widens `img-src` to `https:` for that one response ([`allow_remote_images`]).

use maud::{html, Markup, PreEscaped, DOCTYPE};

const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#5b6573;--accent:#0b5cad;--bad:#b00020;--ok:#1b7a3a;--amber:#a86800;--bg:#f6f7f9}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:3px solid var(--accent);padding:.75rem 1rem}header a{color:var(--fg);text-decoration:none;font-weight:600}
nav a{margin-right:1rem}main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem}label{display:block;font-weight:600;margin-top:1rem}
input[type=text],input[type=email],input[type=tel],input[type=password],input[type=date],select,textarea{width:100%;padding:.5rem;border:1px solid #98a2b3;border-radius:4px;font:inherit;background:#fff}
textarea{min-height:10rem}.hint{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.error{color:var(--bad);font-weight:600;margin:.2rem 0}.errors{border:2px solid var(--bad);background:#fff;padding:.5rem 1rem}
button,.button{margin-top:1.5rem;padding:.6rem 1.2rem;background:var(--accent);color:#fff;border:0;border-radius:4px;font:inherit;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#5b6573}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:1rem;margin:1rem 0}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
.light{display:inline-block;min-width:5.5rem;padding:0 .4rem;border-radius:3px;color:#fff;font-size:.85rem;text-align:center}
.green{background:var(--ok)}.amber{background:var(--amber)}.red{background:var(--bad)}.grey{background:#6b7280}
a.externo::after{content:" ↗";font-size:.85em}.html-mail{overflow-wrap:anywhere}
.timeline li{margin-bottom:.5rem}.small{font-size:.9rem;color:var(--muted)}
@media print{header nav,button,.noprint{display:none}body{background:#fff}}
"#;

/// A full page. `nav` adds links (label, href) to the header.
pub fn page(title: &str, nav: &[(&str, &str)], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="es-CO" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · PQRS" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    a href="/" { "PQRS · Peticiones, quejas, reclamos, sugerencias y denuncias" }
                    @if !nav.is_empty() {
                        nav aria-label="Menú" { @for (label, href) in nav { a href=(href) { (label) } } }
                    }
                }
                main id="contenido" { (body) }
            }
        }
    }
}

/// An error message below a field, referenced by `aria-describedby`.
pub fn field_error(errors: &std::collections::BTreeMap<String, String>, field: &str) -> Markup {
    html! {
        @if let Some(m) = errors.get(field) {
            p.error id=(format!("{field}-error")) role="alert" { (m) }
        }
    }
}

/// A random token (hex), for CSRF and sessions.
pub fn random_token() -> String {
    let b: [u8; 32] = rand::random();
    hex::encode(b)
}

/// The policy of every HTML page.
pub const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

/// The same policy, with images from any HTTPS origin (a mail's remote images, on request).
pub const CSP_REMOTE_IMAGES: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'";

pub fn html_response(status: actix_web::http::StatusCode, m: Markup) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("Content-Security-Policy", CSP))
        .body(m.into_string())
}

/// Let this one response load images from HTTPS origins (the rest of the policy is unchanged).
/// The referrer policy (`same-origin`) keeps the case URL from the remote servers.
pub fn allow_remote_images(res: &mut actix_web::HttpResponse) {
    use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
    res.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP_REMOTE_IMAGES));
}

/// A "print" button (hidden when printing). It has no inline handler, which the policy would
/// block: `/static/print.js` listens for clicks on `button[data-print]`.
pub fn print_button(label: &str) -> Markup {
    html! {
        p.noprint {
            button type="button" data-print { (label) }
            script src=(PRINT_JS_PATH) defer {}
        }
    }
}

pub const PRINT_JS_PATH: &str = "/static/print.js";

const PRINT_JS: &str = "// Print buttons without inline handlers (the Content-Security-Policy forbids them).
document.addEventListener(\"click\", function (e) {
  if (e.target instanceof Element && e.target.closest(\"button[data-print]\")) {
    window.print();
  }
});
";

/// `GET /static/print.js`.
pub async fn print_js() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(PRINT_JS)
}
