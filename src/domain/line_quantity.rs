//! The buyer's change of a line's quantity, where the merchant allowed it
//! (`adjustable_quantity`): the new quantity is checked against the line's
//! bounds and the line's subtotal recomputed from its price.

use serde_json::Value;

use super::fields::FieldError;
use super::price_amounts::scheme;
use super::pricing::line_subtotal;

/// The new subtotal of `line` at `quantity`, or why it cannot change.
pub fn adjust(line: &Value, quantity: i64, param: &str) -> Result<i64, FieldError> {
    let aq = &line["adjustable_quantity"];
    if aq["enabled"] != true {
        return Err(FieldError::invalid(param, "This line item's quantity cannot be changed."));
    }
    let min = aq["minimum"].as_i64().unwrap_or(0).max(1);
    let max = aq["maximum"].as_i64().unwrap_or(99);
    if !(min..=max).contains(&quantity) {
        return Err(FieldError::invalid(param, format!("Invalid quantity: must be between {min} and {max}.")));
    }
    let s = scheme(&line["price"]).ok_or_else(|| FieldError::invalid(param, "This line item has no fixed price."))?;
    line_subtotal(&s, quantity).map_err(|_| FieldError::invalid(param, "The amount for that quantity is too large."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn line(enabled: bool) -> Value {
        json!({"adjustable_quantity": {"enabled": enabled, "minimum": 1, "maximum": 10},
               "price": {"billing_scheme": "per_unit", "unit_amount": 250}})
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
            let l = json!({"adjustable_quantity": {"enabled": true, "minimum": 0, "maximum": 99},
                           "price": {"billing_scheme": "per_unit", "unit_amount": unit}});
            prop_assert_eq!(adjust(&l, q, "q"), Ok(unit * q));
        }
    }
}
