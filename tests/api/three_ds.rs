//! 3-D Secure: challenge (pass, fail, pass then declined), method then
//! frictionless, frictionless, and the status URL.

use crate::backend_test;
use crate::helpers::{form, Res, TestApp};
use serde_json::Value;

pub async fn start(app: &TestApp, number: &'static str) -> (String, Value) {
    let id = app.open_session().await;
    let pairs = [
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", number),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2031"),
        ("return_url", "https://shop.example/back"),
        ("expand[]", "payment_intent"),
    ];
    let r = app.confirm(&id, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "open");
    (id, r.body["payment_intent"].clone())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The challenge form's CSRF token, read off the page as a browser would.
async fn token(url: &str) -> String {
    let html = client().get(url).send().await.unwrap().text().await.unwrap();
    html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
}

pub async fn answer(url: &str, outcome: &str) -> Res {
    let csrf = token(url).await;
    TestApp::send(
        client()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("outcome", outcome), ("csrf", &csrf)])),
    )
    .await
}

backend_test!(a_challenge_answer_needs_its_csrf_token_and_a_same_site_origin, |app| {
    let (_, pi) = start(&app, "4000000000003220").await;
    let url = pi["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap().to_owned();
    let post = |body: String, origin: Option<&'static str>| {
        let mut req = client().post(&url).header("content-type", "application/x-www-form-urlencoded").body(body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        TestApp::send(req)
    };
    assert_eq!(post(form(&[("outcome", "succeed")]), None).await.status, 403, "no token");
    assert_eq!(post(form(&[("outcome", "succeed"), ("csrf", "00ff")]), None).await.status, 403, "a wrong token");
    let csrf = token(&url).await;
    let cross = post(form(&[("outcome", "succeed"), ("csrf", &csrf)]), Some("https://evil.example")).await;
    assert_eq!(cross.status, 403, "a cross-site post");
    assert_eq!(answer(&url, "succeed").await.status, 302, "the real form still works");
});

backend_test!(a_passed_challenge_completes_the_payment, |app| {
    let (id, pi) = start(&app, "4000000000003220").await;
    assert_eq!(pi["status"], "requires_action");
    let na = &pi["next_action"];
    assert_eq!(na["type"], "three_d_secure");
    let tds = &na["three_d_secure"];
    assert_eq!(tds["flow"], "challenge");
    assert_eq!(tds["return_url"], "https://shop.example/back");
    assert!(tds["idempotency_key"].as_str().unwrap().len() >= 20);
    let url = tds["challenge_url"].as_str().unwrap().to_owned();
    assert_eq!(na["redirect_to_url"]["url"], url.as_str());
    let page = TestApp::send(client().get(&url)).await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().unwrap();
    assert!(html.contains("value=\"succeed\"") && html.contains("value=\"fail\""));
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'none'"));
    let done = answer(&url, "succeed").await;
    assert_eq!(done.status, 302);
    assert_eq!(done.header("location"), Some("https://shop.example/back"));
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(s["payment_intent"]["status"], "succeeded");
    assert_eq!(answer(&url, "succeed").await.status, 404, "a finished challenge cannot be answered again");
});

backend_test!(a_failed_challenge_returns_the_intent_for_another_try, |app| {
    let (id, pi) = start(&app, "4000002760003184").await;
    let url = pi["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap().to_owned();
    assert_eq!(answer(&url, "fail").await.status, 302);
    let s = app.session_doc(&id).await;
    assert_eq!(s["status"], "open");
    assert_eq!(s["payment_intent"]["status"], "requires_payment_method");
    assert_eq!(s["payment_intent"]["last_payment_error"]["code"], "payment_intent_authentication_failure");
    let retry = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(retry.body["status"], "complete");
});

backend_test!(a_passed_challenge_can_still_be_declined, |app| {
    let (id, pi) = start(&app, "4000008400001629").await;
    let url = pi["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap().to_owned();
    answer(&url, "succeed").await;
    let s = app.session_doc(&id).await;
    assert_eq!(s["status"], "open");
    assert_eq!(s["payment_intent"]["last_payment_error"]["decline_code"], "generic_decline");
});

backend_test!(frictionless_payments_finish_without_the_buyer, |app| {
    let (id, pi) = start(&app, "4000000000003055").await;
    assert_eq!(pi["status"], "processing");
    assert_eq!(pi["next_action"], Value::Null);
    app.confirm(&id, &[("payment_method", "pm_card_visa")]).await.error(
        409,
        Some("checkout_session_confirm_in_progress"),
        None,
    );
    app.post(&format!("/v1/checkout/sessions/{id}/expire"), &[]).await.error(
        400,
        Some("checkout_session_not_open"),
        None,
    );
    assert_eq!(kassa::worker::three_ds::finish_due(&app.state).await.unwrap(), 1);
    assert_eq!(kassa::worker::three_ds::finish_due(&app.state).await.unwrap(), 0);
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(s["payment_intent"]["attempts"].as_array().unwrap().len(), 1);
});

backend_test!(the_method_flow_runs_a_device_check_then_goes_frictionless, |app| {
    let (id, pi) = start(&app, "4000000000003063").await;
    let tds = &pi["next_action"]["three_d_secure"];
    assert_eq!(tds["flow"], "method");
    let url = tds["method_url"].as_str().unwrap().to_owned();
    assert_eq!(TestApp::send(client().get(format!("{url}x"))).await.status, 404, "the key must match");
    assert_eq!(TestApp::send(client().get(&url)).await.status, 200);
    let status_url = tds["status_url"].as_str().unwrap().to_owned();
    let st = TestApp::send(client().get(&status_url)).await;
    assert_eq!(st.body["status"], "processing");
    assert_eq!(TestApp::send(client().get(status_url.replace("secret_", "secret_x"))).await.status, 404);
    assert_eq!(kassa::worker::three_ds::finish_due(&app.state).await.unwrap(), 1);
    assert_eq!(TestApp::send(client().get(&status_url)).await.body["status"], "succeeded");
    assert_eq!(app.session_doc(&id).await["status"], "complete");
});

backend_test!(redirect_goes_to_the_challenge_page, |app| {
    let id = app.open_session().await;
    let pairs = [("payment_method", "pm_card_threeDSecure2Required"), ("redirect", "true")];
    let r = TestApp::send(
        client()
            .post(format!("{}/v1/checkout/sessions/{id}/confirm", app.base))
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&pairs)),
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/3ds/pi_", app.base)) && location.contains("/challenge?key="),
        "{location}"
    );
    assert_eq!(TestApp::send(client().get(&location)).await.status, 200);
});

backend_test!(a_challenge_answered_after_the_session_ended_charges_nothing, |app| {
    let (id, pi) = start(&app, "4000000000003220").await;
    let url = pi["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/checkout/sessions/{id}/expire"), &[]).await;
    let r = answer(&url, "succeed").await;
    assert_eq!(r.status, 409);
    let s = app.session_doc(&id).await;
    assert_eq!(s["status"], "expired");
    assert!(s["payment_intent"]["attempts"].as_array().unwrap().is_empty(), "never charged");
});

backend_test!(a_held_session_cannot_be_changed, |app| {
    let (id, _) = start(&app, "4000000000003055").await;
    app.post(&format!("/v1/checkout/sessions/{id}"), &[("metadata[a]", "b")]).await.error(
        409,
        Some("checkout_session_confirm_in_progress"),
        None,
    );
});
