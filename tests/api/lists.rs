use std::collections::HashSet;

use crate::backend_test;
use crate::helpers::START;

fn ids(body: &serde_json::Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

backend_test!(lists_have_stripes_envelope_and_default_limit, |app| {
    for _ in 0..12 {
        app.customer(&[]).await;
    }
    let r = app.get("/v1/customers").await;
    assert_eq!(r.body["object"], "list");
    assert_eq!(r.body["url"], "/v1/customers");
    assert_eq!(r.body["has_more"], true);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 10);
    let r = app.get("/v1/customers?limit=100").await;
    assert_eq!(r.body["has_more"], false);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 12);
});

backend_test!(bad_limits_and_cursors_are_refused, |app| {
    for l in ["0", "-1", "101", "99999999999999999999", "ten"] {
        app.get(&format!("/v1/customers?limit={l}")).await.error(400, Some("parameter_invalid_integer"), Some("limit"));
    }
    app.get("/v1/customers?starting_after=cus_a&ending_before=cus_b").await.error(
        400,
        Some("parameters_exclusive"),
        Some("ending_before"),
    );
    app.get("/v1/customers?starting_after=cus_missing").await.error(
        400,
        Some("resource_missing"),
        Some("starting_after"),
    );
    app.get("/v1/customers?ending_before=cus_missing").await.error(
        400,
        Some("resource_missing"),
        Some("ending_before"),
    );
    app.get("/v1/customers?created[since]=1").await.error(400, Some("parameter_unknown"), Some("created[since]"));
    app.get("/v1/customers?created[gt]=soon").await.error(400, Some("parameter_invalid_integer"), Some("created[gt]"));
});

backend_test!(paging_within_one_second_neither_skips_nor_repeats, |app| {
    // All created at the same second: the internal sequence breaks the tie.
    let mut created = Vec::new();
    for _ in 0..25 {
        created.push(app.customer(&[]).await);
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/v1/customers?limit=7&starting_after={a}"),
            None => "/v1/customers?limit=7".to_owned(),
        };
        let r = app.get(&path).await;
        let page = ids(&r.body);
        seen.extend(page.clone());
        if r.body["has_more"] == false {
            break;
        }
        after = page.last().cloned();
    }
    assert_eq!(seen, created);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);

    // Backwards from the oldest with ending_before.
    let mut back = Vec::new();
    let mut before = created.last().cloned().unwrap();
    loop {
        let r = app.get(&format!("/v1/customers?limit=7&ending_before={before}")).await;
        let page = ids(&r.body);
        let mut next = page.clone();
        next.extend(back);
        back = next;
        if r.body["has_more"] == false {
            break;
        }
        before = page.first().cloned().unwrap();
    }
    assert_eq!(back, created[..24].to_vec());
});

backend_test!(created_filters_select_by_time, |app| {
    let a = app.customer(&[]).await;
    app.clock.advance(100);
    let b = app.customer(&[]).await;
    app.clock.advance(100);
    let c = app.customer(&[]).await;
    let t = START + 100;
    assert_eq!(ids(&app.get(&format!("/v1/customers?created={t}")).await.body), vec![b.clone()]);
    assert_eq!(ids(&app.get(&format!("/v1/customers?created[gt]={t}")).await.body), vec![c.clone()]);
    assert_eq!(ids(&app.get(&format!("/v1/customers?created[gte]={t}")).await.body), [c.clone(), b.clone()]);
    assert_eq!(ids(&app.get(&format!("/v1/customers?created[lt]={t}")).await.body), vec![a.clone()]);
    assert_eq!(ids(&app.get(&format!("/v1/customers?created[lte]={t}&created[gt]={START}")).await.body), [b]);
});
