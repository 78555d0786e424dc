//! An independent model of kassa's money rules (README "Money", DESIGN-NOTES
//! "Money rules"), written from the rules and not from kassa's code: it
//! shares nothing with `domain::adjust` or `domain::pricing`. Deliberately
//! simple: every amount is an exact big rational until one `round` (half
//! away from zero) makes it a whole minor unit; nothing is bounded until
//! the end, where an answer that does not fit `i64` is `None`.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::cart::{Amount, Cart, Line, Off, Price, Tier};

type Q = BigRational;

fn int(v: i64) -> Q {
    Q::from_integer(BigInt::from(v))
}

/// A decimal string, exactly: `"12.345"` is 12345/1000.
fn decimal(s: &str) -> Q {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits: BigInt = format!("{whole}{frac}").parse().expect("a decimal");
    Q::new(digits, BigInt::from(10).pow(frac.len() as u32))
}

fn amount(a: &Option<Amount>) -> Q {
    match a {
        None => Q::zero(),
        Some(Amount::Whole(v)) => int(*v),
        Some(Amount::Decimal(s)) => decimal(s),
    }
}

/// The one rounding: half away from zero, to a whole unit.
fn round(x: &Q) -> BigInt {
    let half = Q::new(BigInt::one(), BigInt::from(2));
    let up = (x.abs() + half).floor().to_integer();
    if x.is_negative() {
        -up
    } else {
        up
    }
}

/// Whole units for exact parts that must add up to `total`: floors first,
/// then one more unit for each of the largest fractions (earlier first).
fn apportion(parts: &[Q], total: &BigInt) -> Vec<BigInt> {
    let mut out: Vec<BigInt> = parts.iter().map(|p| p.floor().to_integer()).collect();
    let given: BigInt = out.iter().sum();
    let mut left = total - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].fract().cmp(&parts[a].fract()).then(a.cmp(&b)));
    for i in order {
        if !left.is_positive() {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

fn tiered(tiers: &[Tier], q: i64, volume: bool) -> Q {
    if volume {
        let t = tiers.iter().find(|t| t.up_to.is_none_or(|u| q <= u)).or(tiers.last());
        return t.map_or(Q::zero(), |t| amount(&t.unit) * int(q) + amount(&t.flat));
    }
    let mut cost = Q::zero();
    let mut below = 0i64;
    for t in tiers {
        let top = t.up_to.map_or(q, |u| u.min(q));
        if top > below {
            cost += amount(&t.unit) * int(top - below) + amount(&t.flat);
            below = top;
        }
        if below >= q {
            break;
        }
    }
    cost
}

/// A line's subtotal: exact, rounded once.
fn subtotal(line: &Line) -> BigInt {
    let exact = match &line.price {
        Price::PerUnit(a) => amount(&Some(a.clone())) * int(line.quantity),
        Price::Graduated(t) => tiered(t, line.quantity, false),
        Price::Volume(t) => tiered(t, line.quantity, true),
        Price::Custom(a) => int(*a),
    };
    round(&exact)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxOut {
    pub rate: usize,
    pub amount: i64,
    pub taxable: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOut {
    pub subtotal: i64,
    pub discount: i64,
    pub tax_exclusive: i64,
    pub tax_inclusive: i64,
    /// Inclusive and exclusive.
    pub tax: i64,
    pub total: i64,
    pub taxes: Vec<TaxOut>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub lines: Vec<LineOut>,
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub shipping: i64,
    pub total: i64,
    /// Per rate (by index): summed amount and taxable amount.
    pub breakdown: BTreeMap<usize, (i64, i64)>,
}

fn discounts(cart: &Cart, subs: &[BigInt]) -> Vec<BigInt> {
    let Some(c) = &cart.coupon else { return vec![BigInt::zero(); subs.len()] };
    let eligible: Vec<bool> = cart
        .lines
        .iter()
        .map(|l| !matches!(l.price, Price::Custom(_)) && c.products.as_ref().is_none_or(|p| p.contains(&l.product)))
        .collect();
    match &c.off {
        Off::Percent(p) => subs
            .iter()
            .zip(&eligible)
            .map(|(s, e)| {
                if *e {
                    round(&(Q::from_integer(s.clone()) * decimal(p) / int(100))).min(s.clone())
                } else {
                    BigInt::zero()
                }
            })
            .collect(),
        Off::Amount(a) => {
            let base: BigInt = subs.iter().zip(&eligible).filter(|(_, e)| **e).map(|(s, _)| s.clone()).sum();
            let off = BigInt::from(*a).min(base.clone());
            if off.is_zero() {
                return vec![BigInt::zero(); subs.len()];
            }
            let exact: Vec<Q> = subs
                .iter()
                .zip(&eligible)
                .map(|(s, e)| if *e { Q::new(s * &off, base.clone()) } else { Q::zero() })
                .collect();
            apportion(&exact, &off)
        }
    }
}

/// A line's taxes on its net amount: (rate, amount, taxable), in order.
fn taxes(cart: &Cart, line: &Line, net: &BigInt) -> Vec<(usize, BigInt, BigInt)> {
    let r = |i: usize| decimal(&cart.rates[i].percentage) / int(100);
    let inclusive: Q = line.rates.iter().filter(|&&i| cart.rates[i].inclusive).map(|&i| r(i)).sum();
    let pre_tax = Q::from_integer(net.clone()) / (Q::one() + inclusive);
    let taxable = round(&pre_tax);
    let exact: Vec<Q> =
        line.rates.iter().map(|&i| if cart.rates[i].inclusive { &pre_tax * r(i) } else { Q::zero() }).collect();
    let inclusive_parts = apportion(&exact, &(net - &taxable));
    line.rates
        .iter()
        .zip(inclusive_parts)
        .map(|(&i, part)| {
            let amount = if cart.rates[i].inclusive { part } else { round(&(Q::from_integer(taxable.clone()) * r(i))) };
            (i, amount, taxable.clone())
        })
        .collect()
}

fn small(v: &BigInt) -> Option<i64> {
    v.to_i64()
}

/// What the cart costs, or `None` if an amount does not fit in `i64`.
pub fn compute(cart: &Cart) -> Option<Out> {
    let subs: Vec<BigInt> = cart.lines.iter().map(subtotal).collect();
    let discs = discounts(cart, &subs);
    let shipping = BigInt::from(cart.shipping.unwrap_or(0));
    let mut out = Out {
        lines: Vec::new(),
        subtotal: small(&subs.iter().sum())?,
        discount: small(&discs.iter().sum())?,
        tax: 0,
        shipping: small(&shipping)?,
        total: 0,
        breakdown: BTreeMap::new(),
    };
    let (mut tax, mut total) = (BigInt::zero(), shipping);
    let mut breakdown: BTreeMap<usize, (BigInt, BigInt)> = BTreeMap::new();
    for ((line, sub), disc) in cart.lines.iter().zip(&subs).zip(&discs) {
        let net = sub - disc;
        let taxes = taxes(cart, line, &net);
        let (mut excl, mut incl) = (BigInt::zero(), BigInt::zero());
        let mut shown = Vec::new();
        for (i, amount, taxable) in taxes {
            if cart.rates[i].inclusive {
                incl += &amount;
            } else {
                excl += &amount;
            }
            let e = breakdown.entry(i).or_default();
            e.0 += &amount;
            e.1 += &taxable;
            shown.push(TaxOut { rate: i, amount: small(&amount)?, taxable: small(&taxable)? });
        }
        let line_total = &net + &excl;
        tax += &excl + &incl;
        total += &line_total;
        out.lines.push(LineOut {
            subtotal: small(sub)?,
            discount: small(disc)?,
            tax_exclusive: small(&excl)?,
            tax_inclusive: small(&incl)?,
            tax: small(&(&excl + &incl))?,
            total: small(&line_total)?,
            taxes: shown,
        });
    }
    out.tax = small(&tax)?;
    out.total = small(&total)?;
    for (i, (a, t)) in breakdown {
        out.breakdown.insert(i, (small(&a)?, small(&t)?));
    }
    Some(out)
}

/// What a session with this cart answers: `Ok` with the amounts, or the
/// error code Stripe's limits give (`amount_too_large` also for anything
/// past `i64`). The minimum charges of the model's currencies, from
/// Stripe's table; the others have none.
pub fn session(cart: &Cart) -> Result<Out, &'static str> {
    let out = compute(cart).ok_or("amount_too_large")?;
    let min = match cart.currency {
        "usd" | "eur" | "jpy" => 50,
        "gbp" => 30,
        "mxn" => 1000,
        _ => 1,
    };
    match out.total {
        t if t > 99_999_999 => Err("amount_too_large"),
        t if t > 0 && t < min => Err("amount_too_small"),
        _ => Ok(out),
    }
}
