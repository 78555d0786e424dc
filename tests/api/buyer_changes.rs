//! A buyer's changes after a code or an authentication: the code's minimum
//! holds whatever changes the amounts, and an authentication covers only the
//! amount it was given for.

use serde_json::Value;

use crate::backend_test;
use crate::helpers::TestApp;

/// An embedded session of 5 × 700 with an adjustable quantity; returns
/// (id, client secret, line item id).
async fn adjustable(app: &TestApp) -> (String, String, String) {
    let (id, secret, li, _) = adjustable_with(app, &[]).await;
    (id, secret, li)
}

/// The same with more parameters; also returns the session (line items expanded).
async fn adjustable_with(app: &TestApp, extra: &[(&str, &str)]) -> (String, String, String, Value) {
    let mut pairs = vec![
        ("mode", "payment"),
        ("ui_mode", "embedded_page"),
        ("return_url", "https://shop.example/back"),
        ("allow_promotion_codes", "true"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "700"),
        ("line_items[0][price_data][product_data][name]", "cup"),
        ("line_items[0][quantity]", "5"),
        ("line_items[0][adjustable_quantity][enabled]", "true"),
        ("expand[]", "line_items"),
    ];
    pairs.extend_from_slice(extra);
    let s = app.post("/v1/checkout/sessions", &pairs).await.body;
    let li = s["line_items"]["data"][0]["id"].as_str().unwrap().to_owned();
    (s["id"].as_str().unwrap().to_owned(), s["client_secret"].as_str().unwrap().to_owned(), li, s)
}

async fn buyer(app: &TestApp, id: &str, pairs: &[(&str, &str)]) -> crate::helpers::Res {
    app.post_as(&app.keys.pk, &format!("/v1/checkout/sessions/{id}"), pairs).await
}

backend_test!(a_code_minimum_holds_when_the_buyer_lowers_the_quantity, |app| {
    let (id, secret, li) = adjustable(&app).await;
    let c = app.post("/v1/coupons", &[("amount_off", "2000"), ("currency", "usd")]).await.body["id"].clone();
    let r = app
        .post(
            "/v1/promotion_codes",
            &[
                ("code", "BIG"),
                ("coupon", c.as_str().unwrap()),
                ("restrictions[minimum_amount]", "3000"),
                ("restrictions[minimum_amount_currency]", "usd"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = buyer(&app, &id, &[("client_secret", &secret), ("promotion_code", "BIG")]).await;
    assert_eq!((r.status, r.body["amount_total"].as_i64()), (200, Some(1500)), "{}", r.body);
    let r =
        buyer(&app, &id, &[("client_secret", &secret), ("line_items[0][id]", &li), ("line_items[0][quantity]", "1")])
            .await;
    r.error(400, Some("promotion_code_invalid"), Some("promotion_code"));
    let s = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_eq!(s["amount_total"], 1500, "the refused change left the session as it was");
});

backend_test!(an_authentication_does_not_cover_an_amount_changed_during_it, |app| {
    let (id, secret, li) = adjustable(&app).await;
    let r = app
        .confirm(
            &id,
            &[
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", "4000000000003220"),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2031"),
                ("expand[]", "payment_intent"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.body["payment_intent"]["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap().to_owned();
    // The buyer, in another tab, changes the quantity mid-challenge.
    let r =
        buyer(&app, &id, &[("client_secret", &secret), ("line_items[0][id]", &li), ("line_items[0][quantity]", "9")])
            .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let html = client.get(&url).send().await.unwrap().text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::form(&[("outcome", "succeed"), ("csrf", &csrf)]))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection() || res.status().is_success());
    let s = app.session_doc(&id).await;
    assert_eq!(s["status"], "open", "nothing was charged");
    let pi: &Value = &s["payment_intent"];
    assert_eq!(pi["status"], "requires_payment_method");
    assert!(pi["last_payment_error"]["message"].as_str().unwrap().contains("amount changed"));
    assert_eq!(pi["amount_received"].as_i64().unwrap_or(0), 0);
    // The buyer's own change is not a failed payment: ten declines still
    // fit in the hour before the card-testing limit answers 429.
    let declined = [
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", "4000000000000002"),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2031"),
    ];
    for i in 0..10 {
        assert_eq!(app.confirm(&id, &declined).await.status, 402, "decline {i}");
    }
    assert_eq!(app.confirm(&id, &declined).await.status, 429);
});

backend_test!(the_buyer_changes_an_adjustable_quantity_within_its_bounds, |app| {
    let (id, secret, cup, s) = adjustable_with(
        &app,
        &[
            ("line_items[0][adjustable_quantity][maximum]", "5"),
            ("line_items[1][price_data][currency]", "usd"),
            ("line_items[1][price_data][unit_amount]", "100"),
            ("line_items[1][price_data][product_data][name]", "lid"),
            ("line_items[1][quantity]", "1"),
            ("shipping_options[0][shipping_rate_data][display_name]", "Ground"),
            ("shipping_options[0][shipping_rate_data][type]", "fixed_amount"),
            ("shipping_options[0][shipping_rate_data][fixed_amount][amount]", "500"),
            ("shipping_options[0][shipping_rate_data][fixed_amount][currency]", "usd"),
        ],
    )
    .await;
    let (id, secret) = (id.as_str(), secret.as_str());
    let lid = s["line_items"]["data"][1]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/checkout/sessions/{id}");
    let pk = app.keys.pk.clone();
    let set = |line: String, q: &'static str| {
        let (pk, path) = (pk.clone(), path.clone());
        let app = &app;
        async move {
            app.post_as(
                &pk,
                &path,
                &[("client_secret", secret), ("line_items[0][id]", &line), ("line_items[0][quantity]", q)],
            )
            .await
        }
    };
    let r = set(cup.clone(), "3").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["amount_subtotal"].as_i64(), r.body["amount_total"].as_i64()), (Some(2200), Some(2700)));
    set(cup.clone(), "6").await.error(400, Some("parameter_invalid"), Some("line_items[0][quantity]"));
    set(cup, "0").await.error(400, Some("parameter_invalid"), Some("line_items[0][quantity]"));
    set(lid, "2").await.error(400, Some("parameter_invalid"), Some("line_items[0][quantity]"));
    set("li_nope".into(), "2").await.error(400, Some("resource_missing"), Some("line_items[0][id]"));
    // The merchant's own fields stay out of the buyer's reach.
    let r = app.post_as(&pk, &path, &[("client_secret", secret), ("line_items[0][price]", "price_x")]).await;
    r.error(400, Some("parameter_unknown"), Some("line_items[0][price]"));
    let after = app.get(&path).await.body;
    assert_eq!(after["amount_total"], 2700, "only the valid change was kept");
});
