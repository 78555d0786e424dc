//! A `price_data` line makes a price for that session only (and its
//! `product_data` a real product): the price is found by id and shown in
//! the line, never listed (Stripe's price list excludes inline prices),
//! and neither reused nor updated.

use crate::backend_test;

backend_test!(an_inline_price_is_found_by_id_and_never_listed, |app| {
    let id = app.open_session().await;
    let lines = app.get(&format!("/v1/checkout/sessions/{id}/line_items")).await.body;
    let price = lines["data"][0]["price"].clone();
    let pid = price["id"].as_str().expect("a price id").to_owned();
    assert_eq!(price["active"], false, "{price}");
    let got = app.get(&format!("/v1/prices/{pid}")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body, price);
    let product = price["product"].as_str().expect("a product id").to_owned();
    let expanded = app.get(&format!("/v1/prices/{pid}?expand[]=product")).await.body;
    assert_eq!(expanded["product"]["name"], "T");

    for query in ["", "?active=false", "?active=true", "?type=one_time", "?currency=usd"] {
        let listed = app.get(&format!("/v1/prices{query}")).await.body;
        assert_eq!(listed["data"], serde_json::json!([]), "{query}");
    }
    let by_product = app.get(&format!("/v1/prices?product={product}")).await.body;
    assert_eq!(by_product["data"], serde_json::json!([]));
    assert_eq!(app.stored_of(kassa::domain::price::INLINE_KIND).await.len(), 1);
    let products = app.get("/v1/products").await.body;
    assert_eq!(products["data"][0]["id"], product.as_str(), "the product made from product_data is listed");

    let reuse = app.session(&[("line_items[0][price]", &pid), ("line_items[0][quantity]", "1")]).await;
    reuse.error(400, Some("price_inactive"), Some("line_items[0][price]"));
    let update = app.post(&format!("/v1/prices/{pid}"), &[("metadata[k]", "v")]).await;
    update.error(400, Some("price_inline"), None);
    assert_eq!(app.get(&format!("/v1/prices/{pid}")).await.body, price, "unchanged");
});
