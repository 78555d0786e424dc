use crate::backend_test;
use crate::helpers::TestApp;
use reqwest::Method;

backend_test!(a_missing_key_is_a_401, |app| {
    let r = TestApp::send(app.req(Method::GET, "/v1/customers")).await;
    r.error(401, None, None);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("did not provide an API key"));
});

backend_test!(an_unknown_key_is_a_401_that_shows_the_key_masked, |app| {
    let key = "sk_test_thisKeyDoesNotExist123456789wxyz";
    let r = app.get_as(key, "/v1/customers").await;
    r.error(401, None, None);
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("sk_test_…wxyz"), "{msg}");
    assert!(!msg.contains("thisKeyDoesNotExist"), "{msg}");
    let r = app.get_as("not-even-a-key", "/v1/customers").await;
    r.error(401, None, None);
});

backend_test!(bearer_and_basic_auth_both_work, |app| {
    let r = TestApp::send(app.req(Method::GET, "/v1/customers").basic_auth(&app.keys.sk, Some(""))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = TestApp::send(app.req(Method::GET, "/v1/customers").basic_auth(&app.keys.sk, None::<&str>)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get("/v1/customers").await;
    assert_eq!(r.status, 200);
    let r = TestApp::send(app.req(Method::GET, "/v1/customers").header("authorization", "Basic !!!")).await;
    r.error(401, None, None);
});

backend_test!(a_publishable_key_is_refused_on_secret_endpoints, |app| {
    let r = app.get_as(&app.keys.pk, "/v1/customers").await;
    r.error(401, None, None);
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("publishable") && msg.contains("kassa account create"), "{msg}");
    assert!(!msg.contains("/v1/keys"), "no such endpoint: {msg}");
    let r = app.post_as(&app.keys.pk, "/v1/customers", &[("email", "a@b.c")]).await;
    r.error(401, None, None);
});

backend_test!(two_accounts_cannot_see_each_others_customers, |app| {
    let mine = app.customer(&[("email", "me@x.io")]).await;
    let other = app.other_account().await;
    let theirs = app.post_as(&other.secret_key, "/v1/customers", &[("email", "them@x.io")]).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app.get_as(&other.secret_key, &format!("/v1/customers/{mine}")).await;
    r.error(404, Some("resource_missing"), Some("id"));
    let r = app.get(&format!("/v1/customers/{theirs}")).await;
    r.error(404, Some("resource_missing"), Some("id"));
    let r = app.post(&format!("/v1/customers/{theirs}"), &[("name", "x")]).await;
    r.error(404, Some("resource_missing"), Some("id"));
    let r = app.delete(&format!("/v1/customers/{theirs}")).await;
    r.error(404, Some("resource_missing"), Some("id"));

    let mine_list = app.get("/v1/customers").await.body;
    assert_eq!(mine_list["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine_list["data"][0]["id"], mine.as_str());
    let r = app.get(&format!("/v1/customers?starting_after={theirs}")).await;
    r.error(400, Some("resource_missing"), Some("starting_after"));
});

backend_test!(test_and_live_modes_cannot_see_each_other, |app| {
    let test_id = app.customer(&[("name", "t")]).await;
    let live = app.post_as(&app.keys.live_sk, "/v1/customers", &[("name", "l")]).await;
    assert_eq!(live.status, 200);
    assert_eq!(live.body["livemode"], true);
    let live_id = live.body["id"].as_str().unwrap();

    app.get_as(&app.keys.live_sk, &format!("/v1/customers/{test_id}")).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
    app.get(&format!("/v1/customers/{live_id}")).await.error(404, Some("resource_missing"), Some("id"));
    let live_list = app.get_as(&app.keys.live_sk, "/v1/customers").await.body;
    assert_eq!(live_list["data"].as_array().unwrap().len(), 1);
    assert_eq!(live_list["data"][0]["id"], live_id);
});

backend_test!(a_stripe_account_header_for_another_account_is_refused, |app| {
    let r = TestApp::send(
        app.req(Method::GET, "/v1/customers").bearer_auth(&app.keys.sk).header("stripe-account", "acct_someoneelse"),
    )
    .await;
    r.error(403, Some("account_invalid"), None);
    let r = TestApp::send(
        app.req(Method::GET, "/v1/customers").bearer_auth(&app.keys.sk).header("stripe-account", &app.keys.account_id),
    )
    .await;
    assert_eq!(r.status, 200);
});

backend_test!(api_versions_are_read_and_malformed_ones_rejected, |app| {
    let r = TestApp::send(
        app.req(Method::GET, "/v1/customers").bearer_auth(&app.keys.sk).header("stripe-version", "2025-03-31.basil"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = TestApp::send(
        app.req(Method::GET, "/v1/customers").bearer_auth(&app.keys.sk).header("stripe-version", "last-tuesday"),
    )
    .await;
    r.error(400, Some("api_version_invalid"), None);
});
