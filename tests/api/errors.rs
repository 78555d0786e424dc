use crate::backend_test;
use crate::helpers::TestApp;
use reqwest::Method;

backend_test!(an_unknown_route_is_a_stripe_shaped_404, |app| {
    let r = app.get("/v1/nothing_here").await;
    r.error(404, Some("resource_missing"), None);
    assert!(r.header("request-id").unwrap().starts_with("req_"));
    let r = TestApp::send(app.req(Method::GET, "/not/even/v1")).await;
    r.error(404, Some("resource_missing"), None);
});

backend_test!(a_wrong_method_is_a_stripe_shaped_405, |app| {
    let r = TestApp::send(app.req(Method::PUT, "/v1/customers").bearer_auth(&app.keys.sk)).await;
    r.error(405, Some("method_not_allowed"), None);
    assert!(r.header("request-id").unwrap().starts_with("req_"));
});

backend_test!(every_response_carries_a_request_id, |app| {
    for r in [
        app.get("/v1/customers").await,
        app.get("/v1/customers/cus_nope").await,
        TestApp::send(app.req(Method::GET, "/v1/customers")).await,
        TestApp::send(app.req(Method::GET, "/healthz")).await,
    ] {
        let id = r.header("request-id").unwrap();
        assert!(id.starts_with("req_") && id.len() > 10, "{id}");
    }
});

backend_test!(a_body_that_is_not_utf8_is_a_400, |app| {
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"name=%ff%fe".to_vec()),
    )
    .await;
    r.error(400, Some("parameter_invalid"), None);
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/json")
            .body(vec![b'{', 0xff, b'}']),
    )
    .await;
    r.error(400, Some("parameter_invalid"), None);
});

backend_test!(malformed_and_wrongly_typed_json_is_a_400, |app| {
    let send = |body: &'static str| {
        TestApp::send(
            app.req(Method::POST, "/v1/customers")
                .bearer_auth(&app.keys.sk)
                .header("content-type", "application/json")
                .body(body),
        )
    };
    send("{not json").await.error(400, Some("parameter_invalid"), None);
    send("[1,2,3]").await.error(400, Some("parameter_invalid"), None);
    send("\"just a string\"").await.error(400, Some("parameter_invalid"), None);
    send(r#"{"email": 42}"#).await.error(400, Some("parameter_invalid_string"), Some("email"));
    send(r#"{"balance": "ten"}"#).await.error(400, Some("parameter_invalid_integer"), Some("balance"));
    send(r#"{"balance": 1.5}"#).await.error(400, Some("parameter_invalid_integer"), Some("balance"));
    send(r#"{"metadata": ["a"]}"#).await.error(400, Some("parameter_invalid"), Some("metadata"));
    send(r#"{"address": "Oslo"}"#).await.error(400, Some("parameter_invalid"), Some("address"));
    let ok = send(r#"{"email": "j@x.io", "balance": "12", "metadata": {"a": "b"}}"#).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["balance"], 12);
});

backend_test!(deep_nesting_is_refused, |app| {
    let key = format!("metadata{}", "[a]".repeat(20));
    app.post("/v1/customers", &[(&key, "v")]).await.error(400, Some("parameter_invalid"), Some(&key));
    let json = format!("{{\"metadata\": {}{}}}", "{\"a\": ".repeat(200), "}".repeat(200));
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/json")
            .body(json),
    )
    .await;
    r.error(400, Some("parameter_invalid"), None);
    let json = format!("{{\"metadata\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/json")
            .body(json),
    )
    .await;
    r.error(400, Some("parameter_invalid"), None);
});

backend_test!(ten_thousand_parameters_are_refused_and_nothing_is_written, |app| {
    let many: Vec<String> = (0..10_000).map(|i| format!("metadata[k{i}]=v")).collect();
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(many.join("&")),
    )
    .await;
    r.error(400, Some("parameter_invalid"), None);
    assert!(app.get("/v1/customers").await.body["data"].as_array().unwrap().is_empty());
});

backend_test!(an_oversized_body_is_a_413, |app| {
    let big = format!("description={}", "x".repeat(1024 * 1024 + 10));
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big),
    )
    .await;
    r.error(413, Some("request_too_large"), None);
});

backend_test!(nul_characters_are_refused_not_stored, |app| {
    app.post("/v1/customers", &[("name", "a\0b")]).await.error(400, Some("parameter_invalid"), Some("name"));
    app.get("/v1/customers/cus_%00").await.error(404, Some("resource_missing"), Some("id"));
});
