//! `charge_when_due`: the worker charges due contracts once, and tells the
//! merchant how it went.

use crate::backend_test;
use crate::helpers::TestApp;
use crate::sessions::OK_URL;
use serde_json::Value;

/// A customer with a saved card (through a setup-mode session).
async fn saver(app: &TestApp, number: &str) -> String {
    let s = app
        .post("/v1/checkout/sessions", &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)])
        .await
        .body;
    let r = app
        .confirm(
            s["id"].as_str().unwrap(),
            &[
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", number),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2031"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["customer"].as_str().unwrap().to_owned()
}

async fn when_due(app: &TestApp, customer: &str) -> Value {
    let s = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "4200"),
            ("line_items[0][price_data][product_data][name]", "Plan"),
            ("line_items[0][quantity]", "1"),
            ("customer", customer),
        ])
        .await
        .body;
    let r =
        app.confirm(s["id"].as_str().unwrap(), &[("confirmation", "charge_when_due"), ("days_until_due", "7")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn count(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["type"] == kind).count()
}

backend_test!(a_due_charge_is_made_once_and_reported, |app| {
    let cus = saver(&app, "4242424242424242").await;
    let s = when_due(&app, &cus).await;
    assert_eq!(kassa::worker::due_charges::charge_due(&app.state).await.unwrap(), 0, "not due yet");
    app.clock.advance(7 * 86_400);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let state = app.state.clone();
            tokio::spawn(async move { kassa::worker::due_charges::charge_due(&state).await.unwrap() })
        })
        .collect();
    let mut total = 0;
    for r in runs {
        total += r.await.unwrap();
    }
    assert_eq!(total, 1, "charged exactly once");
    let id = s["id"].as_str().unwrap();
    let after = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!(after["payment_status"], "paid");
    let ctr = app.get(&format!("/v1/contracts/{}", s["contract"].as_str().unwrap())).await.body;
    assert_eq!(ctr["schedule"][0]["status"], "paid");
    let pi =
        app.get(&format!("/v1/payment_intents/{}", ctr["schedule"][0]["payment_intent"].as_str().unwrap())).await.body;
    assert_eq!((pi["status"].as_str(), pi["amount_received"].as_i64()), (Some("succeeded"), Some(4200)));
    let events = app.events().await;
    assert_eq!(count(&events, "checkout.session.async_payment_succeeded"), 1);
    assert_eq!(count(&events, "checkout.session.async_payment_failed"), 0);
});

backend_test!(a_failed_due_charge_is_reported_as_failed, |app| {
    let cus = saver(&app, "4000000000000341").await;
    let s = when_due(&app, &cus).await;
    app.clock.advance(8 * 86_400);
    assert_eq!(kassa::worker::due_charges::charge_due(&app.state).await.unwrap(), 1);
    let ctr = app.get(&format!("/v1/contracts/{}", s["contract"].as_str().unwrap())).await.body;
    assert_eq!(ctr["schedule"][0]["status"], "failed");
    let after = app.get(&format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap())).await.body;
    assert_eq!(after["payment_status"], "unpaid");
    let events = app.events().await;
    assert_eq!(count(&events, "checkout.session.async_payment_failed"), 1);
    assert_eq!(kassa::worker::due_charges::charge_due(&app.state).await.unwrap(), 0, "not retried by itself");
});
