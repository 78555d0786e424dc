//! Turning `line_items[]` parameters into line items (`li_…`, object `item`)
//! with their amounts: prices looked up or made from `price_data`, and the
//! session-wide rules on currency and recurring prices.

use std::collections::BTreeMap;

use crate::api::plumbing::extract::Call;
use crate::api::plumbing::resource;
use crate::api::prices::{self, resolve_product};
use crate::api::products;
use crate::domain::currency::Currency;
use crate::domain::document::Document;
use crate::domain::line_item::{AdjustableQuantity, ItemObject, LineItem};
use crate::domain::metadata::{self, MetadataUpdate};
use crate::domain::price::{self, Price, PriceParams, PriceType, Stamp};
use crate::domain::pricing::{self, AmountError, LineAmounts};
use crate::domain::session_params::{LineItemParam, Mode, MAX_QUANTITY};
use crate::domain::tax_rate::TaxRate;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::Change;
use crate::AppState;

pub use crate::engine::pricing::Lines;

fn invalid(param: String, msg: impl Into<String>) -> ApiError {
    ApiError::invalid("parameter_invalid", param, msg)
}

/// The price a new line uses, and the param to blame for it.
async fn line_price(
    at: &At<'_>,
    li: &LineItemParam,
    p: &str,
    now: i64,
    out: &mut Lines,
) -> ApiResult<(Price, String, String)> {
    let (state, call) = (at.state, at.call);
    match (&li.price, &li.price_data) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "parameters_exclusive",
            format!("{p}[price_data]"),
            "You may only specify one of these parameters: price, price_data.",
        )),
        (None, None) => Err(ApiError::missing_param(&format!("{p}[price]"))),
        (Some(id), None) => {
            let param = format!("{p}[price]");
            let price = prices::find_param(state, call, id, &param).await?;
            if !price.active {
                return Err(ApiError::invalid(
                    "price_inactive",
                    param,
                    format!("The price `{id}` is not active, so it cannot be used in a Checkout Session."),
                ));
            }
            let product = products::find_param(state, call, &price.product, &param).await?;
            if !product.active {
                return Err(ApiError::invalid(
                    "product_inactive",
                    param,
                    format!("The product `{}` of this price is not active.", price.product),
                ));
            }
            Ok((price, product.name, param))
        }
        (None, Some(data)) => inline_price(state, call, data, &format!("{p}[price_data]"), (now, out)).await,
    }
}

/// A price made from a line's `price_data` (and its product, from
/// `product_data`), added to the changes to commit with the session.
async fn inline_price(
    state: &AppState,
    call: &Call,
    data: &PriceParams,
    prefix: &str,
    (now, out): (i64, &mut Lines),
) -> ApiResult<(Price, String, String)> {
    for (name, present) in [
        ("active", data.active.is_some()),
        ("billing_scheme", data.billing_scheme.is_some()),
        ("lookup_key", data.lookup_key.is_some()),
        ("nickname", data.nickname.is_some()),
        ("tiers", data.tiers.is_some()),
        ("tiers_mode", data.tiers_mode.is_some()),
        ("custom_unit_amount", data.custom_unit_amount.is_some()),
        ("transfer_lookup_key", data.transfer_lookup_key.is_some()),
        ("metadata", data.metadata.is_some()),
    ] {
        if present {
            return Err(ApiError::unknown_param(&format!("{prefix}[{name}]")));
        }
    }
    let given = (data.product.as_deref(), data.product_data.as_ref());
    let (product_id, new_product) = resolve_product(state, call, given, prefix, now).await?;
    let name = match &new_product {
        Some(n) => n.name.clone(),
        None => products::find_param(state, call, &product_id, &format!("{prefix}[product]")).await?.name,
    };
    let stamp = Stamp { livemode: call.auth.livemode, now };
    let mut made = price::build(&new_id(Price::PREFIX), &product_id, stamp, data, prefix)?;
    // Prices made inline exist for this session only.
    made.active = false;
    if let Some(n) = new_product {
        // Two lines naming one new product id: the second is taken.
        if out.changes.iter().any(|c| matches!(c, Change::Insert { id, .. } if *id == product_id)) {
            let param = price::at(prefix, "product_data[id]");
            let message = format!("Product already exists: {product_id}");
            return Err(ApiError::invalid("resource_already_exists", param, message));
        }
        out.changes.push(Change::insert(&n)?);
    }
    out.changes.push(Change::insert_unlisted(&made, price::INLINE_KIND)?);
    let param = if data.recurring.is_some() { format!("{prefix}[recurring]") } else { format!("{prefix}[currency]") };
    Ok((made, name, param))
}

fn check_quantity(p: &str, q: Option<i64>, metered: bool) -> ApiResult<Option<i64>> {
    match q {
        None if metered => Ok(None),
        None => Err(ApiError::missing_param(&format!("{p}[quantity]"))),
        Some(_) if metered => {
            Err(invalid(format!("{p}[quantity]"), "Quantity should not be defined for metered prices."))
        }
        Some(q) if !(1..=MAX_QUANTITY).contains(&q) => {
            Err(invalid(format!("{p}[quantity]"), format!("Invalid quantity: must be between 1 and {MAX_QUANTITY}.")))
        }
        Some(q) => Ok(Some(q)),
    }
}

fn adjustable(p: &str, li: &LineItemParam, quantity: Option<i64>) -> ApiResult<Option<AdjustableQuantity>> {
    let Some(a) = &li.adjustable_quantity else { return Ok(None) };
    let (min, max) = (a.minimum.unwrap_or(0), a.maximum.unwrap_or(99));
    if min < 0 || max > 999_999 || min > max {
        return Err(invalid(
            format!("{p}[adjustable_quantity][maximum]"),
            "Adjustable quantity needs 0 ≤ minimum ≤ maximum ≤ 999999.",
        ));
    }
    if a.enabled && quantity.is_some_and(|q| q < min || q > max) {
        return Err(invalid(
            format!("{p}[quantity]"),
            "The quantity must lie between the adjustable minimum and maximum.",
        ));
    }
    Ok(Some(AdjustableQuantity { enabled: a.enabled, maximum: max, minimum: min }))
}

/// The line's subtotal from its price; a custom-amount price charges its preset.
fn subtotal(p: &str, price: &Price, quantity: i64) -> ApiResult<i64> {
    if let Some(custom) = &price.custom_unit_amount {
        if quantity != 1 {
            return Err(invalid(format!("{p}[quantity]"), "A price with a custom amount takes quantity 1."));
        }
        // With neither a preset nor a minimum the buyer starts from zero.
        return Ok(custom.preset.or(custom.minimum).unwrap_or(0));
    }
    let scheme = price.scheme().ok_or_else(|| invalid(format!("{p}[price]"), "This price has no amount."))?;
    pricing::line_subtotal(&scheme, quantity).map_err(|e| match e {
        AmountError::Overflow => {
            ApiError::invalid("amount_too_large", format!("{p}[quantity]"), "This line's amount is too large.")
        }
        AmountError::BadQuantity => invalid(format!("{p}[quantity]"), "Invalid quantity."),
    })
}

/// One stored line item with amounts computed from its price and quantity.
struct Item<'a> {
    id: &'a str,
    price: &'a Price,
    name: &'a str,
    quantity: Option<i64>,
    adjustable: Option<AdjustableQuantity>,
    metadata: BTreeMap<String, String>,
    amount: i64,
}

impl Item<'_> {
    fn line(self) -> LineItem {
        LineItem {
            id: self.id.to_owned(),
            object: ItemObject,
            adjustable_quantity: self.adjustable,
            amount_discount: 0,
            amount_subtotal: self.amount,
            amount_tax: 0,
            amount_total: self.amount,
            currency: self.price.currency.clone(),
            description: self.name.to_owned(),
            discounts: Vec::new(),
            metadata: self.metadata,
            price: self.price.clone(),
            quantity: self.quantity,
            taxes: Vec::new(),
        }
    }
}

/// What `build` builds lines from: the `line_items` params, the session's
/// current items (an update may keep or change them by `id`), and the
/// session's mode and `currency` param.
pub struct LineInput<'a> {
    pub params: &'a [LineItemParam],
    pub existing: &'a [LineItem],
    pub mode: Mode,
    pub currency: Option<&'a str>,
    pub now: i64,
}

/// The request a line is built for.
struct At<'a> {
    state: &'a AppState,
    call: &'a Call,
}

/// A line's price, name and where to blame it, its id and its metadata
/// before the params' changes.
struct Base {
    price: Price,
    name: String,
    blame: String,
    id: String,
    metadata: BTreeMap<String, String>,
}

async fn base(at: &At<'_>, input: &LineInput<'_>, li: &LineItemParam, p: &str, out: &mut Lines) -> ApiResult<Base> {
    let Some(id) = &li.id else {
        let (price, name, blame) = line_price(at, li, p, input.now, out).await?;
        return Ok(Base { price, name, blame, id: new_id("li"), metadata: BTreeMap::new() });
    };
    let cur = existing_item(input.existing, id)
        .ok_or_else(|| invalid(format!("{p}[id]"), format!("No such line item: '{id}'")))?;
    if li.price.is_some() || li.price_data.is_some() {
        return Err(invalid(format!("{p}[price]"), "An existing line item keeps its price; add a new item instead."));
    }
    Ok(Base {
        price: cur.price.clone(),
        name: cur.description.clone(),
        blame: format!("{p}[id]"),
        id: id.clone(),
        metadata: cur.metadata.clone(),
    })
}

fn existing_item<'v>(existing: &'v [LineItem], id: &str) -> Option<&'v LineItem> {
    existing.iter().find(|x| x.id == id)
}

/// The line's tax rates: the params', or a kept line's own; each must exist
/// in the caller's scope and be active.
async fn line_rates(at: &At<'_>, li: &LineItemParam, kept: Option<&LineItem>, p: &str) -> ApiResult<Vec<TaxRate>> {
    if let Some(first) = li.dynamic_tax_rates.as_ref().and_then(|l| l.first()) {
        return Err(ApiError::no_such("tax_rate", first, Some(&format!("{p}[dynamic_tax_rates][0]"))).with_status_400());
    }
    let given: Vec<String> = match (&li.tax_rates, kept) {
        (Some(list), _) => list.clone(),
        (None, Some(item)) => item.taxes.iter().filter_map(|t| t.rate["id"].as_str().map(str::to_owned)).collect(),
        (None, None) => Vec::new(),
    };
    if given.len() > 5 {
        return Err(invalid(format!("{p}[tax_rates]"), "At most 5 tax rates per line."));
    }
    let mut rates = Vec::with_capacity(given.len());
    for (j, r) in given.iter().enumerate() {
        let param = format!("{p}[tax_rates][{j}]");
        let id = resource::IdParam { id: r, param: &param };
        let rate = resource::find_param_typed::<TaxRate>(at.state, at.call, "tax_rate", id).await?;
        if !rate.active {
            return Err(invalid(param, format!("The tax rate `{r}` is not active.")));
        }
        rates.push(rate);
    }
    Ok(rates)
}

fn line_metadata(li: &LineItemParam, base: BTreeMap<String, String>, p: &str) -> ApiResult<BTreeMap<String, String>> {
    let Some(m) = &li.metadata else { return Ok(base) };
    metadata::apply(&base, &MetadataUpdate::Merge(m.clone()))
        .map_err(|e| invalid(format!("{p}[{}]", e.param()), e.to_string()))
}

/// Counts of recurring and one-time lines, for the mode's limits.
#[derive(Default)]
struct Kinds {
    recurring: usize,
    one_time: usize,
}

impl Kinds {
    fn add(&mut self, price: &Price, mode: Mode, blame: &str) -> ApiResult<()> {
        if price.kind != PriceType::Recurring {
            self.one_time += 1;
            return Ok(());
        }
        self.recurring += 1;
        if mode == Mode::Payment {
            return Err(invalid(blame.to_owned(), "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices."));
        }
        Ok(())
    }

    fn check(&self, mode: Mode) -> ApiResult<()> {
        if mode != Mode::Subscription {
            return Ok(());
        }
        if self.recurring == 0 {
            return Err(invalid(
                "line_items".into(),
                "You must provide at least one recurring price in `subscription` mode when using prices.",
            ));
        }
        if self.recurring > 20 || self.one_time > 20 {
            return Err(invalid(
                "line_items".into(),
                "Subscription mode takes at most 20 recurring and 20 one-time line items.",
            ));
        }
        Ok(())
    }
}

/// Builds every line.
pub async fn build(state: &AppState, call: &Call, input: LineInput<'_>) -> ApiResult<Lines> {
    let mut out = Lines::default();
    if let Some(c) = input.currency {
        let cur = Currency::parse(c).ok_or_else(|| {
            invalid("currency".into(), format!("Invalid currency: {}", c.chars().take(10).collect::<String>()))
        })?;
        out.currency = Some(cur.code().to_owned());
    }
    let at = At { state, call };
    let mut kinds = Kinds::default();
    for (i, li) in input.params.iter().enumerate() {
        let p = format!("line_items[{i}]");
        let base = base(&at, &input, li, &p, &mut out).await?;
        let kept = li.id.as_ref().and_then(|id| existing_item(input.existing, id));
        let quantity = match (kept, li.quantity) {
            (Some(item), None) => item.quantity,
            _ => check_quantity(&p, li.quantity, base.price.is_metered())?,
        };
        let adjustable = adjustable(&p, li, quantity)?;
        match &out.currency {
            Some(c) if *c != base.price.currency => {
                return Err(invalid(base.blame, "All line items must use the same currency."))
            }
            _ => out.currency = Some(base.price.currency.clone()),
        }
        kinds.add(&base.price, input.mode, &base.blame)?;
        out.rates.push(line_rates(&at, li, kept, &p).await?);
        let metadata = line_metadata(li, base.metadata, &p)?;
        let amount = subtotal(&p, &base.price, quantity.unwrap_or(1))?;
        out.amounts.push(LineAmounts::new(amount));
        let parts = Item { id: &base.id, price: &base.price, name: &base.name, quantity, adjustable, metadata, amount };
        out.items.push(parts.line());
    }
    kinds.check(input.mode)?;
    Ok(out)
}
