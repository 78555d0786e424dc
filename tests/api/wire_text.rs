//! A response that expands nothing is written straight from the object
//! (`domain::wire`); one with `expand[]` is built as a JSON tree. Expanding
//! a field that is `null` changes nothing, so the two must say the same, for
//! a retrieve, a list, a confirm's answer and an object stored as its wire
//! form.

use crate::backend_test;
use crate::helpers::TestApp;

/// The same GET without and with `expand[]` of a field that is `null`.
async fn same_either_way(app: &TestApp, path: &str, null_field: &str) -> serde_json::Value {
    let plain = app.get(path).await;
    assert_eq!(plain.status, 200, "{}", plain.body);
    let sep = if path.contains('?') { '&' } else { '?' };
    let tree = app.get(&format!("{path}{sep}expand[]={null_field}")).await;
    assert_eq!(tree.status, 200, "{}", tree.body);
    assert_eq!(plain.body, tree.body, "{path}");
    plain.body
}

backend_test!(text_and_tree_answers_say_the_same, |app| {
    let id = app.open_session().await;
    let open = same_either_way(&app, &format!("/v1/checkout/sessions/{id}"), "customer").await;
    assert!(open["customer"].is_null() && open["is_payment_required"] == true, "{open}");
    // Stored lean (no `null` fields), shown whole.
    let scope = kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let stored = app.store.get_object(&scope, &id).await.unwrap().expect("stored").text.into_string().unwrap();
    assert!(!stored.contains(r#""customer":null"#) && open.as_object().unwrap().contains_key("customer"), "{stored}");
    assert!(open.get("line_items").is_none(), "{open}");
    let with_lines =
        same_either_way(&app, &format!("/v1/checkout/sessions/{id}?expand[]=line_items"), "customer").await;
    assert_eq!(with_lines["line_items"]["data"][0]["amount_total"], 500);
    same_either_way(&app, "/v1/checkout/sessions?limit=3", "data.customer").await;

    let paid = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let after = same_either_way(&app, &format!("/v1/checkout/sessions/{id}"), "customer").await;
    assert_eq!(paid.body, after, "the confirm's answer is the session as stored");
    assert_eq!(after["status"], "complete");
    let pi = after["payment_intent"].as_str().expect("an intent").to_owned();
    let intent = same_either_way(&app, &format!("/v1/payment_intents/{pi}"), "customer").await;
    assert_eq!(intent["status"], "succeeded");

    let cus = app.post("/v1/customers", &[("email", "a@b.io")]).await;
    let cus_id = cus.body["id"].as_str().expect("a customer").to_owned();
    let shown = same_either_way(&app, &format!("/v1/customers/{cus_id}"), "default_source").await;
    assert_eq!(shown, cus.body);
    let listed = same_either_way(&app, "/v1/customers", "data.default_source").await;
    assert_eq!(listed["data"][0], cus.body);
});
