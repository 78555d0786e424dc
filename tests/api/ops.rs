use crate::backend_test;
use crate::helpers::TestApp;
use reqwest::Method;

backend_test!(health_and_readiness_answer, |app| {
    let r = TestApp::send(app.req(Method::GET, "/healthz")).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = TestApp::send(app.req(Method::GET, "/readyz")).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
});

backend_test!(metrics_count_requests_by_route_and_status, |app| {
    app.customer(&[]).await;
    app.get("/v1/customers/cus_missing").await;
    let r = TestApp::send(app.req(Method::GET, "/metrics")).await;
    let text = r.body.as_str().unwrap();
    assert!(
        text.contains(r#"kassa_http_requests_total{method="POST",route="/v1/customers",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"kassa_http_requests_total{method="GET",route="/v1/customers/{id}",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains("kassa_http_request_duration_seconds_bucket"));
});

backend_test!(the_openapi_document_lists_every_routed_endpoint, |app| {
    let r = TestApp::send(app.req(Method::GET, "/v1/openapi.json")).await;
    assert_eq!(r.status, 200);
    let paths = r.body["paths"].as_object().unwrap();
    assert!(paths.contains_key("/v1/customers") && paths.contains_key("/v1/customers/{id}"));
    // Every documented operation is really routed: without a key it is a
    // 401, never the unknown-route 404.
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = TestApp::send(app.req(m, &path.replace("{id}", "x_1"))).await;
            assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
        }
    }
});

#[test]
fn the_committed_openapi_document_matches_the_handlers() {
    let generated = serde_json::to_string_pretty(&kassa::api::openapi()).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var("KASSA_UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is out of date: run KASSA_UPDATE_OPENAPI=1 cargo test --test api openapi"
    );
}
