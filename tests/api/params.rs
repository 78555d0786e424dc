use crate::backend_test;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

backend_test!(form_json_and_query_strings_give_the_same_params, |app| {
    let form = app
        .post(
            "/v1/customers",
            &[("email", "f@x.io"), ("metadata[a]", "1"), ("preferred_locales[]", "en"), ("preferred_locales[]", "fr")],
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.body["preferred_locales"], json!(["en", "fr"]));
    let json = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .json(&json!({"email": "f@x.io", "metadata": {"a": "1"}, "preferred_locales": ["en", "fr"]})),
    )
    .await;
    assert_eq!(json.status, 200, "{}", json.body);
    for f in ["email", "metadata", "preferred_locales", "address"] {
        assert_eq!(form.body[f], json.body[f], "{f}");
    }
    let q = app.get("/v1/customers?limit=1&email=f%40x.io").await;
    assert_eq!(q.body["data"].as_array().unwrap().len(), 1);
});

backend_test!(indexed_arrays_keep_their_index_order, |app| {
    let r = app
        .post(
            "/v1/customers",
            &[("preferred_locales[1]", "fr"), ("preferred_locales[0]", "en"), ("preferred_locales[10]", "de")],
        )
        .await;
    assert_eq!(r.body["preferred_locales"], json!(["en", "fr", "de"]));
});

backend_test!(unknown_parameters_are_named_in_bracket_form, |app| {
    app.post("/v1/customers", &[("nickname", "x")]).await.error(400, Some("parameter_unknown"), Some("nickname"));
    app.post("/v1/customers", &[("shipping[name]", "n"), ("shipping[address][moon]", "x")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("shipping[address][moon]"),
    );
    app.post(
        "/v1/customers",
        &[
            ("invoice_settings[custom_fields][0][name]", "n"),
            ("invoice_settings[custom_fields][0][value]", "v"),
            ("invoice_settings[custom_fields][0][x]", "v"),
        ],
    )
    .await
    .error(400, Some("parameter_unknown"), Some("invoice_settings[custom_fields][0][x]"));
    let id = app.customer(&[]).await;
    app.get(&format!("/v1/customers/{id}?colour=red")).await.error(400, Some("parameter_unknown"), Some("colour"));
    let r = app.post("/v1/customers", &[("nickname", "x")]).await;
    assert_eq!(r.body["error"]["message"], "Received unknown parameter: nickname");
});

backend_test!(strings_coerce_where_the_type_asks, |app| {
    let r = app.post("/v1/customers", &[("balance", "12"), ("next_invoice_sequence", "3")]).await;
    assert_eq!(r.body["balance"], 12);
    assert_eq!(r.body["next_invoice_sequence"], 3);
    app.post("/v1/customers", &[("balance", "true")]).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("balance"),
    );
    app.post("/v1/customers", &[("balance", "99999999999999999999")]).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("balance"),
    );
});

backend_test!(conflicting_brackets_are_a_400, |app| {
    app.post("/v1/customers", &[("name", "a"), ("name[x]", "b")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("name[x]"),
    );
    app.post("/v1/customers", &[("]bad", "a")]).await.error(400, Some("parameter_invalid"), Some("]bad"));
});
