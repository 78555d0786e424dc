//! A price's amounts: decimal amounts, tiers and custom amounts as given,
//! checked; and the pricing scheme a price computes with.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::fields::FieldError;
use super::price::{PriceCustomUnitAmount, PriceTier};
use super::price_params::{at, exclusive, missing, BillingScheme, CustomUnitAmount, PriceParams, TierParam, TiersMode};
use super::pricing::{self, Scheme, Tier, Unit};

/// A decimal amount in minor units: non-negative, at most 12 places. A
/// refusal names the parameter and the rule, never the digits (a long run
/// of them would read as a card number and be redacted).
pub fn parse_decimal(param: &str, s: &str) -> Result<Decimal, FieldError> {
    let name = param.rsplit('[').next().unwrap_or(param).trim_end_matches(']');
    let bad = |why: &str| FieldError::invalid(param, format!("Invalid {name}: {why}"));
    if !s.bytes().any(|b| b.is_ascii_digit())
        || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || s.bytes().filter(|b| *b == b'.').count() > 1
    {
        return Err(bad("must be a non-negative decimal number of minor units, such as 1234.5."));
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let (whole, frac) = (whole.trim_start_matches('0'), frac.trim_end_matches('0'));
    if frac.len() > 12 {
        return Err(bad("must have at most 12 decimal places."));
    }
    if whole.len() > 16 {
        return Err(bad("must be less than 10^16 minor units."));
    }
    let whole = if whole.is_empty() { "0" } else { whole };
    let exact = if frac.is_empty() { whole.to_owned() } else { format!("{whole}.{frac}") };
    let d = Decimal::from_str_exact(&exact)
        .map_err(|_| bad("must be a non-negative decimal number of minor units, such as 1234.5."))?;
    Ok(d.normalize())
}

pub fn amount(param: &str, v: i64) -> Result<i64, FieldError> {
    if v < 0 {
        return Err(FieldError::invalid(param, format!("Invalid {param}: must be a non-negative integer.")));
    }
    Ok(v)
}

/// A price's amounts as checked from its terms.
pub struct Amounts {
    pub billing_scheme: BillingScheme,
    pub unit_amount: Option<i64>,
    pub unit_amount_decimal: Option<Decimal>,
    pub tiers: Option<Vec<PriceTier>>,
    pub tiers_mode: Option<TiersMode>,
    pub custom_unit_amount: Option<PriceCustomUnitAmount>,
}

/// Checks how the terms give the amount: per unit (whole or decimal), by
/// tiers, or chosen by the customer within bounds.
pub fn amounts(p: &PriceParams, prefix: &str) -> Result<Amounts, FieldError> {
    if p.unit_amount.is_some() && p.unit_amount_decimal.is_some() {
        return Err(exclusive(prefix, "unit_amount", "unit_amount_decimal"));
    }
    let custom = p.custom_unit_amount.as_ref().filter(|c| c.enabled);
    let billing_scheme = p.billing_scheme.unwrap_or(BillingScheme::PerUnit);
    let mut out = Amounts {
        billing_scheme,
        unit_amount: None,
        unit_amount_decimal: None,
        tiers: None,
        tiers_mode: None,
        custom_unit_amount: None,
    };
    match billing_scheme {
        BillingScheme::PerUnit => {
            if p.tiers.is_some() || p.tiers_mode.is_some() {
                return Err(FieldError::invalid(at(prefix, "tiers"), "Tiers need billing_scheme=tiered."));
            }
            if let Some(a) = p.unit_amount {
                out.unit_amount = Some(amount(&at(prefix, "unit_amount"), a)?);
                out.unit_amount_decimal = Some(Decimal::from(a));
            } else if let Some(s) = &p.unit_amount_decimal {
                let d = parse_decimal(&at(prefix, "unit_amount_decimal"), s)?;
                out.unit_amount_decimal = Some(d);
                out.unit_amount = whole(d);
            } else if custom.is_none() {
                return Err(missing(at(prefix, "unit_amount")));
            }
            if custom.is_some() && out.unit_amount_decimal.is_some() {
                return Err(exclusive(prefix, "unit_amount", "custom_unit_amount"));
            }
        }
        BillingScheme::Tiered => {
            if p.unit_amount.is_some() || p.unit_amount_decimal.is_some() {
                return Err(FieldError::invalid(
                    at(prefix, "unit_amount"),
                    "Tiered prices take their amounts from tiers.",
                ));
            }
            let tiers = p.tiers.as_ref().filter(|t| !t.is_empty()).ok_or_else(|| missing(at(prefix, "tiers")))?;
            out.tiers_mode = Some(p.tiers_mode.ok_or_else(|| missing(at(prefix, "tiers_mode")))?);
            out.tiers = Some(check_tiers(tiers, prefix)?);
        }
    }
    out.custom_unit_amount = custom.map(|c| check_custom(c, prefix)).transpose()?;
    Ok(out)
}

pub fn check_tiers(tiers: &[TierParam], prefix: &str) -> Result<Vec<PriceTier>, FieldError> {
    let mut out = Vec::with_capacity(tiers.len());
    let mut last: Option<i64> = None;
    for (i, t) in tiers.iter().enumerate() {
        let p = at(prefix, &format!("tiers[{i}]"));
        let is_last = i + 1 == tiers.len();
        match (t.up_to.0, is_last) {
            (None, false) => {
                return Err(FieldError::invalid(format!("{p}[up_to]"), "Only the last tier may have up_to=inf."))
            }
            (Some(_), true) => {
                return Err(FieldError::invalid(format!("{p}[up_to]"), "The last tier must have up_to=inf."))
            }
            (Some(u), false) if u < 1 || last.is_some_and(|l| u <= l) => {
                return Err(FieldError::invalid(format!("{p}[up_to]"), "Tiers' up_to must increase."))
            }
            _ => {}
        }
        last = t.up_to.0.or(last);
        let unit = decimal_pair(&p, "unit_amount", t.unit_amount, t.unit_amount_decimal.as_deref())?;
        let flat = decimal_pair(&p, "flat_amount", t.flat_amount, t.flat_amount_decimal.as_deref())?;
        out.push(PriceTier {
            flat_amount: flat.and_then(whole),
            flat_amount_decimal: flat,
            unit_amount: unit.and_then(whole),
            unit_amount_decimal: unit,
            up_to: t.up_to.0,
        });
    }
    Ok(out)
}

/// The amount as a whole number of minor units, if it is one.
fn whole(d: Decimal) -> Option<i64> {
    if d.fract().is_zero() {
        i64::try_from(d.trunc().mantissa() / 10i128.pow(d.trunc().scale())).ok()
    } else {
        None
    }
}

fn decimal_pair(p: &str, name: &str, int: Option<i64>, dec: Option<&str>) -> Result<Option<Decimal>, FieldError> {
    match (int, dec) {
        (Some(_), Some(_)) => Err(exclusive(p, name, &format!("{name}_decimal"))),
        (Some(a), None) => Ok(Some(Decimal::from(amount(&format!("{p}[{name}]"), a)?))),
        (None, Some(s)) => parse_decimal(&format!("{p}[{name}_decimal]"), s).map(Some),
        (None, None) => Ok(None),
    }
}

pub fn check_custom(c: &CustomUnitAmount, prefix: &str) -> Result<PriceCustomUnitAmount, FieldError> {
    let p = at(prefix, "custom_unit_amount");
    for (name, v) in [("minimum", c.minimum), ("maximum", c.maximum), ("preset", c.preset)] {
        if let Some(v) = v {
            amount(&format!("{p}[{name}]"), v)?;
        }
    }
    if let (Some(min), Some(max)) = (c.minimum, c.maximum) {
        if min > max {
            return Err(FieldError::invalid(format!("{p}[minimum]"), "The minimum must not exceed the maximum."));
        }
    }
    if let Some(preset) = c.preset {
        if c.minimum.is_some_and(|m| preset < m) || c.maximum.is_some_and(|m| preset > m) {
            return Err(FieldError::invalid(
                format!("{p}[preset]"),
                "The preset must lie between the minimum and the maximum.",
            ));
        }
    }
    Ok(PriceCustomUnitAmount { maximum: c.maximum, minimum: c.minimum, preset: c.preset })
}

/// The exact amount when given, else the whole one.
fn unit(whole: Option<i64>, exact: Option<Decimal>) -> Option<Unit> {
    exact.map(Unit::Decimal).or(whole.map(Unit::Whole))
}

/// How a price with these terms computes an amount; `None` when it has no
/// amount of its own (custom amounts) or its tiers have no mode.
pub fn scheme_of(
    billing: BillingScheme,
    mode: Option<TiersMode>,
    tiers: Option<&[PriceTier]>,
    unit_amount: Option<i64>,
    unit_amount_decimal: Option<Decimal>,
) -> Option<Scheme> {
    match billing {
        BillingScheme::PerUnit => unit(unit_amount, unit_amount_decimal).map(Scheme::PerUnit),
        BillingScheme::Tiered => {
            let mode = match mode? {
                TiersMode::Graduated => pricing::TiersMode::Graduated,
                TiersMode::Volume => pricing::TiersMode::Volume,
            };
            let tiers = tiers?
                .iter()
                .map(|t| Tier {
                    up_to: t.up_to,
                    unit: unit(t.unit_amount, t.unit_amount_decimal),
                    flat: unit(t.flat_amount, t.flat_amount_decimal),
                })
                .collect();
            Some(Scheme::Tiered { mode, tiers })
        }
    }
}

/// The amount terms of a price copy held in JSON (a session's line item):
/// only the fields the amount depends on, each read as its type.
#[derive(Deserialize)]
struct AmountTerms {
    billing_scheme: BillingScheme,
    tiers_mode: Option<TiersMode>,
    tiers: Option<Vec<PriceTier>>,
    unit_amount: Option<i64>,
    unit_amount_decimal: Option<Decimal>,
}

/// How a price held as JSON computes an amount (see `scheme_of`); `None`
/// also when its amount terms do not read.
pub fn scheme(price: &Value) -> Option<Scheme> {
    let t = AmountTerms::deserialize(price).ok()?;
    scheme_of(t.billing_scheme, t.tiers_mode, t.tiers.as_deref(), t.unit_amount, t.unit_amount_decimal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_exactly_and_refusals_name_the_rule() {
        // (given, read as, or the refusal's words)
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("12.5", Ok("12.5")),
            ("0012.500000000000000000", Ok("12.5")),
            ("1234567890.500100000001", Ok("1234567890.500100000001")),
            ("9999999999999999.999999999999", Ok("9999999999999999.999999999999")),
            ("5.", Ok("5")),
            ("0.1234567890123", Err("at most 12 decimal places")),
            ("12345678901234567", Err("less than 10^16")),
            (".", Err("such as 1234.5")),
            ("1.2.3", Err("such as 1234.5")),
            ("-1", Err("such as 1234.5")),
            ("1e5", Err("such as 1234.5")),
        ];
        for (given, want) in cases {
            let got = parse_decimal("tiers[0][unit_amount_decimal]", given);
            match (got, want) {
                (Ok(d), Ok(w)) => assert_eq!(d.to_string(), *w, "{given}"),
                (Err(e), Err(words)) => {
                    assert_eq!(e.param, "tiers[0][unit_amount_decimal]");
                    assert!(e.message.starts_with("Invalid unit_amount_decimal: "), "{given}: {}", e.message);
                    assert!(e.message.contains(words), "{given}: {}", e.message);
                    assert!(given.len() < 5 || !e.message.contains(given), "not echoed: {}", e.message);
                }
                (got, want) => panic!("{given}: {got:?}, want {want:?}"),
            }
        }
    }
}
