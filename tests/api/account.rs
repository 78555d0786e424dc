//! `GET`/`POST /v1/account`, the merchant's display name, and the derived
//! publishable key that kassa's hosted pages use.

use kassa::domain::keys::{self, KeyKind, Mode};
use kassa::store::{Account, NewApiKey, Scope};

use crate::backend_test;
use crate::helpers::{TestApp, START};

fn scope(app: &TestApp, livemode: bool) -> Scope {
    Scope { account_id: app.keys.account_id.clone(), livemode }
}

/// A session the buyer may update with a publishable key; (id, client_secret).
async fn embedded_session(app: &TestApp, sk: &str) -> (String, String) {
    let r = app
        .post_as(
            sk,
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "embedded_page"),
                ("return_url", "https://shop.example/back"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "2000"),
                ("line_items[0][price_data][product_data][name]", "x"),
                ("line_items[0][quantity]", "1"),
                ("custom_fields[0][key]", "po"),
                ("custom_fields[0][label][type]", "custom"),
                ("custom_fields[0][label][custom]", "PO number"),
                ("custom_fields[0][type]", "numeric"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.body["id"].as_str().unwrap().to_owned(), r.body["client_secret"].as_str().unwrap().to_owned())
}

/// The buyer's update with `pk` succeeds on a session of the account.
async fn pk_works_for_the_buyer(app: &TestApp, pk: &str, sk: &str) {
    let (id, secret) = embedded_session(app, sk).await;
    let path = format!("/v1/checkout/sessions/{id}");
    let r = app.post_as(pk, &path, &[("client_secret", &secret), ("custom_fields[po]", "42")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["custom_fields"][0]["numeric"]["value"], "42");
}

backend_test!(the_account_object_has_stripes_shape, |app| {
    let r = app.get("/v1/account").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = &r.body;
    assert_eq!(a["id"], app.keys.account_id.as_str());
    assert_eq!(a["object"], "account");
    assert_eq!(a["created"], START);
    assert_eq!(a["type"], "standard");
    assert_eq!((a["charges_enabled"].as_bool(), a["payouts_enabled"].as_bool()), (Some(true), Some(false)));
    assert!(a["business_profile"]["name"].is_null() && a["business_profile"]["url"].is_null());
    assert!(a["settings"]["dashboard"]["display_name"].is_null());
    assert_eq!(a["metadata"], serde_json::json!({}));
    app.get("/v1/account?foo=1").await.error(400, Some("parameter_unknown"), Some("foo"));
});

backend_test!(an_update_sets_the_profile_and_records_an_event, |app| {
    let r = app
        .post(
            "/v1/account",
            &[
                ("settings[dashboard][display_name]", "Corner Shop"),
                ("business_profile[name]", "Corner Shop Ltd"),
                ("business_profile[support_email]", "help@corner.example"),
                ("business_profile[url]", "https://corner.example"),
                ("metadata[tier]", "gold"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["settings"]["dashboard"]["display_name"], "Corner Shop");
    let got = app.get("/v1/account").await.body;
    assert_eq!(got, r.body);
    assert_eq!(got["business_profile"]["support_email"], "help@corner.example");
    assert_eq!(got["business_profile"]["url"], "https://corner.example");
    assert_eq!(got["metadata"]["tier"], "gold");
    let events = app.events().await;
    let e = events.iter().find(|e| e["type"] == "account.updated").expect("an account.updated event");
    assert_eq!(e["data"]["object"]["settings"]["dashboard"]["display_name"], "Corner Shop");
    assert!(e["data"]["previous_attributes"]["settings"]["dashboard"]["display_name"].is_null());
    // Sending the same values again changes nothing and records nothing.
    let again = app.post("/v1/account", &[("settings[dashboard][display_name]", "Corner Shop")]).await;
    assert_eq!(again.body, got);
    let n = app.events().await.iter().filter(|e| e["type"] == "account.updated").count();
    assert_eq!(n, 1);
    // Clearing a business field leaves the rest.
    let cleared = app.post("/v1/account", &[("business_profile[url]", "")]).await.body;
    assert!(cleared["business_profile"]["url"].is_null());
    assert_eq!(cleared["business_profile"]["name"], "Corner Shop Ltd");
});

backend_test!(bad_account_params_are_refused_naming_the_param, |app| {
    app.post("/v1/account", &[("nickname", "x")]).await.error(400, Some("parameter_unknown"), Some("nickname"));
    app.post("/v1/account", &[("business_profile[mcc]", "5734")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("business_profile[mcc]"),
    );
    let param = Some("settings[dashboard][display_name]");
    app.post("/v1/account", &[("settings[dashboard][display_name]", "")]).await.error(
        400,
        Some("parameter_invalid"),
        param,
    );
    let long = "x".repeat(101);
    app.post("/v1/account", &[("settings[dashboard][display_name]", &long)]).await.error(
        400,
        Some("parameter_invalid_string_length"),
        param,
    );
    app.post("/v1/account", &[("business_profile[support_email]", "nope")]).await.error(
        400,
        Some("email_invalid"),
        Some("business_profile[support_email]"),
    );
    app.post("/v1/account", &[("business_profile[url]", "javascript:alert(1)")]).await.error(
        400,
        Some("url_invalid"),
        Some("business_profile[url]"),
    );
    // Nothing was stored by the refused calls.
    assert!(app.get("/v1/account").await.body["settings"]["dashboard"]["display_name"].is_null());
});

backend_test!(a_publishable_key_cannot_read_or_change_the_account, |app| {
    let r = app.get_as(&app.keys.pk, "/v1/account").await;
    r.error(401, None, None);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("publishable"));
    let r = app.post_as(&app.keys.pk, "/v1/account", &[("settings[dashboard][display_name]", "Mine")]).await;
    r.error(401, None, None);
    assert!(app.get("/v1/account").await.body["settings"]["dashboard"]["display_name"].is_null());
});

backend_test!(account_updates_honour_idempotency_keys, |app| {
    let pairs = [("settings[dashboard][display_name]", "First")];
    let a = app.post_idem("/v1/account", "acct-k1", &pairs).await;
    assert_eq!(a.status, 200, "{}", a.body);
    app.post("/v1/account", &[("settings[dashboard][display_name]", "Second")]).await;
    let b = app.post_idem("/v1/account", "acct-k1", &pairs).await;
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(b.body, a.body);
    let now = app.get("/v1/account").await.body;
    assert_eq!(now["settings"]["dashboard"]["display_name"], "Second");
});

backend_test!(one_profile_serves_both_modes, |app| {
    let r = app.post_as(&app.keys.live_sk, "/v1/account", &[("settings[dashboard][display_name]", "Live Name")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let test = app.get("/v1/account").await.body;
    assert_eq!(test["settings"]["dashboard"]["display_name"], "Live Name");
    assert_eq!(app.get_as(&app.keys.live_sk, "/v1/account").await.body, test);
    let name = kassa::api::display_name(&app.state, &app.keys.account_id).await.unwrap();
    assert_eq!(name, "Live Name");
});

backend_test!(the_display_name_falls_back_to_the_business_and_account_names, |app| {
    let name = || kassa::api::display_name(&app.state, &app.keys.account_id);
    assert_eq!(name().await.unwrap(), "test");
    app.post("/v1/account", &[("business_profile[name]", "Shop Ltd")]).await;
    assert_eq!(name().await.unwrap(), "Shop Ltd");
    app.post("/v1/account", &[("settings[dashboard][display_name]", "The Shop")]).await;
    assert_eq!(name().await.unwrap(), "The Shop");
    let missing = kassa::api::display_name(&app.state, "acct_missing").await.unwrap_err();
    assert_eq!(missing.status.as_u16(), 404);
});

backend_test!(new_accounts_print_the_derived_publishable_keys, |app| {
    let test = kassa::accounts::page_publishable_key(&app.state, &scope(&app, false)).await.unwrap();
    assert_eq!(test, app.keys.pk);
    assert_eq!(test, keys::derived_publishable(&app.state.pepper, &app.keys.account_id, Mode::Test));
    let live = kassa::accounts::page_publishable_key(&app.state, &scope(&app, true)).await.unwrap();
    assert!(live.starts_with("pk_live_"));
    let rec = app.store.find_api_key(&keys::hash(&app.state.pepper, &live)).await.unwrap().unwrap();
    assert_eq!(
        (rec.account_id.as_str(), rec.livemode, rec.kind),
        (app.keys.account_id.as_str(), true, KeyKind::Publishable)
    );
    pk_works_for_the_buyer(&app, &test, &app.keys.sk).await;
});

backend_test!(an_older_account_gets_its_page_key_registered_on_first_use, |app| {
    // An account made before publishable keys were derived: random keys only.
    let id = "acct_olderAccount0001".to_owned();
    let sk = kassa::ids::new_api_key(KeyKind::Secret, Mode::Test);
    let old_pk = kassa::ids::new_api_key(KeyKind::Publishable, Mode::Test);
    let stored = |k: &str, kind| NewApiKey {
        hash: keys::hash(&app.state.pepper, k),
        kind,
        livemode: false,
        masked: keys::mask(k),
    };
    let account = Account {
        id: id.clone(),
        name: "older".into(),
        api_version: kassa::domain::version::LATEST.into(),
        created: START,
    };
    app.store
        .create_account(&account, &[stored(&sk, KeyKind::Secret), stored(&old_pk, KeyKind::Publishable)])
        .await
        .unwrap();
    let derived = keys::derived_publishable(&app.state.pepper, &id, Mode::Test);
    app.get_as(&derived, "/v1/customers").await.error(401, None, None);

    let s = Scope { account_id: id.clone(), livemode: false };
    let pk = kassa::accounts::page_publishable_key(&app.state, &s).await.unwrap();
    assert_eq!(pk, derived);
    // Asking again finds it registered and gives the same key.
    assert_eq!(kassa::accounts::page_publishable_key(&app.state, &s).await.unwrap(), pk);
    pk_works_for_the_buyer(&app, &pk, &sk).await;
    // The old random key still works too.
    pk_works_for_the_buyer(&app, &old_pk, &sk).await;
    // An account that does not exist gets no key.
    let nobody = Scope { account_id: "acct_nobody".into(), livemode: false };
    let e = kassa::accounts::page_publishable_key(&app.state, &nobody).await.unwrap_err();
    assert_eq!(e.status.as_u16(), 404);
});
