//! Coupons and tax rates, and what they do to a session's amounts.

use crate::backend_test;
use crate::helpers::{TestApp, START};

async fn coupon(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let r = app.post("/v1/coupons", pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn tax(app: &TestApp, pct: &str, inclusive: &str) -> String {
    let r = app
        .post(
            "/v1/tax_rates",
            &[("display_name", "VAT"), ("percentage", pct), ("inclusive", inclusive), ("country", "DE")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

backend_test!(coupons_are_created_updated_listed_and_deleted, |app| {
    let r = app
        .post(
            "/v1/coupons",
            &[
                ("id", "SUMMER"),
                ("percent_off", "12.5"),
                ("duration", "repeating"),
                ("duration_in_months", "3"),
                ("max_redemptions", "10"),
                ("name", "Summer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = &r.body;
    assert_eq!(
        (c["id"].as_str(), c["object"].as_str(), c["percent_off"].as_f64()),
        (Some("SUMMER"), Some("coupon"), Some(12.5))
    );
    assert_eq!((c["valid"].as_bool(), c["times_redeemed"].as_i64()), (Some(true), Some(0)));
    assert!(c.get("percent_off_decimal").is_none());
    let fixed =
        coupon(&app, &[("amount_off", "500"), ("currency", "usd"), ("applies_to[products][0]", "prod_x")]).await;
    assert_eq!(app.get(&format!("/v1/coupons/{fixed}")).await.body["applies_to"]["products"][0], "prod_x");
    let up = app.post("/v1/coupons/SUMMER", &[("name", "Sommer")]).await;
    assert_eq!(up.body["name"], "Sommer");
    assert_eq!(app.get("/v1/coupons").await.body["data"].as_array().unwrap().len(), 2);
    let del = app.delete("/v1/coupons/SUMMER").await;
    assert_eq!(del.body["deleted"], true);
    let gone = app.get("/v1/coupons/SUMMER").await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(gone.body["error"]["type"], "invalid_request_error");
    assert_eq!(gone.body["error"]["code"], "resource_missing");
    assert_eq!(app.get("/v1/coupons").await.body["data"].as_array().unwrap().len(), 1);
    let soon = (START + 60).to_string();
    let ends = coupon(&app, &[("percent_off", "5"), ("redeem_by", &soon)]).await;
    app.clock.advance(61);
    assert_eq!(app.get(&format!("/v1/coupons/{ends}")).await.body["valid"], false);
});

backend_test!(bad_coupons_name_their_param, |app| {
    app.post("/v1/coupons", &[("percent_off", "0")]).await.error(400, Some("parameter_invalid"), Some("percent_off"));
    app.post("/v1/coupons", &[("percent_off", "100.5")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("percent_off"),
    );
    app.post("/v1/coupons", &[("percent_off", "lots")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("percent_off"),
    );
    app.post("/v1/coupons", &[("amount_off", "500")]).await.error(400, Some("parameter_missing"), Some("currency"));
    app.post("/v1/coupons", &[("amount_off", "500"), ("percent_off", "5")]).await.error(
        400,
        Some("parameters_exclusive"),
        Some("amount_off"),
    );
    app.post("/v1/coupons", &[]).await.error(400, Some("parameter_missing"), Some("percent_off"));
    app.post("/v1/coupons", &[("percent_off", "5"), ("duration", "repeating")]).await.error(
        400,
        Some("parameter_missing"),
        Some("duration_in_months"),
    );
    app.post("/v1/coupons", &[("percent_off", "5"), ("id", "has space")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("id"),
    );
    app.post("/v1/coupons", &[("percent_off", "5"), ("redeem_by", "1")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("redeem_by"),
    );
});

backend_test!(tax_rates_are_created_updated_and_listed, |app| {
    let r = app
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "Sales tax"),
                ("percentage", "8.25"),
                ("inclusive", "false"),
                ("state", "CA"),
                ("tax_type", "sales_tax"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["id"].as_str().unwrap().starts_with("txr_"));
    assert_eq!((r.body["percentage"].as_f64(), r.body["inclusive"].as_bool()), (Some(8.25), Some(false)));
    let id = r.body["id"].as_str().unwrap();
    let up = app.post(&format!("/v1/tax_rates/{id}"), &[("active", "false")]).await;
    assert_eq!(up.body["active"], false);
    app.post(&format!("/v1/tax_rates/{id}"), &[("percentage", "9")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("percentage"),
    );
    assert_eq!(app.get("/v1/tax_rates?active=false").await.body["data"].as_array().unwrap().len(), 1);
    app.post("/v1/tax_rates", &[("display_name", "x"), ("inclusive", "true")]).await.error(
        400,
        Some("parameter_missing"),
        Some("percentage"),
    );
    app.post("/v1/tax_rates", &[("display_name", "x"), ("inclusive", "true"), ("percentage", "101")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("percentage"),
    );
    app.post(
        "/v1/tax_rates",
        &[("display_name", "x"), ("inclusive", "true"), ("percentage", "5"), ("tax_type", "magic")],
    )
    .await
    .error(400, Some("parameter_invalid_enum"), Some("tax_type"));
});

fn line<'a>(amount: &'a str, rate: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", amount),
        ("line_items[0][price_data][product_data][name]", "x"),
        ("line_items[0][quantity]", "1"),
    ];
    if let Some(r) = rate {
        v.push(("line_items[0][tax_rates][0]", r));
    }
    v
}

backend_test!(a_coupon_and_tax_rates_shape_the_session_amounts, |app| {
    let c = coupon(&app, &[("percent_off", "10")]).await;
    let excl = tax(&app, "8.25", "false").await;
    let mut pairs = line("1000", Some(&excl));
    pairs.extend([
        ("discounts[0][coupon]", c.as_str()),
        ("expand[]", "line_items"),
        ("expand[]", "total_details.breakdown"),
    ]);
    let r = app.session(&pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = &r.body;
    assert_eq!((s["amount_subtotal"].as_i64(), s["amount_total"].as_i64()), (Some(1000), Some(974)));
    assert_eq!(s["total_details"]["amount_discount"], 100);
    assert_eq!(s["total_details"]["amount_tax"], 74);
    assert_eq!(s["discounts"][0]["coupon"], c.as_str());
    let item = &s["line_items"]["data"][0];
    assert_eq!(
        (item["amount_discount"].as_i64(), item["amount_tax"].as_i64(), item["amount_total"].as_i64()),
        (Some(100), Some(74), Some(974))
    );
    assert_eq!(item["taxes"][0]["rate"]["id"], excl.as_str());
    assert_eq!(item["taxes"][0]["taxable_amount"], 900);
    let b = &s["total_details"]["breakdown"];
    assert_eq!(b["discounts"][0]["amount"], 100);
    assert_eq!(b["discounts"][0]["discount"]["coupon"]["id"], c.as_str());
    assert_eq!((b["taxes"][0]["amount"].as_i64(), b["taxes"][0]["taxable_amount"].as_i64()), (Some(74), Some(900)));
    let plain = app.get(&format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap())).await.body;
    assert!(plain["total_details"].get("breakdown").is_none(), "breakdown only when expanded");
});

backend_test!(inclusive_tax_is_reported_but_not_added, |app| {
    let incl = tax(&app, "20", "true").await;
    let r = app.session(&line("1200", Some(&incl))).await.body;
    assert_eq!((r["amount_total"].as_i64(), r["total_details"]["amount_tax"].as_i64()), (Some(1200), Some(200)));
});

backend_test!(coupon_rules_are_checked_at_create, |app| {
    let eur = coupon(&app, &[("amount_off", "100"), ("currency", "eur")]).await;
    let mut pairs = line("1000", None);
    pairs.push(("discounts[0][coupon]", eur.as_str()));
    app.session(&pairs).await.error(400, Some("parameter_invalid"), Some("discounts[0][coupon]"));
    let soon = (START + 60).to_string();
    let ends = coupon(&app, &[("percent_off", "5"), ("redeem_by", &soon)]).await;
    app.clock.advance(61);
    let mut pairs = line("1000", None);
    pairs.push(("discounts[0][coupon]", ends.as_str()));
    app.session(&pairs).await.error(400, Some("coupon_expired"), Some("discounts[0][coupon]"));
    let other = app.other_account().await;
    let theirs = app.post_as(&other.secret_key, "/v1/coupons", &[("percent_off", "50")]).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut pairs = line("1000", None);
    pairs.push(("discounts[0][coupon]", theirs.as_str()));
    let e = app.session(&pairs).await;
    e.error(400, Some("resource_missing"), Some("discounts[0][coupon]"));
    let only = coupon(&app, &[("percent_off", "50"), ("applies_to[products][0]", "prod_elsewhere")]).await;
    let mut pairs = line("1000", None);
    pairs.push(("discounts[0][coupon]", only.as_str()));
    let r = app.session(&pairs).await;
    assert_eq!(r.body["total_details"]["amount_discount"], 0, "applies_to leaves other products alone");
    let inactive = tax(&app, "5", "false").await;
    app.post(&format!("/v1/tax_rates/{inactive}"), &[("active", "false")]).await;
    app.session(&line("1000", Some(&inactive))).await.error(
        400,
        Some("parameter_invalid"),
        Some("line_items[0][tax_rates][0]"),
    );
});

backend_test!(sessions_carry_seed_002s_derived_flags, |app| {
    let paid = app.session(&line("1000", None)).await.body;
    assert_eq!(
        (paid["is_payment_required"].as_bool(), paid["is_free"].as_bool(), paid["is_discount_applicable"].as_bool()),
        (Some(true), Some(false), Some(true))
    );
    assert_eq!(paid["is_payment_form_required"], true);
    let all = coupon(&app, &[("percent_off", "100")]).await;
    let mut pairs = line("1000", None);
    pairs.push(("discounts[0][coupon]", all.as_str()));
    let free_now = app.session(&pairs).await.body;
    assert_eq!(
        (free_now["amount_total"].as_i64(), free_now["is_payment_required"].as_bool(), free_now["is_free"].as_bool()),
        (Some(0), Some(false), Some(false))
    );
    let setup = app
        .post(
            "/v1/checkout/sessions",
            &[("mode", "setup"), ("currency", "usd"), ("success_url", crate::sessions::OK_URL)],
        )
        .await
        .body;
    assert_eq!(
        (setup["is_payment_setup_required"].as_bool(), setup["is_payment_form_required"].as_bool()),
        (Some(true), Some(true))
    );
});
