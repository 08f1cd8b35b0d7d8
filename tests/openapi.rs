//! The OpenAPI document describes every `/api/v1` route the app serves, and is served.

#[test]
fn every_api_route_is_documented() {
    let doc = pqrs::web::openapi::document();
    let paths = doc["paths"].as_object().unwrap();
    let src = include_str!("../src/web/mod.rs");
    let mut routes = 0;
    for line in src.lines().filter(|l| l.contains("api(\"/api/v1/")) {
        let path = line.split('"').nth(1).unwrap();
        let method = ["get", "post", "put", "delete"].into_iter().find(|m| line.contains(&format!("web::{m}()"))).unwrap();
        if path == "/api/v1/openapi.json" {
            continue;
        }
        routes += 1;
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not in the OpenAPI document");
    }
    assert!(routes >= 8, "found only {routes} routes");
    assert_eq!(doc["openapi"], "3.0.3");
}
