//! Listing sessions (`GET /v1/checkout/sessions`) and a session's line items.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::checkout_sessions::{decode, includes};
use crate::api::plumbing::answer::Body;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::Call;
use crate::api::plumbing::list::{self, CursorParam};
use crate::api::plumbing::resource;
use crate::domain::line_item::LineItemList;
use crate::domain::session::{self, KIND};
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    #[param(inline)]
    status: Option<StatusFilter>,
    customer: Option<String>,
    customer_account: Option<String>,
    #[param(inline)]
    customer_details: Option<EmailFilter>,
    payment_intent: Option<String>,
    payment_link: Option<String>,
    subscription: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailFilter {
    email: String,
}

#[derive(Deserialize, Clone, Copy, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum StatusFilter {
    Open,
    Complete,
    Expired,
}

/// List Checkout Sessions, newest first.
#[utoipa::path(get, path = "/v1/checkout/sessions", operation_id = "GetCheckoutSessions", params(ListFilters), tag = "checkout.sessions",
    responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of Checkout Sessions")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let inc = includes(&call, "data.");
    let mut filters = Vec::new();
    if let Some(s) = f.status {
        // Lapsed sessions are expired in the store first, so the status tag
        // agrees with what each session reads as.
        crate::worker::session_expiry::expire_due(&state, Some(&call.scope())).await?;
        let v = match s {
            StatusFilter::Open => "open",
            StatusFilter::Complete => "complete",
            StatusFilter::Expired => "expired",
        };
        filters.push(("status".to_owned(), v.to_owned()));
    }
    for (name, v) in [
        ("customer", f.customer),
        ("payment_intent", f.payment_intent),
        ("payment_link", f.payment_link),
        ("customer_account", f.customer_account),
        ("subscription", f.subscription),
    ] {
        if let Some(v) = v {
            filters.push((name.to_owned(), v));
        }
    }
    if let Some(d) = f.customer_details {
        filters.push(("customer_details.email".to_owned(), d.email));
    }
    let now = state.now();
    let version = call.version.clone();
    call.expand = inc.rest;
    let body = list::run_body(&state, &call, lp, list::Listing::new(KIND, "checkout.session", filters), |o| {
        if !inc.breakdown && call.expand.is_empty() {
            return super::plain(&state, o, now, &version, inc.lines);
        }
        let s = super::decode(o)?;
        let breakdown = inc.breakdown && s.total_details.is_some();
        if !breakdown && call.expand.is_empty() {
            return Body::rendered(session::render_text(&s, now, &version, inc.lines));
        }
        let mut out = session::render(&s, now, &version, inc.lines);
        if breakdown {
            out["total_details"]["breakdown"] = json!({"discounts": [], "taxes": []});
        }
        Ok(Body::Tree(out))
    })
    .await?;
    Ok(body.into_response())
}

/// List a Checkout Session's line items, in the order given.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}/line_items", operation_id = "GetCheckoutSessionsSessionLineItems", tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = LineItemList, description = "A list of line items"), (status = 404, description = "No such checkout.session")))]
pub async fn line_items(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    call.no_params()?;
    if lp.created != Default::default() {
        return Err(ApiError::unknown_param("created"));
    }
    let obj = resource::find(&state, &call, KIND, "checkout.session", &id).await?;
    let items = decode(&obj)?.line_items.data;
    let pos = |cid: &str, param: &str| {
        items.iter().position(|i| i.id == cid).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest,
                Some("resource_missing"),
                format!("No such line item: '{cid}'"),
            )
            .with_param(param)
        })
    };
    let (start, end) = match &lp.cursor {
        None => (0, items.len().min(lp.limit)),
        Some(CursorParam::StartingAfter(c)) => {
            let s = pos(c, "starting_after")? + 1;
            (s, (s + lp.limit).min(items.len()))
        }
        Some(CursorParam::EndingBefore(c)) => {
            let e = pos(c, "ending_before")?;
            (e.saturating_sub(lp.limit), e)
        }
    };
    let has_more = match &lp.cursor {
        Some(CursorParam::EndingBefore(_)) => start > 0,
        _ => end < items.len(),
    };
    let mut data: Vec<Value> = items[start..end].iter().map(|i| json!(i)).collect();
    expand::validate(&call.expand)?;
    expand::apply_to_list(&state, &call.scope(), &mut data, &call.expand).await?;
    Ok(Json(list::envelope(&call.path, data, has_more)).into_response())
}
