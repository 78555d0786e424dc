//! Every cross-parameter rule of reference §1.2, and hostile input: each a
//! 400 naming its param, with nothing stored.

use crate::backend_test;
use crate::helpers::START;
use crate::sessions::OK_URL;

const PD: [(&str, &str); 4] = [
    ("line_items[0][price_data][currency]", "usd"),
    ("line_items[0][price_data][unit_amount]", "500"),
    ("line_items[0][price_data][product_data][name]", "T"),
    ("line_items[0][quantity]", "1"),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = PD.to_vec();
    v.extend_from_slice(extra);
    v
}

backend_test!(mode_and_line_item_rules_name_their_param, |app| {
    let app = &app;
    let post =
        |pairs: Vec<(&'static str, &'static str)>| async move { app.post("/v1/checkout/sessions", &pairs).await };
    post(vec![("success_url", OK_URL)]).await.error(400, Some("parameter_missing"), Some("mode"));
    post(vec![("mode", "payment"), ("success_url", OK_URL)]).await.error(
        400,
        Some("parameter_missing"),
        Some("line_items"),
    );
    post(vec![("mode", "subscription"), ("success_url", OK_URL)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("mode"),
    );
    post(vec![("mode", "barter"), ("success_url", OK_URL)]).await.error(
        400,
        Some("parameter_invalid_enum"),
        Some("mode"),
    );
    let mut setup = with(&[("mode", "setup"), ("success_url", OK_URL), ("currency", "usd")]);
    app.post("/v1/checkout/sessions", &setup).await.error(400, Some("parameter_invalid"), Some("line_items"));
    setup.clear();
    post(vec![("mode", "setup"), ("success_url", OK_URL)]).await.error(
        400,
        Some("parameter_missing"),
        Some("currency"),
    );
    app.session(&[("line_items[0][quantity]", "1")]).await.error(
        400,
        Some("parameter_missing"),
        Some("line_items[0][price]"),
    );
    let price = app.price(100, "usd").await;
    app.session(&with(&[("line_items[0][price]", &price)])).await.error(
        400,
        Some("parameters_exclusive"),
        Some("line_items[0][price_data]"),
    );
    app.session(&[("line_items[0][price]", &price)]).await.error(
        400,
        Some("parameter_missing"),
        Some("line_items[0][quantity]"),
    );
    app.session(&[
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1"),
        ("line_items[0][price_data][unit_amount_decimal]", "1"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "1"),
    ])
    .await
    .error(400, Some("parameters_exclusive"), Some("line_items[0][price_data][unit_amount_decimal]"));
    app.session(&[
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1"),
        ("line_items[0][price_data][product]", "prod_x"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "1"),
    ])
    .await
    .error(400, Some("parameters_exclusive"), Some("line_items[0][price_data][product_data]"));
    assert_eq!(app.session_count().await, 0);
});

backend_test!(recurring_prices_follow_the_mode, |app| {
    let recurring = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "500"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][price_data][recurring][interval]", "month"),
        ("line_items[0][quantity]", "1"),
    ];
    let r = app.session(&recurring).await;
    r.error(400, Some("parameter_invalid"), Some("line_items[0][price_data][recurring]"));
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("You specified `payment` mode but passed a recurring price"));
    // Subscriptions do not exist yet: subscription mode is refused, with
    // recurring prices or without, rather than taking one payment.
    let sub = app.post("/v1/checkout/sessions", &with(&[("mode", "subscription"), ("success_url", OK_URL)])).await;
    sub.error(400, Some("parameter_invalid"), Some("mode"));
    let mut recurring_sub = recurring.to_vec();
    recurring_sub.extend([("mode", "subscription"), ("success_url", OK_URL)]);
    let r = app.post("/v1/checkout/sessions", &recurring_sub).await;
    r.error(400, Some("parameter_invalid"), Some("mode"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Subscriptions are not available yet"));
    assert_eq!(app.session_count().await, 0);
});

backend_test!(exclusive_and_mode_restricted_params_are_refused, |app| {
    let cus = app.customer(&[]).await;
    app.session(&with(&[("customer", &cus), ("customer_email", "a@b.co")])).await.error(
        400,
        Some("parameters_exclusive"),
        Some("customer_email"),
    );
    let r = app.session(&with(&[("allow_promotion_codes", "false"), ("discounts[0][coupon]", "C")])).await;
    r.error(400, Some("parameters_exclusive"), Some("discounts"));
    assert_eq!(
        r.body["error"]["message"],
        "You may only specify one of these parameters: allow_promotion_codes, discounts."
    );
    app.session(&with(&[("customer_update[name]", "auto")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("customer_update"),
    );
    app.session(&with(&[("payment_method_collection", "if_required")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("payment_method_collection"),
    );
    app.session(&with(&[("setup_intent_data[description]", "x")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("setup_intent_data"),
    );
    app.session(&with(&[("subscription_data[description]", "x")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("subscription_data"),
    );
    let setup = |extra: (&'static str, &'static str)| {
        let app = &app;
        async move {
            app.post("/v1/checkout/sessions", &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL), extra])
                .await
        }
    };
    setup(("submit_type", "pay")).await.error(400, Some("parameter_invalid"), Some("submit_type"));
    setup(("phone_number_collection[enabled]", "true")).await.error(
        400,
        Some("parameter_invalid"),
        Some("phone_number_collection"),
    );
    setup(("payment_intent_data[description]", "x")).await.error(
        400,
        Some("parameter_invalid"),
        Some("payment_intent_data"),
    );
    let sub = [
        ("mode", "subscription"),
        ("success_url", OK_URL),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "5"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][price_data][recurring][interval]", "month"),
        ("line_items[0][quantity]", "1"),
        ("customer_creation", "always"),
    ];
    app.post("/v1/checkout/sessions", &sub).await.error(400, Some("parameter_invalid"), Some("mode"));
    assert_eq!(app.session_count().await, 0);
});

backend_test!(ui_mode_restricted_params_are_refused, |app| {
    let emb = |extra: &[(&'static str, &'static str)]| {
        let mut v = with(&[("mode", "payment"), ("ui_mode", "embedded_page"), ("return_url", "https://x.io/r")]);
        v.extend_from_slice(extra);
        let app = &app;
        async move { app.post("/v1/checkout/sessions", &v).await }
    };
    emb(&[("success_url", OK_URL)]).await.error(400, Some("parameter_invalid"), Some("success_url"));
    emb(&[("cancel_url", OK_URL)]).await.error(400, Some("parameter_invalid"), Some("cancel_url"));
    app.session(&with(&[("return_url", "https://x.io/r")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("return_url"),
    );
    let el = |extra: (&'static str, &'static str)| {
        let mut v = with(&[("mode", "payment"), ("ui_mode", "elements")]);
        v.push(extra);
        let app = &app;
        async move { app.post("/v1/checkout/sessions", &v).await }
    };
    el(("custom_text[submit][message]", "hi")).await.error(400, Some("parameter_invalid"), Some("custom_text"));
    el(("submit_type", "pay")).await.error(400, Some("parameter_invalid"), Some("submit_type"));
    el(("after_expiration[recovery][enabled]", "true")).await.error(
        400,
        Some("parameter_invalid"),
        Some("after_expiration"),
    );
    let mut cf = with(&[("mode", "payment"), ("ui_mode", "elements")]);
    cf.extend([
        ("custom_fields[0][key]", "a"),
        ("custom_fields[0][label][type]", "custom"),
        ("custom_fields[0][label][custom]", "A"),
        ("custom_fields[0][type]", "text"),
    ]);
    app.post("/v1/checkout/sessions", &cf).await.error(400, Some("parameter_invalid"), Some("custom_fields"));
    el(("branding_settings[display_name]", "x")).await.error(400, Some("parameter_invalid"), Some("branding_settings"));
    app.post("/v1/checkout/sessions", &with(&[("mode", "payment")])).await.error(
        400,
        Some("parameter_missing"),
        Some("success_url"),
    );
    app.session(&with(&[("ui_mode", "kiosk")])).await.error(400, Some("parameter_invalid_enum"), Some("ui_mode"));
    assert_eq!(app.session_count().await, 0);
});

backend_test!(what_kassa_cannot_honour_is_refused_clearly, |app| {
    app.session(&with(&[("automatic_tax[enabled]", "true")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("automatic_tax[enabled]"),
    );
    app.session(&with(&[("consent_collection[terms_of_service]", "required")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("consent_collection[terms_of_service]"),
    );
    app.session(&with(&[("allowed_payment_method_types[0]", "ideal")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("allowed_payment_method_types"),
    );
    app.session(&with(&[("processor_route", "nowhere")])).await.error(
        400,
        Some("resource_missing"),
        Some("processor_route"),
    );
    app.session(&with(&[("discounts[0][coupon]", "NOPE")])).await.error(
        400,
        Some("resource_missing"),
        Some("discounts[0][coupon]"),
    );
    app.session(&with(&[("line_items[0][tax_rates][0]", "txr_nope")])).await.error(
        400,
        Some("resource_missing"),
        Some("line_items[0][tax_rates][0]"),
    );
    app.session(&with(&[("customer", "cus_nope")])).await.error(400, Some("resource_missing"), Some("customer"));
    app.session(&with(&[("card_tokenization_mode", "vgs")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("card_tokenization_mode"),
    );
    app.session(&with(&[("locale", "tlh")])).await.error(400, Some("parameter_invalid_enum"), Some("locale"));
    app.session(&with(&[("shipping_address_collection[allowed_countries][0]", "KP")])).await.error(
        400,
        Some("parameter_invalid"),
        Some("shipping_address_collection[allowed_countries][0]"),
    );
    let ok = app
        .session(&with(&[
            ("processor_route", "test"),
            ("customer_creation", "always"),
            ("locale", "nb"),
            ("shipping_address_collection[allowed_countries][0]", "NO"),
        ]))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["processor_route"], "test");
    assert_eq!(ok.body["customer_creation"], "always");
});

backend_test!(hostile_amounts_and_urls_are_refused_and_nothing_is_stored, |app| {
    let line = |k: &'static str, v: &'static str| {
        let mut base: Vec<(&str, &str)> = PD.iter().copied().filter(|(key, _)| *key != k).collect();
        base.push((k, v));
        base
    };
    app.session(&line("line_items[0][quantity]", "0")).await.error(
        400,
        Some("parameter_invalid"),
        Some("line_items[0][quantity]"),
    );
    app.session(&line("line_items[0][quantity]", "100000001")).await.error(
        400,
        Some("parameter_invalid"),
        Some("line_items[0][quantity]"),
    );
    app.session(&line("line_items[0][price_data][unit_amount]", "-5")).await.error(
        400,
        Some("parameter_invalid"),
        Some("line_items[0][price_data][unit_amount]"),
    );
    app.session(&line("line_items[0][price_data][unit_amount]", "4.99")).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("line_items[0][price_data][unit_amount]"),
    );
    app.session(&[
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "9223372036854775807"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "2"),
    ])
    .await
    .error(400, Some("amount_too_large"), Some("line_items[0][quantity]"));
    app.session(&[
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "9223372036854775807"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][price_data][currency]", "usd"),
        ("line_items[1][price_data][unit_amount]", "1"),
        ("line_items[1][price_data][product_data][name]", "T"),
        ("line_items[1][quantity]", "1"),
    ])
    .await
    .error(400, Some("amount_too_large"), Some("line_items"));
    app.session(&line("line_items[0][price_data][currency]", "zzz")).await.error(
        400,
        Some("parameter_invalid"),
        Some("line_items[0][price_data][currency]"),
    );
    let mut mixed = PD.to_vec();
    mixed.extend([
        ("line_items[1][price_data][currency]", "eur"),
        ("line_items[1][price_data][unit_amount]", "1"),
        ("line_items[1][price_data][product_data][name]", "T"),
        ("line_items[1][quantity]", "1"),
    ]);
    app.session(&mixed).await.error(400, Some("parameter_invalid"), Some("line_items[1][price_data][currency]"));
    let price = app.price(100, "usd").await;
    app.post(&format!("/v1/prices/{price}"), &[("active", "false")]).await;
    app.session(&[("line_items[0][price]", &price), ("line_items[0][quantity]", "1")]).await.error(
        400,
        Some("price_inactive"),
        Some("line_items[0][price]"),
    );
    let live_price =
        app.post("/v1/prices", &[("currency", "usd"), ("unit_amount", "5"), ("product_data[name]", "Old")]).await.body;
    let product = live_price["product"].as_str().unwrap();
    app.post(&format!("/v1/products/{product}"), &[("active", "false")]).await;
    app.session(&[("line_items[0][price]", live_price["id"].as_str().unwrap()), ("line_items[0][quantity]", "1")])
        .await
        .error(400, Some("product_inactive"), Some("line_items[0][price]"));
    for bad in ["/relative", "ftp://x.io/a", "javascript:alert(1)", "https://", "not a url"] {
        app.post("/v1/checkout/sessions", &with(&[("mode", "payment"), ("success_url", bad)])).await.error(
            400,
            Some("url_invalid"),
            Some("success_url"),
        );
    }
    let many: Vec<(String, String)> = (0..101)
        .flat_map(|i| {
            [(format!("line_items[{i}][price]"), price.clone()), (format!("line_items[{i}][quantity]"), "1".to_owned())]
        })
        .collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.session(&pairs).await.error(400, Some("parameter_invalid"), Some("line_items"));
    let past = (START - 1).to_string();
    app.session(&with(&[("expires_at", &past)])).await.error(400, Some("parameter_invalid"), Some("expires_at"));
    let soon = (START + 29 * 60).to_string();
    app.session(&with(&[("expires_at", &soon)])).await.error(400, Some("parameter_invalid"), Some("expires_at"));
    let late = (START + 24 * 3600 + 1).to_string();
    app.session(&with(&[("expires_at", &late)])).await.error(400, Some("parameter_invalid"), Some("expires_at"));
    assert_eq!(app.session_count().await, 0);
    let all_prices = app.get("/v1/prices?limit=100").await.body["data"].as_array().unwrap().len();
    assert_eq!(all_prices, 2);
    assert!(
        app.stored_of(kassa::domain::price::INLINE_KIND).await.is_empty(),
        "no inline price was stored by a refused session"
    );
});
