//! Seed 003 puts `next_action` on the Checkout Session: while the buyer
//! must act, the session (the confirm's answer, a retrieve, a list) carries
//! its PaymentIntent's `next_action`; otherwise `null`.

use serde_json::Value;

use crate::backend_test;
use crate::gateway::{gateway, route, session_on, Mode};
use crate::helpers::TestApp;
use crate::three_ds::{answer, client, start};

/// The session as retrieved and as listed, raw.
async fn both_views(app: &TestApp, id: &str) -> (Value, Value) {
    let one = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    let list = app.get("/v1/checkout/sessions?limit=100").await.body;
    let listed = list["data"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
    (one, listed)
}

async fn assert_next_action(app: &TestApp, id: &str, want: &Value) {
    let (one, listed) = both_views(app, id).await;
    assert!(one.as_object().unwrap().contains_key("next_action"), "{one}");
    assert_eq!(&one["next_action"], want, "retrieve");
    assert_eq!(&listed["next_action"], want, "list");
}

backend_test!(a_challenge_shows_on_the_session_until_it_is_answered, |app| {
    let (id, pi) = start(&app, "4000000000003220").await;
    let na = pi["next_action"].clone();
    assert_eq!(na["three_d_secure"]["flow"], "challenge");
    let confirm_answer = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!(confirm_answer["next_action"], na);
    assert_next_action(&app, &id, &na).await;
    let url = na["three_d_secure"]["challenge_url"].as_str().unwrap();
    assert_eq!(answer(url, "succeed").await.status, 302);
    assert_next_action(&app, &id, &Value::Null).await;
    assert_eq!(app.session_doc(&id).await["status"], "complete");
});

backend_test!(the_confirm_answer_itself_carries_the_next_action, |app| {
    let id = app.open_session().await;
    let r =
        app.confirm(&id, &[("payment_method", "pm_card_threeDSecure2Required"), ("expand[]", "payment_intent")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["next_action"], r.body["payment_intent"]["next_action"]);
    assert_eq!(r.body["next_action"]["type"], "three_d_secure");
    // A plain payment never has one.
    let plain = app.open_session().await;
    let r = app.confirm(&plain, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(r.body["next_action"], Value::Null, "{}", r.body);
});

backend_test!(a_failed_challenge_clears_the_sessions_next_action, |app| {
    let (id, pi) = start(&app, "4000002760003184").await;
    assert_next_action(&app, &id, &pi["next_action"]).await;
    let url = pi["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap();
    answer(url, "fail").await;
    assert_next_action(&app, &id, &Value::Null).await;
});

backend_test!(the_method_flow_shows_then_clears_and_frictionless_has_none, |app| {
    let (id, pi) = start(&app, "4000000000003063").await;
    assert_eq!(pi["next_action"]["three_d_secure"]["flow"], "method");
    assert_next_action(&app, &id, &pi["next_action"]).await;
    let url = pi["next_action"]["three_d_secure"]["method_url"].as_str().unwrap();
    assert_eq!(TestApp::send(client().get(url)).await.status, 200);
    assert_next_action(&app, &id, &Value::Null).await;
    let (quiet, _) = start(&app, "4000000000003055").await;
    assert_next_action(&app, &quiet, &Value::Null).await;
});

backend_test!(a_gateways_own_challenge_shows_on_the_session, |app| {
    let (url, _) = gateway(Mode::Challenge).await;
    let route = route(&app, &[&url]).await;
    let id = session_on(&app, &route).await;
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let na = r.body["payment_intent"]["next_action"].clone();
    assert_eq!(na["three_d_secure"]["challenge_url"], "https://acs.example/challenge/1");
    assert_eq!(r.body["next_action"], na);
    assert_next_action(&app, &id, &na).await;
});
