//! Cascade pricing tiers: each card decline moves the session to its next
//! offer (route, discount, amount) until the last tier is exhausted.

use serde_json::{json, Value};

use crate::backend_test;
use crate::gateway::{gateway, Mode};
use crate::helpers::TestApp;

async fn test_route(app: &TestApp) -> String {
    let r = app.post("/v1/processor_routes", &[("processors[0][type]", "test")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn http_route(app: &TestApp, url: &str) -> String {
    let r = app.post("/v1/processor_routes", &[("processors[0][type]", "http"), ("processors[0][url]", url)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn coupon(app: &TestApp, percent: &str) -> String {
    let r = app.post("/v1/coupons", &[("percent_off", percent)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn cascade_session(app: &TestApp, tiers: &[(&str, Option<&str>)]) -> crate::helpers::Res {
    let mut pairs: Vec<(String, String)> = vec![
        ("line_items[0][price_data][currency]".into(), "usd".into()),
        ("line_items[0][price_data][unit_amount]".into(), "10000".into()),
        ("line_items[0][price_data][product_data][name]".into(), "Plan".into()),
        ("line_items[0][quantity]".into(), "1".into()),
    ];
    for (i, (route, coupon)) in tiers.iter().enumerate() {
        pairs.push((format!("cascade_tiers[{i}][processor_route]"), (*route).to_owned()));
        if let Some(c) = coupon {
            pairs.push((format!("cascade_tiers[{i}][coupon]"), (*c).to_owned()));
        }
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.session(&refs).await
}

/// Pairs, then the expected error code and param.
type Case<'a> = (Vec<(&'a str, String)>, &'a str, &'a str);

fn times_redeemed(v: &Value) -> i64 {
    v["times_redeemed"].as_i64().unwrap()
}

backend_test!(a_decline_moves_the_session_to_the_next_tier_with_its_route_and_discount, |app| {
    let (declining, calls) = gateway(Mode::Decline).await;
    let first = http_route(&app, &declining).await;
    let second = test_route(&app).await;
    let half = coupon(&app, "50").await;
    let s = cascade_session(&app, &[(&first, None), (&second, Some(&half))]).await;
    assert_eq!(s.status, 200, "{}", s.body);
    let id = s.body["id"].as_str().unwrap().to_owned();
    assert_eq!(s.body["cascade_status"], json!({"current_tier": 0, "attempts": 0, "exhausted": false}));
    assert_eq!(s.body["cascade_tiers"][1], json!({"tier": 1, "processor_route": second, "coupon": half}));
    assert_eq!(
        (s.body["processor_route"].as_str(), s.body["amount_total"].as_i64()),
        (Some(first.as_str()), Some(10000))
    );

    let declined = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    let e = declined.error(402, Some("card_declined"), None);
    assert_eq!(e["cascade_status"], json!({"current_tier": 1, "attempts": 1, "exhausted": false}));
    assert_eq!(*calls.lock().unwrap(), 1, "tier 0 was charged through its own route");
    let now = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!(now["status"], "open");
    assert_eq!((now["processor_route"].as_str(), now["amount_total"].as_i64()), (Some(second.as_str()), Some(5000)));
    assert_eq!(now["discounts"], json!([{"coupon": half, "promotion_code": null}]));
    assert_eq!(now["total_details"]["amount_discount"], 5000);
    assert_eq!(times_redeemed(&app.get(&format!("/v1/coupons/{half}")).await.body), 0);

    let paid = app.confirm(&id, &[("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")]).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["status"], "complete");
    assert_eq!(paid.body["payment_intent"]["amount"], 5000, "the new tier's amount is charged");
    assert_eq!(paid.body["cascade_status"], json!({"current_tier": 1, "attempts": 2, "exhausted": false}));
    assert_eq!(*calls.lock().unwrap(), 1, "tier 1 does not go back to tier 0's route");
    assert_eq!(times_redeemed(&app.get(&format!("/v1/coupons/{half}")).await.body), 1);
});

backend_test!(declines_on_the_last_tier_exhaust_the_cascade_and_the_session_stays_open, |app| {
    let route = test_route(&app).await;
    let ten = coupon(&app, "10").await;
    let s = cascade_session(&app, &[(&route, Some(&ten)), (&route, None)]).await;
    assert_eq!(s.status, 200, "{}", s.body);
    let id = s.body["id"].as_str().unwrap().to_owned();
    assert_eq!(s.body["amount_total"], 9000, "tier 0's coupon prices the session from the start");
    let decline = [("payment_method", "pm_card_visa_chargeDeclined")];
    let e = app.confirm(&id, &decline).await;
    assert_eq!(e.error(402, Some("card_declined"), None)["cascade_status"]["current_tier"], 1);
    assert_eq!(times_redeemed(&app.get(&format!("/v1/coupons/{ten}")).await.body), 0, "given back on decline");
    let after = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!((after["amount_total"].as_i64(), after["discounts"].clone()), (Some(10000), json!([])));
    let e = app.confirm(&id, &decline).await;
    let status = e.error(402, Some("card_declined"), None)["cascade_status"].clone();
    assert_eq!(status, json!({"current_tier": 1, "attempts": 2, "exhausted": true}));
    let paid = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(paid.status, 200, "another card on the last tier: {}", paid.body);
    assert_eq!((paid.body["amount_total"].as_i64(), paid.body["status"].as_str()), (Some(10000), Some("complete")));
    assert_eq!(paid.body["cascade_status"], json!({"current_tier": 1, "attempts": 3, "exhausted": true}));
});

backend_test!(a_processor_outage_does_not_move_the_cascade, |app| {
    let (down, _) = gateway(Mode::Unavailable).await;
    let first = http_route(&app, &down).await;
    let second = test_route(&app).await;
    let s = cascade_session(&app, &[(&first, None), (&second, None)]).await;
    let id = s.body["id"].as_str().unwrap().to_owned();
    app.confirm(&id, &[("payment_method", "pm_card_visa")]).await.error(502, Some("processor_unavailable"), None);
    let now = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!(now["cascade_status"], json!({"current_tier": 0, "attempts": 0, "exhausted": false}));
});

backend_test!(sessions_without_a_cascade_show_null, |app| {
    let id = app.open_session().await;
    let s = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!((s["cascade_tiers"].clone(), s["cascade_status"].clone()), (Value::Null, Value::Null));
    let paid = app.confirm(&id, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    assert!(paid.body["error"]["cascade_status"].is_null());
});

backend_test!(bad_cascade_tiers_name_their_param, |app| {
    let route = test_route(&app).await;
    let c = coupon(&app, "10").await;
    let eur = app.post("/v1/coupons", &[("amount_off", "100"), ("currency", "eur")]).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1000"),
        ("line_items[0][price_data][product_data][name]", "x"),
        ("line_items[0][quantity]", "1"),
    ];
    let with = |extra: &[(&'static str, &str)]| {
        let mut v: Vec<(&str, String)> = base.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        v.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        v
    };
    let cases: Vec<Case> = vec![
        (with(&[("cascade_tiers[0][coupon]", &c)]), "parameter_missing", "cascade_tiers[0][processor_route]"),
        (
            with(&[("cascade_tiers[0][processor_route]", "pr_nope")]),
            "resource_missing",
            "cascade_tiers[0][processor_route]",
        ),
        (
            with(&[
                ("cascade_tiers[0][processor_route]", &route),
                ("cascade_tiers[1][processor_route]", &route),
                ("cascade_tiers[1][coupon]", "nope"),
            ]),
            "resource_missing",
            "cascade_tiers[1][coupon]",
        ),
        (
            with(&[("cascade_tiers[0][processor_route]", &route), ("cascade_tiers[0][coupon]", &eur)]),
            "parameter_invalid",
            "cascade_tiers[0][coupon]",
        ),
        (
            with(&[("cascade_tiers[0][processor_route]", &route), ("processor_route", &route)]),
            "parameters_exclusive",
            "cascade_tiers",
        ),
        (
            with(&[("cascade_tiers[0][processor_route]", &route), ("discounts[0][coupon]", &c)]),
            "parameters_exclusive",
            "cascade_tiers",
        ),
        (
            with(&[("cascade_tiers[0][processor_route]", &route), ("allow_promotion_codes", "true")]),
            "parameters_exclusive",
            "cascade_tiers",
        ),
        (
            with(&[("cascade_tiers[0][processor_route]", &route), ("cascade_tiers[0][price]", "1")]),
            "parameter_unknown",
            "cascade_tiers[0][price]",
        ),
    ];
    for (pairs, code, param) in cases {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.session(&refs).await.error(400, Some(code), Some(param));
    }
    let mut six: Vec<(String, String)> = base.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    for i in 0..6 {
        six.push((format!("cascade_tiers[{i}][processor_route]"), route.clone()));
    }
    let refs: Vec<(&str, &str)> = six.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.session(&refs).await.error(400, Some("parameter_invalid"), Some("cascade_tiers"));
    let setup = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "setup"),
                ("currency", "usd"),
                ("success_url", "https://x.io/ok"),
                ("cascade_tiers[0][processor_route]", &route),
            ],
        )
        .await;
    setup.error(400, Some("parameter_invalid"), Some("cascade_tiers"));
    assert_eq!(app.session_count().await, 0, "nothing was half-written");
});

backend_test!(a_tier_whose_coupon_lapsed_is_taken_without_its_discount, |app| {
    let route = test_route(&app).await;
    let until = (crate::helpers::START + 100).to_string();
    let r = app.post("/v1/coupons", &[("percent_off", "50"), ("redeem_by", &until)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let brief = r.body["id"].as_str().unwrap().to_owned();
    let s = cascade_session(&app, &[(&route, None), (&route, Some(&brief))]).await;
    let id = s.body["id"].as_str().unwrap().to_owned();
    app.clock.advance(200);
    let e = app.confirm(&id, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    assert_eq!(e.error(402, Some("card_declined"), None)["cascade_status"]["current_tier"], 1);
    let now = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!((now["amount_total"].as_i64(), now["discounts"].clone()), (Some(10000), json!([])));
});
