//! Discounts and taxes on line amounts (issue 5's money rules).
//!
//! Rounding rule (written down once): every discount share and every tax is
//! computed **per line and per rate** in exact decimal arithmetic and rounded
//! half away from zero to the minor unit. Sums are of rounded line values, so
//! Σ line totals is the session total exactly.
//!
//! - A percent discount takes `round(subtotal × p / 100)` from each eligible
//!   line. A fixed discount is capped at the eligible subtotal and shared in
//!   proportion to the lines' subtotals; the remainder of the shares goes to
//!   the lines with the largest fractions (so the shares add up exactly).
//! - Tax applies after the discount. Exclusive tax is
//!   `round(net × rate / 100)`, added on top. Inclusive tax is already inside
//!   the price: `round(net × rate / (100 + rate))`, reported but not added.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::pricing::{AmountError, LineAmounts};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub id: String,
    /// Percent, e.g. `8.25`.
    pub percentage: Decimal,
    pub inclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub subtotal: i64,
    /// Whether the session's discount applies to this line.
    pub discountable: bool,
    pub rates: Vec<Rate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// `percent_off`, 0 < p ≤ 100.
    Percent(Decimal),
    /// `amount_off` in the session's currency.
    Amount(i64),
}

/// One tax on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTax {
    pub rate: String,
    pub amount: i64,
    pub taxable_amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjusted {
    pub amounts: LineAmounts,
    pub taxes: Vec<LineTax>,
}

fn round(d: Decimal) -> Result<i64, AmountError> {
    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_i64().ok_or(AmountError::Overflow)
}

fn shares(lines: &[Line], discount: Option<Discount>) -> Result<Vec<i64>, AmountError> {
    let mut out = vec![0i64; lines.len()];
    let Some(d) = discount else { return Ok(out) };
    match d {
        Discount::Percent(p) => {
            for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.discountable) {
                let share = round(
                    Decimal::from(l.subtotal).checked_mul(p).ok_or(AmountError::Overflow)? / Decimal::ONE_HUNDRED,
                )?;
                out[i] = share.clamp(0, l.subtotal);
            }
        }
        Discount::Amount(a) => {
            let eligible: i64 = lines
                .iter()
                .filter(|l| l.discountable)
                .try_fold(0i64, |s, l| s.checked_add(l.subtotal))
                .ok_or(AmountError::Overflow)?;
            let total = a.clamp(0, eligible);
            if total == 0 || eligible == 0 {
                return Ok(out);
            }
            let mut given = 0i64;
            let mut fractions = Vec::new();
            for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.discountable) {
                let exact = Decimal::from(l.subtotal).checked_mul(Decimal::from(total)).ok_or(AmountError::Overflow)?
                    / Decimal::from(eligible);
                let floor = exact.floor().to_i64().ok_or(AmountError::Overflow)?;
                out[i] = floor;
                given += floor;
                fractions.push((exact - exact.floor(), i));
            }
            fractions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (_, i) in fractions.into_iter().take(usize::try_from(total - given).unwrap_or(0)) {
                out[i] += 1;
            }
        }
    }
    Ok(out)
}

/// Applies the discount, then each line's taxes.
pub fn apply(lines: &[Line], discount: Option<Discount>) -> Result<Vec<Adjusted>, AmountError> {
    let shares = shares(lines, discount)?;
    let mut out = Vec::with_capacity(lines.len());
    for (l, share) in lines.iter().zip(shares) {
        let net = l.subtotal.checked_sub(share).ok_or(AmountError::Overflow)?;
        let mut amounts = LineAmounts { subtotal: l.subtotal, discount: share, ..LineAmounts::default() };
        let mut taxes = Vec::new();
        for r in &l.rates {
            let net_d = Decimal::from(net);
            let tax = if r.inclusive {
                round(
                    net_d.checked_mul(r.percentage).ok_or(AmountError::Overflow)?
                        / (Decimal::ONE_HUNDRED + r.percentage),
                )?
            } else {
                round(net_d.checked_mul(r.percentage).ok_or(AmountError::Overflow)? / Decimal::ONE_HUNDRED)?
            };
            let taxable = if r.inclusive { net - tax } else { net };
            if r.inclusive {
                amounts.tax_inclusive = amounts.tax_inclusive.checked_add(tax).ok_or(AmountError::Overflow)?;
            } else {
                amounts.tax_exclusive = amounts.tax_exclusive.checked_add(tax).ok_or(AmountError::Overflow)?;
            }
            taxes.push(LineTax { rate: r.id.clone(), amount: tax, taxable_amount: taxable });
        }
        amounts.total()?;
        out.push(Adjusted { amounts, taxes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pricing::session_totals;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn rate(p: &str, inclusive: bool) -> Rate {
        Rate { id: format!("txr_{p}"), percentage: Decimal::from_str(p).unwrap(), inclusive }
    }

    fn line(subtotal: i64, rates: Vec<Rate>) -> Line {
        Line { subtotal, discountable: true, rates }
    }

    fn pct(p: &str) -> Option<Discount> {
        Some(Discount::Percent(Decimal::from_str(p).unwrap()))
    }

    /// Expected per line: (discount, exclusive tax, inclusive tax).
    type PerLine = Vec<(i64, i64, i64)>;
    /// (name, lines, discount, expected per line, session total)
    type Case = (&'static str, Vec<Line>, Option<Discount>, PerLine, i64);

    #[test]
    fn the_amount_table() {
        let cases: Vec<Case> = vec![
            ("no adjustments", vec![line(1000, vec![])], None, vec![(0, 0, 0)], 1000),
            (
                "percent discount",
                vec![line(1000, vec![]), line(999, vec![])],
                pct("10"),
                vec![(100, 0, 0), (100, 0, 0)],
                1799,
            ),
            (
                "fixed discount shared by subtotal",
                vec![line(3000, vec![]), line(1000, vec![])],
                Some(Discount::Amount(1000)),
                vec![(750, 0, 0), (250, 0, 0)],
                3000,
            ),
            (
                "fixed discount with a remainder",
                vec![line(1, vec![]), line(1, vec![]), line(1, vec![])],
                Some(Discount::Amount(2)),
                vec![(1, 0, 0), (1, 0, 0), (0, 0, 0)],
                1,
            ),
            (
                "fixed discount capped at the subtotal",
                vec![line(500, vec![])],
                Some(Discount::Amount(900)),
                vec![(500, 0, 0)],
                0,
            ),
            ("100 % discount", vec![line(1234, vec![rate("20", false)])], pct("100"), vec![(1234, 0, 0)], 0),
            (
                "exclusive tax after discount",
                vec![line(1000, vec![rate("8.25", false)])],
                pct("10"),
                vec![(100, 74, 0)],
                974,
            ),
            (
                "inclusive tax is reported, not added",
                vec![line(1200, vec![rate("20", true)])],
                None,
                vec![(0, 0, 200)],
                1200,
            ),
            (
                "mixed per-line rates",
                vec![line(1000, vec![rate("5", false), rate("2.5", false)]), line(2000, vec![rate("20", true)])],
                None,
                vec![(0, 75, 0), (0, 0, 333)],
                3075,
            ),
            ("half rounds away from zero", vec![line(10, vec![rate("5", false)])], None, vec![(0, 1, 0)], 11),
            ("zero-decimal currency", vec![line(500, vec![rate("10", false)])], pct("15"), vec![(75, 43, 0)], 468),
            (
                "three-decimal currency",
                vec![line(1250, vec![rate("5", false)])],
                Some(Discount::Amount(250)),
                vec![(250, 50, 0)],
                1050,
            ),
        ];
        for (name, lines, discount, expected, total) in cases {
            let got = apply(&lines, discount).unwrap();
            let per: Vec<(i64, i64, i64)> =
                got.iter().map(|a| (a.amounts.discount, a.amounts.tax_exclusive, a.amounts.tax_inclusive)).collect();
            assert_eq!(per, expected, "{name}");
            let amounts: Vec<LineAmounts> = got.iter().map(|a| a.amounts).collect();
            assert_eq!(session_totals(&amounts, 0).unwrap().total, total, "{name}");
        }
    }

    #[test]
    fn only_eligible_lines_are_discounted() {
        let lines = vec![Line { subtotal: 1000, discountable: false, rates: vec![] }, line(1000, vec![])];
        let got = apply(&lines, Some(Discount::Amount(1500))).unwrap();
        assert_eq!((got[0].amounts.discount, got[1].amounts.discount), (0, 1000));
    }

    proptest! {
        #[test]
        fn adjusted_lines_keep_every_invariant(
            subs in proptest::collection::vec(0i64..100_000_000, 1..20),
            pct_off in 1u32..=10_000,
            fixed in 0i64..1_000_000_000,
            use_fixed in any::<bool>(),
            tax in 0u32..5_000,
            inclusive in any::<bool>(),
            shipping in 0i64..1_000_000,
        ) {
            let r = Rate { id: "r".into(), percentage: Decimal::new(i64::from(tax), 2), inclusive };
            let lines: Vec<Line> = subs.iter().map(|s| line(*s, vec![r.clone()])).collect();
            let d = if use_fixed { Discount::Amount(fixed) } else { Discount::Percent(Decimal::new(i64::from(pct_off), 2)) };
            let got = apply(&lines, Some(d)).unwrap();
            let amounts: Vec<LineAmounts> = got.iter().map(|a| a.amounts).collect();
            let t = session_totals(&amounts, shipping).unwrap();
            let excl: i64 = amounts.iter().map(|a| a.tax_exclusive).sum();
            prop_assert_eq!(t.total, t.subtotal - t.discount + shipping + excl);
            prop_assert!(t.discount <= t.subtotal);
            prop_assert!(amounts.iter().all(|a| a.discount >= 0 && a.discount <= a.subtotal));
            prop_assert_eq!(amounts.iter().map(|a| a.total().unwrap()).sum::<i64>() + shipping, t.total);
            if let Discount::Amount(f) = d {
                prop_assert_eq!(t.discount, f.min(t.subtotal));
            }
        }

        #[test]
        fn any_input_gives_an_answer_or_an_overflow_error(sub in any::<i64>(), p in any::<u32>(), f in any::<i64>()) {
            let lines = vec![line(sub.max(0), vec![Rate { id: "r".into(), percentage: Decimal::from(p % 1000), inclusive: false }])];
            let _ = apply(&lines, Some(Discount::Amount(f)));
            let _ = apply(&lines, Some(Discount::Percent(Decimal::from(p % 101))));
        }
    }
}
