//! Checkout sessions over time: update, expire, the sweeper, list, line items.

use crate::backend_test;
use crate::helpers::START;
use serde_json::Value;

fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

async fn expired_events(app: &crate::helpers::TestApp, id: &str) -> usize {
    app.events()
        .await
        .iter()
        .filter(|e| e["type"] == "checkout.session.expired" && e["data"]["object"]["id"] == id)
        .count()
}

backend_test!(line_items_update_by_retransmitting_the_array, |app| {
    let a = app.price(1000, "usd").await;
    let b = app.price(250, "usd").await;
    let s = app
        .session(&[
            ("line_items[0][price]", &a),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][price]", &b),
            ("line_items[1][quantity]", "2"),
        ])
        .await
        .body;
    let id = s["id"].as_str().unwrap();
    let items = app.get(&format!("/v1/checkout/sessions/{id}/line_items")).await.body;
    let (li_a, li_b) =
        (items["data"][0]["id"].as_str().unwrap().to_owned(), items["data"][1]["id"].as_str().unwrap().to_owned());
    // Keep b first with a new quantity, drop a, add a new line.
    let r = app
        .post(
            &format!("/v1/checkout/sessions/{id}"),
            &[
                ("line_items[0][id]", &li_b),
                ("line_items[0][quantity]", "4"),
                ("line_items[1][price_data][currency]", "usd"),
                ("line_items[1][price_data][unit_amount]", "5"),
                ("line_items[1][price_data][product_data][name]", "New"),
                ("line_items[1][quantity]", "1"),
                ("metadata[cart]", "v2"),
                ("expand[]", "line_items"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let data = r.body["line_items"]["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["id"], li_b.as_str());
    assert_eq!(data[0]["quantity"], 4);
    assert_ne!(data[1]["id"], li_a.as_str());
    assert_eq!(r.body["amount_total"], 4 * 250 + 5);
    assert_eq!(r.body["metadata"]["cart"], "v2");
    app.post(&format!("/v1/checkout/sessions/{id}"), &[("line_items[0][id]", "li_unknown")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("line_items[0][id]"),
    );
    app.post(&format!("/v1/checkout/sessions/{id}"), &[("mode", "setup")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("mode"),
    );
});

backend_test!(only_open_sessions_can_be_updated_or_expired, |app| {
    let id = app.open_session().await;
    let r = app.post(&format!("/v1/checkout/sessions/{id}/expire"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["status"].as_str(), r.body["url"].clone()), (Some("expired"), Value::Null));
    assert_eq!(r.body["payment_status"], "unpaid");
    let again = app.post(&format!("/v1/checkout/sessions/{id}/expire"), &[]).await;
    again.error(400, Some("checkout_session_not_open"), None);
    assert_eq!(again.body["error"]["message"], "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `expired`.");
    app.post(&format!("/v1/checkout/sessions/{id}"), &[("metadata[a]", "b")]).await.error(
        400,
        Some("checkout_session_not_open"),
        None,
    );
    assert_eq!(expired_events(&app, &id).await, 1);
    app.post("/v1/checkout/sessions/cs_test_nope/expire", &[]).await.error(404, Some("resource_missing"), Some("id"));
});

backend_test!(a_lapsed_session_reads_expired_before_the_sweeper_and_the_sweeper_records_one_event, |app| {
    let id = app.open_session().await;
    let soon = (START + 1800).to_string();
    let short = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("expires_at", &soon),
        ])
        .await
        .body;
    let short_id = short["id"].as_str().unwrap().to_owned();
    app.clock.advance(1800);
    let read = app.get(&format!("/v1/checkout/sessions/{short_id}")).await.body;
    assert_eq!((read["status"].as_str(), read["url"].clone()), (Some("expired"), Value::Null));
    app.post(&format!("/v1/checkout/sessions/{short_id}/expire"), &[]).await.error(
        400,
        Some("checkout_session_not_open"),
        None,
    );
    assert_eq!(expired_events(&app, &short_id).await, 0);
    let n = kassa::worker::session_expiry::expire_due(&app.state, None).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(kassa::worker::session_expiry::expire_due(&app.state, None).await.unwrap(), 0, "idempotent");
    assert_eq!(expired_events(&app, &short_id).await, 1);
    assert_eq!(app.get(&format!("/v1/checkout/sessions/{id}")).await.body["status"], "open");
});

backend_test!(concurrent_sweepers_and_expire_calls_record_exactly_one_event, |app| {
    let soon = (START + 1800).to_string();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let r = app
            .session(&[
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "500"),
                ("line_items[0][price_data][product_data][name]", "x"),
                ("line_items[0][quantity]", "1"),
                ("expires_at", &soon),
            ])
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    app.clock.advance(1800);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let state = app.state.clone();
            tokio::spawn(async move { kassa::worker::session_expiry::expire_due(&state, None).await.unwrap() })
        })
        .collect();
    let mut total = 0;
    for r in runs {
        total += r.await.unwrap();
    }
    assert_eq!(total, 5);
    for id in &ids {
        assert_eq!(expired_events(&app, id).await, 1);
    }
});

backend_test!(sessions_list_by_status_customer_email_and_created, |app| {
    let cus = app.customer(&[("email", "c@x.io")]).await;
    let a = app.open_session().await;
    app.clock.advance(10);
    let b = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("customer", &cus),
        ])
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("customer_email", "e@x.io"),
        ])
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(&format!("/v1/checkout/sessions/{c}/expire"), &[]).await;
    assert_eq!(ids(&app.get("/v1/checkout/sessions").await.body), [c.clone(), b.clone(), a.clone()]);
    assert_eq!(ids(&app.get("/v1/checkout/sessions?status=open").await.body), [b.clone(), a.clone()]);
    assert_eq!(ids(&app.get("/v1/checkout/sessions?status=expired").await.body), vec![c.clone()]);
    assert_eq!(ids(&app.get(&format!("/v1/checkout/sessions?customer={cus}")).await.body), vec![b.clone()]);
    assert_eq!(ids(&app.get("/v1/checkout/sessions?customer_details[email]=e%40x.io").await.body), vec![c.clone()]);
    assert_eq!(ids(&app.get(&format!("/v1/checkout/sessions?created[lt]={}", START + 5)).await.body), vec![a.clone()]);
    assert!(ids(&app.get("/v1/checkout/sessions?payment_intent=pi_x").await.body).is_empty());
    assert!(ids(&app.get("/v1/checkout/sessions?payment_link=plink_x").await.body).is_empty());
    app.get("/v1/checkout/sessions?status=lost").await.error(400, Some("parameter_invalid_enum"), Some("status"));
    app.get("/v1/checkout/sessions?customer_details[phone]=1").await.error(
        400,
        Some("parameter_unknown"),
        Some("customer_details[phone]"),
    );
    // A session that lapsed moves from open to expired in filtered lists.
    app.clock.advance(24 * 3600);
    assert!(ids(&app.get("/v1/checkout/sessions?status=open").await.body).is_empty());
    assert_eq!(ids(&app.get("/v1/checkout/sessions?status=expired").await.body).len(), 3);
    let expanded = app.get("/v1/checkout/sessions?limit=1&expand[]=data.line_items").await.body;
    assert_eq!(expanded["data"][0]["line_items"]["object"], "list");
    let deep = app.get(&format!("/v1/checkout/sessions/{a}?expand[]=line_items.data.price.product")).await.body;
    assert_eq!(deep["line_items"]["data"][0]["price"]["product"]["name"], "T");
});

backend_test!(line_items_page_in_the_order_given, |app| {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for i in 0..5 {
        pairs.push((format!("line_items[{i}][price_data][currency]"), "usd".into()));
        pairs.push((format!("line_items[{i}][price_data][unit_amount]"), format!("{}", 100 + i)));
        pairs.push((format!("line_items[{i}][price_data][product_data][name]"), format!("item {i}")));
        pairs.push((format!("line_items[{i}][quantity]"), "1".into()));
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let id = app.session(&refs).await.body["id"].as_str().unwrap().to_owned();
    let first = app.get(&format!("/v1/checkout/sessions/{id}/line_items?limit=2")).await.body;
    assert_eq!(first["has_more"], true);
    assert_eq!(first["url"], format!("/v1/checkout/sessions/{id}/line_items"));
    let names: Vec<&str> =
        first["data"].as_array().unwrap().iter().map(|i| i["description"].as_str().unwrap()).collect();
    assert_eq!(names, ["item 0", "item 1"]);
    let after = first["data"][1]["id"].as_str().unwrap();
    let rest = app.get(&format!("/v1/checkout/sessions/{id}/line_items?starting_after={after}")).await.body;
    assert_eq!(rest["data"].as_array().unwrap().len(), 3);
    assert_eq!(rest["has_more"], false);
    let before = rest["data"][0]["id"].as_str().unwrap();
    let back = app.get(&format!("/v1/checkout/sessions/{id}/line_items?ending_before={before}&limit=1")).await.body;
    assert_eq!(back["data"][0]["description"], "item 1");
    assert_eq!(back["has_more"], true);
    let exp = app.get(&format!("/v1/checkout/sessions/{id}/line_items?limit=1&expand[]=data.price.product")).await.body;
    assert_eq!(exp["data"][0]["price"]["product"]["name"], "item 0");
    app.get(&format!("/v1/checkout/sessions/{id}/line_items?starting_after=li_nope")).await.error(
        400,
        Some("resource_missing"),
        Some("starting_after"),
    );
});
