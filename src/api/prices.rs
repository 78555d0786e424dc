//! `/v1/prices`: create, retrieve, update, list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::Call;
use crate::api::plumbing::list;
use crate::api::plumbing::resource::{self, Names};
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::price::{self, Price, PriceParams, PriceType, PriceUpdateParams, ProductData, Stamp};
use crate::domain::product::{self, Product, ProductParams};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::{Change, CreatedRange, ListQuery};
use crate::AppState;

pub const KIND: &str = price::KIND;

/// The caller's price named in a parameter, or a 400 naming `param`. An
/// inline price is found too, so that reusing one is refused as inactive.
pub async fn find_param(state: &AppState, call: &Call, id: &str, param: &str) -> ApiResult<Price> {
    let missing = || ApiError::no_such("price", id, Some(param)).with_status_400();
    find_any(state, call, id).await?.map(|(p, _)| p).ok_or_else(missing)
}

/// The caller's price `id`, listed or inline, and whether it is inline.
async fn find_any(state: &AppState, call: &Call, id: &str) -> ApiResult<Option<(Price, bool)>> {
    let Some(obj) = state.store.get_object(&call.scope(), id).await?.filter(|o| !o.deleted) else {
        return Ok(None);
    };
    if let Some(p) = obj.decode::<Price>()? {
        return Ok(Some((p, false)));
    }
    Ok(obj.decode_as::<Price>(price::INLINE_KIND)?.map(|p| (p, true)))
}

/// The product a new price belongs to: an existing active one, or one made
/// from `product_data`.
pub async fn resolve_product(
    state: &AppState,
    call: &Call,
    (product_id, data): (Option<&str>, Option<&ProductData>),
    prefix: &str,
    now: i64,
) -> ApiResult<(String, Option<Product>)> {
    match (product_id, data) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "parameters_exclusive",
            price::at(prefix, "product_data"),
            "You may only specify one of these parameters: product, product_data.",
        )),
        (None, None) => Err(ApiError::missing_param(&price::at(prefix, "product"))),
        (Some(id), None) => {
            let param = price::at(prefix, "product");
            let p = crate::api::products::find_param(state, call, id, &param).await?;
            if !p.active {
                return Err(ApiError::invalid("product_inactive", param, format!("The product {id} is not active.")));
            }
            Ok((id.to_owned(), None))
        }
        (None, Some(d)) => {
            let made = product_from_data(state, call, d, prefix, now).await?;
            Ok((made.id.clone(), Some(made)))
        }
    }
}

async fn product_from_data(
    state: &AppState,
    call: &Call,
    d: &ProductData,
    prefix: &str,
    now: i64,
) -> ApiResult<Product> {
    let id = match &d.id {
        Some(id) => {
            let param = price::at(prefix, "product_data[id]");
            product::check_custom_id(id).map_err(|e| ApiError::invalid(e.code, param.clone(), e.message))?;
            resource::ensure_new_id(state, call, id, &param, format!("Product already exists: {id}")).await?;
            id.clone()
        }
        None => new_id(Product::PREFIX),
    };
    let params = ProductParams {
        name: Some(d.name.clone()),
        active: d.active,
        description: d.description.clone().map(Some),
        images: d.images.clone(),
        metadata: d.metadata.clone().map(Some),
        statement_descriptor: d.statement_descriptor.clone().map(Some),
        tax_code: d.tax_code.clone().map(Some),
        unit_label: d.unit_label.clone().map(Some),
        ..ProductParams::default()
    };
    let made = product::create(&id, call.auth.livemode, now, &params).map_err(|mut e| {
        e.param = price::at(prefix, &format!("product_data[{}]", e.param));
        e
    })?;
    Ok(made)
}

/// Create a price.
#[utoipa::path(post, path = "/v1/prices", operation_id = "PostPrices", request_body(content((PriceParams = "application/x-www-form-urlencoded"), (PriceParams = "application/json"))),
    tag = "prices", responses((status = 200, body = Price, description = "The new price")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: PriceParams = call.parse()?;
    expand::validate(&call.expand)?;
    let now = state.now();
    let (product_id, new_product) =
        resolve_product(&state, &call, (p.product.as_deref(), p.product_data.as_ref()), "", now).await?;
    let stamp = Stamp { livemode: call.auth.livemode, now };
    let made = price::build(&new_id(Price::PREFIX), &product_id, stamp, &p, "")?;
    let mut changes = Vec::new();
    let mut events = Vec::new();
    if let Some(n) = new_product {
        // A product made with a price is announced; one made inline for a
        // Checkout Session's line is not (nor is the inline price).
        events.push(event::of(&call.event_ctx(now), "product.created", &n));
        changes.push(Change::insert(&n)?);
    }
    if let Some(key) = &p.lookup_key {
        for (holder, version) in prices_with_lookup_key(&state, &call, key).await? {
            if p.transfer_lookup_key != Some(true) {
                return Err(ApiError::invalid(
                    "parameter_invalid",
                    "lookup_key",
                    format!(
                        "A price ({}) already uses that lookup key. Pass transfer_lookup_key=true to move it.",
                        holder.id
                    ),
                ));
            }
            let moved = Price { lookup_key: None, ..holder.clone() };
            events.push(event::build(&call.event_ctx(now), "price.updated", &moved.wire(), Some(&holder.wire())));
            changes.push(Change::update(&moved, version)?);
        }
    }
    events.push(event::of(&call.event_ctx(now), "price.created", &made));
    let body = resource::respond(&state, &call, made.wire()).await?;
    changes.push(Change::insert(&made)?);
    answer::commit(&state, &call, answer::Writes { changes, events }, StatusCode::OK, body).await
}

/// The prices holding `key`, with their versions.
async fn prices_with_lookup_key(state: &AppState, call: &Call, key: &str) -> ApiResult<Vec<(Price, i64)>> {
    let q = ListQuery {
        kind: KIND.into(),
        filters: vec![("lookup_key".into(), key.to_owned())],
        created: CreatedRange::default(),
        cursor: None,
        limit: 10,
        any_of: Vec::new(),
    };
    let mut out = Vec::new();
    for o in state.store.list_objects(&call.scope(), &q).await?.items {
        if let Some(p) = o.decode::<Price>()? {
            out.push((p, o.version));
        }
    }
    Ok(out)
}

/// Retrieve a price.
#[utoipa::path(get, path = "/v1/prices/{id}", operation_id = "GetPricesPrice", tag = "prices",
    params(("id" = String, Path, description = "The price id")),
    responses((status = 200, body = Price, description = "The price"), (status = 404, description = "No such price")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let (found, _) = find_any(&state, &call, &id).await?.ok_or_else(|| ApiError::no_such("price", &id, None))?;
    Ok(Json(resource::respond(&state, &call, found.wire()).await?))
}

/// Update a price: active, lookup_key, metadata, nickname, tax_behavior.
#[utoipa::path(post, path = "/v1/prices/{id}", operation_id = "PostPricesPrice", request_body(content((PriceUpdateParams = "application/x-www-form-urlencoded"), (PriceUpdateParams = "application/json"))),
    tag = "prices",
    params(("id" = String, Path, description = "The price id")),
    responses((status = 200, body = Price, description = "The updated price"), (status = 404, description = "No such price")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: PriceUpdateParams = call.parse()?;
    expand::validate(&call.expand)?;
    if let Some((_, true)) = find_any(&state, &call, &id).await? {
        return Err(ApiError::bad_request(
            "price_inline",
            format!(
                "The price {id} was made inline (`price_data`) for one Checkout Session's line item; it cannot be updated or reused."
            ),
        ));
    }
    if let Some(Some(key)) = &p.lookup_key {
        let others: Vec<_> =
            prices_with_lookup_key(&state, &call, key).await?.into_iter().filter(|(o, _)| o.id != id).collect();
        if !others.is_empty() && p.transfer_lookup_key != Some(true) {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "lookup_key",
                "Another price already uses that lookup key.",
            ));
        }
        for (holder, _) in others {
            let names = Names { what: "price", event: "price.updated" };
            resource::update_typed(&state, &call, &holder.id, names, |cur: &Price, _| {
                Ok(Price { lookup_key: None, ..cur.clone() })
            })
            .await?;
        }
    }
    let names = Names { what: "price", event: "price.updated" };
    resource::update_typed(&state, &call, &id, names, |cur: &Price, _| Ok(price::update(cur, &p)?)).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    active: Option<bool>,
    currency: Option<String>,
    lookup_keys: Option<Vec<String>>,
    product: Option<String>,
    #[serde(rename = "type")]
    #[param(inline)]
    kind: Option<PriceType>,
}

/// List prices, newest first.
#[utoipa::path(get, path = "/v1/prices", operation_id = "GetPrices", params(ListFilters), tag = "prices", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of prices")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let mut filters = Vec::new();
    if let Some(a) = f.active {
        filters.push(("active".to_owned(), a.to_string()));
    }
    if let Some(c) = f.currency {
        filters.push(("currency".to_owned(), c.to_ascii_lowercase()));
    }
    if let Some(p) = f.product {
        filters.push(("product".to_owned(), p));
    }
    if let Some(t) = f.kind {
        filters.push(("type".to_owned(), t.as_str().to_owned()));
    }
    match f.lookup_keys.as_deref() {
        None | Some([]) => {}
        Some([one]) => filters.push(("lookup_key".to_owned(), one.clone())),
        Some(_) => {
            // Several keys: at most one price each, so look them up directly.
            let mut found = Vec::new();
            for key in f.lookup_keys.iter().flatten().take(10) {
                let mut q = filters.clone();
                q.push(("lookup_key".to_owned(), key.clone()));
                let query = ListQuery {
                    kind: KIND.into(),
                    filters: q,
                    created: lp.created.clone(),
                    cursor: None,
                    limit: 1,
                    any_of: Vec::new(),
                };
                found.extend(state.store.list_objects(&call.scope(), &query).await?.items);
            }
            found.sort_by_key(|o| std::cmp::Reverse((o.created, o.seq)));
            let data = found.into_iter().map(|o| o.doc()).collect::<Result<_, _>>()?;
            return Ok(Json(list::envelope(&call.path, data, false)).into_response());
        }
    }
    let body = list::run_body(&state, &call, lp, list::Listing::new(KIND, "price", filters), list::stored_text).await?;
    Ok(body.into_response())
}
