//! `/v1/promotion_codes`: create, retrieve, update (active, metadata), list.

use std::collections::BTreeMap;

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
use crate::domain::coupon::Coupon;
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::promotion_code::{self, PromotionCode, PromotionCodeParams, KIND};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::{Change, ListQuery, StoredObject};
use crate::AppState;

/// The active code with this text (case-insensitive), if any.
pub async fn by_code(state: &AppState, call: &Call, code: &str) -> ApiResult<Option<StoredObject>> {
    let q = ListQuery {
        kind: KIND.into(),
        filters: vec![("code".into(), code.to_ascii_lowercase())],
        created: Default::default(),
        cursor: None,
        limit: 1,
        any_of: Vec::new(),
    };
    Ok(state.store.list_objects(&call.scope(), &q).await?.items.into_iter().next())
}

/// Create a promotion code for a coupon.
#[utoipa::path(post, path = "/v1/promotion_codes", operation_id = "PostPromotionCodes", request_body(content((PromotionCodeParams = "application/x-www-form-urlencoded"), (PromotionCodeParams = "application/json"))),
    tag = "discounts", responses((status = 200, body = PromotionCode, description = "The new promotion code")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let mut p: PromotionCodeParams = call.parse()?;
    expand::validate(&call.expand)?;
    let coupon_id = promotion_code::coupon_of(&p)?;
    let param = if p.coupon.is_some() { "coupon" } else { "promotion[coupon]" };
    let found = resource::find_param(
        &state,
        &call,
        crate::domain::coupon::KIND,
        "coupon",
        resource::IdParam { id: &coupon_id, param },
    )
    .await?;
    let coupon = found
        .decode::<Coupon>()?
        .ok_or_else(|| ApiError::no_such("coupon", &coupon_id, Some(param)).with_status_400())?;
    let code = p.code.get_or_insert_with(|| crate::ids::random_base62(8).to_uppercase()).clone();
    promotion_code::check_code(&code)?;
    if p.active != Some(false) && by_code(&state, &call, &code).await?.is_some() {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "code",
            "An active promotion code with this code already exists.",
        ));
    }
    if let Some(c) = &p.customer {
        resource::find_param(&state, &call, "customer", "customer", resource::IdParam { id: c, param: "customer" })
            .await?;
    }
    let now = state.now();
    let made = promotion_code::build(&new_id(PromotionCode::PREFIX), call.auth.livemode, now, &coupon, &p)?;
    let evt = event::of(&call.event_ctx(now), "promotion_code.created", &made);
    let shown = made.render(&call.version);
    answer::commit(
        &state,
        &call,
        answer::Writes { changes: vec![Change::insert(&made)?], events: vec![evt] },
        StatusCode::OK,
        shown,
    )
    .await
}

/// Retrieve a promotion code.
#[utoipa::path(get, path = "/v1/promotion_codes/{id}", operation_id = "GetPromotionCodesPromotionCode", tag = "discounts", params(("id" = String, Path, description = "promo_…")),
    responses((status = 200, body = PromotionCode, description = "The promotion code"), (status = 404, description = "No such promotion_code")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    let (promo, _) = resource::find_typed::<PromotionCode>(&state, &call, "promotion_code", &id).await?;
    Ok(Json(promo.render(&call.version)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = PromotionCodeUpdateParams)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    active: Option<bool>,
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Turn a code on or off, or change its metadata.
#[utoipa::path(post, path = "/v1/promotion_codes/{id}", operation_id = "PostPromotionCodesPromotionCode", request_body(content((UpdateParams = "application/x-www-form-urlencoded"), (UpdateParams = "application/json"))),
    tag = "discounts", params(("id" = String, Path, description = "promo_…")),
    responses((status = 200, body = PromotionCode, description = "The promotion code"), (status = 404, description = "No such promotion_code")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: UpdateParams = call.parse()?;
    if p.active == Some(true) {
        let (current, _) = resource::find_typed::<PromotionCode>(&state, &call, "promotion_code", &id).await?;
        if let Some(other) = by_code(&state, &call, &current.code).await? {
            if other.id != id {
                return Err(ApiError::invalid(
                    "parameter_invalid",
                    "active",
                    "Another active promotion code has this code.",
                ));
            }
        }
    }
    let names = Names { what: "promotion_code", event: "promotion_code.updated" };
    resource::update_typed(&state, &call, &id, names, |promo: &PromotionCode, _| {
        Ok(promotion_code::update(promo, p.active, &p.metadata)?)
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    code: Option<String>,
    coupon: Option<String>,
    customer: Option<String>,
    active: Option<bool>,
}

/// List promotion codes (`code`, `coupon`, `customer`, `active`).
#[utoipa::path(get, path = "/v1/promotion_codes", operation_id = "GetPromotionCodes", params(ListFilters), tag = "discounts", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of promotion codes")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let mut filters = Vec::new();
    if let Some(c) = f.code {
        filters.push(("code".to_owned(), c.to_ascii_lowercase()));
    }
    if let Some(c) = f.coupon {
        filters.push(("coupon".to_owned(), c));
    }
    if let Some(c) = f.customer {
        filters.push(("customer".to_owned(), c));
    }
    if let Some(a) = f.active {
        filters.push(("active".to_owned(), a.to_string()));
    }
    let version = call.version.clone();
    let body = list::run(&state, &call, lp, list::Listing::new(KIND, "promotion_code", filters), |o| {
        Ok(promotion_code::render(o.doc()?, &version))
    })
    .await?;
    Ok(Json(body).into_response())
}
