//! Custom fields: configured at create, filled and checked at confirm.

use crate::backend_test;

backend_test!(custom_field_values_are_checked_at_confirm_and_shown_after, |app| {
    let s = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("custom_fields[0][key]", "size"),
            ("custom_fields[0][label][type]", "custom"),
            ("custom_fields[0][label][custom]", "Size"),
            ("custom_fields[0][type]", "dropdown"),
            ("custom_fields[0][dropdown][options][0][label]", "Small"),
            ("custom_fields[0][dropdown][options][0][value]", "s"),
            ("custom_fields[0][dropdown][options][1][label]", "Medium"),
            ("custom_fields[0][dropdown][options][1][value]", "m"),
            ("custom_fields[1][key]", "note"),
            ("custom_fields[1][label][type]", "custom"),
            ("custom_fields[1][label][custom]", "Note"),
            ("custom_fields[1][type]", "text"),
            ("custom_fields[1][optional]", "true"),
            ("custom_fields[1][text][maximum_length]", "20"),
        ])
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    let id = s.body["id"].as_str().unwrap().to_owned();
    assert_eq!(s.body["custom_fields"][0]["dropdown"]["value"], serde_json::Value::Null);
    app.confirm(&id, &[("payment_method", "pm_card_visa")]).await.error(
        400,
        Some("parameter_missing"),
        Some("custom_fields[size]"),
    );
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("custom_fields[size]", "xl")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("custom_fields[size]"),
    );
    app.confirm(
        &id,
        &[("payment_method", "pm_card_visa"), ("custom_fields[size]", "m"), ("custom_fields[colour]", "red")],
    )
    .await
    .error(400, Some("parameter_invalid"), Some("custom_fields[colour]"));
    let r = app
        .confirm(
            &id,
            &[("payment_method", "pm_card_visa"), ("custom_fields[size]", "m"), ("custom_fields[note]", "gift wrap")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["custom_fields"][0]["dropdown"]["value"], "m");
    assert_eq!(r.body["custom_fields"][1]["text"]["value"], "gift wrap");
});
