//! `/v1/checkout/sessions`: create, retrieve, update, list, line items, expire.

pub(crate) mod amounts;
pub(crate) mod buyer;
pub(crate) mod cascade;
pub(crate) mod close;
pub(crate) mod confirm;
pub(crate) mod custom;
pub(crate) mod discounts;
pub(crate) mod intent_data;
pub(crate) mod lines;
pub(crate) mod lists;
pub(crate) mod payment_method_input;
pub(crate) mod shipping;
mod view;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::api::plumbing::answer::{self, Body};
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call, ClientCall, FreshCall};
use crate::api::plumbing::resource;
use crate::domain::checkout_session::{CollectedInformation, Discount};
use crate::domain::coupon::Coupon;
use crate::domain::keys::KeyKind;
use crate::domain::line_item::LineItemList;
use crate::domain::metadata::{self, MetadataUpdate};
use crate::domain::session::{self, CheckoutSession};
use crate::domain::session_params::LineItemParam;
use crate::domain::session_params::{CreateParams, Mode, UiMode};
use crate::domain::session_rules;
use crate::domain::session_update::CollectedInformation as CollectedParam;
use crate::domain::session_update::UpdateParams;
use crate::engine::payment::Pending;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::ids::random_base62;
use crate::store::Change;
use crate::AppState;
pub(super) use view::{body, body_with, plain};

/// What a response includes beyond the session: its line items, the
/// `total_details.breakdown`, and the paths left to expand.
pub(super) struct Includes {
    pub lines: bool,
    pub breakdown: bool,
    pub rest: Vec<String>,
}

/// Includable fields are not ids to fetch: take them out of `expand[]`.
pub(super) fn includes(call: &Call, prefix: &str) -> Includes {
    let mut inc = Includes { lines: false, breakdown: false, rest: Vec::new() };
    for p in &call.expand {
        match p.strip_prefix(prefix) {
            Some("line_items") => inc.lines = true,
            Some("total_details.breakdown") => inc.breakdown = true,
            // Expanding inside the line items includes them too.
            Some(inner) if inner.starts_with("line_items.") => {
                inc.lines = true;
                inc.rest.push(p.clone());
            }
            _ => inc.rest.push(p.clone()),
        }
    }
    inc
}

/// A stored session that does not decode is kassa's fault, not the caller's.
pub(super) fn decode(obj: &crate::store::StoredObject) -> ApiResult<CheckoutSession> {
    obj.decode::<CheckoutSession>()?.ok_or_else(|| ApiError::no_such("checkout.session", &obj.id, None))
}

/// The caller's session `id` and its version.
pub(super) async fn find(state: &AppState, call: &Call, id: &str) -> ApiResult<(CheckoutSession, i64)> {
    let obj = resource::find(state, call, session::KIND, "checkout.session", id).await?;
    Ok((decode(&obj)?, obj.version))
}

pub(super) fn not_open(e: session::NotOpen) -> ApiError {
    ApiError::bad_request("checkout_session_not_open", e.to_string())
}

/// A session the merchant or the buyer may still change: open, and no
/// payment under way.
pub(super) fn require_changeable(s: &CheckoutSession, now: i64) -> ApiResult<()> {
    session::require_open(s, now, "updated").map_err(not_open)?;
    if session::confirming(s, now) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorType::InvalidRequest,
            Some("checkout_session_confirm_in_progress"),
            "A payment for this Checkout Session is in progress; it cannot change now.",
        ));
    }
    Ok(())
}

fn session_id(livemode: bool) -> String {
    format!("cs_{}_a1{}", if livemode { "live" } else { "test" }, crate::ids::ordered_base62(56))
}

/// Create a Checkout Session.
#[utoipa::path(post, path = "/v1/checkout/sessions", operation_id = "PostCheckoutSessions", request_body(content((CreateParams = "application/x-www-form-urlencoded"), (CreateParams = "application/json"))),
    tag = "checkout.sessions",
    responses((status = 200, body = CheckoutSession, description = "The new Checkout Session")))]
pub async fn create(State(state): State<AppState>, call: FreshCall) -> ApiResult<Response> {
    call.run(&state, |call| create_fresh(&state, call)).await
}

/// A create reaches nothing outside kassa before its commit (`FreshCall`):
/// prices, products and shipping rates it makes are in its change set.
async fn create_fresh(state: &AppState, mut call: Call) -> ApiResult<Response> {
    let p: CreateParams = call.parse()?;
    let inc = includes(&call, "");
    expand::validate(&inc.rest)?;
    let now = state.now();
    let (mode, ui) = session_rules::check(&p, now)?;
    if let Some(c) = &p.customer {
        resource::find_param(state, &call, "customer", "customer", resource::IdParam { id: c, param: "customer" })
            .await?;
    }
    if let Some(r) = p.processor_route.as_deref() {
        crate::api::processor_routes::check_usable(state, &call, r, "processor_route").await?;
    }
    let (coupon, promotion) = requested_discount(state, &call, &p, now).await?;
    let input = lines::LineInput {
        params: p.line_items.as_deref().unwrap_or_default(),
        existing: &[],
        mode,
        currency: p.currency.as_deref(),
        now,
    };
    let mut lines = lines::build(state, &call, input).await?;
    let cascade = match &p.cascade_tiers {
        Some(t) => {
            let currency = lines.currency.clone().unwrap_or_default();
            Some(cascade::prepare(state, &call, t, &currency, now).await?)
        }
        None => None,
    };
    // Tier 0's coupon prices the session as a `discounts` coupon would.
    let coupon = coupon.or_else(|| cascade.as_ref().and_then(|c| c.1.clone()));
    let id = session_id(call.auth.livemode);
    let offer = amounts::Offer { coupon: coupon.as_ref(), promotion: promotion.as_ref() };
    let (totals, breakdown) = amounts::price_new(&mut lines, mode, offer, &id, now)?;
    let mut s = new_session(state, &call, &p, (&id, mode, ui, now), (lines.currency.clone(), totals, lines.items))?;
    s.total_details_breakdown = breakdown;
    let mut changes = lines.changes;
    if let Some(opts) = p.shipping_options.as_deref().filter(|o| !o.is_empty()) {
        let currency = s.currency.clone().unwrap_or_default();
        let (rates, made) = shipping::options(state, &call, opts, &currency, now).await?;
        shipping::offer(&mut s, &rates)?;
        changes.extend(made);
    }
    if let Some((tiers, _)) = cascade {
        cascade::attach(&mut s, tiers);
    }
    if let (Some(promo), Some(c)) = (&promotion, &coupon) {
        s.discounts =
            vec![Discount { coupon: Some(c.id.clone()), promotion_code: promo["id"].as_str().map(str::to_owned) }];
    }
    amounts::keep_coupon(&mut s, coupon.as_ref());
    amounts::check_total(&s, "line_items")?;
    let body = body(state, &call, &s, &inc).await?;
    changes.push(Change::insert(&s)?);
    answer::commit(state, &call, answer::Writes { changes, events: Vec::new() }, StatusCode::OK, body).await
}

type Priced = (Option<String>, Option<crate::domain::pricing::Totals>, Vec<crate::domain::line_item::LineItem>);

/// The session `build` makes of the params and what create decided.
fn new_session(
    state: &AppState,
    call: &Call,
    p: &CreateParams,
    (id, mode, ui, now): (&str, Mode, UiMode, i64),
    (currency, totals, line_items): Priced,
) -> ApiResult<CheckoutSession> {
    let metadata = match &p.metadata {
        None => Default::default(),
        Some(m) => metadata::apply(&Default::default(), &MetadataUpdate::Merge(m.clone()))
            .map_err(|e| ApiError::invalid("parameter_invalid", e.param(), e.to_string()))?,
    };
    let built = session::Built {
        id,
        livemode: call.auth.livemode,
        now,
        mode,
        ui,
        public_url: &state.cfg.public_url,
        // Every session has one (the hosted page confirms with it); hosted
        // sessions do not show it, as Stripe's do not.
        client_secret: Some(format!("{id}_secret_{}", random_base62(24))),
        currency,
        totals,
        line_items,
        metadata,
    };
    Ok(session::build(p, built)?)
}

/// Retrieve a Checkout Session.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", operation_id = "GetCheckoutSessionsSession", tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = CheckoutSession, description = "The Checkout Session"), (status = 404, description = "No such checkout.session")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Body> {
    call.no_params()?;
    let inc = includes(&call, "");
    expand::validate(&inc.rest)?;
    let obj = resource::find(&state, &call, session::KIND, "checkout.session", &id).await?;
    if inc.rest.is_empty() && !inc.breakdown {
        return plain(&state, &obj, state.now(), &call.version, inc.lines);
    }
    body(&state, &call, &decode(&obj)?, &inc).await
}

/// Update an open Checkout Session: metadata, line items (the whole array is
/// sent again: keep by `id`, change, add, drop, reorder), collected shipping,
/// shipping options, `payment_intent_data`. With a publishable key and the `client_secret`, the
/// buyer's choices instead: `promotion_code`/`discount_code`,
/// `custom_fields[KEY]`, `amount`, `shipping_rate`.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}", operation_id = "PostCheckoutSessionsSession", request_body(content((UpdateParams = "application/x-www-form-urlencoded"), (UpdateParams = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = CheckoutSession, description = "The updated Checkout Session"), (status = 404, description = "No such checkout.session")))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientCall(mut call): ClientCall,
) -> ApiResult<Response> {
    if call.auth.kind == KeyKind::Publishable {
        return crate::api::checkout_sessions::buyer::update(&state, &id, call).await;
    }
    let p: UpdateParams = call.parse()?;
    let inc = includes(&call, "");
    expand::validate(&inc.rest)?;
    retry_on_conflict(|| async {
        let (mut s, version) = find(&state, &call, &id).await?;
        let now = state.now();
        require_changeable(&s, now)?;
        let mut extra = Vec::new();
        if let Some(items) = &p.line_items {
            extra = replace_lines(&state, &call, &mut s, items, now).await?;
        }
        if let Some(opts) = &p.shipping_options {
            extra.extend(shipping::replace(&state, &call, &mut s, opts.as_deref(), now).await?);
        }
        if let Some(ci) = &p.collected_information {
            collect_information(&mut s, ci)?;
        }
        let changed = [("line_items", p.line_items.is_some()), ("shipping_options", p.shipping_options.is_some())];
        amounts::check_changed(&s, &changed)?;
        if let Some(u) = &p.payment_intent_data {
            extra.extend(crate::api::checkout_sessions::intent_data::update(&state, &call, &mut s, u).await?);
        }
        if let Some(m) = &p.metadata {
            let update = match m {
                None => MetadataUpdate::Clear,
                Some(m) => MetadataUpdate::Merge(m.clone()),
            };
            s.metadata = metadata::apply(&s.metadata, &update)
                .map_err(|e| ApiError::invalid("parameter_invalid", e.param(), e.to_string()))?;
        }
        let body = body(&state, &call, &s, &inc).await?;
        let mut changes = extra;
        changes.push(Change::update(&s, version)?);
        answer::commit(&state, &call, answer::Writes { changes, events: Vec::new() }, StatusCode::OK, body).await
    })
    .await
}

/// An update's `line_items`: the session's lines rebuilt, repriced with its
/// coupon, and its totals with the chosen shipping; returns the objects the
/// new lines create (products and prices from `price_data`).
async fn replace_lines(
    state: &AppState,
    call: &Call,
    s: &mut CheckoutSession,
    items: &[LineItemParam],
    now: i64,
) -> ApiResult<Vec<Change>> {
    // The chosen shipping is still charged.
    let shipping = s.amount_shipping();
    let mode = match s.mode {
        Mode::Setup => {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "line_items",
                "`line_items` cannot be used in `setup` mode.",
            ))
        }
        m => m,
    };
    if items.is_empty() {
        return Err(ApiError::missing_param("line_items"));
    }
    let input = lines::LineInput { params: items, existing: &s.line_items.data, mode, currency: None, now };
    let mut lines = lines::build(state, call, input).await?;
    let coupon = amounts::applied_coupon(state, &call.scope(), s).await?;
    let priced = amounts::price(&mut lines, coupon.as_ref(), &s.id, now)?;
    amounts::keep_coupon(s, coupon.as_ref());
    s.total_details_breakdown = Some(priced.breakdown);
    s.set_totals(&priced.totals);
    shipping::set_amount(s, shipping)?;
    s.currency = lines.currency;
    s.line_items = LineItemList::of(&s.id, lines.items);
    Ok(lines.changes)
}

/// An update's `collected_information`, for embedded and custom sessions.
fn collect_information(s: &mut CheckoutSession, ci: &CollectedParam) -> ApiResult<()> {
    if s.ui_mode == UiMode::HostedPage {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "collected_information",
            "`collected_information` can only be updated for embedded and custom sessions.",
        ));
    }
    if let Some(sd) = &ci.shipping_details {
        if sd.address.country.is_none() || sd.address.line1.is_none() {
            let missing = if sd.address.country.is_none() { "country" } else { "line1" };
            return Err(ApiError::missing_param(&format!(
                "collected_information[shipping_details][address][{missing}]"
            )));
        }
        s.collected_information = Some(CollectedInformation::shipping(Some(sd.name.clone()), sd.address.clone()));
    }
    Ok(())
}

/// The coupon `discounts` asks for, and the promotion code that brought it.
async fn requested_discount(
    state: &AppState,
    call: &Call,
    p: &CreateParams,
    now: i64,
) -> ApiResult<(Option<Coupon>, Option<Value>)> {
    let mut promotion: Option<Value> = None;
    let coupon = match p.discounts.as_ref().and_then(|d| d.first()) {
        None => None,
        Some(d) => match (&d.coupon, &d.promotion_code) {
            (Some(c), None) => Some(discounts::usable_coupon(state, call, c, "discounts[0][coupon]", now).await?),
            (None, Some(pc)) => {
                let promo = discounts::usable_promotion(state, call, pc, p.customer.as_deref(), now).await?;
                let coupon_id = promo["promotion"]["coupon"].as_str().unwrap_or_default().to_owned();
                promotion = Some(promo);
                Some(discounts::usable_coupon(state, call, &coupon_id, "discounts[0][promotion_code]", now).await?)
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "parameters_exclusive",
                    "discounts[0][promotion_code]",
                    "You may only specify one of these parameters: coupon, promotion_code.",
                ))
            }
            (None, None) => return Err(ApiError::missing_param("discounts[0][coupon]")),
        },
    };
    Ok((coupon, promotion))
}
