//! Shipping rates and a session's shipping options.

use crate::backend_test;
use crate::helpers::TestApp;
use crate::sessions::OK_URL;

async fn rate(app: &TestApp, amount: &str, currency: &str) -> String {
    let r = app
        .post(
            "/v1/shipping_rates",
            &[
                ("display_name", "Post"),
                ("type", "fixed_amount"),
                ("fixed_amount[amount]", amount),
                ("fixed_amount[currency]", currency),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

const LINE: [(&str, &str); 4] = [
    ("line_items[0][price_data][currency]", "usd"),
    ("line_items[0][price_data][unit_amount]", "1000"),
    ("line_items[0][price_data][product_data][name]", "x"),
    ("line_items[0][quantity]", "1"),
];

backend_test!(shipping_rates_are_created_updated_and_validated, |app| {
    let id = rate(&app, "500", "usd").await;
    assert!(id.starts_with("shr_"));
    let got = app.get(&format!("/v1/shipping_rates/{id}")).await.body;
    assert_eq!((got["fixed_amount"]["amount"].as_i64(), got["type"].as_str()), (Some(500), Some("fixed_amount")));
    assert_eq!(app.post(&format!("/v1/shipping_rates/{id}"), &[("active", "false")]).await.body["active"], false);
    assert_eq!(app.get("/v1/shipping_rates?active=false").await.body["data"].as_array().unwrap().len(), 1);
    app.post("/v1/shipping_rates", &[("fixed_amount[amount]", "1"), ("fixed_amount[currency]", "usd")]).await.error(
        400,
        Some("parameter_missing"),
        Some("display_name"),
    );
    app.post("/v1/shipping_rates", &[("display_name", "x")]).await.error(
        400,
        Some("parameter_missing"),
        Some("fixed_amount"),
    );
    app.post(
        "/v1/shipping_rates",
        &[("display_name", "x"), ("fixed_amount[amount]", "-1"), ("fixed_amount[currency]", "usd")],
    )
    .await
    .error(400, Some("parameter_invalid"), Some("fixed_amount[amount]"));
    app.post(
        "/v1/shipping_rates",
        &[("display_name", "x"), ("fixed_amount[amount]", "1"), ("fixed_amount[currency]", "zzz")],
    )
    .await
    .error(400, Some("parameter_invalid"), Some("fixed_amount[currency]"));
});

backend_test!(the_first_shipping_option_is_the_default_and_the_buyer_may_pick_another, |app| {
    let std = rate(&app, "500", "usd").await;
    let mut pairs = LINE.to_vec();
    pairs.extend([
        ("shipping_options[0][shipping_rate]", std.as_str()),
        ("shipping_options[1][shipping_rate_data][display_name]", "Express"),
        ("shipping_options[1][shipping_rate_data][type]", "fixed_amount"),
        ("shipping_options[1][shipping_rate_data][fixed_amount][amount]", "1500"),
        ("shipping_options[1][shipping_rate_data][fixed_amount][currency]", "usd"),
    ]);
    let r = app.session(&pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = &r.body;
    assert_eq!(s["shipping_options"].as_array().unwrap().len(), 2);
    assert_eq!((s["amount_subtotal"].as_i64(), s["amount_total"].as_i64()), (Some(1000), Some(1500)));
    assert_eq!(s["total_details"]["amount_shipping"], 500);
    assert_eq!(s["shipping_cost"]["shipping_rate"], std.as_str());
    let express = s["shipping_options"][1]["shipping_rate"].as_str().unwrap().to_owned();
    let id = s["id"].as_str().unwrap().to_owned();
    let expanded = app
        .get(&format!(
            "/v1/checkout/sessions/{id}?expand[]=shipping_cost.shipping_rate&expand[]=shipping_options.shipping_rate"
        ))
        .await
        .body;
    assert_eq!(expanded["shipping_cost"]["shipping_rate"]["display_name"], "Post");
    assert_eq!(expanded["shipping_options"][1]["shipping_rate"]["display_name"], "Express");
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("shipping_rate", "shr_other")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("shipping_rate"),
    );
    let done = app
        .confirm(
            &id,
            &[("payment_method", "pm_card_visa"), ("shipping_rate", &express), ("expand[]", "payment_intent")],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        (done.body["amount_total"].as_i64(), done.body["total_details"]["amount_shipping"].as_i64()),
        (Some(2500), Some(1500))
    );
    assert_eq!(done.body["payment_intent"]["amount_received"], 2500);
});

backend_test!(bad_shipping_options_name_their_param, |app| {
    let eur = rate(&app, "500", "eur").await;
    let mut pairs = LINE.to_vec();
    pairs.push(("shipping_options[0][shipping_rate]", eur.as_str()));
    app.session(&pairs).await.error(400, Some("parameter_invalid"), Some("shipping_options[0][shipping_rate]"));
    let mut pairs = LINE.to_vec();
    pairs.push(("shipping_options[0][shipping_rate]", "shr_nope"));
    app.session(&pairs).await.error(400, Some("resource_missing"), Some("shipping_options[0][shipping_rate]"));
    let usd = rate(&app, "5", "usd").await;
    let many: Vec<(String, String)> =
        (0..6).map(|i| (format!("shipping_options[{i}][shipping_rate]"), usd.clone())).collect();
    let mut pairs = LINE.to_vec();
    pairs.extend(many.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    app.session(&pairs).await.error(400, Some("parameter_invalid"), Some("shipping_options"));
    let setup = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "setup"),
                ("currency", "usd"),
                ("success_url", OK_URL),
                ("shipping_options[0][shipping_rate]", &usd),
            ],
        )
        .await;
    setup.error(400, Some("parameter_invalid"), Some("shipping_options"));
});
