//! Amounts: what a line costs, and what a session totals.
//!
//! Rounding rule: a line's subtotal is computed exactly — unit amounts,
//! decimal unit amounts (up to 12 places), tiers and flat fees times the
//! quantity, as `i128` numerators over a power of ten (`domain::exact`) —
//! and rounded **once**, half away from zero, to the currency's minor unit.
//! Unit amounts are already in minor units, so that is rounding to a whole
//! number. Nothing is rounded per unit or per tier, and no step goes
//! through a 28-digit decimal.
//!
//! Every sum and product is checked: an amount that does not fit in `i64`
//! minor units is an error, never a wrap.
//!
//! Discounts and taxes (`domain::adjust`) adjust `LineAmounts` before
//! `session_totals` adds them up; the invariant the totals keep is
//! `total = subtotal − discount + shipping + exclusive tax`.

use rust_decimal::Decimal;

use super::exact::{self, add, mul};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the amount is too large")]
    Overflow,
    #[error("the quantity must be at least 1")]
    BadQuantity,
}

/// A unit amount in minor units: whole, or with decimals (`unit_amount_decimal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Whole(i64),
    Decimal(Decimal),
}

impl Unit {
    fn scale(self) -> u32 {
        match self {
            Unit::Whole(_) => 0,
            Unit::Decimal(d) => d.scale(),
        }
    }

    /// The amount as a numerator over `10^scale`.
    fn at(self, scale: u32) -> Result<i128, AmountError> {
        match self {
            Unit::Whole(i) => mul(i128::from(i), exact::pow10(scale)?),
            Unit::Decimal(d) => exact::scaled(d, scale),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TiersMode {
    /// Each unit is priced by the tier it falls in.
    Graduated,
    /// All units are priced by the tier the total quantity falls in.
    Volume,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Inclusive upper bound; `None` for the last tier ("inf").
    pub up_to: Option<i64>,
    pub unit: Option<Unit>,
    pub flat: Option<Unit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    PerUnit(Unit),
    Tiered { mode: TiersMode, tiers: Vec<Tier> },
}

/// The most decimal places any amount of the scheme has: the common
/// denominator `10^scale` every term is computed over.
fn scale(scheme: &Scheme) -> u32 {
    match scheme {
        Scheme::PerUnit(u) => u.scale(),
        Scheme::Tiered { tiers, .. } => {
            tiers.iter().flat_map(|t| [t.unit, t.flat]).flatten().map(Unit::scale).max().unwrap_or(0)
        }
    }
}

fn tier_cost(t: &Tier, units: i64, scale: u32) -> Result<i128, AmountError> {
    let unit = t.unit.map_or(Ok(0), |u| u.at(scale))?;
    let flat = t.flat.map_or(Ok(0), |u| u.at(scale))?;
    add(mul(unit, i128::from(units))?, flat)
}

/// The exact (unrounded) cost of `quantity` units, over `10^scale`.
fn exact_cost(scheme: &Scheme, quantity: i64, scale: u32) -> Result<i128, AmountError> {
    match scheme {
        Scheme::PerUnit(u) => mul(u.at(scale)?, i128::from(quantity)),
        Scheme::Tiered { mode: TiersMode::Volume, tiers } => {
            let tier = tiers.iter().find(|t| t.up_to.is_none_or(|u| quantity <= u)).or(tiers.last());
            match tier {
                Some(t) => tier_cost(t, quantity, scale),
                None => Ok(0),
            }
        }
        Scheme::Tiered { mode: TiersMode::Graduated, tiers } => {
            let mut total = 0i128;
            let mut lower = 0i64;
            for t in tiers {
                if lower >= quantity {
                    break;
                }
                let upper = t.up_to.map_or(quantity, |u| u.min(quantity));
                let units = upper.checked_sub(lower).ok_or(AmountError::Overflow)?;
                if units > 0 {
                    total = add(total, tier_cost(t, units, scale)?)?;
                }
                lower = upper.max(lower);
            }
            Ok(total)
        }
    }
}

/// A line's subtotal in minor units, rounded once (see the module docs).
pub fn line_subtotal(scheme: &Scheme, quantity: i64) -> Result<i64, AmountError> {
    if quantity < 1 {
        return Err(AmountError::BadQuantity);
    }
    let scale = scale(scheme);
    let amount = exact::round_div(exact_cost(scheme, quantity, scale)?, exact::pow10(scale)?)?;
    exact::to_i64(amount)
}

/// One line's amounts. `tax_inclusive` is already inside `subtotal`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineAmounts {
    pub subtotal: i64,
    pub discount: i64,
    pub tax_exclusive: i64,
    pub tax_inclusive: i64,
}

impl LineAmounts {
    pub fn new(subtotal: i64) -> Self {
        Self { subtotal, ..Self::default() }
    }

    /// Tax as reported: inclusive and exclusive alike.
    pub fn tax(&self) -> Result<i64, AmountError> {
        self.tax_exclusive.checked_add(self.tax_inclusive).ok_or(AmountError::Overflow)
    }

    /// `subtotal − discount + exclusive tax`.
    pub fn total(&self) -> Result<i64, AmountError> {
        self.subtotal
            .checked_sub(self.discount)
            .and_then(|v| v.checked_add(self.tax_exclusive))
            .ok_or(AmountError::Overflow)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub tax: i64,
    pub total: i64,
}

/// Adds the lines up, plus shipping (its own tax comes in a later issue).
pub fn session_totals(lines: &[LineAmounts], shipping: i64) -> Result<Totals, AmountError> {
    let mut t = Totals { shipping, ..Totals::default() };
    let mut exclusive = 0i64;
    for l in lines {
        t.subtotal = t.subtotal.checked_add(l.subtotal).ok_or(AmountError::Overflow)?;
        t.discount = t.discount.checked_add(l.discount).ok_or(AmountError::Overflow)?;
        t.tax = t.tax.checked_add(l.tax()?).ok_or(AmountError::Overflow)?;
        exclusive = exclusive.checked_add(l.tax_exclusive).ok_or(AmountError::Overflow)?;
    }
    t.total = t
        .subtotal
        .checked_sub(t.discount)
        .and_then(|v| v.checked_add(shipping))
        .and_then(|v| v.checked_add(exclusive))
        .ok_or(AmountError::Overflow)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Unit {
        Unit::Decimal(Decimal::from_str(s).unwrap())
    }

    fn tiers(mode: TiersMode) -> Scheme {
        Scheme::Tiered {
            mode,
            tiers: vec![
                Tier { up_to: Some(5), unit: Some(Unit::Whole(1000)), flat: None },
                Tier { up_to: Some(10), unit: Some(Unit::Whole(800)), flat: Some(Unit::Whole(100)) },
                Tier { up_to: None, unit: Some(Unit::Whole(500)), flat: None },
            ],
        }
    }

    #[test]
    fn per_unit_multiplies() {
        assert_eq!(line_subtotal(&Scheme::PerUnit(Unit::Whole(1099)), 2), Ok(2198));
    }

    #[test]
    fn decimals_round_once_half_away_from_zero() {
        // (unit_amount_decimal, quantity, subtotal)
        let cases: &[(&str, i64, Result<i64, AmountError>)] = &[
            // 0.5 × 3 = 1.5 → 2; rounding per unit would give 0 or 3.
            ("0.5", 3, Ok(2)),
            ("12.345", 2, Ok(25)),
            ("0.333333333333", 3, Ok(1)),
            ("0.25", 2, Ok(1)),
            ("0.49", 1, Ok(0)),
            // Issue 17, defect 3: the exact product is
            // 123456787815442109.499999999999 (30 significant digits); a
            // 28-digit decimal rounded it to …109.5 and then to …110.
            ("1234567890.500100000001", 99_999_999, Ok(123_456_787_815_442_109)),
            ("0.000000000001", 100_000_000, Ok(0)),
            ("0.000000005", 100_000_000, Ok(1)),
            ("0.000000004999", 100_000_000, Ok(0)),
            ("99999999999.999999999999", 100_000_000, Err(AmountError::Overflow)),
        ];
        for (unit, qty, want) in cases {
            assert_eq!(&line_subtotal(&Scheme::PerUnit(dec(unit)), *qty), want, "{unit} × {qty}");
        }
    }

    #[test]
    fn volume_tiers_price_every_unit_at_the_reached_tier() {
        assert_eq!(line_subtotal(&tiers(TiersMode::Volume), 5), Ok(5000));
        assert_eq!(line_subtotal(&tiers(TiersMode::Volume), 6), Ok(6 * 800 + 100));
        assert_eq!(line_subtotal(&tiers(TiersMode::Volume), 20), Ok(20 * 500));
    }

    #[test]
    fn graduated_tiers_price_each_unit_in_its_own_tier() {
        assert_eq!(line_subtotal(&tiers(TiersMode::Graduated), 5), Ok(5000));
        assert_eq!(line_subtotal(&tiers(TiersMode::Graduated), 7), Ok(5000 + 2 * 800 + 100));
        assert_eq!(line_subtotal(&tiers(TiersMode::Graduated), 12), Ok(5000 + 5 * 800 + 100 + 2 * 500));
    }

    #[test]
    fn overflow_and_bad_quantities_are_errors() {
        assert_eq!(line_subtotal(&Scheme::PerUnit(Unit::Whole(i64::MAX)), 2), Err(AmountError::Overflow));
        assert_eq!(line_subtotal(&Scheme::PerUnit(Unit::Whole(1)), 0), Err(AmountError::BadQuantity));
        let lines = [LineAmounts::new(i64::MAX), LineAmounts::new(1)];
        assert_eq!(session_totals(&lines, 0), Err(AmountError::Overflow));
    }

    #[test]
    fn zero_decimal_and_three_decimal_amounts_are_plain_minor_units() {
        // JPY 500 × 3 and KWD 1.250 (1250 fils) × 3: the exponent does not
        // change the arithmetic, only how amounts read.
        assert_eq!(line_subtotal(&Scheme::PerUnit(Unit::Whole(500)), 3), Ok(1500));
        assert_eq!(line_subtotal(&Scheme::PerUnit(Unit::Whole(1250)), 3), Ok(3750));
    }

    proptest! {
        #[test]
        fn totals_keep_the_invariant(
            lines in proptest::collection::vec((0i64..1_000_000_000, 0i64..1000, 0i64..1000, 0i64..1000), 0..100),
            shipping in 0i64..1_000_000,
        ) {
            let lines: Vec<LineAmounts> = lines.iter().map(|&(s, d, te, ti)| LineAmounts {
                subtotal: s, discount: d.min(s), tax_exclusive: te, tax_inclusive: ti.min(s),
            }).collect();
            let t = session_totals(&lines, shipping).unwrap();
            let sum = |f: fn(&LineAmounts) -> i64| lines.iter().map(f).sum::<i64>();
            prop_assert_eq!(t.subtotal, sum(|l| l.subtotal));
            prop_assert_eq!(t.total, t.subtotal - t.discount + shipping + sum(|l| l.tax_exclusive));
            prop_assert_eq!(t.total, sum(|l| l.total().unwrap()) + shipping);
            prop_assert!(t.total >= 0);
        }

        #[test]
        fn arbitrary_amounts_never_panic(unit in any::<i64>(), qty in any::<i64>(), flat in any::<i64>()) {
            let _ = line_subtotal(&Scheme::PerUnit(Unit::Whole(unit)), qty);
            let s = Scheme::Tiered { mode: TiersMode::Graduated, tiers: vec![
                Tier { up_to: Some(qty / 2), unit: Some(Unit::Whole(unit)), flat: Some(Unit::Whole(flat)) },
                Tier { up_to: None, unit: Some(Unit::Whole(flat)), flat: None },
            ]};
            let _ = line_subtotal(&s, qty);
        }

        #[test]
        fn per_unit_is_exact_for_whole_amounts(unit in 0i64..100_000_000, qty in 1i64..=100_000_000) {
            prop_assert_eq!(line_subtotal(&Scheme::PerUnit(Unit::Whole(unit)), qty), Ok(unit * qty));
        }

        #[test]
        fn decimal_subtotals_are_within_half_a_unit_of_exact(cents in 0i64..10_000_000, frac in 0u32..1_000_000, qty in 1i64..10_000) {
            let d = Decimal::from(cents) + Decimal::new(i64::from(frac), 6);
            let got = line_subtotal(&Scheme::PerUnit(Unit::Decimal(d)), qty).unwrap();
            let exact = d * Decimal::from(qty);
            prop_assert!((Decimal::from(got) - exact).abs() <= Decimal::new(5, 1));
        }

        #[test]
        fn graduated_and_volume_agree_with_a_single_tier(unit in 0i64..1_000_000, qty in 1i64..100_000) {
            let one = |mode| Scheme::Tiered { mode, tiers: vec![Tier { up_to: None, unit: Some(Unit::Whole(unit)), flat: None }] };
            prop_assert_eq!(line_subtotal(&one(TiersMode::Graduated), qty), line_subtotal(&one(TiersMode::Volume), qty));
        }

        #[test]
        fn graduated_cost_never_falls_as_quantity_grows(qty in 1i64..1000) {
            let s = tiers(TiersMode::Graduated);
            prop_assert!(line_subtotal(&s, qty + 1).unwrap() >= line_subtotal(&s, qty).unwrap());
        }
    }
}
