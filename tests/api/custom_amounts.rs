//! Custom amounts (seed 002): the buyer names the amount at confirm.

use crate::backend_test;
use crate::helpers::TestApp;

async fn custom_session(app: &TestApp, bounds: &[(&str, &str)]) -> String {
    let prod = app.post("/v1/products", &[("name", "Donation")]).await.body["id"].as_str().unwrap().to_owned();
    let mut pairs = vec![("product", prod.as_str()), ("currency", "usd"), ("custom_unit_amount[enabled]", "true")];
    pairs.extend_from_slice(bounds);
    let price = app.post("/v1/prices", &pairs).await;
    assert_eq!(price.status, 200, "{}", price.body);
    let s = app
        .session(&[("line_items[0][price]", price.body["id"].as_str().unwrap()), ("line_items[0][quantity]", "1")])
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    s.body["id"].as_str().unwrap().to_owned()
}

backend_test!(the_buyers_amount_is_charged_within_the_bounds, |app| {
    let id = custom_session(
        &app,
        &[
            ("custom_unit_amount[minimum]", "500"),
            ("custom_unit_amount[maximum]", "10000"),
            ("custom_unit_amount[preset]", "1500"),
        ],
    )
    .await;
    assert_eq!(
        app.get(&format!("/v1/checkout/sessions/{id}")).await.body["amount_total"],
        1500,
        "the preset until the buyer chooses"
    );
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "100")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "20000")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "12.5")]).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("amount"),
    );
    let r = app
        .confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "2500"), ("expand[]", "payment_intent")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["amount_total"].as_i64(), r.body["payment_intent"]["amount_received"].as_i64()),
        (Some(2500), Some(2500))
    );
});

backend_test!(default_bounds_are_50_to_99999999, |app| {
    let id = custom_session(&app, &[]).await;
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "49")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "100000000")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
    assert_eq!(app.confirm(&id, &[("payment_method", "pm_card_visa"), ("amount", "50")]).await.status, 200);
    let fixed = app.open_session().await;
    app.confirm(&fixed, &[("payment_method", "pm_card_visa"), ("amount", "700")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount"),
    );
});
