//! Live mode never fakes a payment: the built-in `test` processor and
//! Stripe's test tokens exist in test mode only, a published test card is
//! declined as Stripe declines it, and a payment with no real processor is
//! refused before anything is recorded.

use serde_json::Value;

use crate::backend_test;
use crate::gateway::{gateway, Mode};
use crate::helpers::{Res, TestApp};
use crate::sessions::OK_URL;

/// A card number that is not one of Stripe's published test cards.
const REAL_LOOKING: &str = "4111111111111111";

fn card(number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("payment_method_data[type]", "card".into()),
        ("payment_method_data[card][number]", number.into()),
        ("payment_method_data[card][exp_month]", "12".into()),
        ("payment_method_data[card][exp_year]", "2031".into()),
        ("payment_method_data[card][cvc]", "123".into()),
    ]
}

impl TestApp {
    /// Rewrites a stored live-mode object, as data written before a rule
    /// existed would be.
    async fn patch_live(&self, id: &str, edit: impl FnOnce(&mut Value)) {
        let scope = kassa::store::Scope { account_id: self.keys.account_id.clone(), livemode: true };
        let stored = self.store.get_object(&scope, id).await.unwrap().unwrap();
        let mut doc = stored.doc().unwrap();
        edit(&mut doc);
        let tags = if stored.kind == "checkout.session" {
            kassa::domain::document::Document::tags(
                &serde_json::from_value::<kassa::domain::session::CheckoutSession>(doc.clone()).unwrap(),
            )
        } else {
            vec![]
        };
        let change = kassa::store::Change::Update {
            id: id.to_owned(),
            expected_version: stored.version,
            tags,
            doc: doc.to_string(),
        };
        let set = kassa::store::ChangeSet { scope, changes: vec![change], events: vec![], idempotency: None };
        self.store.commit(set).await.unwrap();
    }

    pub async fn live_post(&self, path: &str, pairs: &[(&str, &str)]) -> Res {
        self.post_as(&self.keys.live_sk.clone(), path, pairs).await
    }

    async fn live_get(&self, path: &str) -> Res {
        self.get_as(&self.keys.live_sk.clone(), path).await
    }

    /// A live-mode route of one `http` processor at `url`.
    pub async fn live_route(&self, url: &str) -> String {
        let r = self
            .live_post("/v1/processor_routes", &[("processors[0][type]", "http"), ("processors[0][url]", url)])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// An open live-mode session of 900, on `route` when given.
    pub async fn live_session(&self, route: Option<&str>, extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("mode", "payment"),
            ("success_url", OK_URL),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "900"),
            ("line_items[0][price_data][product_data][name]", "Real goods"),
            ("line_items[0][quantity]", "1"),
        ];
        if let Some(r) = route {
            pairs.push(("processor_route", r));
        }
        pairs.extend_from_slice(extra);
        let r = self.live_post("/v1/checkout/sessions", &pairs).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["livemode"], true);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn live_confirm(&self, id: &str, pairs: &[(&str, String)]) -> Res {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.live_post(&format!("/v1/checkout/sessions/{id}/confirm"), &refs).await
    }

    /// The session as a live retrieve shows it: still open, nothing paid.
    async fn assert_untouched(&self, id: &str) {
        let s = self.live_get(&format!("/v1/checkout/sessions/{id}")).await.body;
        assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("open"), Some("unpaid")), "{s}");
        assert_eq!(s["payment_intent"], Value::Null, "nothing was recorded: {s}");
    }
}

backend_test!(a_live_payment_without_a_real_processor_is_refused_before_anything_is_recorded, |app| {
    let id = app.live_session(None, &[]).await;
    for pm in [card(REAL_LOOKING), vec![("payment_method", "pm_card_visa".to_owned())]] {
        let r = app.live_confirm(&id, &pm).await;
        let e = r.error(400, Some("processor_route_required"), Some("processor_route"));
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains("/v1/processor_routes") && msg.contains("http"), "{msg}");
        app.assert_untouched(&id).await;
    }
    // The same session in test mode would have been paid by the test processor.
    let test = app.open_session().await;
    let r = app.confirm(&test, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!((r.status, r.body["payment_status"].as_str()), (200, Some("paid")), "{}", r.body);
});

backend_test!(test_tokens_do_not_exist_in_live_mode, |app| {
    let (url, calls) = gateway(Mode::Approve).await;
    let route = app.live_route(&url).await;
    let id = app.live_session(Some(&route), &[]).await;
    for token in ["pm_card_visa", "tok_visa", "pm_card_mastercard"] {
        let r = app.live_confirm(&id, &[("payment_method", token.to_owned())]).await;
        let e = r.error(400, Some("resource_missing"), Some("payment_method"));
        assert!(e["message"].as_str().unwrap().contains("exists in test mode"), "{e}");
    }
    assert_eq!(*calls.lock().unwrap(), 0, "no processor saw a test token");
    app.assert_untouched(&id).await;
});

backend_test!(a_published_test_card_is_declined_in_live_mode_as_stripe_declines_it, |app| {
    let (url, calls) = gateway(Mode::Approve).await;
    let route = app.live_route(&url).await;
    let id = app.live_session(Some(&route), &[]).await;
    for number in ["4242424242424242", "4000000000003220", "5555555555554444"] {
        let r = app.live_confirm(&id, &card(number)).await;
        let e = r.error(402, Some("card_declined"), None);
        assert_eq!((e["type"].as_str(), e["decline_code"].as_str()), (Some("card_error"), Some("test_mode_live_card")));
        assert!(!r.body.to_string().contains(number), "the number is not echoed");
    }
    assert_eq!(*calls.lock().unwrap(), 0, "no processor saw a test card");
    app.assert_untouched(&id).await;
    // A card that is not a test card goes to the real processor and is paid.
    let r = app.live_confirm(&id, &card(REAL_LOOKING)).await;
    assert_eq!((r.status, r.body["payment_status"].as_str()), (200, Some("paid")), "{}", r.body);
    assert_eq!(r.body["livemode"], true);
    assert_eq!(*calls.lock().unwrap(), 1);
});

backend_test!(a_live_route_may_not_hold_the_test_processor, |app| {
    let r = app
        .live_post(
            "/v1/processor_routes",
            &[
                ("processors[0][type]", "http"),
                ("processors[0][url]", "https://gw.example"),
                ("processors[1][type]", "test"),
            ],
        )
        .await;
    r.error(400, Some("parameter_invalid"), Some("processors[1][type]"));
    // The built-in route is a test-mode thing.
    app.live_get("/v1/processor_routes/test").await.error(404, Some("resource_missing"), Some("id"));
    assert_eq!(app.get("/v1/processor_routes/test").await.status, 200);
    let mut pairs = vec![
        ("mode", "payment"),
        ("success_url", OK_URL),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "900"),
        ("line_items[0][price_data][product_data][name]", "x"),
        ("line_items[0][quantity]", "1"),
        ("processor_route", "test"),
    ];
    let r = app.live_post("/v1/checkout/sessions", &pairs).await;
    r.error(400, Some("processor_route_required"), Some("processor_route"));
    pairs.pop();
    pairs.extend([("cascade_tiers[0][processor_route]", "test")]);
    let r = app.live_post("/v1/checkout/sessions", &pairs).await;
    r.error(400, Some("processor_route_required"), Some("cascade_tiers[0][processor_route]"));
});

backend_test!(the_due_charge_worker_never_charges_live_mode_through_the_test_processor, |app| {
    let (url, calls) = gateway(Mode::Approve).await;
    let route = app.live_route(&url).await;
    // A live customer saves a real card (setup mode needs no processor).
    let setup = app
        .live_post("/v1/checkout/sessions", &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)])
        .await;
    let r = app.live_confirm(setup.body["id"].as_str().unwrap(), &card(REAL_LOOKING)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let customer = r.body["customer"].as_str().unwrap().to_owned();
    let id = app.live_session(Some(&route), &[("customer", &customer)]).await;
    let pairs = [("confirmation", "charge_when_due".to_owned()), ("days_until_due", "3".to_owned())];
    let r = app.live_confirm(&id, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let contract = r.body["contract"].as_str().unwrap().to_owned();
    // A session stored before routes were checked, with no route at all.
    app.patch_live(&id, |doc| doc["processor_route"] = Value::Null).await;
    app.clock.advance(3 * 86_400);
    assert_eq!(kassa::worker::due_charges::charge_due(&app.state).await.unwrap(), 1);
    let ctr = app.live_get(&format!("/v1/contracts/{contract}")).await.body;
    assert_eq!(ctr["schedule"][0]["status"], "failed", "{ctr}");
    let pi = app
        .live_get(&format!("/v1/payment_intents/{}", ctr["schedule"][0]["payment_intent"].as_str().unwrap()))
        .await
        .body;
    assert_ne!(pi["status"], "succeeded", "{pi}");
    assert_eq!(pi["amount_received"], 0, "{pi}");
    let s = app.live_get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert_ne!(s["payment_status"], "paid", "{s}");
    assert_eq!(*calls.lock().unwrap(), 0);
});

backend_test!(a_stored_live_route_holding_test_is_refused_at_confirm, |app| {
    let (url, calls) = gateway(Mode::Approve).await;
    let route = app.live_route(&url).await;
    let id = app.live_session(Some(&route), &[]).await;
    // A route stored before live routes were checked.
    app.patch_live(&route, |doc| {
        doc["processors"] = serde_json::json!([{"type": "test", "name": "test", "url": null, "timeout_ms": 10000}])
    })
    .await;
    let r = app.live_confirm(&id, &card(REAL_LOOKING)).await;
    let e = r.error(400, Some("processor_route_required"), Some("processor_route"));
    assert!(e["message"].as_str().unwrap().contains(&route), "{e}");
    app.assert_untouched(&id).await;
    assert_eq!(*calls.lock().unwrap(), 0);
});
