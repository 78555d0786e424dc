#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 17: kassa's money against an independent model (`model.rs`, exact
//! big rationals, no code shared with `domain::adjust` or
//! `domain::pricing`), compared on 10,000 generated carts: every line's
//! and the session's amounts, and every tax's amount and taxable amount.
//! The black-box half, through the API on both backends, is
//! `tests/api/money_model.rs`.

// Shared with `tests/api/money_model.rs`, which uses other parts.
#[allow(dead_code)]
mod cart;
#[allow(dead_code)]
mod model;

use std::collections::BTreeMap;
use std::str::FromStr;

use kassa::domain::adjust::{self, Discount};
use kassa::domain::price::parse_decimal;
use kassa::domain::pricing::{self, AmountError, Scheme, Tier, TiersMode, Unit};
use proptest::prelude::*;
use rust_decimal::Decimal;

use cart::{Amount, Cart, Off, Price, Size};
use model::{LineOut, Out, TaxOut};

fn unit(a: &Amount) -> Unit {
    match a {
        Amount::Whole(v) => Unit::Whole(*v),
        Amount::Decimal(s) => Unit::Decimal(parse_decimal("unit_amount_decimal", s).unwrap()),
    }
}

fn tiers(ts: &[cart::Tier]) -> Vec<Tier> {
    ts.iter()
        .map(|t| Tier { up_to: t.up_to, unit: t.unit.as_ref().map(unit), flat: t.flat.as_ref().map(unit) })
        .collect()
}

fn subtotal(price: &Price, quantity: i64) -> Result<i64, AmountError> {
    let scheme = match price {
        Price::Custom(a) => return Ok(*a),
        Price::PerUnit(a) => Scheme::PerUnit(unit(a)),
        Price::Graduated(t) => Scheme::Tiered { mode: TiersMode::Graduated, tiers: tiers(t) },
        Price::Volume(t) => Scheme::Tiered { mode: TiersMode::Volume, tiers: tiers(t) },
    };
    pricing::line_subtotal(&scheme, quantity)
}

/// The cart through kassa's domain: `pricing`, then `adjust`, then the
/// session totals, with the per-rate breakdown summed as the API sums it.
fn kassa(cart: &Cart) -> Result<Out, AmountError> {
    let rates: Vec<adjust::Rate> = cart
        .rates
        .iter()
        .enumerate()
        .map(|(i, r)| adjust::Rate {
            id: i.to_string(),
            percentage: Decimal::from_str(&r.percentage).unwrap(),
            inclusive: r.inclusive,
        })
        .collect();
    let mut lines = Vec::new();
    for l in &cart.lines {
        let applies = cart.coupon.as_ref().is_some_and(|c| c.products.as_ref().is_none_or(|p| p.contains(&l.product)));
        lines.push(adjust::Line {
            subtotal: subtotal(&l.price, l.quantity)?,
            discountable: applies && !matches!(l.price, Price::Custom(_)),
            rates: l.rates.iter().map(|&i| rates[i].clone()).collect(),
        });
    }
    let discount = cart.coupon.as_ref().map(|c| match &c.off {
        Off::Percent(p) => Discount::Percent(Decimal::from_str(p).unwrap()),
        Off::Amount(a) => Discount::Amount(*a),
    });
    let adjusted = adjust::apply(&lines, discount)?;
    let amounts: Vec<_> = adjusted.iter().map(|a| a.amounts).collect();
    let t = pricing::session_totals(&amounts, cart.shipping.unwrap_or(0))?;
    let mut breakdown: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
    let mut out_lines = Vec::new();
    for a in &adjusted {
        let mut taxes = Vec::new();
        for tax in &a.taxes {
            let rate = tax.rate.parse().unwrap();
            let e = breakdown.entry(rate).or_default();
            e.0 = e.0.checked_add(tax.amount).ok_or(AmountError::Overflow)?;
            e.1 = e.1.checked_add(tax.taxable_amount).ok_or(AmountError::Overflow)?;
            taxes.push(TaxOut { rate, amount: tax.amount, taxable: tax.taxable_amount });
        }
        let m = a.amounts;
        out_lines.push(LineOut {
            subtotal: m.subtotal,
            discount: m.discount,
            tax_exclusive: m.tax_exclusive,
            tax_inclusive: m.tax_inclusive,
            tax: m.tax()?,
            total: m.total()?,
            taxes,
        });
    }
    Ok(Out {
        lines: out_lines,
        subtotal: t.subtotal,
        discount: t.discount,
        tax: t.tax,
        shipping: t.shipping,
        total: t.total,
        breakdown,
    })
}

proptest! {
    // 10,000 carts on every `cargo test` (CI included); PROPTEST_CASES
    // raises or lowers it for a run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000),
        max_shrink_iters: 10_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn kassa_agrees_with_the_model_on_every_amount(cart in cart::cart(Size::Wide)) {
        match (kassa(&cart), model::compute(&cart)) {
            (Ok(got), Some(want)) => prop_assert_eq!(got, want),
            (Err(AmountError::Overflow), None) => {}
            (got, want) => prop_assert!(false, "kassa {:?}, model {:?}", got, want),
        }
    }
}

fn cart_of(lines: Vec<cart::Line>, rates: &[(&str, bool)], coupon: Option<cart::Coupon>) -> Cart {
    let rates = rates.iter().map(|(p, inclusive)| cart::Rate { percentage: p.to_string(), inclusive: *inclusive });
    Cart { currency: "usd", rates: rates.collect(), lines, coupon, shipping: None }
}

fn line(price: Price, quantity: i64, rates: Vec<usize>) -> cart::Line {
    cart::Line { price, quantity, product: 0, rates }
}

/// The issue's cases through the model alone: it gives the exact answers
/// the issue states, so agreeing with it is agreeing with them.
#[test]
fn the_model_gives_the_issues_answers() {
    let whole = |v| Price::PerUnit(Amount::Whole(v));
    // (name, cart, line total, each tax's (amount, taxable))
    type Case = (&'static str, Cart, i64, Vec<(i64, i64)>);
    let cases: Vec<Case> = vec![
        (
            "three 100 % inclusive rates",
            cart_of(vec![line(whole(1000), 1, vec![0, 1, 2])], &[("100", true), ("100", true), ("100", true)], None),
            1000,
            vec![(250, 250), (250, 250), (250, 250)],
        ),
        (
            "5 % and 10 % inclusive on 1,150",
            cart_of(vec![line(whole(1150), 1, vec![0, 1])], &[("5", true), ("10", true)], None),
            1150,
            vec![(50, 1000), (100, 1000)],
        ),
        (
            "amount off 8×10^13 from 10^15",
            cart_of(
                vec![line(whole(1_000_000_000_000_000), 1, vec![])],
                &[],
                Some(cart::Coupon { off: Off::Amount(80_000_000_000_000), products: None }),
            ),
            920_000_000_000_000,
            vec![],
        ),
        (
            "a 30-digit line amount rounded once",
            cart_of(
                vec![line(Price::PerUnit(Amount::Decimal("1234567890.500100000001".into())), 99_999_999, vec![])],
                &[],
                None,
            ),
            123_456_787_815_442_109,
            vec![],
        ),
    ];
    for (name, cart, total, taxes) in cases {
        let out = model::compute(&cart).unwrap();
        assert_eq!(out.lines[0].total, total, "{name}");
        let got: Vec<(i64, i64)> = out.lines[0].taxes.iter().map(|t| (t.amount, t.taxable)).collect();
        assert_eq!(got, taxes, "{name}");
        assert_eq!(kassa(&cart).unwrap(), out, "{name}: kassa agrees");
    }
}
