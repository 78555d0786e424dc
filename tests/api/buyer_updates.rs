//! The buyer's update before confirming (seed 002), with a publishable key
//! and the session's client secret; and the merchant's new shipping options.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::TestApp;

/// An embedded session that takes codes, a custom field, and two shipping
/// rates; returns (id, client_secret, [rate ids]).
async fn embedded(app: &TestApp) -> (String, String, Vec<String>) {
    let s = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "embedded_page"),
                ("return_url", "https://shop.example/back"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "2000"),
                ("line_items[0][price_data][product_data][name]", "x"),
                ("line_items[0][quantity]", "1"),
                ("allow_promotion_codes", "true"),
                ("custom_fields[0][key]", "po"),
                ("custom_fields[0][label][type]", "custom"),
                ("custom_fields[0][label][custom]", "PO number"),
                ("custom_fields[0][type]", "numeric"),
                ("custom_fields[0][numeric][minimum_length]", "3"),
                ("shipping_options[0][shipping_rate_data][display_name]", "Ground"),
                ("shipping_options[0][shipping_rate_data][type]", "fixed_amount"),
                ("shipping_options[0][shipping_rate_data][fixed_amount][amount]", "500"),
                ("shipping_options[0][shipping_rate_data][fixed_amount][currency]", "usd"),
                ("shipping_options[1][shipping_rate_data][display_name]", "Air"),
                ("shipping_options[1][shipping_rate_data][type]", "fixed_amount"),
                ("shipping_options[1][shipping_rate_data][fixed_amount][amount]", "1500"),
                ("shipping_options[1][shipping_rate_data][fixed_amount][currency]", "usd"),
            ],
        )
        .await
        .body;
    let rates = s["shipping_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["shipping_rate"].as_str().unwrap().to_owned())
        .collect();
    (s["id"].as_str().unwrap().to_owned(), s["client_secret"].as_str().unwrap().to_owned(), rates)
}

async fn code(app: &TestApp, code: &str, coupon_pairs: &[(&str, &str)], extra: &[(&str, &str)]) -> String {
    let c = app.post("/v1/coupons", coupon_pairs).await.body["id"].as_str().unwrap().to_owned();
    let mut pairs = vec![("code", code), ("coupon", c.as_str())];
    pairs.extend_from_slice(extra);
    let r = app.post("/v1/promotion_codes", &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

backend_test!(the_buyer_applies_a_code_fields_and_shipping_before_confirming, |app| {
    let (id, secret, rates) = embedded(&app).await;
    let promo = code(&app, "TENOFF", &[("amount_off", "1000"), ("currency", "usd")], &[]).await;
    let pk = app.keys.pk.clone();
    let path = format!("/v1/checkout/sessions/{id}");
    let r = app
        .post_as(
            &pk,
            &path,
            &[
                ("client_secret", &secret),
                ("discount_code", "tenoff"),
                ("custom_fields[po]", "12345"),
                ("shipping_rate", &rates[1]),
                ("expand[]", "total_details.breakdown"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["discounts"][0]["promotion_code"], promo.as_str());
    assert_eq!(r.body["custom_fields"][0]["numeric"]["value"], "12345");
    assert_eq!(r.body["shipping_cost"]["shipping_rate"], rates[1].as_str());
    assert_eq!(
        (
            r.body["amount_subtotal"].as_i64(),
            r.body["total_details"]["amount_discount"].as_i64(),
            r.body["amount_total"].as_i64()
        ),
        (Some(2000), Some(1000), Some(2500)),
        "2000 − 1000 + 1500 shipping"
    );
    assert_eq!(r.body["total_details"]["breakdown"]["discounts"][0]["amount"], 1000);
    assert_eq!(r.body["client_secret"], secret.as_str());
    // Stored: the confirm needs none of it again, and charges that amount.
    let paid = app
        .post_as(
            &pk,
            &format!("{path}/confirm"),
            &[("client_secret", &secret), ("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")],
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["payment_intent"]["amount"], 2500);
    assert_eq!(paid.body["custom_fields"][0]["numeric"]["value"], "12345");
    assert_eq!(app.get(&format!("/v1/promotion_codes/{promo}")).await.body["times_redeemed"], 1);
});

backend_test!(a_code_can_be_replaced_and_removed_and_each_restriction_is_checked, |app| {
    let (id, secret, _) = embedded(&app).await;
    let pk = app.keys.pk.clone();
    let path = format!("/v1/checkout/sessions/{id}");
    code(&app, "HALF", &[("percent_off", "50")], &[]).await;
    code(
        &app,
        "BIGSPEND",
        &[("percent_off", "5")],
        &[("restrictions[minimum_amount]", "5000"), ("restrictions[minimum_amount_currency]", "usd")],
    )
    .await;
    code(&app, "GONE", &[("percent_off", "5")], &[("expires_at", &(crate::helpers::START + 10).to_string())]).await;
    let update = |pairs: Vec<(&'static str, String)>| {
        let (pk, path, secret, app) = (pk.clone(), path.clone(), secret.clone(), &app);
        async move {
            let mut all = vec![("client_secret", secret)];
            all.extend(pairs);
            let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_as(&pk, &path, &refs).await
        }
    };
    let r = update(vec![("promotion_code", "HALF".into())]).await;
    assert_eq!((r.status, r.body["amount_total"].as_i64()), (200, Some(1500)), "{}", r.body);
    update(vec![("promotion_code", "BIGSPEND".into())]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("promotion_code"),
    );
    update(vec![("discount_code", "NOSUCH".into())]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("discount_code"),
    );
    app.clock.advance(60);
    update(vec![("promotion_code", "GONE".into())]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("promotion_code"),
    );
    let kept = app.get(&path).await.body;
    assert_eq!(kept["amount_total"], 1500, "a refused code leaves the session as it was");
    let r = update(vec![("promotion_code", String::new())]).await;
    assert_eq!((r.body["discounts"].clone(), r.body["amount_total"].as_i64()), (json!([]), Some(2500)), "{}", r.body);
});

backend_test!(a_client_update_needs_the_secret_and_only_takes_buyer_fields, |app| {
    let (id, secret, _) = embedded(&app).await;
    let (other, _, _) = embedded(&app).await;
    let other_secret =
        app.get(&format!("/v1/checkout/sessions/{other}")).await.body["client_secret"].as_str().unwrap().to_owned();
    let pk = app.keys.pk.clone();
    let path = format!("/v1/checkout/sessions/{id}");
    app.post_as(&pk, &path, &[("custom_fields[po]", "123")]).await.error(
        400,
        Some("parameter_missing"),
        Some("client_secret"),
    );
    app.post_as(&pk, &path, &[("client_secret", &other_secret), ("custom_fields[po]", "123")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("client_secret"),
    );
    app.post_as(&pk, &path, &[("client_secret", &secret), ("metadata[a]", "b")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("metadata"),
    );
    app.post_as(&pk, &path, &[("client_secret", &secret), ("custom_fields[nope]", "1")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("custom_fields[nope]"),
    );
    app.post_as(&pk, &path, &[("client_secret", &secret), ("custom_fields[po]", "12")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("custom_fields[po]"),
    );
    app.post_as(&pk, &path, &[("client_secret", &secret), ("amount", "900")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
    app.post_as(&pk, &path, &[("client_secret", &secret), ("shipping_rate", "shr_nope")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("shipping_rate"),
    );
    app.post_as(&pk, &path, &[("client_secret", &secret), ("promotion_code", "A"), ("discount_code", "B")])
        .await
        .error(400, Some("parameters_exclusive"), Some("discount_code"));
    // A required field left empty is fine until confirm, which names it.
    let r = app.post_as(&pk, &path, &[("client_secret", &secret), ("custom_fields[po]", "")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.post_as(&pk, &format!("{path}/confirm"), &[("client_secret", &secret), ("payment_method", "pm_card_visa")])
        .await
        .error(400, Some("parameter_missing"), Some("custom_fields[po]"));
    // A closed session takes no more changes.
    app.post(&format!("{path}/expire"), &[]).await;
    app.post_as(&pk, &path, &[("client_secret", &secret), ("custom_fields[po]", "123")]).await.error(
        400,
        Some("checkout_session_not_open"),
        None,
    );
});

backend_test!(a_merchant_discount_cannot_be_removed_by_the_buyer, |app| {
    let c = app.post("/v1/coupons", &[("percent_off", "10")]).await.body["id"].as_str().unwrap().to_owned();
    let s = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "elements"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "1000"),
                ("line_items[0][price_data][product_data][name]", "x"),
                ("line_items[0][quantity]", "1"),
                ("discounts[0][coupon]", &c),
            ],
        )
        .await
        .body;
    let (id, secret) = (s["id"].as_str().unwrap(), s["client_secret"].as_str().unwrap());
    let path = format!("/v1/checkout/sessions/{id}");
    app.post_as(&app.keys.pk, &path, &[("client_secret", secret), ("promotion_code", "")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("promotion_code"),
    );
    app.post_as(&app.keys.pk, &path, &[("client_secret", secret), ("promotion_code", "X")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("promotion_code"),
    );
});

fn rate_pairs(i: usize, name: &str, amount: &str) -> Vec<(String, String)> {
    let p = format!("shipping_options[{i}][shipping_rate_data]");
    vec![
        (format!("{p}[display_name]"), name.to_owned()),
        (format!("{p}[type]"), "fixed_amount".to_owned()),
        (format!("{p}[fixed_amount][amount]"), amount.to_owned()),
        (format!("{p}[fixed_amount][currency]"), "usd".to_owned()),
    ]
}

backend_test!(the_merchant_replaces_and_removes_shipping_options_and_line_updates_keep_shipping, |app| {
    let (id, _, _) = embedded(&app).await;
    let path = format!("/v1/checkout/sessions/{id}");
    let mut pairs = rate_pairs(0, "Courier", "900");
    pairs.extend(rate_pairs(1, "Pickup", "0"));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.post(&path, &refs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["shipping_options"].as_array().unwrap().len(), 2);
    assert_eq!(
        (r.body["shipping_cost"]["amount_total"].as_i64(), r.body["amount_total"].as_i64()),
        (Some(900), Some(2900))
    );
    let lines = app
        .post(
            &path,
            &[
                (
                    "line_items[0][id]",
                    app.get(&format!("{path}/line_items")).await.body["data"][0]["id"].as_str().unwrap(),
                ),
                ("line_items[0][quantity]", "2"),
            ],
        )
        .await;
    assert_eq!(lines.status, 200, "{}", lines.body);
    assert_eq!(
        (
            lines.body["amount_subtotal"].as_i64(),
            lines.body["total_details"]["amount_shipping"].as_i64(),
            lines.body["amount_total"].as_i64()
        ),
        (Some(4000), Some(900), Some(4900))
    );
    let none = app.post(&path, &[("shipping_options", "")]).await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(
        (none.body["shipping_options"].clone(), none.body["shipping_cost"].clone(), none.body["amount_total"].as_i64()),
        (json!([]), Value::Null, Some(4000))
    );
    let bad = rate_pairs(0, "Euro", "100")
        .into_iter()
        .map(|(k, v)| if v == "usd" { (k, "eur".to_owned()) } else { (k, v) })
        .collect::<Vec<_>>();
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post(&path, &refs).await.error(400, Some("parameter_invalid"), Some("shipping_options[0][shipping_rate]"));
});
