//! Products and prices.

use crate::backend_test;
use crate::helpers::{TestApp, START};
use serde_json::json;

impl TestApp {
    /// A product and a one-time price of `amount` in `currency`; returns the price id.
    pub async fn price(&self, amount: i64, currency: &str) -> String {
        let r = self
            .post(
                "/v1/prices",
                &[("currency", currency), ("unit_amount", &amount.to_string()), ("product_data[name]", "Thing")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }
}

backend_test!(products_are_created_updated_and_listed, |app| {
    let r = app
        .post(
            "/v1/products",
            &[
                ("name", "Gold plan"),
                ("description", "best"),
                ("metadata[tier]", "1"),
                ("images[0]", "https://x.io/a.png"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body;
    assert!(p["id"].as_str().unwrap().starts_with("prod_"));
    assert_eq!(p["object"], "product");
    assert_eq!(p["active"], true);
    assert_eq!(p["created"], START);
    for f in [
        "default_price",
        "marketing_features",
        "package_dimensions",
        "shippable",
        "statement_descriptor",
        "tax_code",
        "unit_label",
        "updated",
        "url",
    ] {
        assert!(p.get(f).is_some(), "{f}");
    }
    let id = p["id"].as_str().unwrap();
    let up = app.post(&format!("/v1/products/{id}"), &[("active", "false"), ("description", "")]).await;
    assert_eq!(up.body["active"], false);
    assert_eq!(up.body["description"], serde_json::Value::Null);
    let custom = app.post("/v1/products", &[("id", "my-plan"), ("name", "Custom")]).await;
    assert_eq!(custom.body["id"], "my-plan");
    app.post("/v1/products", &[("id", "my-plan"), ("name", "Again")]).await.error(
        400,
        Some("resource_already_exists"),
        Some("id"),
    );
    let active = app.get("/v1/products?active=true").await.body;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let ids = app.get(&format!("/v1/products?ids[0]={id}&ids[1]=my-plan")).await.body;
    assert_eq!(ids["data"].as_array().unwrap().len(), 2);
    app.post("/v1/products", &[]).await.error(400, Some("parameter_missing"), Some("name"));
    let types: Vec<String> = app.events().await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types, ["product.created", "product.updated", "product.created"]);
});

backend_test!(prices_cover_one_time_recurring_decimal_tiered_and_custom_amounts, |app| {
    let prod = app.post("/v1/products", &[("name", "P")]).await.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/v1/prices",
            &[
                ("product", &prod),
                ("currency", "USD"),
                ("unit_amount", "1000"),
                ("lookup_key", "std"),
                ("tax_behavior", "exclusive"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body;
    assert_eq!(
        (p["object"].as_str(), p["type"].as_str(), p["currency"].as_str()),
        (Some("price"), Some("one_time"), Some("usd"))
    );
    assert_eq!(p["unit_amount_decimal"], "1000", "a JSON string on the wire");
    assert_eq!(p["billing_scheme"], "per_unit");
    assert_eq!(p["lookup_key"], "std");

    let rec = app
        .post(
            "/v1/prices",
            &[
                ("product", &prod),
                ("currency", "eur"),
                ("unit_amount_decimal", "12.5"),
                ("recurring[interval]", "month"),
                ("recurring[interval_count]", "3"),
            ],
        )
        .await;
    assert_eq!(rec.status, 200, "{}", rec.body);
    assert_eq!(rec.body["type"], "recurring");
    assert_eq!(rec.body["unit_amount"], serde_json::Value::Null);
    assert_eq!(rec.body["unit_amount_decimal"], "12.5");
    assert_eq!(
        rec.body["recurring"],
        json!({"interval": "month", "interval_count": 3, "meter": null, "trial_period_days": null, "usage_type": "licensed"})
    );

    let tiered = app
        .post(
            "/v1/prices",
            &[
                ("product", &prod),
                ("currency", "usd"),
                ("billing_scheme", "tiered"),
                ("tiers_mode", "graduated"),
                ("tiers[0][up_to]", "5"),
                ("tiers[0][unit_amount]", "1000"),
                ("tiers[1][up_to]", "inf"),
                ("tiers[1][unit_amount]", "500"),
                ("tiers[1][flat_amount]", "100"),
            ],
        )
        .await;
    assert_eq!(tiered.status, 200, "{}", tiered.body);
    assert_eq!(tiered.body["tiers"][1]["up_to"], serde_json::Value::Null);
    assert_eq!(tiered.body["tiers_mode"], "graduated");

    let custom = app
        .post(
            "/v1/prices",
            &[
                ("product", &prod),
                ("currency", "usd"),
                ("custom_unit_amount[enabled]", "true"),
                ("custom_unit_amount[minimum]", "500"),
                ("custom_unit_amount[preset]", "1500"),
            ],
        )
        .await;
    assert_eq!(custom.status, 200, "{}", custom.body);
    assert_eq!(custom.body["custom_unit_amount"], json!({"maximum": null, "minimum": 500, "preset": 1500}));

    let listed = app.get(&format!("/v1/prices?product={prod}&type=recurring")).await.body;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let by_key = app.get("/v1/prices?lookup_keys[0]=std").await.body;
    assert_eq!(by_key["data"][0]["id"], p["id"]);
    let id = p["id"].as_str().unwrap();
    let up = app.post(&format!("/v1/prices/{id}"), &[("active", "false"), ("nickname", "old")]).await;
    assert_eq!((up.body["active"].as_bool(), up.body["nickname"].as_str()), (Some(false), Some("old")));
    let expanded = app.get(&format!("/v1/prices/{id}?expand[]=product")).await.body;
    assert_eq!(expanded["product"]["name"], "P");
});

backend_test!(bad_prices_name_their_param, |app| {
    let prod = app.post("/v1/products", &[("name", "P")]).await.body["id"].as_str().unwrap().to_owned();
    let post = |pairs: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, String)> = pairs;
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post("/v1/prices", &pairs).await
        }
    };
    let p = || ("product", prod.clone());
    post(vec![p(), ("unit_amount", "100".into())]).await.error(400, Some("parameter_missing"), Some("currency"));
    post(vec![p(), ("currency", "xyz".into()), ("unit_amount", "1".into())]).await.error(
        400,
        Some("parameter_invalid"),
        Some("currency"),
    );
    post(vec![p(), ("currency", "usd".into()), ("unit_amount", "-1".into())]).await.error(
        400,
        Some("parameter_invalid"),
        Some("unit_amount"),
    );
    post(vec![p(), ("currency", "usd".into()), ("unit_amount", "1.5".into())]).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("unit_amount"),
    );
    post(vec![p(), ("currency", "usd".into()), ("unit_amount", "1".into()), ("unit_amount_decimal", "1".into())])
        .await
        .error(400, Some("parameters_exclusive"), Some("unit_amount_decimal"));
    post(vec![p(), ("currency", "usd".into()), ("unit_amount_decimal", "1.0000000000001".into())]).await.error(
        400,
        Some("parameter_invalid"),
        Some("unit_amount_decimal"),
    );
    post(vec![p(), ("currency", "usd".into())]).await.error(400, Some("parameter_missing"), Some("unit_amount"));
    post(vec![("currency", "usd".into()), ("unit_amount", "1".into())]).await.error(
        400,
        Some("parameter_missing"),
        Some("product"),
    );
    post(vec![p(), ("product_data[name]", "x".into()), ("currency", "usd".into()), ("unit_amount", "1".into())])
        .await
        .error(400, Some("parameters_exclusive"), Some("product_data"));
    post(vec![("product", "prod_nope".into()), ("currency", "usd".into()), ("unit_amount", "1".into())]).await.error(
        400,
        Some("resource_missing"),
        Some("product"),
    );
    post(vec![
        p(),
        ("currency", "usd".into()),
        ("unit_amount", "1".into()),
        ("recurring[interval]", "fortnight".into()),
    ])
    .await
    .error(400, Some("parameter_invalid_enum"), Some("recurring[interval]"));
    post(vec![
        p(),
        ("currency", "usd".into()),
        ("unit_amount", "1".into()),
        ("recurring[interval]", "year".into()),
        ("recurring[interval_count]", "4".into()),
    ])
    .await
    .error(400, Some("parameter_invalid"), Some("recurring[interval_count]"));
    post(vec![
        p(),
        ("currency", "usd".into()),
        ("billing_scheme", "tiered".into()),
        ("tiers_mode", "volume".into()),
        ("tiers[0][up_to]", "inf".into()),
        ("tiers[0][unit_amount]", "1".into()),
        ("tiers[1][up_to]", "5".into()),
    ])
    .await
    .error(400, Some("parameter_invalid"), Some("tiers[0][up_to]"));
    post(vec![
        p(),
        ("currency", "usd".into()),
        ("custom_unit_amount[enabled]", "true".into()),
        ("custom_unit_amount[minimum]", "10".into()),
        ("custom_unit_amount[maximum]", "5".into()),
    ])
    .await
    .error(400, Some("parameter_invalid"), Some("custom_unit_amount[minimum]"));
    app.post(&format!("/v1/products/{prod}"), &[("active", "false")]).await;
    post(vec![p(), ("currency", "usd".into()), ("unit_amount", "1".into())]).await.error(
        400,
        Some("product_inactive"),
        Some("product"),
    );
});

backend_test!(lookup_keys_are_unique_unless_transferred, |app| {
    let prod = app.post("/v1/products", &[("name", "P")]).await.body["id"].as_str().unwrap().to_owned();
    let a = app
        .post("/v1/prices", &[("product", &prod), ("currency", "usd"), ("unit_amount", "1"), ("lookup_key", "k")])
        .await
        .body;
    app.post("/v1/prices", &[("product", &prod), ("currency", "usd"), ("unit_amount", "2"), ("lookup_key", "k")])
        .await
        .error(400, Some("parameter_invalid"), Some("lookup_key"));
    let b = app
        .post(
            "/v1/prices",
            &[
                ("product", &prod),
                ("currency", "usd"),
                ("unit_amount", "2"),
                ("lookup_key", "k"),
                ("transfer_lookup_key", "true"),
            ],
        )
        .await;
    assert_eq!(b.status, 200, "{}", b.body);
    let old = app.get(&format!("/v1/prices/{}", a["id"].as_str().unwrap())).await.body;
    assert_eq!(old["lookup_key"], serde_json::Value::Null);
});
