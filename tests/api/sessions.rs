//! Checkout sessions: create, the object, amounts.

use crate::backend_test;
use crate::helpers::{TestApp, START};
use reqwest::Method;
use serde_json::{json, Value};

pub const OK_URL: &str = "https://shop.example/done?session={CHECKOUT_SESSION_ID}";

impl TestApp {
    /// Creates a session from `pairs` plus a success URL and payment mode.
    pub async fn session(&self, pairs: &[(&str, &str)]) -> crate::helpers::Res {
        let mut all = vec![("mode", "payment"), ("success_url", OK_URL)];
        all.extend_from_slice(pairs);
        self.post("/v1/checkout/sessions", &all).await
    }

    /// An open hosted session with one price_data line; returns its id.
    pub async fn open_session(&self) -> String {
        let r = self
            .session(&[
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "500"),
                ("line_items[0][price_data][product_data][name]", "T"),
                ("line_items[0][quantity]", "1"),
            ])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn session_count(&self) -> usize {
        self.get("/v1/checkout/sessions?limit=100").await.body["data"].as_array().unwrap().len()
    }
}

const FIELDS: &[&str] = &[
    "id",
    "object",
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "amount_subtotal",
    "amount_total",
    "automatic_tax",
    "billing_address_collection",
    "cancel_url",
    "client_reference_id",
    "client_secret",
    "collected_information",
    "consent",
    "consent_collection",
    "created",
    "currency",
    "currency_conversion",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_creation",
    "customer_details",
    "customer_email",
    "discounts",
    "expires_at",
    "integration_identifier",
    "invoice",
    "invoice_creation",
    "livemode",
    "locale",
    "managed_payments",
    "metadata",
    "mode",
    "payment_intent",
    "payment_link",
    "payment_method_collection",
    "payment_method_configuration_details",
    "payment_method_options",
    "payment_method_types",
    "payment_status",
    "permissions",
    "recovered_from",
    "saved_payment_method_options",
    "setup_intent",
    "shipping_address_collection",
    "shipping_cost",
    "shipping_options",
    "status",
    "submit_type",
    "subscription",
    "success_url",
    "total_details",
    "ui_mode",
    "url",
    "wallet_options",
    "processor_route",
];

backend_test!(a_session_from_a_price_has_every_field, |app| {
    let price = app.price(1099, "usd").await;
    let r = app
        .session(&[
            ("line_items[0][price]", &price),
            ("line_items[0][quantity]", "2"),
            ("client_reference_id", "order-7"),
            ("metadata[order]", "7"),
            ("customer_email", "b@x.io"),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = &r.body;
    for f in FIELDS {
        assert!(s.get(*f).is_some(), "missing {f}");
    }
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_a1") && id.len() == 66, "{id}");
    assert_eq!(s["object"], "checkout.session");
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("open"), Some("unpaid")));
    assert_eq!((s["amount_subtotal"].as_i64(), s["amount_total"].as_i64()), (Some(2198), Some(2198)));
    assert_eq!(s["total_details"], json!({"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}));
    assert_eq!(s["currency"], "usd");
    assert_eq!(s["success_url"], OK_URL, "the template is kept");
    assert_eq!(s["url"], format!("{}/pay/{id}", app.base));
    assert_eq!(s["client_secret"], Value::Null);
    assert_eq!(s["expires_at"], START + 24 * 3600);
    assert_eq!(s["customer_details"]["email"], "b@x.io");
    assert_eq!(s["payment_intent"], Value::Null);
    assert!(s.get("line_items").is_none(), "line_items only with expand");
    let got = app.get(&format!("/v1/checkout/sessions/{id}?expand[]=line_items")).await.body;
    let li = &got["line_items"];
    assert_eq!(li["object"], "list");
    assert_eq!(li["url"], format!("/v1/checkout/sessions/{id}/line_items"));
    let item = &li["data"][0];
    assert!(item["id"].as_str().unwrap().starts_with("li_"));
    assert_eq!(item["object"], "item");
    assert_eq!(item["price"]["id"], price.as_str());
    assert_eq!(item["price"]["object"], "price", "a full Price object");
    assert_eq!(
        (item["quantity"].as_i64(), item["amount_subtotal"].as_i64(), item["amount_total"].as_i64()),
        (Some(2), Some(2198), Some(2198))
    );
    assert_eq!(item["description"], "Thing");
});

backend_test!(embedded_sessions_get_a_client_secret_and_no_url, |app| {
    let price = app.price(500, "usd").await;
    let r = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "embedded_page"),
                ("return_url", "https://x.io/r"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["id"].as_str().unwrap();
    assert!(r.body["client_secret"].as_str().unwrap().starts_with(&format!("{id}_secret_")));
    assert_eq!(r.body["url"], Value::Null);
    assert_eq!(r.body["ui_mode"], "embedded_page");
    let custom = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "custom"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(custom.body["ui_mode"], "elements");
});

backend_test!(ui_mode_names_follow_the_api_version, |app| {
    let price = app.price(500, "usd").await;
    let body = crate::helpers::form(&[
        ("mode", "payment"),
        ("ui_mode", "embedded"),
        ("return_url", "https://x.io/r"),
        ("line_items[0][price]", &price),
        ("line_items[0][quantity]", "1"),
    ]);
    let old = TestApp::send(
        app.req(Method::POST, "/v1/checkout/sessions")
            .bearer_auth(&app.keys.sk)
            .header("stripe-version", "2025-03-31.basil")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    assert_eq!(old.status, 200, "{}", old.body);
    assert_eq!(old.body["ui_mode"], "embedded");
    let id = old.body["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/v1/checkout/sessions/{id}")).await.body["ui_mode"], "embedded_page");
});

backend_test!(amounts_follow_currency_exponents_decimals_and_tiers, |app| {
    let line = |cur: &'static str, amount: &'static str, qty: &'static str| {
        vec![
            ("line_items[0][price_data][currency]", cur),
            ("line_items[0][price_data][unit_amount]", amount),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", qty),
        ]
    };
    let jpy = app.session(&line("jpy", "500", "3")).await.body;
    assert_eq!((jpy["currency"].as_str(), jpy["amount_total"].as_i64()), (Some("jpy"), Some(1500)));
    let kwd = app.session(&line("kwd", "1250", "3")).await.body;
    assert_eq!(kwd["amount_total"], 3750);
    let dec = app
        .session(&[
            // KWD has no minimum charge: a total of 2 fils is a session.
            ("line_items[0][price_data][currency]", "kwd"),
            ("line_items[0][price_data][unit_amount_decimal]", "0.5"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "3"),
        ])
        .await
        .body;
    assert_eq!(dec["amount_total"], 2, "0.5 × 3 = 1.5 rounds half away from zero, once");
    let prod = app.post("/v1/products", &[("name", "P")]).await.body["id"].as_str().unwrap().to_owned();
    let tiered = app
        .post(
            "/v1/prices",
            &[
                ("product", &prod),
                ("currency", "usd"),
                ("billing_scheme", "tiered"),
                ("tiers_mode", "volume"),
                ("tiers[0][up_to]", "5"),
                ("tiers[0][unit_amount]", "1000"),
                ("tiers[1][up_to]", "inf"),
                ("tiers[1][unit_amount]", "800"),
            ],
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = app
        .session(&[
            ("line_items[0][price]", &tiered),
            ("line_items[0][quantity]", "6"),
            ("line_items[1][price_data][currency]", "usd"),
            ("line_items[1][price_data][unit_amount]", "1"),
            ("line_items[1][price_data][product_data][name]", "y"),
            ("line_items[1][quantity]", "1"),
        ])
        .await
        .body;
    assert_eq!(s["amount_subtotal"], 6 * 800 + 1);
});

backend_test!(setup_mode_has_no_amounts, |app| {
    let r = app.post("/v1/checkout/sessions", &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["amount_total"].clone(), r.body["total_details"].clone()), (Value::Null, Value::Null));
    assert_eq!(r.body["payment_status"], "no_payment_required");
});

backend_test!(another_account_cannot_read_list_update_or_expire_a_session, |app| {
    let id = app.open_session().await;
    let other = app.other_account().await;
    let k = &other.secret_key;
    app.get_as(k, &format!("/v1/checkout/sessions/{id}")).await.error(404, Some("resource_missing"), Some("id"));
    app.get_as(k, &format!("/v1/checkout/sessions/{id}/line_items")).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
    app.post_as(k, &format!("/v1/checkout/sessions/{id}"), &[("metadata[a]", "b")]).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
    app.post_as(k, &format!("/v1/checkout/sessions/{id}/expire"), &[]).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
    assert!(app.get_as(k, "/v1/checkout/sessions").await.body["data"].as_array().unwrap().is_empty());
    let price = app.price(100, "usd").await;
    let r = app
        .post_as(
            k,
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", OK_URL),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    r.error(400, Some("resource_missing"), Some("line_items[0][price]"));
    assert_eq!(app.get(&format!("/v1/checkout/sessions/{id}")).await.body["status"], "open");
});
