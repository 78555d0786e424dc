//! A gateway's decline text can echo the card (issue 16, defect 4): kassa
//! answers, stores and sends its own message, and keeps the gateway's only
//! scrubbed on the attempt.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::backend_test;

const PAN: &str = "4242424242424242";

/// A gateway that declines, echoing the card and its CVC in its message.
async fn echoing_gateway() -> String {
    let app = Router::new().route(
        "/authorize",
        post(|Json(body): Json<Value>| async move {
            let card = &body["card"];
            let text = format!("Declined card {} cvc {} exp 12/31", card["number"].as_str().unwrap(), card["cvc"].as_str().unwrap_or("-"));
            Json(json!({"status": "declined", "reference": "gw_d", "decline_code": "do_not_honor <script>", "message": text}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

backend_test!(a_gateways_decline_text_never_carries_the_card_anywhere, |app| {
    let url = echoing_gateway().await;
    let route = crate::gateway::route(&app, &[&url]).await;
    let id = crate::gateway::session_on(&app, &route).await;
    let card = [
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", PAN),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2031"),
        ("payment_method_data[card][cvc]", "987"),
    ];
    let r = app.confirm(&id, &card).await;
    let e = r.error(402, Some("card_declined"), None);
    assert_eq!(
        (e["message"].as_str(), e["decline_code"].as_str()),
        (Some("Your card was declined."), Some("generic_decline"))
    );
    let body = r.body.to_string();
    assert!(!body.contains(PAN) && !body.contains("987"), "{body}");
    let pi_id = e["payment_intent"]["id"].as_str().unwrap();
    let pi = app.get(&format!("/v1/payment_intents/{pi_id}")).await.body;
    assert_eq!(pi["last_payment_error"]["message"], "Your card was declined.");
    assert_eq!(pi["attempts"][0]["processor_message"], "Declined card [redacted] cvc [redacted] exp [redacted]");
    // Nothing stored or sent carries it: the intent, the charge, the events.
    let scope = kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let stored = app.store.get_object(&scope, pi_id).await.unwrap().unwrap().text.into_string().unwrap();
    let charges = app.get("/v1/charges").await.body.to_string();
    let events = serde_json::to_string(&app.events().await).unwrap();
    for text in [stored, charges, events] {
        assert!(!text.contains(PAN) && !text.contains("cvc 987"), "{text}");
    }
});
