//! The buyer's change of a line's quantity, where the merchant allowed it
//! (`adjustable_quantity`): the new quantity is checked against the line's
//! bounds and the line's subtotal recomputed from its price.

use super::fields::FieldError;
use super::line_item::LineItem;
use super::pricing::line_subtotal;

/// The new subtotal of `line` at `quantity`, or why it cannot change.
pub fn adjust(line: &LineItem, quantity: i64, param: &str) -> Result<i64, FieldError> {
    let Some(aq) = line.adjustable_quantity.filter(|a| a.enabled) else {
        return Err(FieldError::invalid(param, "This line item's quantity cannot be changed."));
    };
    let (min, max) = (aq.minimum.max(1), aq.maximum);
    if !(min..=max).contains(&quantity) {
        return Err(FieldError::invalid(param, format!("Invalid quantity: must be between {min} and {max}.")));
    }
    let s = line.price.scheme().ok_or_else(|| FieldError::invalid(param, "This line item has no fixed price."))?;
    line_subtotal(&s, quantity).map_err(|_| FieldError::invalid(param, "The amount for that quantity is too large."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::line_item::AdjustableQuantity;
    use crate::domain::price::{BillingScheme, PriceType};
    use proptest::prelude::*;

    fn priced(unit: i64, aq: AdjustableQuantity) -> LineItem {
        let docs: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("testdata/checkout_sessions.json")).unwrap();
        let mut line: LineItem = serde_json::from_value(docs[0]["line_items"]["data"][0].clone()).unwrap();
        line.adjustable_quantity = Some(aq);
        line.price.billing_scheme = BillingScheme::PerUnit;
        line.price.kind = PriceType::OneTime;
        line.price.recurring = None;
        line.price.tiers = None;
        line.price.tiers_mode = None;
        line.price.custom_unit_amount = None;
        line.price.unit_amount = Some(unit);
        line.price.unit_amount_decimal = Some(unit.into());
        line
    }

    fn line(enabled: bool) -> LineItem {
        priced(250, AdjustableQuantity { enabled, minimum: 1, maximum: 10 })
    }

    #[test]
    fn only_adjustable_lines_change_and_only_within_bounds() {
        assert_eq!(adjust(&line(true), 3, "q"), Ok(750));
        assert!(adjust(&line(false), 3, "q").is_err());
        assert!(adjust(&line(true), 11, "q").is_err());
        assert!(adjust(&line(true), 0, "q").is_err());
    }

    proptest! {
        #[test]
        fn a_per_unit_subtotal_is_unit_times_quantity(unit in 0i64..1_000_000, q in 1i64..=99) {
            let l = priced(unit, AdjustableQuantity { enabled: true, minimum: 0, maximum: 99 });
            prop_assert_eq!(adjust(&l, q, "q"), Ok(unit * q));
        }
    }
}
