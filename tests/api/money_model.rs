//! Issue 17, black-box: generated carts (per-unit, decimal, graduated,
//! volume and custom prices; inclusive and exclusive rates; percent and
//! amount-off coupons, some limited to products; shipping; currencies with
//! exponents 0, 2 and 3) made through the API, each session compared with
//! the independent model in `tests/money_model/model.rs`: every line's
//! amounts and taxes, the totals, the breakdown, or the limit refused.

#[path = "../money_model/cart.rs"]
#[allow(dead_code)]
mod cart;
#[path = "../money_model/model.rs"]
#[allow(dead_code)]
mod model;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::backend_test;
use crate::helpers::{Res, TestApp};
use cart::{Amount, Cart, Off, Price, Size};

/// Carts per backend; each takes about ten requests.
const CARTS: usize = 40;

type Pairs = Vec<(String, String)>;

fn pair(k: impl Into<String>, v: impl ToString) -> (String, String) {
    (k.into(), v.to_string())
}

async fn post(app: &TestApp, path: &str, pairs: &Pairs) -> Res {
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post(path, &refs).await
}

async fn make(app: &TestApp, path: &str, pairs: &Pairs) -> String {
    let r = post(app, path, pairs).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// `name` (or `name_decimal`) under `prefix`: `tiers[0][unit_amount_decimal]`.
fn amount(prefix: &str, name: &str, a: &Amount) -> (String, String) {
    let key = |n: &str| if prefix.is_empty() { n.to_owned() } else { format!("{prefix}[{n}]") };
    match a {
        Amount::Whole(v) => pair(key(name), v),
        Amount::Decimal(s) => pair(key(&format!("{name}_decimal")), s),
    }
}

fn tier_pairs(mode: &str, tiers: &[cart::Tier]) -> Pairs {
    let mut p = vec![pair("billing_scheme", "tiered"), pair("tiers_mode", mode)];
    for (i, t) in tiers.iter().enumerate() {
        let at = format!("tiers[{i}]");
        p.push(pair(format!("{at}[up_to]"), t.up_to.map_or("inf".to_owned(), |u| u.to_string())));
        p.extend(t.unit.as_ref().map(|a| amount(&at, "unit_amount", a)));
        p.extend(t.flat.as_ref().map(|a| amount(&at, "flat_amount", a)));
    }
    p
}

async fn price(app: &TestApp, currency: &str, product: &str, price: &Price) -> String {
    let mut p = vec![pair("currency", currency), pair("product", product)];
    match price {
        Price::PerUnit(a) => p.push(amount("", "unit_amount", a)),
        Price::Graduated(t) => p.extend(tier_pairs("graduated", t)),
        Price::Volume(t) => p.extend(tier_pairs("volume", t)),
        Price::Custom(preset) => {
            p.extend([pair("custom_unit_amount[enabled]", "true"), pair("custom_unit_amount[preset]", preset)])
        }
    }
    make(app, "/v1/prices", &p).await
}

/// Makes the cart's products, rates, prices and coupon, then the session.
/// Returns the answer and the rates' ids.
async fn create(app: &TestApp, cart: &Cart) -> (Res, Vec<String>) {
    let mut products = Vec::new();
    for i in 0..cart::PRODUCTS {
        products.push(make(app, "/v1/products", &vec![pair("name", format!("p{i}"))]).await);
    }
    let mut rates = Vec::new();
    for (i, r) in cart.rates.iter().enumerate() {
        let p = vec![
            pair("display_name", format!("r{i}")),
            pair("inclusive", r.inclusive),
            pair("percentage", &r.percentage),
        ];
        rates.push(make(app, "/v1/tax_rates", &p).await);
    }
    let mut s = vec![pair("mode", "payment"), pair("success_url", "https://shop.example/ok")];
    for (i, l) in cart.lines.iter().enumerate() {
        let id = price(app, cart.currency, &products[l.product], &l.price).await;
        s.extend([pair(format!("line_items[{i}][price]"), id), pair(format!("line_items[{i}][quantity]"), l.quantity)]);
        for (j, r) in l.rates.iter().enumerate() {
            s.push(pair(format!("line_items[{i}][tax_rates][{j}]"), &rates[*r]));
        }
    }
    if let Some(c) = &cart.coupon {
        let mut p = match &c.off {
            Off::Percent(v) => vec![pair("percent_off", v)],
            Off::Amount(v) => vec![pair("amount_off", v), pair("currency", cart.currency)],
        };
        for (k, i) in c.products.iter().flatten().enumerate() {
            p.push(pair(format!("applies_to[products][{k}]"), &products[*i]));
        }
        s.push(pair("discounts[0][coupon]", make(app, "/v1/coupons", &p).await));
    }
    if let Some(amount) = cart.shipping {
        let at = "shipping_options[0][shipping_rate_data]";
        s.extend([
            pair(format!("{at}[display_name]"), "Post"),
            pair(format!("{at}[type]"), "fixed_amount"),
            pair(format!("{at}[fixed_amount][amount]"), amount),
            pair(format!("{at}[fixed_amount][currency]"), cart.currency),
        ]);
    }
    s.extend([pair("expand[]", "line_items"), pair("expand[]", "total_details.breakdown")]);
    (post(app, "/v1/checkout/sessions", &s).await, rates)
}

fn amounts(v: &Value, keys: &[&str]) -> Vec<Option<i64>> {
    keys.iter().map(|k| k.split('.').fold(v, |v, k| &v[k]).as_i64()).collect()
}

fn some(v: &[i64]) -> Vec<Option<i64>> {
    v.iter().copied().map(Some).collect()
}

/// The session agrees with the model on every amount.
fn compare(n: usize, cart: &Cart, s: &Value, rates: &[String], want: &model::Out) {
    let ctx = format!("cart {n}: {cart:?}");
    let keys = ["amount_subtotal", "total_details.amount_discount", "total_details.amount_tax"];
    let keys = [&keys[..], &["total_details.amount_shipping", "amount_total"]].concat();
    assert_eq!(amounts(s, &keys), some(&[want.subtotal, want.discount, want.tax, want.shipping, want.total]), "{ctx}");
    let items = s["line_items"]["data"].as_array().unwrap();
    assert_eq!(items.len(), want.lines.len(), "{ctx}");
    for (i, (item, w)) in items.iter().zip(&want.lines).enumerate() {
        let keys = ["amount_subtotal", "amount_discount", "amount_tax", "amount_total"];
        assert_eq!(amounts(item, &keys), some(&[w.subtotal, w.discount, w.tax, w.total]), "{ctx}: line {i}");
        let taxes: Vec<(String, Option<i64>, Option<i64>)> = item["taxes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["rate"]["id"].as_str().unwrap().to_owned(), t["amount"].as_i64(), t["taxable_amount"].as_i64()))
            .collect();
        let expected: Vec<_> =
            w.taxes.iter().map(|t| (rates[t.rate].clone(), Some(t.amount), Some(t.taxable))).collect();
        assert_eq!(taxes, expected, "{ctx}: line {i}'s taxes");
    }
    let b = &s["total_details"]["breakdown"];
    let mut shown: Vec<(String, Option<i64>, Option<i64>)> = b["taxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["rate"]["id"].as_str().unwrap().to_owned(), t["amount"].as_i64(), t["taxable_amount"].as_i64()))
        .collect();
    shown.sort();
    let mut expected: Vec<_> =
        want.breakdown.iter().map(|(r, (a, t))| (rates[*r].clone(), Some(*a), Some(*t))).collect();
    expected.sort();
    assert_eq!(shown, expected, "{ctx}: breakdown");
    let discounts: i64 = b["discounts"].as_array().unwrap().iter().filter_map(|d| d["amount"].as_i64()).sum();
    assert_eq!(discounts, want.discount, "{ctx}: breakdown discounts");
}

backend_test!(sessions_agree_with_the_independent_model, |app| {
    // The same carts on both backends, and on every run.
    let mut runner = TestRunner::deterministic();
    let strategy = cart::cart(Size::Charge);
    let (mut priced, mut refused) = (0, 0);
    for n in 0..CARTS {
        let cart = strategy.new_tree(&mut runner).unwrap().current();
        let (r, rates) = create(&app, &cart).await;
        match model::session(&cart) {
            Ok(want) => {
                assert_eq!(r.status, 200, "cart {n}: {cart:?}: {}", r.body);
                compare(n, &cart, &r.body, &rates, &want);
                priced += 1;
            }
            Err(code) => {
                assert_eq!((r.status, r.body["error"]["code"].as_str()), (400, Some(code)), "cart {n}: {}", r.body);
                if model::compute(&cart).is_some() {
                    assert_eq!(r.body["error"]["param"], "line_items", "cart {n}: a limit names the line items");
                }
                refused += 1;
            }
        }
    }
    assert!(priced >= CARTS / 2 && refused > 0, "{priced} priced, {refused} refused");
});
