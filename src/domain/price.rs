//! Prices (`price_…`): the stored object, how it is made from its terms and
//! changed, and the pricing scheme a line item computes with.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::currency::Currency;
use super::document::{Document, Tag};
use super::fields::{max_len, FieldError};
use super::price_amounts::{amounts, scheme_of};
pub use super::price_amounts::{parse_decimal, scheme};
pub use super::price_params::*;
use super::pricing::Scheme;
use super::product::merge_metadata;

pub const KIND: &str = "price";
/// The stored kind of a price made inline (`price_data`) for a Checkout
/// Session's line: found by id, never listed (Stripe's price list excludes
/// inline prices), and without list tags.
pub const INLINE_KIND: &str = "price.inline";

crate::wire_name!(PriceObject, "price");

/// A stored price. Amounts are minor units; `*_decimal` are the exact
/// amounts as decimal strings (sub-minor-unit prices have no integer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub id: String,
    #[schema(value_type = String, pattern = "^price$")]
    pub object: PriceObject,
    pub active: bool,
    pub billing_scheme: BillingScheme,
    pub created: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// Stripe's per-currency terms; a kassa price has one currency, so it is
    /// never set, and absent like an unexpanded Stripe field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_options: Option<BTreeMap<String, CurrencyOption>>,
    pub custom_unit_amount: Option<PriceCustomUnitAmount>,
    pub livemode: bool,
    pub lookup_key: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub nickname: Option<String>,
    /// The id of its product (the product itself when expanded).
    #[schema(schema_with = product_or_id)]
    pub product: String,
    pub recurring: Option<PriceRecurring>,
    pub tax_behavior: TaxBehavior,
    /// Present on tiered prices only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<PriceTier>>,
    pub tiers_mode: Option<TiersMode>,
    /// Stripe's quantity transform; never set by kassa.
    pub transform_quantity: Option<TransformQuantity>,
    #[serde(rename = "type")]
    pub kind: PriceType,
    pub unit_amount: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub unit_amount_decimal: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceRecurring {
    pub interval: Interval,
    pub interval_count: i64,
    /// Stripe's billing meter; never set by kassa.
    pub meter: Option<String>,
    pub trial_period_days: Option<i64>,
    pub usage_type: UsageType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceTier {
    pub flat_amount: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub flat_amount_decimal: Option<Decimal>,
    pub unit_amount: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub unit_amount_decimal: Option<Decimal>,
    /// `null` on the last tier (`inf`).
    pub up_to: Option<i64>,
}

/// The bounds of a customer-chosen amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceCustomUnitAmount {
    pub maximum: Option<i64>,
    pub minimum: Option<i64>,
    pub preset: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransformQuantity {
    pub divide_by: i64,
    pub round: Round,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Round {
    Down,
    Up,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrencyOption {
    pub custom_unit_amount: Option<PriceCustomUnitAmount>,
    pub tax_behavior: TaxBehavior,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<PriceTier>>,
    pub unit_amount: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub unit_amount_decimal: Option<Decimal>,
}

/// The schema of `product`: an id, or the Product when expanded.
fn product_or_id() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    use utoipa::openapi::Ref;
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(Ref::from_schema_name("Product"))
        .into()
}

impl Document for Price {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "price";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![
            ("active".to_owned(), self.active.to_string()),
            ("type".to_owned(), self.kind.as_str().to_owned()),
            ("currency".to_owned(), self.currency.clone()),
            ("product".to_owned(), self.product.clone()),
        ];
        if let Some(k) = &self.lookup_key {
            t.push(("lookup_key".into(), k.clone()));
        }
        t
    }
}

impl Price {
    /// How it computes an amount; `None` for custom-amount prices.
    pub fn scheme(&self) -> Option<Scheme> {
        scheme_of(
            self.billing_scheme,
            self.tiers_mode,
            self.tiers.as_deref(),
            self.unit_amount,
            self.unit_amount_decimal,
        )
    }

    pub fn is_metered(&self) -> bool {
        self.recurring.as_ref().is_some_and(|r| r.usage_type == UsageType::Metered)
    }
}

/// A price embedded in an object still held as JSON (a session's line
/// item): decoded whole, so a copy that does not fit fails loudly.
pub fn decode(doc: &Value) -> Result<Price, serde_json::Error> {
    serde_json::from_value(doc.clone())
}

/// Where and when a price is made.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub livemode: bool,
    pub now: i64,
}

/// Checks the terms and builds the price. `p` is the `{prefix}`-relative
/// parameter set (e.g. `line_items[0][price_data]`), and `product` the id of
/// the product it belongs to.
pub fn build(id: &str, product: &str, stamp: Stamp, p: &PriceParams, prefix: &str) -> Result<Price, FieldError> {
    let code = p.currency.as_deref().ok_or_else(|| missing(at(prefix, "currency")))?;
    let currency = Currency::parse(code).ok_or_else(|| {
        FieldError::invalid(
            at(prefix, "currency"),
            format!("Invalid currency: {}", code.chars().take(10).collect::<String>()),
        )
    })?;
    let a = amounts(p, prefix)?;
    let recurring = p.recurring.as_ref().map(|r| recurring(r, prefix)).transpose()?;
    if let Some(k) = &p.lookup_key {
        max_len(&at(prefix, "lookup_key"), k, 200)?;
    }
    if let Some(n) = &p.nickname {
        max_len(&at(prefix, "nickname"), n, 5000)?;
    }
    Ok(Price {
        id: id.to_owned(),
        object: PriceObject,
        active: p.active.unwrap_or(true),
        billing_scheme: a.billing_scheme,
        created: stamp.now,
        currency: currency.code().to_owned(),
        currency_options: None,
        custom_unit_amount: a.custom_unit_amount,
        livemode: stamp.livemode,
        lookup_key: p.lookup_key.clone(),
        metadata: merge_metadata(&BTreeMap::new(), &p.metadata, prefix)?,
        nickname: p.nickname.clone(),
        product: product.to_owned(),
        kind: if recurring.is_some() { PriceType::Recurring } else { PriceType::OneTime },
        recurring,
        tax_behavior: p.tax_behavior.unwrap_or(TaxBehavior::Unspecified),
        tiers: a.tiers,
        tiers_mode: a.tiers_mode,
        transform_quantity: None,
        unit_amount: a.unit_amount,
        unit_amount_decimal: a.unit_amount_decimal,
    })
}

fn recurring(r: &Recurring, prefix: &str) -> Result<PriceRecurring, FieldError> {
    let count = r.interval_count.unwrap_or(1);
    if count < 1 || count > r.interval.max_count() {
        return Err(FieldError::invalid(
            at(prefix, "recurring[interval_count]"),
            "Invalid interval_count: the interval may be at most three years.",
        ));
    }
    if let Some(t) = r.trial_period_days {
        if !(1..=730).contains(&t) {
            return Err(FieldError::invalid(
                at(prefix, "recurring[trial_period_days]"),
                "Invalid trial_period_days: 1 to 730.",
            ));
        }
    }
    Ok(PriceRecurring {
        interval: r.interval,
        interval_count: count,
        meter: None,
        trial_period_days: r.trial_period_days,
        usage_type: r.usage_type.unwrap_or(UsageType::Licensed),
    })
}

/// Applies an update to a stored price.
pub fn update(current: &Price, p: &PriceUpdateParams) -> Result<Price, FieldError> {
    let mut out = current.clone();
    if let Some(a) = p.active {
        out.active = a;
    }
    if let Some(k) = &p.lookup_key {
        if let Some(k) = k {
            max_len("lookup_key", k, 200)?;
        }
        out.lookup_key.clone_from(k);
    }
    if let Some(n) = &p.nickname {
        out.nickname.clone_from(n);
    }
    if let Some(t) = p.tax_behavior {
        if out.tax_behavior != TaxBehavior::Unspecified && out.tax_behavior != t {
            return Err(FieldError::invalid(
                "tax_behavior",
                "tax_behavior can be changed only while it is unspecified.",
            ));
        }
        out.tax_behavior = t;
    }
    out.metadata = merge_metadata(&out.metadata, &p.metadata, "")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> PriceParams {
        serde_json::from_value(v).unwrap()
    }

    fn made(v: Value) -> Result<Price, FieldError> {
        build("price_1", "prod_1", Stamp { livemode: false, now: 5 }, &params(v), "")
    }

    fn round_trip(p: &Price) -> Value {
        let stored = serde_json::to_value(p).unwrap();
        assert_eq!(&decode(&stored).unwrap(), p);
        // No private fields: the wire form is the stored form.
        assert!(Price::PRIVATE.is_empty());
        assert_eq!(p.wire(), stored);
        stored
    }

    #[test]
    fn a_per_unit_price_survives_storage_with_its_exact_amount() {
        let p = made(json!({"currency": "EUR", "unit_amount_decimal": "12.5", "metadata": {"k": "v"},
            "recurring": {"interval": "month", "usage_type": "metered"}}))
        .unwrap();
        let stored = round_trip(&p);
        assert_eq!(stored["unit_amount_decimal"], json!("12.5"));
        assert_eq!(stored["unit_amount"], Value::Null);
        assert_eq!(stored["currency"], "eur");
        assert_eq!(stored["type"], "recurring");
        assert_eq!(stored["object"], "price");
        assert_eq!(
            stored["recurring"],
            json!({"interval": "month", "interval_count": 1, "meter": null, "trial_period_days": null, "usage_type": "metered"})
        );
        // Tiers are shown on tiered prices only; currency options never.
        assert!(stored.get("tiers").is_none() && stored.get("currency_options").is_none());
        assert_eq!(stored.as_object().unwrap().len(), 19);
        assert!(p.is_metered());
        assert!(p.tags().contains(&("type".into(), "recurring".into())));
    }

    #[test]
    fn a_tiered_price_survives_storage_and_computes() {
        let p = made(json!({"currency": "usd", "billing_scheme": "tiered", "tiers_mode": "volume",
            "tiers": [{"up_to": 10, "unit_amount": 100}, {"up_to": "inf", "unit_amount_decimal": "80.5", "flat_amount": 7}]}))
        .unwrap();
        let stored = round_trip(&p);
        assert_eq!(
            stored["tiers"][1],
            json!({"flat_amount": 7, "flat_amount_decimal": "7", "unit_amount": null, "unit_amount_decimal": "80.5", "up_to": null})
        );
        assert_eq!(p.scheme(), scheme(&stored));
        assert!(p.scheme().is_some());
        let custom = made(json!({"currency": "usd", "custom_unit_amount": {"enabled": true, "minimum": 100}})).unwrap();
        assert_eq!(round_trip(&custom)["custom_unit_amount"], json!({"maximum": null, "minimum": 100, "preset": null}));
        assert_eq!(custom.scheme(), None);
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let p = made(json!({"currency": "usd", "unit_amount": 500})).unwrap();
        for (field, value) in
            [("surprise", json!(1)), ("billing_scheme", json!("by_weight")), ("tax_behavior", json!(""))]
        {
            let mut v = serde_json::to_value(&p).unwrap();
            v[field] = value;
            assert!(decode(&v).is_err(), "{field}");
        }
    }

    #[test]
    fn refusals_name_their_param() {
        let cases = [
            (json!({"unit_amount": 5}), "currency"),
            (json!({"currency": "xx1", "unit_amount": 5}), "currency"),
            (json!({"currency": "usd"}), "unit_amount"),
            (json!({"currency": "usd", "unit_amount": 5, "unit_amount_decimal": "5"}), "unit_amount_decimal"),
            (json!({"currency": "usd", "unit_amount": -5}), "unit_amount"),
            (
                json!({"currency": "usd", "billing_scheme": "tiered", "tiers": [{"up_to": "inf", "unit_amount": 1}]}),
                "tiers_mode",
            ),
            (
                json!({"currency": "usd", "unit_amount": 5, "recurring": {"interval": "year", "interval_count": 4}}),
                "recurring[interval_count]",
            ),
            (json!({"currency": "usd", "unit_amount": 5, "nickname": "x".repeat(5001)}), "nickname"),
        ];
        for (given, param) in cases {
            assert_eq!(made(given.clone()).unwrap_err().param, param, "{given}");
        }
        let inline = build(
            "price_1",
            "prod_1",
            Stamp { livemode: false, now: 5 },
            &params(
                json!({"currency": "usd", "billing_scheme": "tiered", "tiers_mode": "graduated", "tiers": [{"up_to": 5, "unit_amount": 1}]}),
            ),
            "line_items[0][price_data]",
        );
        assert_eq!(inline.unwrap_err().param, "line_items[0][price_data][tiers][0][up_to]");
    }

    #[test]
    fn updates_keep_a_set_tax_behavior_and_clear_lookup_keys() {
        let p = made(json!({"currency": "usd", "unit_amount": 5, "lookup_key": "std", "tax_behavior": "exclusive"}))
            .unwrap();
        let up = |v: Value| update(&p, &serde_json::from_value(v).unwrap());
        assert_eq!(up(json!({"tax_behavior": "inclusive"})).unwrap_err().param, "tax_behavior");
        assert_eq!(up(json!({"lookup_key": "x".repeat(201)})).unwrap_err().param, "lookup_key");
        let u = up(json!({"lookup_key": null, "active": false, "metadata": {"a": "1"}})).unwrap();
        assert_eq!((u.lookup_key, u.active, u.metadata.len()), (None, false, 1));
        assert!(!p.tags().iter().all(|(k, _)| k != "lookup_key"));
    }
}
