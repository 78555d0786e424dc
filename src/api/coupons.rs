//! `/v1/coupons`: create, retrieve, update (name, metadata), delete, list.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::coupon::{self, Coupon, CouponParams, KIND};
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::product::check_custom_id;
use crate::error::{ApiError, ApiResult};
use crate::ids::random_base62;
use crate::store::Change;
use crate::AppState;

/// Create a coupon (a custom `id` is allowed).
#[utoipa::path(post, path = "/v1/coupons", operation_id = "PostCoupons", request_body(content((CouponParams = "application/x-www-form-urlencoded"), (CouponParams = "application/json"))),
    tag = "discounts", responses((status = 200, body = Coupon, description = "The new coupon")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: CouponParams = call.parse()?;
    expand::validate(&call.expand)?;
    if let Some(id) = &p.id {
        check_custom_id(id)?;
    }
    // A create that lost a race for its chosen id runs again and finds it
    // taken: a 400, never a 409 to retry.
    retry_on_conflict(|| async {
        let now = state.now();
        let id = match &p.id {
            Some(id) => {
                resource::ensure_new_id(&state, &call, id, "id", "Coupon already exists.".into()).await?;
                id.clone()
            }
            None => random_base62(8),
        };
        let made = coupon::build(&id, call.auth.livemode, now, &p)?;
        resource::create_typed(&state, &call, &made.at(now), "coupon.created").await
    })
    .await
}

/// Retrieve a coupon.
#[utoipa::path(get, path = "/v1/coupons/{id}", operation_id = "GetCouponsCoupon", tag = "discounts", params(("id" = String, Path, description = "The coupon id")),
    responses((status = 200, body = Coupon, description = "The coupon"), (status = 404, description = "No such coupon")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    // A deleted coupon is gone, as a deleted product or price is (Stripe
    // answers `resource_missing`); only customers answer with a stub.
    let (c, _) = resource::find_typed::<Coupon>(&state, &call, "coupon", &id).await?;
    Ok(Json(c.at(state.now()).wire()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = CouponUpdateParams)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    name: Option<String>,
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Update a coupon's name or metadata (its terms never change).
#[utoipa::path(post, path = "/v1/coupons/{id}", operation_id = "PostCouponsCoupon", request_body(content((UpdateParams = "application/x-www-form-urlencoded"), (UpdateParams = "application/json"))),
    tag = "discounts", params(("id" = String, Path, description = "The coupon id")),
    responses((status = 200, body = Coupon, description = "The coupon"), (status = 404, description = "No such coupon")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: UpdateParams = call.parse()?;
    if let Some(n) = &p.name {
        crate::domain::fields::max_len("name", n, 40)?;
    }
    // `valid` is computed at `now` for the answer and the event, never
    // compared as stored.
    retry_on_conflict(|| async {
        let (current, version) = resource::find_typed::<Coupon>(&state, &call, "coupon", &id).await?;
        let now = state.now();
        let next = coupon::update(&current, &p.name, &p.metadata)?;
        let shown = next.at(now).wire();
        let events = if next == current {
            Vec::new()
        } else {
            vec![event::build(&call.event_ctx(now), "coupon.updated", &shown, Some(&current.at(now).wire()))]
        };
        let body = resource::respond(&state, &call, shown).await?;
        answer::commit(
            &state,
            &call,
            answer::Writes { changes: vec![Change::update(&next, version)?], events },
            StatusCode::OK,
            body,
        )
        .await
    })
    .await
}

/// Delete a coupon: it can no longer be redeemed; sessions that used it keep it.
#[utoipa::path(delete, path = "/v1/coupons/{id}", operation_id = "DeleteCouponsCoupon", tag = "discounts", params(("id" = String, Path, description = "The coupon id")),
    responses((status = 200, body = crate::api::plumbing::schemas::Deleted, description = "`{id, object, deleted: true}`"), (status = 404, description = "No such coupon")))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Response> {
    call.no_params()?;
    retry_on_conflict(|| async {
        let obj = resource::find(&state, &call, KIND, "coupon", &id).await?;
        if obj.deleted {
            return Err(ApiError::no_such("coupon", &id, None));
        }
        let now = state.now();
        let c = obj.decode::<Coupon>()?.ok_or_else(|| ApiError::no_such("coupon", &id, None))?;
        let evt = event::of(&call.event_ctx(now), "coupon.deleted", &c.at(now));
        let stub = json!({"id": id, "object": "coupon", "deleted": true});
        let change = Change::Delete { id: id.clone(), expected_version: obj.version, doc: stub.to_string() };
        answer::commit(&state, &call, answer::Writes { changes: vec![change], events: vec![evt] }, StatusCode::OK, stub)
            .await
    })
    .await
}

/// List coupons, newest first.
#[utoipa::path(get, path = "/v1/coupons", operation_id = "GetCoupons", tag = "discounts", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of coupons")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    call.no_params()?;
    let now = state.now();
    Ok(Json(
        list::run(&state, &call, lp, list::Listing::new(KIND, "coupon", Vec::new()), |o| {
            Ok(coupon::render(&o.doc()?, now))
        })
        .await?,
    )
    .into_response())
}
