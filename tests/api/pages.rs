//! The payment page over HTTP: what it renders, the headers it carries,
//! and what it refuses. The buyer's flow in a browser is tests/browser/.

use crate::backend_test;
use crate::helpers::{form, TestApp};
use reqwest::Method;

const DECLINED: [(&str, &str); 5] = [
    ("payment_method_data[type]", "card"),
    ("payment_method_data[card][number]", "4000000000000002"),
    ("payment_method_data[card][exp_month]", "12"),
    ("payment_method_data[card][exp_year]", "2031"),
    ("payment_method_data[card][cvc]", "123"),
];

impl TestApp {
    /// A page: status, headers and HTML text.
    pub async fn page(&self, path: &str, lang: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut req = client.get(format!("{}{path}", self.base));
        if let Some(l) = lang {
            req = req.header("accept-language", l);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.headers().clone(), r.text().await.unwrap())
    }
}

/// A `data-NAME="…"` attribute's value on the page.
fn attr(html: &str, name: &str) -> String {
    let key = format!("data-{name}=\"");
    html.split(&key).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
}

async fn priced(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2500"),
        ("line_items[0][price_data][product_data][name]", "Beans"),
        ("line_items[0][quantity]", "1"),
    ];
    pairs.extend_from_slice(extra);
    let r = app.session(&pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

backend_test!(a_made_up_session_gets_a_friendly_404_page, |app| {
    let (status, headers, html) = app.page("/pay/cs_test_madeup", None).await;
    assert_eq!(status, 404);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("Checkout not found"), "{html}");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    // Ids of other kinds have no page either.
    let cus = app.customer(&[]).await;
    assert_eq!(app.page(&format!("/pay/{cus}"), None).await.0, 404);
});

backend_test!(names_and_labels_are_shown_escaped, |app| {
    let id = priced(
        &app,
        &[
            ("line_items[0][price_data][product_data][name]", "<script>alert(1)</script>"),
            ("custom_fields[0][key]", "note"),
            ("custom_fields[0][label][type]", "custom"),
            ("custom_fields[0][label][custom]", "<img src=x onerror=alert(2)>"),
            ("custom_fields[0][type]", "text"),
            ("metadata[x]", "<b>meta</b>"),
        ],
    )
    .await;
    let (status, _, html) = app.page(&format!("/pay/{id}"), None).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(!html.contains("<b>meta"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
});

backend_test!(hosted_pages_cannot_be_framed_and_embedded_ones_only_by_their_origin, |app| {
    let hosted = priced(&app, &[]).await;
    let (_, h, _) = app.page(&format!("/pay/{hosted}"), None).await;
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    let r = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "embedded_page"),
                ("return_url", "https://shop.example/r?s={CHECKOUT_SESSION_ID}"),
                ("embed_origin", "https://shop.example"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "500"),
                ("line_items[0][price_data][product_data][name]", "T"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["embed_origin"], "https://shop.example");
    let (status, h, _) = app.page(&format!("/pay/{}", r.body["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 200);
    assert!(h["content-security-policy"].to_str().unwrap().ends_with("frame-ancestors 'self' https://shop.example"));
    assert!(h.get("x-frame-options").is_none());
});

backend_test!(the_page_key_and_client_secret_confirm_the_session, |app| {
    let id = priced(&app, &[]).await;
    let (_, _, html) = app.page(&format!("/pay/{id}"), None).await;
    let (pk, secret) = (attr(&html, "pk"), attr(&html, "secret"));
    assert!(pk.starts_with("pk_test_"), "{pk}");
    assert!(secret.starts_with(&format!("{id}_secret_")));
    let mut pairs = vec![("client_secret", secret.as_str())];
    pairs.extend_from_slice(&DECLINED);
    pairs[2].1 = "4242424242424242";
    let r = app.post_as(&pk, &format!("/v1/checkout/sessions/{id}/confirm"), &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "complete");
    // A finished hosted session's page sends the buyer to success_url.
    let (status, h, _) = app.page(&format!("/pay/{id}"), None).await;
    assert_eq!(status, 303);
    assert_eq!(h["location"].to_str().unwrap(), format!("https://shop.example/done?session={id}"));
});

backend_test!(tampered_amounts_and_currencies_have_no_effect, |app| {
    let id = priced(&app, &[]).await;
    let (_, _, html) = app.page(&format!("/pay/{id}"), None).await;
    let (pk, secret) = (attr(&html, "pk"), attr(&html, "secret"));
    let path = format!("/v1/checkout/sessions/{id}/confirm");
    for (param, value) in [("amount_total", "1"), ("currency", "jpy"), ("line_items[0][price_data][unit_amount]", "1")]
    {
        let mut pairs = vec![("client_secret", secret.as_str()), (param, value)];
        pairs.extend_from_slice(&DECLINED);
        pairs[3].1 = "4242424242424242";
        let r = app.post_as(&pk, &path, &pairs).await;
        let root = param.split('[').next().unwrap();
        r.error(400, Some("parameter_unknown"), Some(root));
    }
    // A custom amount on a fixed price is refused too.
    let mut pairs = vec![("client_secret", secret.as_str()), ("amount", "100")];
    pairs.extend_from_slice(&DECLINED);
    pairs[3].1 = "4242424242424242";
    assert_eq!(app.post_as(&pk, &path, &pairs).await.status, 400);
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["amount_total"].as_i64()), (Some("open"), Some(2500)), "nothing changed");
});

backend_test!(failed_payments_are_limited_to_ten_an_hour_per_session, |app| {
    let id = priced(&app, &[]).await;
    for i in 0..10 {
        let r = app.confirm(&id, &DECLINED).await;
        assert_eq!(r.status, 402, "attempt {i}: {}", r.body);
    }
    let r = app.confirm(&id, &DECLINED).await;
    r.error(429, Some("rate_limit"), None);
    assert_eq!(r.body["error"]["type"], "rate_limit_error");
    app.clock.advance(3601);
    let mut good = DECLINED.to_vec();
    good[1].1 = "4242424242424242";
    let r = app.confirm(&id, &good).await;
    assert_eq!(r.status, 200, "an hour later it is allowed again: {}", r.body);
});

backend_test!(after_completion_and_embed_origin_are_checked, |app| {
    let line = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "500"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "1"),
    ];
    let post = |extra: Vec<(&'static str, &'static str)>| {
        let mut p = vec![("mode", "payment")];
        p.extend_from_slice(&line);
        p.extend(extra);
        let app = &app;
        async move { app.post("/v1/checkout/sessions", &p).await }
    };
    post(vec![("after_completion[type]", "redirect")]).await.error(
        400,
        Some("parameter_missing"),
        Some("after_completion[redirect][url]"),
    );
    post(vec![("after_completion[type]", "bounce")]).await.error(
        400,
        Some("parameter_invalid_enum"),
        Some("after_completion[type]"),
    );
    post(vec![("success_url", "https://x.example"), ("embed_origin", "https://x.example")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("embed_origin"),
    );
    post(vec![
        ("ui_mode", "embedded_page"),
        ("return_url", "https://x.example/r"),
        ("embed_origin", "https://x.example/path"),
    ])
    .await
    .error(400, Some("url_invalid"), Some("embed_origin"));
    post(vec![
        ("ui_mode", "embedded_page"),
        ("return_url", "https://x.example/r"),
        ("after_completion[type]", "hosted_confirmation"),
    ])
    .await
    .error(400, Some("parameter_invalid"), Some("after_completion"));
    post(vec![("ui_mode", "embedded_page"), ("redirect_on_completion", "never")]).await.error(
        400,
        Some("parameter_missing"),
        Some("embed_origin"),
    );
    post(vec![("success_url", "https://x.example/ok\tpath")]).await.error(
        400,
        Some("url_invalid"),
        Some("success_url"),
    );
    let ok = post(vec![
        ("after_completion[type]", "hosted_confirmation"),
        ("after_completion[hosted_confirmation][custom_message]", "Thanks <b>!</b>"),
    ])
    .await;
    assert_eq!(ok.status, 200, "no success_url needed: {}", ok.body);
    assert_eq!(ok.body["after_completion"]["hosted_confirmation"]["custom_message"], "Thanks <b>!</b>");
    let id = ok.body["id"].as_str().unwrap().to_owned();
    let mut good = DECLINED.to_vec();
    good[1].1 = "4242424242424242";
    assert_eq!(app.confirm(&id, &good).await.status, 200);
    let (status, _, html) = app.page(&format!("/pay/{id}"), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("Thanks &#60;b&#62;!&#60;/b&#62;"), "{html}");
});

backend_test!(shipping_details_are_refused_where_no_address_is_collected, |app| {
    let id = priced(&app, &[]).await;
    let mut card = DECLINED.to_vec();
    card[1].1 = "4242424242424242";
    card.extend([
        ("shipping_details[name]", "Ada"),
        ("shipping_details[address][line1]", "1 St"),
        ("shipping_details[address][country]", "DE"),
    ]);
    app.confirm(&id, &card).await.error(400, Some("parameter_invalid"), Some("shipping_details"));
    let id = priced(&app, &[("shipping_address_collection[allowed_countries][0]", "DE")]).await;
    card.retain(|(k, _)| *k != "shipping_details[name]");
    app.confirm(&id, &card).await.error(400, Some("parameter_missing"), Some("shipping_details[name]"));
});

backend_test!(collected_addresses_and_phone_are_required_at_confirm, |app| {
    let id = priced(
        &app,
        &[
            ("shipping_address_collection[allowed_countries][0]", "DE"),
            ("billing_address_collection", "required"),
            ("phone_number_collection[enabled]", "true"),
        ],
    )
    .await;
    let mut card = DECLINED.to_vec();
    card[1].1 = "4242424242424242";
    app.confirm(&id, &card).await.error(400, Some("parameter_missing"), Some("customer_details[address]"));
    card.push(("customer_details[address][line1]", "1 Main St"));
    card.push(("customer_details[address][country]", "DE"));
    app.confirm(&id, &card).await.error(400, Some("parameter_missing"), Some("customer_details[phone]"));
    card.push(("customer_details[phone]", "+4930123456"));
    app.confirm(&id, &card).await.error(400, Some("parameter_missing"), Some("shipping_details[address][line1]"));
    let mut wrong = card.clone();
    wrong.extend([
        ("shipping_details[name]", "Ada"),
        ("shipping_details[address][line1]", "2 Side St"),
        ("shipping_details[address][country]", "FR"),
    ]);
    app.confirm(&id, &wrong).await.error(400, Some("parameter_invalid"), Some("shipping_details[address][country]"));
    card.extend([
        ("shipping_details[name]", "Ada"),
        ("shipping_details[address][line1]", "2 Side St"),
        ("shipping_details[address][country]", "DE"),
    ]);
    let r = app.confirm(&id, &card).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["collected_information"]["shipping_details"]["address"]["line1"], "2 Side St");
    assert_eq!(r.body["customer_details"]["phone"], "+4930123456");
});

backend_test!(the_page_speaks_the_session_locale_or_the_browsers, |app| {
    let de = priced(&app, &[("locale", "de"), ("line_items[0][price_data][currency]", "eur")]).await;
    let (_, _, html) = app.page(&format!("/pay/{de}"), Some("ja")).await;
    assert!(html.contains("<html lang=\"de\">") && html.contains("25,00\u{a0}€") && html.contains("Kartennummer"));
    let auto = priced(&app, &[("locale", "auto"), ("line_items[0][price_data][currency]", "jpy")]).await;
    let (_, _, html) = app.page(&format!("/pay/{auto}"), Some("fr-CH, ja;q=0.5")).await;
    assert!(html.contains("<html lang=\"fr\">") && html.contains("2\u{202f}500\u{a0}JPY"), "{html}");
});

backend_test!(the_demo_form_needs_its_csrf_cookie_and_a_test_key, |app| {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{}/demo", app.base)).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let post = |cookie: Option<String>, body: String| {
        let mut req = client
            .post(format!("{}/demo", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let body = |key: &str, token: &str| form(&[("secret_key", key), ("csrf", token)]);
    assert_eq!(post(None, body(&app.keys.sk, &csrf)).await, 403, "no cookie");
    assert_eq!(post(Some(cookie.clone()), body(&app.keys.sk, "00")).await, 403, "a wrong token");
    assert_eq!(post(Some(cookie.clone()), body(&app.keys.live_sk, &csrf)).await, 400, "live keys are refused");
    assert_eq!(post(Some(cookie), body(&app.keys.sk, &csrf)).await, 200);
    let _ = Method::GET;
});
