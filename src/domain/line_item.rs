//! A Checkout Session's line items (`li_…`, object `item`), stored inside
//! the session under `line_items` (the list object), with the discounts and
//! taxes `engine::pricing` writes on them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::charge_parts::ListObject;
use super::document::Never;
use super::price::Price;

crate::wire_name!(ItemObject, "item");
crate::wire_name!(DiscountObject, "discount");
crate::wire_name!(CouponSource, "coupon");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub id: String,
    #[schema(value_type = String, pattern = "^item$")]
    pub object: ItemObject,
    pub adjustable_quantity: Option<AdjustableQuantity>,
    pub amount_discount: i64,
    pub amount_subtotal: i64,
    pub amount_tax: i64,
    pub amount_total: i64,
    pub currency: String,
    pub description: String,
    pub discounts: Vec<DiscountAmount>,
    pub metadata: BTreeMap<String, String>,
    /// The price whole, as it was when the line was made.
    pub price: Price,
    /// `null` for a metered price.
    pub quantity: Option<i64>,
    pub taxes: Vec<TaxAmount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = LineAdjustableQuantity)]
#[serde(deny_unknown_fields)]
pub struct AdjustableQuantity {
    pub enabled: bool,
    pub maximum: i64,
    pub minimum: i64,
}

/// A discount's share of a line (or of the session, in the breakdown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountAmount {
    pub amount: i64,
    pub discount: DiscountApplied,
}

/// The `discount` object a session's coupon makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountApplied {
    pub id: String,
    #[schema(value_type = String, pattern = "^discount$")]
    pub object: DiscountObject,
    pub checkout_session: String,
    /// The coupon as the API showed it when it was applied (its wire form,
    /// which the stored `Coupon` does not decode: it lacks the private fields).
    #[schema(value_type = Object)]
    pub coupon: Value,
    #[schema(value_type = Option<String>)]
    pub customer: Option<Never>,
    #[schema(value_type = Option<i64>)]
    pub end: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub invoice: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub invoice_item: Option<Never>,
    /// Stored `null`; the breakdown shows the session's code on read.
    pub promotion_code: Option<String>,
    pub source: DiscountSource,
    pub start: i64,
    #[schema(value_type = Option<String>)]
    pub subscription: Option<Never>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountSource {
    pub coupon: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, pattern = "^coupon$")]
    pub kind: CouponSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxabilityReason {
    StandardRated,
}

/// A tax rate's share of a line (or of the session, in the breakdown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxAmount {
    pub amount: i64,
    /// The tax rate as the API showed it (its wire form, without the
    /// private exact percentage the stored `TaxRate` needs).
    #[schema(value_type = Object)]
    pub rate: Value,
    pub taxability_reason: TaxabilityReason,
    pub taxable_amount: i64,
}

/// What `total_details.breakdown` shows when included: the session's
/// discount and each tax rate, summed over the lines.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Breakdown {
    pub discounts: Vec<DiscountAmount>,
    pub taxes: Vec<TaxAmount>,
}

/// The line items as Stripe's list object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItemList {
    #[schema(value_type = String, pattern = "^list$")]
    pub object: ListObject,
    pub data: Vec<LineItem>,
    pub has_more: bool,
    pub url: String,
}

impl LineItemList {
    pub fn of(session_id: &str, data: Vec<LineItem>) -> Self {
        LineItemList {
            object: ListObject,
            data,
            has_more: false,
            url: format!("/v1/checkout/sessions/{session_id}/line_items"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_line_decodes_and_shows_as_stored() {
        let docs: Vec<Value> = serde_json::from_str(include_str!("testdata/checkout_sessions.json")).unwrap();
        let mut seen = 0;
        for doc in &docs {
            let list: LineItemList = serde_json::from_value(doc["line_items"].clone()).unwrap();
            assert_eq!(serde_json::to_value(&list).unwrap(), doc["line_items"]);
            for (line, stored) in list.data.iter().zip(doc["line_items"]["data"].as_array().unwrap()) {
                // The embedded price is the Price object whole.
                assert_eq!(serde_json::to_value(&line.price).unwrap(), stored["price"]);
                seen += 1;
            }
        }
        assert!(seen > 10);
        let mut bad = docs[0]["line_items"]["data"][0].clone();
        bad["object"] = "line_item".into();
        assert!(serde_json::from_value::<LineItem>(bad).is_err());
    }

    #[test]
    fn a_new_list_names_its_session() {
        let l = LineItemList::of("cs_test_1", Vec::new());
        assert_eq!(l.url, "/v1/checkout/sessions/cs_test_1/line_items");
        assert_eq!(serde_json::to_value(&l).unwrap()["object"], "list");
    }
}
