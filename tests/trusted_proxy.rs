//! The rate limit behind a reverse proxy: from a trusted proxy (`PQRS_TRUSTED_PROXIES`), each
//! client named by `X-Forwarded-For` / `Forwarded` has its own bucket; from any other peer those
//! headers are ignored, so a client cannot change its address to escape the limit. Both backends.

mod common;

use common::{Backend, TestApp};
use serde_json::json;

async fn post(app: &TestApp, header: Option<(&str, &str)>) -> u16 {
    let mut req = app.client().post(app.url("/api/v1/filings"));
    if let Some(h) = header {
        req = req.insert_header(h);
    }
    req.send_json(&json!({})).await.unwrap().status().as_u16()
}

common::backend_tests!(#[actix_web::test] async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit);
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(backend: Backend) {
    // The test client connects from 127.0.0.1: that is the proxy.
    let app = TestApp::builder(backend)
        .env("PQRS_TRUSTED_PROXIES", "127.0.0.0/8, ::1")
        .env("PQRS_FILING_BURST", "2")
        .env("PQRS_FILING_RATE_PER_MINUTE", "1")
        .spawn()
        .await;
    let a = ("X-Forwarded-For", "203.0.113.5");
    // The same client through a second proxy hop, with a forged left-most entry.
    let a_again = ("X-Forwarded-For", "198.51.100.99, 203.0.113.5, 127.0.0.2");
    let b = ("Forwarded", "for=\"[2001:db8::7]:4711\";proto=https");
    let statuses = [post(&app, Some(a)).await, post(&app, Some(a)).await, post(&app, Some(a_again)).await];
    assert_eq!(statuses, [422, 422, 429], "{backend:?}: client A");
    let statuses = [post(&app, Some(b)).await, post(&app, Some(b)).await, post(&app, Some(b)).await];
    assert_eq!(statuses, [422, 422, 429], "{backend:?}: client B has its own bucket");
    // The proxy's own requests (no header) are a third client.
    assert_eq!(post(&app, None).await, 422, "{backend:?}: the proxy itself");
    app.stop().await;
}

common::backend_tests!(#[actix_web::test] async fn from_an_untrusted_peer_forwarded_headers_are_ignored);
async fn from_an_untrusted_peer_forwarded_headers_are_ignored(backend: Backend) {
    // Default: no trusted proxies, so 127.0.0.1 is the client whatever it claims.
    let app = TestApp::builder(backend).env("PQRS_FILING_BURST", "2").env("PQRS_FILING_RATE_PER_MINUTE", "1").spawn().await;
    let statuses = [
        post(&app, Some(("X-Forwarded-For", "203.0.113.5"))).await,
        post(&app, Some(("Forwarded", "for=203.0.113.6"))).await,
        post(&app, Some(("X-Forwarded-For", "203.0.113.7"))).await,
        post(&app, None).await,
    ];
    assert_eq!(statuses, [422, 422, 429, 429], "{backend:?}");
    app.stop().await;

    // Trusting another network does not make 127.0.0.1 a proxy either.
    let app = TestApp::builder(backend)
        .env("PQRS_TRUSTED_PROXIES", "10.0.0.0/8")
        .env("PQRS_FILING_BURST", "1")
        .env("PQRS_FILING_RATE_PER_MINUTE", "1")
        .spawn()
        .await;
    let statuses =
        [post(&app, Some(("X-Forwarded-For", "203.0.113.8"))).await, post(&app, Some(("X-Forwarded-For", "203.0.113.9"))).await];
    assert_eq!(statuses, [422, 429], "{backend:?}");
    app.stop().await;
}
