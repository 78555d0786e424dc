//! Every parameter of `POST /v1/checkout/sessions` and of the merchant's
//! `POST /v1/checkout/sessions/{id}`, one table row each, saying what kassa
//! does with it: `Stored` (echoed, asserted on the answer's JSON with its
//! JSON type), `Applied` (an effect, asserted), or `Refused` (a 400 naming
//! it). Each row is sent. The table is checked against the parameter
//! structs' own field lists (read from their `Deserialize` impls), so a
//! parameter added to the parser without a row fails here.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::backend_test;
use crate::helpers::{Res, TestApp};
use crate::param_rows::{create_rows, nested_create, nested_update, update_rows, Effect, Is, Obj, Row, CARD};
use kassa::domain::introspect::fields;
use kassa::domain::session_params::CreateParams;
use kassa::domain::session_update::UpdateParams;

/// The params a row names: `a[b][c]` → `a`, and its prefixes.
fn top(param: &str) -> &str {
    param.split('[').next().unwrap_or(param)
}

/// Every top-level field has a row, and every row names a field; likewise
/// for each nested struct listed.
fn check_coverage(rows: &[Row], top_fields: &[&str], nested: &[(&str, &'static [&'static str])], what: &str) {
    let named: BTreeSet<&str> = rows.iter().map(|r| top(r.param)).collect();
    let fields: BTreeSet<&str> = top_fields.iter().copied().collect();
    let missing: Vec<_> = fields.difference(&named).collect();
    assert!(missing.is_empty(), "{what} parameters without a row: {missing:?}");
    let stale: Vec<_> = named.difference(&fields).collect();
    assert!(stale.is_empty(), "{what} rows for parameters the parser does not take: {stale:?}");
    for (prefix, subs) in nested {
        assert!(!subs.is_empty(), "{prefix}: not a struct");
        for f in *subs {
            let p = format!("{prefix}[{f}]");
            let covered = rows.iter().any(|r| r.param == p || r.param.starts_with(&format!("{p}[")));
            assert!(covered, "{what}: {p} has no row");
        }
        for r in rows.iter().filter(|r| r.param.starts_with(&format!("{prefix}["))) {
            let sub = r.param[prefix.len() + 1..].split(']').next().unwrap_or_default();
            assert!(subs.contains(&sub), "{what}: row {} names no field of {prefix}", r.param);
        }
    }
}

#[test]
fn every_session_parameter_has_a_row() {
    check_coverage(&create_rows(), fields::<CreateParams>(), &nested_create(), "create");
    check_coverage(&update_rows(), fields::<UpdateParams>(), &nested_update(), "update");
}

struct Fixtures {
    subst: Vec<(&'static str, String)>,
}

impl Fixtures {
    async fn make(app: &TestApp) -> Self {
        let id = |r: Res| {
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        };
        let price = app.price(500, "usd").await;
        let customer = app.customer(&[("email", "c@x.io")]).await;
        let coupon = id(app.post("/v1/coupons", &[("percent_off", "10")]).await);
        let rate = id(app
            .post(
                "/v1/shipping_rates",
                &[
                    ("display_name", "Post"),
                    ("type", "fixed_amount"),
                    ("fixed_amount[amount]", "300"),
                    ("fixed_amount[currency]", "usd"),
                ],
            )
            .await);
        let route = id(app.post("/v1/processor_routes", &[("processors[0][type]", "test")]).await);
        Fixtures {
            subst: vec![
                ("{price}", price),
                ("{customer}", customer),
                ("{coupon}", coupon),
                ("{rate}", rate),
                ("{route}", route),
            ],
        }
    }

    fn str(&self, s: &str) -> String {
        self.subst.iter().fold(s.to_owned(), |acc, (k, v)| acc.replace(k, v))
    }

    fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.str(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), self.value(x))).collect()),
            other => other.clone(),
        }
    }

    fn pairs(&self, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), self.str(v))).collect()
    }
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A row that did not hold, and why.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// The answer's JSON at `at` is exactly `want`: `true` is not `"true"`.
fn check_at(body: &Value, at: &str, want: &Value) -> Result<(), String> {
    let got = body.pointer(at).ok_or_else(|| format!("nothing at {at} in {body}"))?;
    ensure!(got == want, "{at} is {got}, not {want}");
    Ok(())
}

/// Confirms with a test card and returns the object the row looks at.
async fn paid(app: &TestApp, session: &str, obj: Obj, extra: &[(String, String)]) -> Result<Value, String> {
    let mut pairs: Vec<(&str, &str)> = CARD.to_vec();
    pairs.extend(borrowed(extra));
    pairs.push(("expand[]", "payment_intent"));
    let r = app.confirm(session, &pairs).await;
    ensure!(r.status == 200, "confirm: {}", r.body);
    let s = r.body;
    let id = |v: &Value| v.as_str().map(str::to_owned).ok_or_else(|| format!("no id in {s}"));
    let path = match obj {
        Obj::PaymentIntent => return Ok(s["payment_intent"].clone()),
        Obj::SetupIntent => format!("/v1/setup_intents/{}", id(&s["setup_intent"])?),
        Obj::Customer => format!("/v1/customers/{}", id(&s["customer"])?),
        Obj::PaymentMethod => format!("/v1/payment_methods/{}", id(&s["payment_intent"]["payment_method"])?),
    };
    Ok(app.get(&path).await.body)
}

async fn check_row(app: &TestApp, fx: &Fixtures, row: &Row, update: bool) -> Result<(), String> {
    let base = fx.pairs(&row.base.pairs());
    let send = fx.pairs(&row.send);
    let r = if update {
        let created = app.post("/v1/checkout/sessions", &borrowed(&base)).await;
        ensure!(created.status == 200, "the base session: {}", created.body);
        let id = created.body["id"].as_str().unwrap_or_default();
        app.post(&format!("/v1/checkout/sessions/{id}"), &borrowed(&send)).await
    } else {
        let mut all = base.clone();
        all.extend(send);
        app.post("/v1/checkout/sessions", &borrowed(&all)).await
    };
    if let Is::Refused(param) = &row.is {
        let e = &r.body["error"];
        ensure!(r.status == 400 && e["param"].as_str() == Some(*param), "not refused naming {param}: {}", r.body);
        ensure!(e["code"] != "parameter_unknown", "a refused parameter must be one the parser knows: {}", r.body);
        ensure!(e["message"].as_str().is_some_and(|m| m.len() > 20), "the refusal says why: {}", r.body);
        return Ok(());
    }
    ensure!(r.status == 200, "not taken: {}", r.body);
    let id = r.body["id"].as_str().unwrap_or_default().to_owned();
    match &row.is {
        Is::Stored(at, want) | Is::Applied(Effect::Session(at, want)) => check_at(&r.body, at, &fx.value(want)),
        Is::Applied(Effect::Paid(obj, extra, at, want)) => {
            let o = paid(app, &id, *obj, &fx.pairs(extra)).await?;
            check_at(&o, at, &fx.value(want))
        }
        Is::Applied(Effect::ConfirmNeeds(param)) => {
            let c = app.confirm(&id, &CARD).await;
            let named = c.body["error"]["param"].as_str() == Some(*param);
            ensure!(c.status == 400 && named, "a confirm without {param} was not refused: {}", c.body);
            Ok(())
        }
        Is::Applied(Effect::Page(text)) => {
            let page = app.http.get(format!("{}/pay/{id}", app.base)).send().await;
            let html = page.map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())?;
            ensure!(html.contains(text), "the page does not show {text:?}");
            Ok(())
        }
        Is::Refused(_) => unreachable!(),
    }
}

/// Sends every row; fails listing each that did not hold.
async fn walk(app: &TestApp, rows: Vec<Row>, update: bool) {
    let fx = Fixtures::make(app).await;
    let mut failed = Vec::new();
    for row in &rows {
        if let Err(e) = check_row(app, &fx, row, update).await {
            failed.push(format!("{} {:?}: {e}", row.param, row.send));
        }
    }
    assert!(failed.is_empty(), "{} of {} rows failed:\n{}", failed.len(), rows.len(), failed.join("\n"));
}

backend_test!(every_create_parameter_is_stored_applied_or_refused, |app| {
    walk(&app, create_rows(), false).await;
    let r = app.post("/v1/checkout/sessions", &[("mode", "payment"), ("colour", "red")]).await;
    r.error(400, Some("parameter_unknown"), Some("colour"));
});

backend_test!(every_update_parameter_is_stored_applied_or_refused, |app| {
    walk(&app, update_rows(), true).await;
    let id = app.open_session().await;
    let r = app.post(&format!("/v1/checkout/sessions/{id}"), &[("payment_intent_data[receipt_email]", "a@b.co")]).await;
    r.error(400, Some("parameter_unknown"), Some("payment_intent_data[receipt_email]"));
});

backend_test!(form_encoded_options_echo_as_json_types_in_the_raw_body, |app| {
    let pairs = [
        ("mode", "payment"),
        ("success_url", crate::sessions::OK_URL),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "500"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "1"),
        ("allow_promotion_codes", "true"),
        ("expires_at", "1760003600"),
        ("invoice_creation[enabled]", "false"),
        ("after_expiration[recovery][enabled]", "false"),
        ("after_expiration[recovery][allow_promotion_codes]", "true"),
        ("name_collection[business][enabled]", "false"),
        ("name_collection[business][optional]", "true"),
        ("payment_method_options[card][installments][enabled]", "false"),
        ("adaptive_pricing[enabled]", "false"),
        ("managed_payments[enabled]", "false"),
        ("phone_number_collection[enabled]", "true"),
        ("tax_id_collection[enabled]", "false"),
    ];
    let res = app
        .req(reqwest::Method::POST, "/v1/checkout/sessions")
        .bearer_auth(&app.keys.sk)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::form(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let raw = res.text().await.unwrap();
    for quoted in ["\"true\"", "\"false\"", "\"1760003600\""] {
        assert!(!raw.contains(quoted), "{quoted} in {raw}");
    }
    for typed in [
        "\"allow_promotion_codes\":true",
        "\"expires_at\":1760003600",
        "\"invoice_creation\":{\"enabled\":false",
        "\"recovery\":{\"allow_promotion_codes\":true,\"enabled\":false",
        "\"business\":{\"enabled\":false,\"optional\":true}",
        "\"installments\":{\"enabled\":false}",
        "\"adaptive_pricing\":{\"enabled\":false}",
        "\"managed_payments\":{\"enabled\":false}",
        "\"phone_number_collection\":{\"enabled\":true}",
    ] {
        assert!(raw.contains(typed), "{typed} not in {raw}");
    }
});
