//! Refunds: full and partial, never more than was paid.

use crate::backend_test;
use crate::helpers::{form, TestApp};
use reqwest::Method;

async fn paid_intent(app: &TestApp) -> String {
    let id = app.open_session().await;
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["payment_intent"].as_str().unwrap().to_owned()
}

backend_test!(refunds_are_full_or_partial_and_never_exceed_the_payment, |app| {
    let pi = paid_intent(&app).await;
    let r = app
        .post("/v1/refunds", &[("payment_intent", &pi), ("amount", "200"), ("reason", "requested_by_customer")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!((r.body["status"].as_str(), r.body["amount"].as_i64()), (Some("succeeded"), Some(200)));
    let rest = app.post(&format!("/v1/payment_intents/{pi}/refund"), &[]).await;
    assert_eq!(rest.body["amount"], 300, "the rest of the 500");
    app.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "1")]).await.error(
        400,
        Some("amount_too_large"),
        Some("amount"),
    );
    assert_eq!(app.get(&format!("/v1/payment_intents/{pi}")).await.body["amount_refunded"], 500);
    let listed = app.get(&format!("/v1/refunds?payment_intent={pi}")).await.body;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.events().await.iter().filter(|e| e["type"] == "refund.created").count(), 2);
    app.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "0")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
});

backend_test!(only_paid_intents_of_the_caller_can_be_refunded, |app| {
    app.post("/v1/refunds", &[]).await.error(400, Some("parameter_missing"), Some("payment_intent"));
    app.post("/v1/refunds", &[("payment_intent", "pi_nope")]).await.error(
        400,
        Some("resource_missing"),
        Some("payment_intent"),
    );
    let id = app.open_session().await;
    let declined = app.confirm(&id, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    let failed_pi = declined.body["error"]["payment_intent"]["id"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/payment_intents/{failed_pi}/refund"), &[]).await.error(
        400,
        Some("charge_not_refundable"),
        None,
    );
    let pi = paid_intent(&app).await;
    let other = app.other_account().await;
    app.post_as(&other.secret_key, &format!("/v1/payment_intents/{pi}/refund"), &[]).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
    app.post("/v1/refunds", &[("payment_intent", &pi), ("reason", "bored")]).await.error(
        400,
        Some("parameter_invalid_enum"),
        Some("reason"),
    );
});

backend_test!(racing_refunds_never_exceed_the_payment, |app| {
    let pi = paid_intent(&app).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let rb = app
            .req(Method::POST, "/v1/refunds")
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("payment_intent", &pi), ("amount", "200")]));
        tasks.push(tokio::spawn(TestApp::send(rb)));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 2, "500 holds two refunds of 200");
    assert_eq!(app.get(&format!("/v1/payment_intents/{pi}")).await.body["amount_refunded"], 400);
});
