//! Issue 17: Stripe's charge limits at every step that sets a session's
//! total, a deleted coupon's discount kept, and bad amounts named.

use serde_json::Value;

use crate::backend_test;
use crate::helpers::{Res, TestApp};

/// A session of one `price_data` line, plus `extra`.
async fn one_line(app: &TestApp, currency: &str, unit: &str, extra: &[(&str, &str)]) -> Res {
    let mut pairs = vec![
        ("line_items[0][price_data][currency]", currency),
        ("line_items[0][price_data][unit_amount]", unit),
        ("line_items[0][price_data][product_data][name]", "thing"),
        ("line_items[0][quantity]", "1"),
    ];
    pairs.extend_from_slice(extra);
    app.session(&pairs).await
}

fn message(r: &Res) -> String {
    r.body["error"]["message"].as_str().unwrap_or_default().to_owned()
}

backend_test!(a_session_total_within_stripes_limits_per_currency, |app| {
    // (currency, total, refused with)
    let rows: &[(&str, &str, Option<&str>)] = &[
        ("usd", "49", Some("amount_too_small")),
        ("usd", "50", None),
        ("usd", "99999999", None),
        ("usd", "100000000", Some("amount_too_large")),
        ("eur", "49", Some("amount_too_small")),
        ("gbp", "29", Some("amount_too_small")),
        ("gbp", "30", None),
        ("jpy", "49", Some("amount_too_small")),
        ("jpy", "50", None),
        ("mxn", "999", Some("amount_too_small")),
        ("mxn", "1000", None),
        ("kwd", "1", None),
        ("kwd", "100000000", Some("amount_too_large")),
    ];
    for (currency, total, refused) in rows {
        let r = one_line(&app, currency, total, &[]).await;
        match refused {
            None => assert_eq!((r.status, r.body["amount_total"].to_string()), (200, total.to_string()), "{currency}"),
            Some(code) => {
                r.error(400, Some(code), Some("line_items"));
            }
        }
    }
    let small = one_line(&app, "usd", "10", &[]).await;
    assert!(message(&small).contains("at least 0.50 usd"), "{}", small.body);
    let large = one_line(&app, "usd", "100000000", &[]).await;
    assert!(message(&large).contains("no more than 999999.99 usd"), "{}", large.body);
    // Nothing to pay is allowed: a free line, or a 100 % discount.
    assert_eq!(one_line(&app, "usd", "0", &[]).await.status, 200);
    let all = app.post("/v1/coupons", &[("percent_off", "100")]).await.body["id"].as_str().unwrap().to_owned();
    let r = one_line(&app, "usd", "1000", &[("discounts[0][coupon]", all.as_str())]).await;
    assert_eq!((r.status, r.body["amount_total"].as_i64()), (200, Some(0)), "{}", r.body);
    // Shipping counts: 99,999,000 + 1,000 is over.
    let at = "shipping_options[0][shipping_rate_data]";
    let ship = [
        (format!("{at}[display_name]"), "Post"),
        (format!("{at}[type]"), "fixed_amount"),
        (format!("{at}[fixed_amount][amount]"), "1000"),
        (format!("{at}[fixed_amount][currency]"), "usd"),
    ];
    let ship: Vec<(&str, &str)> = ship.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    one_line(&app, "usd", "99999000", &ship).await.error(400, Some("amount_too_large"), Some("line_items"));
});

backend_test!(a_merchants_update_is_held_to_the_limits, |app| {
    let s = one_line(&app, "usd", "500", &[("expand[]", "line_items")]).await.body;
    let (id, li) = (s["id"].as_str().unwrap(), s["line_items"]["data"][0]["id"].as_str().unwrap());
    let path = format!("/v1/checkout/sessions/{id}");
    app.post(&path, &[("line_items[0][id]", li), ("line_items[0][quantity]", "200000")]).await.error(
        400,
        Some("amount_too_large"),
        Some("line_items"),
    );
    let ok = app.post(&path, &[("line_items[0][id]", li), ("line_items[0][quantity]", "3")]).await;
    assert_eq!((ok.status, ok.body["amount_total"].as_i64()), (200, Some(1500)), "{}", ok.body);
    // Metadata alone never trips a limit.
    assert_eq!(app.post(&path, &[("metadata[k]", "v")]).await.status, 200);
});

/// An embedded session: a custom-amount price (no bounds, no preset) and a
/// line of `fixed`, plus `extra`; returns the session (line items expanded).
async fn embedded(app: &TestApp, fixed: &str, extra: &[(&str, &str)]) -> Value {
    let prod = app.post("/v1/products", &[("name", "Tip")]).await.body["id"].as_str().unwrap().to_owned();
    let custom = app
        .post("/v1/prices", &[("product", prod.as_str()), ("currency", "usd"), ("custom_unit_amount[enabled]", "true")])
        .await;
    let mut pairs = vec![
        ("mode", "payment"),
        ("ui_mode", "embedded_page"),
        ("return_url", "https://shop.example/back"),
        ("line_items[0][price]", custom.body["id"].as_str().unwrap()),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][price_data][currency]", "usd"),
        ("line_items[1][price_data][unit_amount]", fixed),
        ("line_items[1][price_data][product_data][name]", "Book"),
        ("line_items[1][quantity]", "1"),
        ("expand[]", "line_items"),
    ];
    pairs.extend_from_slice(extra);
    let r = app.post("/v1/checkout/sessions", &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn buyer(app: &TestApp, s: &Value, pairs: &[(&str, &str)]) -> Res {
    let mut all = vec![("client_secret", s["client_secret"].as_str().unwrap())];
    all.extend_from_slice(pairs);
    app.post_as(&app.keys.pk, &format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap()), &all).await
}

backend_test!(the_buyers_changes_and_the_confirm_are_held_to_the_limits, |app| {
    let s = embedded(&app, "1000", &[("allow_promotion_codes", "true")]).await;
    // 99,999,999 is the custom amount's own bound; with the other line, the
    // total is over.
    buyer(&app, &s, &[("amount", "99999999")]).await.error(400, Some("amount_too_large"), Some("amount"));
    let c = app.post("/v1/coupons", &[("amount_off", "990"), ("currency", "usd")]).await.body["id"].clone();
    let r = app.post("/v1/promotion_codes", &[("code", "ALMOST"), ("coupon", c.as_str().unwrap())]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // 1,000 − 990 = 10 is under the minimum charge.
    buyer(&app, &s, &[("promotion_code", "ALMOST")]).await.error(400, Some("amount_too_small"), Some("promotion_code"));
    let id = s["id"].as_str().unwrap();
    app.confirm(id, &[("payment_method", "pm_card_visa"), ("promotion_code", "ALMOST")]).await.error(
        400,
        Some("amount_too_small"),
        Some("promotion_code"),
    );
    app.confirm(id, &[("payment_method", "pm_card_visa"), ("amount", "99999999")]).await.error(
        400,
        Some("amount_too_large"),
        Some("amount"),
    );
    let ok = buyer(&app, &s, &[("amount", "500")]).await;
    assert_eq!((ok.status, ok.body["amount_total"].as_i64()), (200, Some(1500)), "{}", ok.body);
});

backend_test!(a_deleted_coupon_keeps_the_discount_already_applied, |app| {
    let c = app.post("/v1/coupons", &[("percent_off", "10")]).await.body["id"].as_str().unwrap().to_owned();
    let s = embedded(&app, "1000", &[("discounts[0][coupon]", c.as_str())]).await;
    assert_eq!(s["amount_total"], 900, "{s}");
    assert_eq!(app.delete(&format!("/v1/coupons/{c}")).await.status, 200);
    let r = buyer(&app, &s, &[("amount", "500")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["total_details"]["amount_discount"].as_i64(), r.body["amount_total"].as_i64()),
        (Some(100), Some(1400)),
        "{}",
        r.body
    );
    assert_eq!(r.body["discounts"][0]["coupon"], c.as_str());
    // The merchant's change of the lines keeps it too.
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let lines = s["line_items"]["data"].as_array().unwrap();
    let (custom, book) = (lines[0]["id"].as_str().unwrap(), lines[1]["id"].as_str().unwrap());
    let r = app
        .post(&path, &[("line_items[0][id]", custom), ("line_items[1][id]", book), ("line_items[1][quantity]", "2")])
        .await;
    assert_eq!((r.status, r.body["total_details"]["amount_discount"].as_i64()), (200, Some(200)), "{}", r.body);
    assert!(r.body.get("applied_coupon").is_none(), "kept privately");
});

backend_test!(bad_amounts_are_named, |app| {
    let r = app.post("/v1/coupons", &[("percent_off", "12.345")]).await;
    r.error(400, Some("parameter_invalid"), Some("percent_off"));
    assert!(message(&r).contains("two decimal places"), "{}", r.body);
    assert_eq!(app.post("/v1/coupons", &[("percent_off", "12.50")]).await.status, 200, "trailing zeros are fine");
    let r =
        app.post("/v1/tax_rates", &[("display_name", "VAT"), ("inclusive", "false"), ("percentage", "8.12345")]).await;
    r.error(400, Some("parameter_invalid"), Some("percentage"));
    assert!(message(&r).contains("four decimal places"), "{}", r.body);
    let prod = app.post("/v1/products", &[("name", "Bolt")]).await.body["id"].as_str().unwrap().to_owned();
    for (d, says) in [("0.1234567890123", "12 decimal places"), ("123456789012345678", "10^16"), ("1.2.3", "decimal")] {
        let r = app
            .post("/v1/prices", &[("product", prod.as_str()), ("currency", "usd"), ("unit_amount_decimal", d)])
            .await;
        r.error(400, Some("parameter_invalid"), Some("unit_amount_decimal"));
        let m = message(&r);
        assert!(m.contains("unit_amount_decimal") && m.contains(says) && !m.contains("redacted"), "{d}: {m}");
    }
    // Past i64 in a line, or in the sum of lines: a 400 naming where.
    let big = i64::MAX.to_string();
    let mut pairs = vec![
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", big.as_str()),
        ("line_items[0][price_data][product_data][name]", "x"),
        ("line_items[0][quantity]", "2"),
    ];
    app.session(&pairs).await.error(400, Some("amount_too_large"), Some("line_items[0][quantity]"));
    pairs[3].1 = "1";
    pairs.extend([
        ("line_items[1][price_data][currency]", "usd"),
        ("line_items[1][price_data][unit_amount]", big.as_str()),
        ("line_items[1][price_data][product_data][name]", "y"),
        ("line_items[1][quantity]", "1"),
    ]);
    app.session(&pairs).await.error(400, Some("amount_too_large"), Some("line_items"));
});
