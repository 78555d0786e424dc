//! Discounts and taxes on line amounts (issue 5's money rules, made exact
//! in issue 17). All arithmetic is exact (`domain::exact`, `i128`), and
//! every amount is rounded once, half away from zero, by `exact::round_div`.
//!
//! - **Discount.** A percent discount takes `round(subtotal × p / 100)` from
//!   each eligible line. An amount off is capped at the eligible subtotal
//!   and shared in proportion to the lines' subtotals: each line gets the
//!   floor of its exact share, and the units left go to the lines with the
//!   largest remainders, the earlier line first on a tie (so the shares add
//!   up exactly).
//! - **Taxes** apply to the line's net amount `n = subtotal − discount`.
//!   A line's inclusive rates share one pre-tax amount:
//!   `taxable = round(n / (1 + Σ inclusive r))`, and together they are
//!   `n − taxable`, split between them in proportion to their rates by
//!   largest remainder (each rate's exact part is `taxable × r`). Without
//!   inclusive rates, `taxable = n`. Each exclusive rate is
//!   `round(taxable × r)` on that same pre-tax amount, added on top.
//!   Every tax reports `taxable` as its `taxable_amount`.

use rust_decimal::Decimal;

use super::exact::{self, add, mul, round_div, sub, to_i64};
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

/// Percentages as numerators over one denominator: `p_i% = nums[i] / den`.
fn percents(ps: &[Decimal]) -> Result<(Vec<i128>, i128), AmountError> {
    let scale = ps.iter().map(|p| p.scale()).max().unwrap_or(0);
    let nums = ps.iter().map(|p| exact::scaled(*p, scale)).collect::<Result<_, _>>()?;
    Ok((nums, mul(100, exact::pow10(scale)?)?))
}

fn percent_shares(lines: &[Line], p: Decimal) -> Result<Vec<i64>, AmountError> {
    let (num, den) = percents(&[p])?;
    let num = num.first().copied().unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if !l.discountable {
                return Ok(0);
            }
            let share = to_i64(round_div(mul(i128::from(l.subtotal), num)?, den)?)?;
            Ok(share.clamp(0, l.subtotal.max(0)))
        })
        .collect()
}

fn amount_shares(lines: &[Line], amount: i64) -> Result<Vec<i64>, AmountError> {
    let weight = |l: &Line| if l.discountable { i128::from(l.subtotal.max(0)) } else { 0 };
    let eligible = lines.iter().try_fold(0i128, |s, l| add(s, weight(l)))?;
    let total = i128::from(amount).clamp(0, eligible);
    if total == 0 {
        return Ok(vec![0; lines.len()]);
    }
    let nums = lines.iter().map(|l| mul(weight(l), total)).collect::<Result<Vec<_>, _>>()?;
    exact::largest_remainder(&nums, eligible, total)?.into_iter().map(to_i64).collect()
}

fn shares(lines: &[Line], discount: Option<Discount>) -> Result<Vec<i64>, AmountError> {
    match discount {
        None => Ok(vec![0; lines.len()]),
        Some(Discount::Percent(p)) => percent_shares(lines, p),
        Some(Discount::Amount(a)) => amount_shares(lines, a),
    }
}

/// A line's taxes on its net amount, in the order of its rates, with the
/// inclusive and exclusive sums.
fn taxes(rates: &[Rate], net: i64) -> Result<(Vec<LineTax>, i64, i64), AmountError> {
    let (r, den) = percents(&rates.iter().map(|r| r.percentage).collect::<Vec<_>>())?;
    let net = i128::from(net);
    let inclusive_sum = rates.iter().zip(&r).filter(|(x, _)| x.inclusive).try_fold(0i128, |s, (_, v)| add(s, *v))?;
    let gross_den = add(den, inclusive_sum)?;
    // The shared pre-tax amount, and what the inclusive rates hold together.
    let taxable = round_div(mul(net, den)?, gross_den)?;
    let inclusive_total = sub(net, taxable)?;
    let inclusive_parts: Vec<i128> =
        rates.iter().zip(&r).map(|(x, v)| if x.inclusive { mul(net, *v) } else { Ok(0) }).collect::<Result<_, _>>()?;
    let split = exact::largest_remainder(&inclusive_parts, gross_den, inclusive_total)?;
    let (mut excl, mut incl) = (0i64, 0i64);
    let mut out = Vec::with_capacity(rates.len());
    for ((rate, v), part) in rates.iter().zip(&r).zip(split) {
        let amount = if rate.inclusive { to_i64(part)? } else { to_i64(round_div(mul(taxable, *v)?, den)?)? };
        let sum = if rate.inclusive { &mut incl } else { &mut excl };
        *sum = sum.checked_add(amount).ok_or(AmountError::Overflow)?;
        out.push(LineTax { rate: rate.id.clone(), amount, taxable_amount: to_i64(taxable)? });
    }
    Ok((out, excl, incl))
}

/// Applies the discount, then each line's taxes.
pub fn apply(lines: &[Line], discount: Option<Discount>) -> Result<Vec<Adjusted>, AmountError> {
    let shares = shares(lines, discount)?;
    let mut out = Vec::with_capacity(lines.len());
    for (l, share) in lines.iter().zip(shares) {
        let net = l.subtotal.checked_sub(share).ok_or(AmountError::Overflow)?;
        let (taxes, tax_exclusive, tax_inclusive) = taxes(&l.rates, net)?;
        let amounts = LineAmounts { subtotal: l.subtotal, discount: share, tax_exclusive, tax_inclusive };
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

    /// (name, lines, discount, each line's (tax, taxable amount) per rate,
    /// each line's (discount, total), session total)
    type TaxCase = (&'static str, Vec<Line>, Option<Discount>, Vec<Vec<(i64, i64)>>, Vec<(i64, i64)>, i64);

    /// Issue 17's cases, exact to the unit, and the rules around them.
    #[test]
    fn the_exactness_table() {
        let inc = |p| rate(p, true);
        let exc = |p| rate(p, false);
        let cases: Vec<TaxCase> = vec![
            (
                "three 100 % inclusive rates share one pre-tax amount",
                vec![line(1000, vec![inc("100"), inc("100"), inc("100")])],
                None,
                vec![vec![(250, 250), (250, 250), (250, 250)]],
                vec![(0, 1000)],
                1000,
            ),
            (
                "5 % and 10 % inclusive: taxable 1000, taxes 50 + 100",
                vec![line(1150, vec![inc("5"), inc("10")])],
                None,
                vec![vec![(50, 1000), (100, 1000)]],
                vec![(0, 1150)],
                1150,
            ),
            (
                "exclusive rates apply to the shared pre-tax amount",
                vec![line(1150, vec![inc("5"), exc("8.25"), inc("10")])],
                None,
                vec![vec![(50, 1000), (83, 1000), (100, 1000)]],
                vec![(0, 1233)],
                1233,
            ),
            (
                "inclusive rates add up to gross − taxable; the larger remainder takes the unit",
                vec![line(1000, vec![inc("7"), inc("7"), inc("7.5")])],
                None,
                // taxable = round(1000 / 1.215) = 823; 177 = 57.61 + 57.61 + 61.73 → 58 + 57 + 62
                vec![vec![(58, 823), (57, 823), (62, 823)]],
                vec![(0, 1000)],
                1000,
            ),
            (
                "the amount-off split in i128: 10^15 less 8×10^13",
                vec![line(1_000_000_000_000_000, vec![])],
                Some(Discount::Amount(80_000_000_000_000)),
                vec![vec![]],
                vec![(80_000_000_000_000, 920_000_000_000_000)],
                920_000_000_000_000,
            ),
            (
                "an amount off shared exactly between near-i64 lines",
                vec![line(4_611_686_018_427_387_903, vec![]), line(4_611_686_018_427_387_903, vec![])],
                Some(Discount::Amount(3)),
                vec![vec![], vec![]],
                vec![(2, 4_611_686_018_427_387_901), (1, 4_611_686_018_427_387_902)],
                9_223_372_036_854_775_803,
            ),
        ];
        for (name, lines, discount, taxes, per_line, total) in cases {
            let got = apply(&lines, discount).unwrap();
            let shown: Vec<Vec<(i64, i64)>> =
                got.iter().map(|a| a.taxes.iter().map(|t| (t.amount, t.taxable_amount)).collect()).collect();
            assert_eq!(shown, taxes, "{name}");
            let per: Vec<(i64, i64)> = got.iter().map(|a| (a.amounts.discount, a.amounts.total().unwrap())).collect();
            assert_eq!(per, per_line, "{name}");
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

    /// 0.01 % to 100 % off, or a fixed amount off.
    fn any_discount() -> impl Strategy<Value = Discount> {
        prop_oneof![
            (1u32..=10_000).prop_map(|p| Discount::Percent(Decimal::new(i64::from(p), 2))),
            (0i64..1_000_000_000).prop_map(Discount::Amount),
        ]
    }

    /// A tax rate below 50 %, inclusive or not.
    fn any_rate() -> impl Strategy<Value = Rate> {
        (0u32..5_000, any::<bool>()).prop_map(|(tax, inclusive)| Rate {
            id: "r".into(),
            percentage: Decimal::new(i64::from(tax), 2),
            inclusive,
        })
    }

    proptest! {
        #[test]
        fn adjusted_lines_keep_every_invariant(
            subs in proptest::collection::vec(0i64..100_000_000, 1..20),
            d in any_discount(),
            r in any_rate(),
            shipping in 0i64..1_000_000,
        ) {
            let lines: Vec<Line> = subs.iter().map(|s| line(*s, vec![r.clone()])).collect();
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
