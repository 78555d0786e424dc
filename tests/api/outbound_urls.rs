//! The outbound-URL policy (issue 16, defect 7): in live mode, webhook
//! endpoints and `http` processor routes must be public https URLs, refused
//! at create and update and checked again before every request; test mode
//! and `KASSA_ALLOW_PRIVATE_OUTBOUND` allow loopback. The deliveries API
//! shows a receiver's answer to the endpoint's owner only, as a short
//! sanitized excerpt.

use std::time::Duration;

use serde_json::Value;

use crate::backend_test;
use crate::gateway::{gateway, Mode};
use crate::helpers::TestApp;
use crate::sessions::OK_URL;
use crate::webhook_receiver::Receiver;

/// Live mode as shipped: no private outbound.
fn strict(c: &mut kassa::config::Config) {
    c.allow_private_outbound = false;
}

/// `KASSA_ALLOW_PRIVATE_OUTBOUND=true`.
fn opted_in(c: &mut kassa::config::Config) {
    c.allow_private_outbound = true;
}

/// URLs live mode refuses: each private range, metadata services, local
/// names, and plain http to a public host.
const REFUSED: &[&str] = &[
    "http://example.com/hook",
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://2130706433/hook",
    "https://10.0.0.5/hook",
    "https://172.16.3.4/hook",
    "https://172.31.0.1/hook",
    "https://192.168.0.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fe80::1]/hook",
    "https://[fd12:3456::1]/hook",
    "https://[::ffff:192.168.0.1]/hook",
    "https://localhost/hook",
    "https://metadata.google.internal/computeMetadata/v1/",
];

/// A card number that is not one of Stripe's published test cards.
const REAL_LOOKING: &str = "4111111111111111";

fn card() -> Vec<(&'static str, &'static str)> {
    vec![
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", REAL_LOOKING),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2031"),
        ("payment_method_data[card][cvc]", "123"),
    ]
}

impl TestApp {
    /// Rewrites a stored object of `livemode`, as data written before the
    /// policy (or under the opt-in) would be.
    async fn rewrite(&self, livemode: bool, id: &str, edit: impl FnOnce(&mut Value)) {
        let scope = kassa::store::Scope { account_id: self.keys.account_id.clone(), livemode };
        let stored = self.store.get_object(&scope, id).await.unwrap().unwrap();
        let mut doc = stored.doc().unwrap();
        edit(&mut doc);
        let tags = if stored.kind == "webhook_endpoint" {
            use kassa::domain::document::Document;
            serde_json::from_value::<kassa::domain::webhook_endpoint::WebhookEndpoint>(doc.clone()).unwrap().tags()
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

    async fn endpoint_as(&self, key: &str, url: &str) -> crate::helpers::Res {
        self.post_as(key, "/v1/webhook_endpoints", &[("url", url), ("enabled_events[]", "*")]).await
    }

    async fn route_as(&self, key: &str, urls: &[&str]) -> crate::helpers::Res {
        let mut pairs = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            pairs.push((format!("processors[{i}][type]"), "http".to_owned()));
            pairs.push((format!("processors[{i}][url]"), (*url).to_owned()));
        }
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_as(key, "/v1/processor_routes", &refs).await
    }

    /// An open session of 900 on `route`, in the mode of `key`.
    async fn session_as(&self, key: &str, route: &str) -> String {
        let pairs = [
            ("mode", "payment"),
            ("success_url", OK_URL),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "900"),
            ("line_items[0][price_data][product_data][name]", "Goods"),
            ("line_items[0][quantity]", "1"),
            ("processor_route", route),
        ];
        let r = self.post_as(key, "/v1/checkout/sessions", &pairs).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// The endpoint's deliveries once the first has an attempt.
    async fn first_attempt(&self, key: &str, we: &str) -> Value {
        for _ in 0..300 {
            let d = self.get_as(key, &format!("/v1/webhook_endpoints/{we}/deliveries")).await.body;
            if d["data"][0]["attempt_count"].as_i64().unwrap_or(0) >= 1 {
                return d["data"][0]["attempts"][0].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no delivery attempt for {we}");
    }
}

backend_test!(live_mode_refuses_private_and_plain_http_urls_naming_the_param, config = strict, |app| {
    let live = app.keys.live_sk.clone();
    for url in REFUSED {
        let e = app.endpoint_as(&live, url).await;
        let msg = e.error(400, Some("url_invalid"), Some("url"))["message"].as_str().unwrap().to_owned();
        assert!(msg.contains("public https"), "{url}: {msg}");
        let r = app.route_as(&live, &["https://gateway.example/v1", url]).await;
        r.error(400, Some("url_invalid"), Some("processors[1][url]"));
    }
    // Public https is taken; an update to a refused URL is not.
    let ok = app.endpoint_as(&live, "https://shop.example/hooks").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let we = ok.body["id"].as_str().unwrap();
    for url in ["http://shop.example/hooks", "https://169.254.169.254/", "https://[fe80::1]/x"] {
        let r = app.post_as(&live, &format!("/v1/webhook_endpoints/{we}"), &[("url", url)]).await;
        r.error(400, Some("url_invalid"), Some("url"));
    }
    let ep = app.get_as(&live, &format!("/v1/webhook_endpoints/{we}")).await.body;
    assert_eq!(ep["url"], "https://shop.example/hooks", "nothing was changed");
    assert_eq!(app.route_as(&live, &["https://gateway.example/v1"]).await.status, 200);
    assert!(app.get_as(&live, "/v1/processor_routes").await.body["data"].as_array().unwrap().len() == 1);
});

backend_test!(test_mode_keeps_loopback_and_http_even_when_live_mode_is_strict, config = strict, |app| {
    let (url, calls) = gateway(Mode::Approve).await;
    let r = app.route_as(&app.keys.sk.clone(), &[&url]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let route = r.body["id"].as_str().unwrap().to_owned();
    let rx = Receiver::start(200).await;
    assert_eq!(app.endpoint_as(&app.keys.sk.clone(), &rx.url).await.status, 200);
    let id = app.session_as(&app.keys.sk.clone(), &route).await;
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!((r.status, r.body["payment_status"].as_str()), (200, Some("paid")), "{}", r.body);
    assert_eq!(*calls.lock().unwrap(), 1);
    rx.wait_for(1).await;
});

backend_test!(the_opt_in_allows_loopback_in_live_mode, config = opted_in, |app| {
    let live = app.keys.live_sk.clone();
    let (url, calls) = gateway(Mode::Approve).await;
    let r = app.route_as(&live, &[&url]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = app.session_as(&live, r.body["id"].as_str().unwrap()).await;
    let r = app.post_as(&live, &format!("/v1/checkout/sessions/{id}/confirm"), &card()).await;
    assert_eq!((r.status, r.body["payment_status"].as_str()), (200, Some("paid")), "{}", r.body);
    assert_eq!(*calls.lock().unwrap(), 1);
    let rx = Receiver::start(200).await;
    assert_eq!(app.endpoint_as(&live, &rx.url).await.status, 200);
    app.post_as(&live, "/v1/customers", &[("name", "Ada")]).await;
    assert_eq!(rx.wait_for(1).await[0].json()["livemode"], true);
});

backend_test!(live_sends_to_stored_private_urls_are_refused_before_connecting, config = strict, |app| {
    let live = app.keys.live_sk.clone();
    let rx = Receiver::start(200).await;
    // Stored before the policy: one plain-http loopback URL, one https
    // URL naming a loopback address.
    let mut ids = Vec::new();
    for stored in [rx.url.clone(), rx.url.replace("http://", "https://")] {
        let r = app.endpoint_as(&live, "https://shop.example/hooks").await;
        let we = r.body["id"].as_str().unwrap().to_owned();
        app.rewrite(true, &we, |d| d["url"] = stored.clone().into()).await;
        ids.push(we);
    }
    app.post_as(&live, "/v1/customers", &[("name", "Ada")]).await;
    for we in &ids {
        let a = app.first_attempt(&live, we).await;
        assert!(a["error"].as_str().unwrap().starts_with("refused: a live-mode endpoint must be public https"), "{a}");
        assert_eq!(a["response_status"], Value::Null);
    }
    assert!(rx.received().is_empty(), "nothing reached the receiver");

    // A processor route likewise: the card number never leaves.
    let (url, calls) = gateway(Mode::Approve).await;
    let r = app.route_as(&live, &["https://gateway.example/v1"]).await;
    let route = r.body["id"].as_str().unwrap().to_owned();
    app.rewrite(true, &route, |d| d["processors"][0]["url"] = url.clone().into()).await;
    let id = app.session_as(&live, &route).await;
    let r = app.post_as(&live, &format!("/v1/checkout/sessions/{id}/confirm"), &card()).await;
    assert_ne!(r.status, 200, "{}", r.body);
    assert_eq!(*calls.lock().unwrap(), 0, "the gateway saw nothing");
    let s = app.get_as(&live, &format!("/v1/checkout/sessions/{id}?expand[]=payment_intent")).await.body;
    assert_ne!(s["payment_status"], "paid", "{s}");
    let attempts = s["payment_intent"]["attempts"].as_array().cloned().unwrap_or_default();
    assert!(
        attempts.iter().any(|a| a["detail"].as_str().is_some_and(|d| d.starts_with("refused: a live-mode processor"))),
        "{s}"
    );

    // Test mode, same server: loopback still receives.
    let test_rx = Receiver::start(200).await;
    assert_eq!(app.endpoint_as(&app.keys.sk.clone(), &test_rx.url).await.status, 200);
    app.customer(&[("name", "Bo")]).await;
    test_rx.wait_for(1).await;
});

/// A receiver that answers 200 with `body`; returns its URL.
async fn answering(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let body = body.clone();
            async move { ([("content-type", "text/html")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

backend_test!(deliveries_show_only_the_owner_a_short_sanitized_excerpt, |app| {
    let answer = format!("<script>alert('x')</script>\u{1b}[2J\r\n\u{202e}{}\u{0}", "y".repeat(5000));
    let url = answering(answer).await;
    let sk = app.keys.sk.clone();
    let we = app.endpoint_as(&sk, &url).await.body["id"].as_str().unwrap().to_owned();
    app.customer(&[]).await;
    let a = app.first_attempt(&sk, &we).await;
    let body = a["response_body"].as_str().unwrap();
    assert_eq!(body.chars().count(), 200, "{body}");
    assert!(body.starts_with("<script>alert('x')</script>[2J yyy"), "kept as text, not escaped: {body}");
    assert!(body.ends_with("y…"), "{body}");
    assert!(!body.chars().any(|c| c.is_control() || c == '\u{202e}'), "{body:?}");
    let path = format!("/v1/webhook_endpoints/{we}/deliveries");
    let r = TestApp::send(app.req(reqwest::Method::GET, &path).bearer_auth(&sk)).await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(r.body["data"][0]["attempts"][0]["response_body"], body);

    // Nobody else sees the endpoint or its deliveries: another account,
    // or the same account's other mode.
    let other = app.other_account().await;
    for key in [other.secret_key.as_str(), other.live_secret_key.as_str(), app.keys.live_sk.as_str()] {
        app.get_as(key, &path).await.error(404, Some("resource_missing"), Some("id"));
        app.get_as(key, &format!("/v1/webhook_endpoints/{we}")).await.error(404, Some("resource_missing"), Some("id"));
    }
});
