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

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call, ClientCall};
use crate::api::plumbing::resource;
use crate::domain::keys::KeyKind;
use crate::domain::metadata::{self, MetadataUpdate};
use crate::domain::session::{self, KIND};
use crate::domain::session_params::LineItemParam;
use crate::domain::session_params::{CreateParams, Mode};
use crate::domain::session_rules;
use crate::domain::session_update::CollectedInformation;
use crate::domain::session_update::UpdateParams;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::ids::random_base62;
use crate::store::Change;
use crate::AppState;

/// Includable fields are not ids to fetch: take them out of `expand[]`.
pub(super) fn includes(call: &Call, prefix: &str) -> (bool, bool, Vec<String>) {
    let mut lines = false;
    let mut breakdown = false;
    let mut rest = Vec::new();
    for p in &call.expand {
        match p.strip_prefix(prefix) {
            Some("line_items") => lines = true,
            Some("total_details.breakdown") => breakdown = true,
            // Expanding inside the line items includes them too.
            Some(inner) if inner.starts_with("line_items.") => {
                lines = true;
                rest.push(p.clone());
            }
            _ => rest.push(p.clone()),
        }
    }
    (lines, breakdown, rest)
}

/// The session as this caller sees it now, with its expansions.
pub(super) async fn view(
    state: &AppState,
    call: &Call,
    doc: &Value,
    lines: bool,
    breakdown: bool,
    rest: &[String],
) -> ApiResult<Value> {
    view_with(state, call, doc, lines, breakdown, rest, &[]).await
}

/// As `view`, with objects about to be committed alongside (see `expand::apply_with`).
pub(super) async fn view_with(
    state: &AppState,
    call: &Call,
    doc: &Value,
    lines: bool,
    breakdown: bool,
    rest: &[String],
    pending: &[Value],
) -> ApiResult<Value> {
    let mut out = session::render(doc, state.now(), &call.version, lines);
    if breakdown && out["total_details"].is_object() {
        let mut b = doc.get("total_details_breakdown").filter(|b| b.is_object()).cloned();
        // Priced from the coupon; the code that brought it is the session's.
        for d in b.as_mut().and_then(|b| b["discounts"].as_array_mut()).into_iter().flatten() {
            d["discount"]["promotion_code"] = doc["discounts"][0]["promotion_code"].clone();
        }
        out["total_details"]["breakdown"] = b.unwrap_or_else(|| json!({"discounts": [], "taxes": []}));
    }
    expand::apply_with(state, &call.scope(), &mut out, rest, pending).await?;
    Ok(out)
}

pub(super) fn not_open(e: session::NotOpen) -> ApiError {
    ApiError::bad_request("checkout_session_not_open", e.to_string())
}

/// A session the merchant or the buyer may still change: open, and no
/// payment under way.
pub(super) fn require_changeable(doc: &Value, now: i64) -> ApiResult<()> {
    session::require_open(doc, now, "updated").map_err(not_open)?;
    if session::confirming(doc, now) {
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
    format!("cs_{}_a1{}", if livemode { "live" } else { "test" }, random_base62(56))
}

/// Create a Checkout Session.
#[utoipa::path(post, path = "/v1/checkout/sessions", operation_id = "PostCheckoutSessions", request_body(content((CreateParams = "application/x-www-form-urlencoded"), (CreateParams = "application/json"))),
    tag = "checkout.sessions",
    responses((status = 200, description = "The new Checkout Session")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: CreateParams = call.parse()?;
    let (lines_included, breakdown, rest) = includes(&call, "");
    expand::validate(&rest)?;
    let now = state.now();
    let (mode, ui) = session_rules::check(&p, now)?;
    if let Some(c) = &p.customer {
        resource::find_param(&state, &call, "customer", "customer", resource::IdParam { id: c, param: "customer" })
            .await?;
    }
    if let Some(r) = p.processor_route.as_deref() {
        crate::api::processor_routes::check_usable(&state, &call, r, "processor_route").await?;
    }
    let (coupon, promotion) = requested_discount(&state, &call, &p, now).await?;
    let lines = lines::build(
        &state,
        &call,
        lines::LineInput {
            params: p.line_items.as_deref().unwrap_or_default(),
            existing: &[],
            mode,
            currency: p.currency.as_deref(),
            now,
        },
    )
    .await?;
    let mut lines = lines;
    let cascade = match &p.cascade_tiers {
        Some(t) => {
            let currency = lines.currency.clone().unwrap_or_default();
            Some(cascade::prepare(&state, &call, t, &currency, now).await?)
        }
        None => None,
    };
    // Tier 0's coupon prices the session as a `discounts` coupon would.
    let coupon = coupon.or_else(|| cascade.as_ref().and_then(|c| c.1.clone()));
    let id = session_id(call.auth.livemode);
    let (totals, breakdown_doc) = if mode == Mode::Setup {
        (None, Value::Null)
    } else {
        if let Some(c) = &coupon {
            discounts::check_coupon_fits(c, lines.currency.as_deref().unwrap_or_default())?;
        }
        let priced = amounts::price(&mut lines, coupon.as_ref(), &id, now)?;
        if let Some(promo) = &promotion {
            discounts::check_minimum(promo, &priced.totals, lines.currency.as_deref().unwrap_or_default())?;
        }
        (Some(priced.totals), priced.breakdown)
    };
    let meta = match &p.metadata {
        None => json!({}),
        Some(m) => json!(metadata::apply(&Default::default(), &MetadataUpdate::Merge(m.clone()))
            .map_err(|e| ApiError::invalid("parameter_invalid", e.param(), e.to_string()))?),
    };
    // Every session has one (the hosted page confirms with it); hosted
    // sessions do not show it, as Stripe's do not.
    let client_secret = Some(format!("{id}_secret_{}", random_base62(24)));
    let built = session::Built {
        id: &id,
        livemode: call.auth.livemode,
        now,
        mode,
        ui,
        public_url: &state.cfg.public_url,
        client_secret,
        currency: lines.currency.clone(),
        totals,
        line_items: lines.items,
        metadata: meta,
    };
    let mut doc = session::build(&p, built)?;
    doc["total_details_breakdown"] = breakdown_doc;
    let mut shipping_changes = Vec::new();
    if let Some(opts) = p.shipping_options.as_deref().filter(|o| !o.is_empty()) {
        let currency = doc["currency"].as_str().unwrap_or_default().to_owned();
        let (rates, changes) = shipping::options(&state, &call, opts, &currency, now).await?;
        shipping::offer(&mut doc, &rates)?;
        shipping_changes = changes;
    }
    if let Some((tiers, _)) = cascade {
        cascade::attach(&mut doc, tiers);
    }
    if let (Some(promo), Some(c)) = (&promotion, &coupon) {
        doc["discounts"] = json!([{"coupon": c["id"], "promotion_code": promo["id"]}]);
    }
    amounts::keep_coupon(&mut doc, coupon.as_ref());
    amounts::check_total(&doc, "line_items")?;
    let body = view(&state, &call, &doc, lines_included, breakdown, &rest).await?;
    let mut changes = lines.changes;
    changes.extend(shipping_changes);
    changes.push(Change::Insert { id, kind: KIND.into(), created: now, tags: session::tags(&doc), doc });
    answer::commit(&state, &call, answer::Writes { changes, events: Vec::new() }, StatusCode::OK, body).await
}

/// Retrieve a Checkout Session.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", operation_id = "GetCheckoutSessionsSession", tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, description = "The Checkout Session"), (status = 404, description = "No such checkout.session")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    let (lines, breakdown, rest) = includes(&call, "");
    expand::validate(&rest)?;
    let obj = resource::find(&state, &call, KIND, "checkout.session", &id).await?;
    Ok(Json(view(&state, &call, &obj.doc, lines, breakdown, &rest).await?))
}

/// Update an open Checkout Session: metadata, line items (the whole array is
/// sent again: keep by `id`, change, add, drop, reorder), collected shipping,
/// shipping options, `payment_intent_data`. With a publishable key and the `client_secret`, the
/// buyer's choices instead: `promotion_code`/`discount_code`,
/// `custom_fields[KEY]`, `amount`, `shipping_rate`.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}", operation_id = "PostCheckoutSessionsSession", request_body(content((UpdateParams = "application/x-www-form-urlencoded"), (UpdateParams = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, description = "The updated Checkout Session"), (status = 404, description = "No such checkout.session")))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientCall(mut call): ClientCall,
) -> ApiResult<Response> {
    if call.auth.kind == KeyKind::Publishable {
        return crate::api::checkout_sessions::buyer::update(&state, &id, call).await;
    }
    let p: UpdateParams = call.parse()?;
    let (lines_included, breakdown, rest) = includes(&call, "");
    expand::validate(&rest)?;
    retry_on_conflict(|| async {
        let obj = resource::find(&state, &call, KIND, "checkout.session", &id).await?;
        let now = state.now();
        require_changeable(&obj.doc, now)?;
        let mut doc = obj.doc.clone();
        let mut extra = Vec::new();
        if let Some(items) = &p.line_items {
            extra = replace_lines(&state, &call, &mut doc, items, now).await?;
        }
        if let Some(opts) = &p.shipping_options {
            extra.extend(shipping::replace(&state, &call, &mut doc, opts.as_deref(), now).await?);
        }
        if let Some(ci) = &p.collected_information {
            collect_information(&mut doc, ci)?;
        }
        let changed = [("line_items", p.line_items.is_some()), ("shipping_options", p.shipping_options.is_some())];
        amounts::check_changed(&doc, &changed)?;
        if let Some(u) = &p.payment_intent_data {
            extra.extend(crate::api::checkout_sessions::intent_data::update(&state, &call, &mut doc, u).await?);
        }
        if let Some(m) = &p.metadata {
            let update = match m {
                None => MetadataUpdate::Clear,
                Some(m) => MetadataUpdate::Merge(m.clone()),
            };
            let current = serde_json::from_value(doc["metadata"].clone()).unwrap_or_default();
            let next = metadata::apply(&current, &update)
                .map_err(|e| ApiError::invalid("parameter_invalid", e.param(), e.to_string()))?;
            doc["metadata"] = json!(next);
        }
        let body = view(&state, &call, &doc, lines_included, breakdown, &rest).await?;
        let mut changes = extra;
        changes.push(Change::Update { id: id.clone(), expected_version: obj.version, tags: session::tags(&doc), doc });
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
    doc: &mut Value,
    items: &[LineItemParam],
    now: i64,
) -> ApiResult<Vec<Change>> {
    let id = doc["id"].as_str().unwrap_or_default().to_owned();
    // The chosen shipping is still charged.
    let shipping = doc["total_details"]["amount_shipping"].as_i64().unwrap_or(0);
    let mode = match doc["mode"].as_str() {
        Some("subscription") => Mode::Subscription,
        Some("setup") => {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "line_items",
                "`line_items` cannot be used in `setup` mode.",
            ))
        }
        _ => Mode::Payment,
    };
    if items.is_empty() {
        return Err(ApiError::missing_param("line_items"));
    }
    let existing = doc["line_items"]["data"].as_array().cloned().unwrap_or_default();
    let mut lines =
        lines::build(state, call, lines::LineInput { params: items, existing: &existing, mode, currency: None, now })
            .await?;
    let coupon = amounts::applied_coupon(state, &call.scope(), doc).await?;
    let priced = amounts::price(&mut lines, coupon.as_ref(), &id, now)?;
    amounts::keep_coupon(doc, coupon.as_ref());
    let totals = priced.totals;
    doc["total_details_breakdown"] = priced.breakdown;
    let (sub, total, details) = session::totals_json(&totals);
    doc["amount_subtotal"] = sub;
    doc["amount_total"] = total;
    doc["total_details"] = details;
    shipping::set_amount(doc, shipping)?;
    doc["currency"] = json!(lines.currency);
    doc["line_items"] = session::lines_list(&id, lines.items);
    Ok(lines.changes)
}

/// An update's `collected_information`, for embedded and custom sessions.
fn collect_information(doc: &mut Value, ci: &CollectedInformation) -> ApiResult<()> {
    if doc["ui_mode"] == "hosted_page" {
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
        doc["collected_information"] = session::collected_shipping(&Some(sd.name.clone()), &sd.address);
    }
    Ok(())
}

/// The coupon `discounts` asks for, and the promotion code that brought it.
async fn requested_discount(
    state: &AppState,
    call: &Call,
    p: &CreateParams,
    now: i64,
) -> ApiResult<(Option<Value>, Option<Value>)> {
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
