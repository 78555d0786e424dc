//! Charges: every card answer makes one, readable, listable and expandable,
//! and their events are recorded with the payment.

use serde_json::Value;

use crate::backend_test;
use crate::helpers::TestApp;

fn count(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["type"] == kind).count()
}

/// A session declined once, then paid; returns the paid session.
async fn declined_then_paid(app: &TestApp) -> Value {
    let id = app.open_session().await;
    let no = app.confirm(&id, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    assert_eq!(no.status, 402, "{}", no.body);
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

backend_test!(a_payment_makes_charges_that_read_list_and_expand, |app| {
    let s = declined_then_paid(&app).await;
    let pi = &s["payment_intent"];
    let pi_id = pi["id"].as_str().unwrap();
    let ch_id = pi["latest_charge"].as_str().unwrap();
    let ch = app.get(&format!("/v1/charges/{ch_id}")).await.body;
    assert_eq!((ch["object"].as_str(), ch["status"].as_str()), (Some("charge"), Some("succeeded")), "{ch}");
    assert_eq!((ch["amount"].clone(), ch["amount_captured"].clone()), (pi["amount"].clone(), pi["amount"].clone()));
    assert_eq!(
        (ch["captured"].as_bool(), ch["paid"].as_bool(), ch["refunded"].as_bool()),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!((ch["payment_intent"].as_str(), ch["amount_refunded"].as_i64()), (Some(pi_id), Some(0)));
    let card = &ch["payment_method_details"]["card"];
    assert_eq!((card["brand"].as_str(), card["last4"].as_str()), (Some("visa"), Some("4242")), "{ch}");
    assert_eq!(ch["outcome"]["type"], "authorized");
    assert_eq!(ch["refunds"]["object"], "list");

    // Both tries are charges: the decline as a failed one.
    let list = app.get(&format!("/v1/charges?payment_intent={pi_id}")).await.body;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{list}");
    assert_eq!((data[0]["id"].as_str(), data[1]["status"].as_str()), (Some(ch_id), Some("failed")));
    assert_eq!((data[1]["failure_code"].as_str(), data[1]["paid"].as_bool()), (Some("card_declined"), Some(false)));
    assert_eq!(data[1]["outcome"]["reason"], "generic_decline");
    let since = app.get(&format!("/v1/charges?created[gt]={}", crate::helpers::START)).await.body;
    assert_eq!(since["data"].as_array().unwrap().len(), 0);
    app.get("/v1/charges?status=succeeded").await.error(400, Some("parameter_unknown"), Some("status"));

    let expanded = app.get(&format!("/v1/payment_intents/{pi_id}?expand[]=latest_charge")).await.body;
    assert_eq!(expanded["latest_charge"]["id"], ch_id);
    assert_eq!(expanded["latest_charge"]["captured"], true);

    let events = app.events().await;
    assert_eq!((count(&events, "charge.succeeded"), count(&events, "charge.failed")), (1, 1));
    assert_eq!((count(&events, "payment_intent.succeeded"), count(&events, "payment_intent.payment_failed")), (1, 1));
    let failed = events.iter().find(|e| e["type"] == "charge.failed").unwrap();
    assert_eq!(failed["data"]["object"]["id"], data[1]["id"]);
    app.get("/v1/charges/ch_nope").await.error(404, Some("resource_missing"), Some("id"));
});

backend_test!(a_customers_charges_are_listed_by_customer, |app| {
    let cus = app.customer(&[("email", "a@example.com")]).await;
    let s = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("customer", &cus),
        ])
        .await;
    let r = app.confirm(s.body["id"].as_str().unwrap(), &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    declined_then_paid(&app).await;
    let mine = app.get(&format!("/v1/charges?customer={cus}")).await.body;
    let data = mine["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{mine}");
    assert_eq!((data[0]["customer"].as_str(), data[0]["amount"].as_i64()), (Some(cus.as_str()), Some(500)));
    assert_eq!(app.get("/v1/charges?limit=100").await.body["data"].as_array().unwrap().len(), 3);
});

backend_test!(a_refund_shows_on_its_charge_and_in_charge_refunded, |app| {
    let s = declined_then_paid(&app).await;
    let pi_id = s["payment_intent"]["id"].as_str().unwrap();
    let ch_id = s["payment_intent"]["latest_charge"].as_str().unwrap();
    let r = app.post("/v1/refunds", &[("payment_intent", pi_id), ("amount", "300")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ch = app.get(&format!("/v1/charges/{ch_id}")).await.body;
    assert_eq!((ch["amount_refunded"].as_i64(), ch["refunded"].as_bool()), (Some(300), Some(false)), "{ch}");
    assert_eq!(ch["refunds"]["data"][0]["id"], r.body["id"]);
    let events = app.events().await;
    let refunded = events.iter().find(|e| e["type"] == "charge.refunded").unwrap();
    assert_eq!(refunded["data"]["object"]["id"], ch_id);
    assert_eq!(refunded["data"]["object"]["amount_refunded"], 300);
});

backend_test!(a_charges_description_and_metadata_can_be_updated, |app| {
    let s = declined_then_paid(&app).await;
    let ch_id = s["payment_intent"]["latest_charge"].as_str().unwrap();
    let path = format!("/v1/charges/{ch_id}");
    let r = app.post(&path, &[("description", "Order 7"), ("metadata[order]", "7")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["description"].as_str(), r.body["metadata"]["order"].as_str()), (Some("Order 7"), Some("7")));
    assert_eq!(r.body["captured"], true, "the update answers the charge as it is now");
    let again = app.get(&path).await.body;
    assert_eq!(again["description"], "Order 7");
    let events = app.events().await;
    assert_eq!(count(&events, "charge.updated"), 1);
    app.post(&path, &[("amount", "1")]).await.error(400, Some("parameter_unknown"), Some("amount"));
    app.post("/v1/charges/ch_nope", &[("description", "x")]).await.error(404, Some("resource_missing"), Some("id"));
});
