//! Merchant-chosen ids (coupon `SUMMER`, product ids) are unique per account
//! and mode (issue 16, defect 6): another tenant's ids never refuse a create,
//! never show through an error, and never block another account's profile.

use crate::backend_test;
use crate::helpers::TestApp;

/// A second account on the server: (account id, test secret key, live secret key).
async fn tenant(app: &TestApp) -> (String, String, String) {
    let other = app.other_account().await;
    (other.id, other.secret_key, other.live_secret_key)
}

async fn coupon(app: &TestApp, key: &str, id: &str, percent: &str) -> crate::helpers::Res {
    app.post_as(key, "/v1/coupons", &[("id", id), ("percent_off", percent)]).await
}

backend_test!(two_accounts_each_create_coupon_summer, |app| {
    let (_, b_key, _) = tenant(&app).await;
    let a = coupon(&app, &app.keys.sk, "SUMMER", "10").await;
    assert_eq!((a.status, a.body["id"].as_str()), (200, Some("SUMMER")), "{}", a.body);
    let b = coupon(&app, &b_key, "SUMMER", "25").await;
    assert_eq!((b.status, b.body["id"].as_str()), (200, Some("SUMMER")), "{}", b.body);
    // Each sees its own.
    assert_eq!(app.get("/v1/coupons/SUMMER").await.body["percent_off"], 10.0);
    assert_eq!(app.get_as(&b_key, "/v1/coupons/SUMMER").await.body["percent_off"], 25.0);
    // Deleting one leaves the other.
    assert_eq!(app.delete("/v1/coupons/SUMMER").await.body["deleted"], true);
    assert_eq!(app.get_as(&b_key, "/v1/coupons/SUMMER").await.status, 200);
    let listed = app.get_as(&b_key, "/v1/coupons").await.body;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
});

backend_test!(test_and_live_mode_of_one_account_each_create_product_p_x, |app| {
    let test = app.post("/v1/products", &[("id", "p_x"), ("name", "Test beans")]).await;
    assert_eq!((test.status, test.body["livemode"].as_bool()), (200, Some(false)), "{}", test.body);
    let live = app.post_as(&app.keys.live_sk, "/v1/products", &[("id", "p_x"), ("name", "Live beans")]).await;
    assert_eq!((live.status, live.body["livemode"].as_bool()), (200, Some(true)), "{}", live.body);
    assert_eq!(app.get("/v1/products/p_x").await.body["name"], "Test beans");
    assert_eq!(app.get_as(&app.keys.live_sk, "/v1/products/p_x").await.body["name"], "Live beans");
    // Updating one leaves the other as it was.
    app.post("/v1/products/p_x", &[("name", "Test beans 2")]).await;
    assert_eq!(app.get_as(&app.keys.live_sk, "/v1/products/p_x").await.body["name"], "Live beans");
});

backend_test!(a_same_scope_duplicate_is_400_resource_already_exists, |app| {
    assert_eq!(coupon(&app, &app.keys.sk, "SUMMER", "10").await.status, 200);
    let dup = coupon(&app, &app.keys.sk, "SUMMER", "20").await;
    dup.error(400, Some("resource_already_exists"), Some("id"));
    assert_eq!(dup.header("stripe-should-retry"), Some("false"));
    assert_eq!(app.post("/v1/products", &[("id", "p_x"), ("name", "A")]).await.status, 200);
    app.post("/v1/products", &[("id", "p_x"), ("name", "B")]).await.error(
        400,
        Some("resource_already_exists"),
        Some("id"),
    );
    // A product made from a price's product_data, too.
    let inline =
        [("currency", "usd"), ("unit_amount", "100"), ("product_data[id]", "p_x"), ("product_data[name]", "C")];
    app.post("/v1/prices", &inline).await.error(400, Some("resource_already_exists"), Some("product_data[id]"));
    // Two line items making one new product id in one session.
    let mut twice = Vec::new();
    for i in 0..2 {
        for (k, v) in [
            ("price_data][currency]", "usd"),
            ("price_data][unit_amount]", "100"),
            ("price_data][product_data][id]", "p_new"),
            ("price_data][product_data][name]", "D"),
            ("quantity]", "1"),
        ] {
            twice.push((format!("line_items[{i}][{k}"), v));
        }
    }
    let pairs: Vec<(&str, &str)> = twice.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    app.session(&pairs).await.error(
        400,
        Some("resource_already_exists"),
        Some("line_items[1][price_data][product_data][id]"),
    );
    // A coupon may not take a product's id in the same scope either: one namespace per scope.
    coupon(&app, &app.keys.sk, "p_x", "5").await.error(400, Some("resource_already_exists"), Some("id"));
});

backend_test!(racing_creates_of_one_id_get_one_200_and_the_rest_400, |app| {
    let mut racers = Vec::new();
    for i in 0..8 {
        let (base, sk) = (app.base.clone(), app.keys.sk.clone());
        racers.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/v1/coupons"))
                .bearer_auth(sk)
                .form(&[("id", "RACE"), ("percent_off", &format!("{}", i + 1))])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body["error"]["code"].as_str().map(str::to_owned))
        }));
    }
    let mut outcomes = Vec::new();
    for r in racers {
        outcomes.push(r.await.unwrap());
    }
    let won = outcomes.iter().filter(|(s, _)| *s == 200).count();
    let refused = outcomes.iter().filter(|(s, c)| *s == 400 && c.as_deref() == Some("resource_already_exists")).count();
    assert_eq!((won, refused), (1, 7), "{outcomes:?}");
});

backend_test!(another_accounts_ids_never_show_through_an_error, |app| {
    let (_, b_key, _) = tenant(&app).await;
    let theirs = app.post_as(&b_key, "/v1/customers", &[("email", "b@example.com")]).await;
    let cus = theirs.body["id"].as_str().unwrap().to_owned();
    // A product named after B's customer and one named after no one: the same answer.
    let taken = app.post("/v1/products", &[("id", &cus), ("name", "X")]).await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    let free = app.post("/v1/products", &[("id", "cus_NoSuchCustomer0"), ("name", "Y")]).await;
    assert_eq!(free.status, 200, "{}", free.body);
    // B's customer is untouched.
    assert_eq!(app.get_as(&b_key, &format!("/v1/customers/{cus}")).await.body["email"], "b@example.com");
});

backend_test!(a_coupon_with_another_accounts_id_leaves_that_accounts_profile_alone, |app| {
    let (b_id, b_key, b_live) = tenant(&app).await;
    // Before B ever wrote its profile ...
    assert_eq!(coupon(&app, &app.keys.sk, &b_id, "10").await.status, 200);
    assert_eq!(coupon(&app, &app.keys.live_sk, &b_id, "10").await.status, 200);
    let got = app.get_as(&b_key, "/v1/account").await;
    assert_eq!((got.status, got.body["id"].as_str()), (200, Some(b_id.as_str())), "{}", got.body);
    let set = app.post_as(&b_key, "/v1/account", &[("business_profile[name]", "B Shop")]).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let live = app.post_as(&b_live, "/v1/account", &[("settings[dashboard][display_name]", "B Live")]).await;
    assert_eq!(live.status, 200, "{}", live.body);
    let got = app.get_as(&b_key, "/v1/account").await.body;
    assert_eq!(
        (got["business_profile"]["name"].as_str(), got["settings"]["dashboard"]["display_name"].as_str()),
        (Some("B Shop"), Some("B Live"))
    );
    // ... and after: A's own profile is untouched by B's coupon named after A.
    assert_eq!(app.post("/v1/account", &[("business_profile[name]", "A Shop")]).await.status, 200);
    assert_eq!(coupon(&app, &b_key, &app.keys.account_id, "5").await.status, 200);
    assert_eq!(app.get("/v1/account").await.body["business_profile"]["name"], "A Shop");
    assert_eq!(app.post("/v1/account", &[("business_profile[name]", "A Shop 2")]).await.status, 200);
    // An account's own id is its profile's: it cannot name a coupon after itself.
    coupon(&app, &b_key, &b_id, "5").await.error(400, Some("resource_already_exists"), Some("id"));
});

backend_test!(a_product_named_after_another_accounts_session_leaves_its_page_alone, |app| {
    let (_, b_key, _) = tenant(&app).await;
    let s = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "2500"),
            ("line_items[0][price_data][product_data][name]", "Beans"),
            ("line_items[0][quantity]", "1"),
        ])
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    let cs = s.body["id"].as_str().unwrap().to_owned();
    let shadow = app.post_as(&b_key, "/v1/products", &[("id", &cs), ("name", "Shadow")]).await;
    assert_eq!(shadow.status, 200, "{}", shadow.body);
    let (status, _, html) = app.page(&format!("/pay/{cs}"), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("Beans") && !html.contains("Shadow"), "{html}");
});
