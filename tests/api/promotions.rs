//! Promotion codes, every restriction, and redemption counting.

use crate::backend_test;
use crate::helpers::{form, TestApp, START};
use reqwest::Method;

async fn coupon(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let r = app.post("/v1/coupons", pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn promo(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let r = app.post("/v1/promotion_codes", pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn session_with(app: &TestApp, extra: &[(&str, &str)]) -> crate::helpers::Res {
    let mut v = vec![
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1000"),
        ("line_items[0][price_data][product_data][name]", "x"),
        ("line_items[0][quantity]", "1"),
    ];
    v.extend_from_slice(extra);
    app.session(&v).await
}

backend_test!(promotion_codes_are_created_listed_and_unique_while_active, |app| {
    let c = coupon(&app, &[("percent_off", "20")]).await;
    let r = app
        .post(
            "/v1/promotion_codes",
            &[
                ("code", "Spring-20"),
                ("promotion[type]", "coupon"),
                ("promotion[coupon]", &c),
                ("max_redemptions", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["id"].as_str().unwrap().starts_with("promo_"));
    assert_eq!(
        (r.body["code"].as_str(), r.body["promotion"]["coupon"].as_str()),
        (Some("Spring-20"), Some(c.as_str()))
    );
    app.post("/v1/promotion_codes", &[("code", "SPRING-20"), ("coupon", &c)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("code"),
    );
    app.post(&format!("/v1/promotion_codes/{}", r.body["id"].as_str().unwrap()), &[("active", "false")]).await;
    let again = app.post("/v1/promotion_codes", &[("code", "SPRING-20"), ("coupon", &c)]).await;
    assert_eq!(again.status, 200, "the old top-level coupon works, and the code is free again: {}", again.body);
    assert_eq!(app.get("/v1/promotion_codes?code=spring-20").await.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/v1/promotion_codes?active=false").await.body["data"].as_array().unwrap().len(), 1);
    app.post("/v1/promotion_codes", &[("code", "has space"), ("coupon", &c)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("code"),
    );
    let long = "A".repeat(501);
    app.post("/v1/promotion_codes", &[("code", &long), ("coupon", &c)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("code"),
    );
    app.post("/v1/promotion_codes", &[("code", "X")]).await.error(
        400,
        Some("parameter_missing"),
        Some("promotion[coupon]"),
    );
    app.post("/v1/promotion_codes", &[("code", "Y"), ("coupon", "nope")]).await.error(
        400,
        Some("resource_missing"),
        Some("coupon"),
    );
});

backend_test!(a_promotion_code_discounts_a_session_and_every_restriction_is_checked, |app| {
    let c = coupon(&app, &[("percent_off", "10")]).await;
    let p = promo(&app, &[("code", "TEN"), ("coupon", &c)]).await;
    let r = session_with(&app, &[("discounts[0][promotion_code]", &p)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["amount_total"], 900);
    assert_eq!(
        (r.body["discounts"][0]["promotion_code"].as_str(), r.body["discounts"][0]["coupon"].as_str()),
        (Some(p.as_str()), Some(c.as_str()))
    );

    let off = promo(&app, &[("code", "OFF"), ("coupon", &c), ("active", "false")]).await;
    session_with(&app, &[("discounts[0][promotion_code]", &off)]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("discounts[0][promotion_code]"),
    );
    let soon = (START + 60).to_string();
    let ends = promo(&app, &[("code", "SOON"), ("coupon", &c), ("expires_at", &soon)]).await;
    let min = promo(
        &app,
        &[
            ("code", "BIG"),
            ("coupon", &c),
            ("restrictions[minimum_amount]", "5000"),
            ("restrictions[minimum_amount_currency]", "usd"),
        ],
    )
    .await;
    session_with(&app, &[("discounts[0][promotion_code]", &min)]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("discounts[0][promotion_code]"),
    );
    let cus = app.customer(&[]).await;
    let mine = promo(&app, &[("code", "MINE"), ("coupon", &c), ("customer", &cus)]).await;
    session_with(&app, &[("discounts[0][promotion_code]", &mine)]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("discounts[0][promotion_code]"),
    );
    assert_eq!(session_with(&app, &[("discounts[0][promotion_code]", &mine), ("customer", &cus)]).await.status, 200);
    let first =
        promo(&app, &[("code", "FIRST"), ("coupon", &c), ("restrictions[first_time_transaction]", "true")]).await;
    let bought = session_with(&app, &[("customer", &cus)]).await.body["id"].as_str().unwrap().to_owned();
    app.confirm(&bought, &[("payment_method", "pm_card_visa")]).await;
    session_with(&app, &[("discounts[0][promotion_code]", &first), ("customer", &cus)]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("discounts[0][promotion_code]"),
    );
    let once = coupon(&app, &[("percent_off", "5"), ("max_redemptions", "1")]).await;
    let used = session_with(&app, &[("discounts[0][coupon]", &once)]).await.body["id"].as_str().unwrap().to_owned();
    app.confirm(&used, &[("payment_method", "pm_card_visa")]).await;
    session_with(&app, &[("discounts[0][coupon]", &once)]).await.error(
        400,
        Some("coupon_expired"),
        Some("discounts[0][coupon]"),
    );
    app.clock.advance(61);
    session_with(&app, &[("discounts[0][promotion_code]", &ends)]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("discounts[0][promotion_code]"),
    );
    let other = app.other_account().await;
    let oc = app.post_as(&other.secret_key, "/v1/coupons", &[("percent_off", "50")]).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = app.post_as(&other.secret_key, "/v1/promotion_codes", &[("code", "THEIRS"), ("coupon", &oc)]).await.body
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    session_with(&app, &[("discounts[0][promotion_code]", &op)]).await.error(
        400,
        Some("resource_missing"),
        Some("discounts[0][promotion_code]"),
    );
});

backend_test!(redemptions_count_when_a_session_completes_and_not_on_a_decline, |app| {
    let c = coupon(&app, &[("percent_off", "10")]).await;
    let p = promo(&app, &[("code", "COUNT"), ("coupon", &c)]).await;
    let s = session_with(&app, &[("discounts[0][promotion_code]", &p)]).await.body["id"].as_str().unwrap().to_owned();
    app.confirm(&s, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    assert_eq!(app.get(&format!("/v1/coupons/{c}")).await.body["times_redeemed"], 0, "given back after the decline");
    assert_eq!(app.confirm(&s, &[("payment_method", "pm_card_visa")]).await.status, 200);
    assert_eq!(app.get(&format!("/v1/coupons/{c}")).await.body["times_redeemed"], 1);
    assert_eq!(app.get(&format!("/v1/promotion_codes/{p}")).await.body["times_redeemed"], 1);
    let free = session_with(&app, &[("discounts[0][coupon]", &c)]).await.body["id"].as_str().unwrap().to_owned();
    app.confirm(&free, &[("confirmation", "no_payment")]).await;
    assert_eq!(app.get(&format!("/v1/coupons/{c}")).await.body["times_redeemed"], 2);
});

backend_test!(two_sessions_racing_for_the_last_redemption_cannot_both_win, |app| {
    let c = coupon(&app, &[("percent_off", "10"), ("max_redemptions", "1")]).await;
    let a = session_with(&app, &[("discounts[0][coupon]", &c)]).await.body["id"].as_str().unwrap().to_owned();
    let b = session_with(&app, &[("discounts[0][coupon]", &c)]).await.body["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for id in [&a, &b, &a, &b] {
        let rb = app
            .req(Method::POST, &format!("/v1/checkout/sessions/{id}/confirm"))
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("payment_method", "pm_card_visa")]));
        tasks.push(tokio::spawn(TestApp::send(rb)));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == 200 {
            ok += 1;
        } else {
            assert!((400..500).contains(&r.status), "{}", r.body);
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(app.get(&format!("/v1/coupons/{c}")).await.body["times_redeemed"], 1);
});

backend_test!(a_buyer_may_enter_a_code_at_confirm_when_the_session_allows_it, |app| {
    let c = coupon(&app, &[("percent_off", "20")]).await;
    promo(&app, &[("code", "Welcome"), ("coupon", &c)]).await;
    let s = session_with(&app, &[("allow_promotion_codes", "true")]).await.body["id"].as_str().unwrap().to_owned();
    app.confirm(&s, &[("payment_method", "pm_card_visa"), ("promotion_code", "NOPE")]).await.error(
        400,
        Some("promotion_code_invalid"),
        Some("promotion_code"),
    );
    let r = app
        .confirm(
            &s,
            &[("payment_method", "pm_card_visa"), ("promotion_code", "welcome"), ("expand[]", "payment_intent")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["amount_total"].as_i64(), r.body["payment_intent"]["amount_received"].as_i64()),
        (Some(800), Some(800))
    );
    assert_eq!(r.body["discounts"][0]["coupon"], c.as_str());
    assert_eq!(app.get(&format!("/v1/coupons/{c}")).await.body["times_redeemed"], 1);
    let closed = session_with(&app, &[]).await.body["id"].as_str().unwrap().to_owned();
    app.confirm(&closed, &[("payment_method", "pm_card_visa"), ("promotion_code", "WELCOME")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("promotion_code"),
    );
});
