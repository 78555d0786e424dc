//! `/v1/products`: create, retrieve, update, list.

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
use crate::domain::product::{self, Product, ProductParams};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::Change;
use crate::AppState;

pub const KIND: &str = crate::domain::product::KIND_PRODUCT;

/// Create a product.
#[utoipa::path(post, path = "/v1/products", operation_id = "PostProducts", request_body(content((ProductParams = "application/x-www-form-urlencoded"), (ProductParams = "application/json"))),
    tag = "products", responses((status = 200, body = Product, description = "The new product")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: ProductParams = call.parse()?;
    expand::validate(&call.expand)?;
    if p.default_price.is_some() {
        return Err(ApiError::unknown_param("default_price"));
    }
    if let Some(id) = &p.id {
        product::check_custom_id(id)?;
    }
    // A create that lost a race for its chosen id runs again and finds it
    // taken: a 400, never a 409 to retry.
    crate::api::plumbing::extract::retry_on_conflict(|| async {
        let id = match &p.id {
            Some(id) => {
                let message = format!("Product already exists: {id}");
                resource::ensure_new_id(&state, &call, id, "id", message).await?;
                id.clone()
            }
            None => new_id(Product::PREFIX),
        };
        let now = state.now();
        let made = product::create(&id, call.auth.livemode, now, &p)?;
        let evt = event::of(&call.event_ctx(now), "product.created", &made);
        let body = resource::respond(&state, &call, made.wire()).await?;
        answer::commit(
            &state,
            &call,
            answer::Writes { changes: vec![Change::insert(&made)?], events: vec![evt] },
            StatusCode::OK,
            body,
        )
        .await
    })
    .await
}

/// Retrieve a product.
#[utoipa::path(get, path = "/v1/products/{id}", operation_id = "GetProductsId", tag = "products",
    params(("id" = String, Path, description = "The product id")),
    responses((status = 200, body = Product, description = "The product"), (status = 404, description = "No such product")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let (found, _) = resource::find_typed::<Product>(&state, &call, "product", &id).await?;
    Ok(Json(resource::respond(&state, &call, found.wire()).await?))
}

/// Update a product.
#[utoipa::path(post, path = "/v1/products/{id}", operation_id = "PostProductsId", request_body(content((ProductParams = "application/x-www-form-urlencoded"), (ProductParams = "application/json"))),
    tag = "products",
    params(("id" = String, Path, description = "The product id")),
    responses((status = 200, body = Product, description = "The updated product"), (status = 404, description = "No such product")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: ProductParams = call.parse()?;
    expand::validate(&call.expand)?;
    if p.id.is_some() {
        return Err(ApiError::unknown_param("id"));
    }
    if let Some(price_id) = &p.default_price {
        let price = crate::api::prices::find_param(&state, &call, price_id, "default_price").await?;
        if price.product != id {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "default_price",
                "The default price must belong to this product.",
            ));
        }
    }
    let names = Names { what: "product", event: "product.updated" };
    resource::update_typed(&state, &call, &id, names, |cur: &Product, now| Ok(product::update(cur, &p, now)?)).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    active: Option<bool>,
    shippable: Option<bool>,
    url: Option<String>,
    ids: Option<Vec<String>>,
}

/// List products, newest first.
#[utoipa::path(get, path = "/v1/products", operation_id = "GetProducts", params(ListFilters), tag = "products", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of products")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let mut filters = Vec::new();
    if let Some(a) = f.active {
        filters.push(("active".to_owned(), a.to_string()));
    }
    if let Some(s) = f.shippable {
        filters.push(("shippable".to_owned(), s.to_string()));
    }
    if let Some(u) = f.url {
        filters.push(("url".to_owned(), u));
    }
    if let Some(ids) = f.ids {
        // A short id list is answered by lookups, newest first like any list.
        if ids.len() > 100 {
            return Err(ApiError::invalid("parameter_invalid", "ids", "Invalid ids: at most 100."));
        }
        let mut found = Vec::new();
        for id in &ids {
            if let Some(o) = state.store.get_object(&call.scope(), id).await? {
                if o.kind == KIND && !o.deleted {
                    found.push(o);
                }
            }
        }
        found.sort_by_key(|o| std::cmp::Reverse((o.created, o.seq)));
        let mut data = Vec::new();
        for o in found {
            let Some(prod) = o.decode::<Product>()? else { continue };
            if filters.iter().all(|t| prod.tags().contains(t)) {
                data.push(prod.wire());
            }
        }
        data.truncate(lp.limit);
        return Ok(Json(list::envelope(&call.path, data, false)).into_response());
    }
    let body =
        list::run_body(&state, &call, lp, list::Listing::new(KIND, "product", filters), list::stored_text).await?;
    Ok(body.into_response())
}

/// The caller's product named in a parameter, or a 400 naming `param`.
pub async fn find_param(state: &AppState, call: &Call, id: &str, param: &str) -> ApiResult<Product> {
    resource::find_param_typed::<Product>(state, call, "product", resource::IdParam { id, param }).await
}
