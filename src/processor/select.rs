//! Which processors may charge a payment: the one place every charge path
//! (confirm, 3-D Secure, the resolver, due charges, refunds, captures) gets
//! its route from.
//!
//! The built-in `test` processor approves Stripe's test cards without moving
//! any money, so it exists in test mode only. In live mode a payment needs a
//! stored route of real (`http`) processors; anything else is refused before
//! a claim is written, so nothing is ever recorded as paid on a fake charge.

use std::sync::Arc;

use axum::http::StatusCode;

use super::Processor;
use crate::domain::processor_route::{BUILTIN, KIND};
use crate::error::{ApiError, ErrorType};
use crate::store::Scope;
use crate::AppState;

/// Why a payment has no route that can charge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRoute {
    /// Live mode, and the session names no stored route.
    LiveNeedsRoute,
    /// Live mode, and the route holds the `test` processor.
    LiveRouteHasTest(String),
    /// The stored route is gone.
    Missing(String),
}

impl NoRoute {
    pub fn message(&self) -> String {
        match self {
            NoRoute::LiveNeedsRoute => "Live-mode payments need a processor route with an `http` processor: \
                 create one with POST /v1/processor_routes and set `processor_route` on the Checkout Session. \
                 The built-in `test` processor takes test-mode payments only."
                .into(),
            NoRoute::LiveRouteHasTest(id) => format!(
                "Processor route `{id}` holds the `test` processor, which cannot charge live-mode payments. \
                 Use a route of `http` processors."
            ),
            NoRoute::Missing(id) => format!("No such processor route: '{id}'"),
        }
    }
}

impl From<NoRoute> for ApiError {
    fn from(e: NoRoute) -> Self {
        let code = match e {
            NoRoute::Missing(_) => "resource_missing",
            _ => "processor_route_required",
        };
        ApiError::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, Some(code), e.message())
            .with_param("processor_route")
    }
}

/// Whether a route document may be used in this mode.
pub fn check_route_doc(route: &serde_json::Value, id: &str, livemode: bool) -> Result<(), NoRoute> {
    let has_test = route["processors"].as_array().is_some_and(|l| l.iter().any(|p| p["type"] != "http"));
    if livemode && has_test {
        return Err(NoRoute::LiveRouteHasTest(id.to_owned()));
    }
    Ok(())
}

/// Whether `route_id` (a session's `processor_route`, `None` for the
/// default) may be named in this mode, without loading it.
pub fn check_named(route_id: Option<&str>, livemode: bool) -> Result<(), NoRoute> {
    match route_id {
        None if livemode => Err(NoRoute::LiveNeedsRoute),
        Some(BUILTIN) if livemode => Err(NoRoute::LiveRouteHasTest(BUILTIN.into())),
        _ => Ok(()),
    }
}

/// The processors that charge a payment of `scope`, in order.
pub async fn processors_for(
    state: &AppState,
    scope: &Scope,
    route_id: Option<&str>,
) -> Result<Result<Vec<Arc<dyn Processor>>, NoRoute>, crate::store::StoreError> {
    if let Err(e) = check_named(route_id, scope.livemode) {
        return Ok(Err(e));
    }
    let Some(id) = route_id.filter(|r| *r != BUILTIN) else {
        return Ok(Ok(vec![Arc::new(super::test::TestProcessor)]));
    };
    let Some(route) = state.store.get_object(scope, id).await?.filter(|o| o.kind == KIND) else {
        return Ok(Err(NoRoute::Missing(id.to_owned())));
    };
    let doc = route.doc()?;
    if let Err(e) = check_route_doc(&doc, id, scope.livemode) {
        return Ok(Err(e));
    }
    let (client, urls) = state.processor_client(scope.livemode);
    Ok(Ok(super::route::processors(&doc, client, scope.livemode, urls)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn live_mode_never_names_the_test_processor() {
        assert_eq!(check_named(None, true), Err(NoRoute::LiveNeedsRoute));
        assert!(matches!(check_named(Some("test"), true), Err(NoRoute::LiveRouteHasTest(_))));
        assert_eq!(check_named(Some("prt_1"), true), Ok(()));
        assert_eq!(check_named(None, false), Ok(()));
        assert_eq!(check_named(Some("test"), false), Ok(()));
    }

    #[test]
    fn a_live_route_holding_test_is_refused() {
        let mixed = json!({"processors": [{"type": "http"}, {"type": "test"}]});
        let real = json!({"processors": [{"type": "http"}]});
        assert!(check_route_doc(&mixed, "prt_1", true).is_err());
        assert!(check_route_doc(&mixed, "prt_1", false).is_ok());
        assert!(check_route_doc(&real, "prt_1", true).is_ok());
    }

    #[test]
    fn the_refusal_names_what_to_set_up_and_the_param() {
        let e: ApiError = NoRoute::LiveNeedsRoute.into();
        let body = e.body();
        assert_eq!(body["error"]["param"], "processor_route");
        assert_eq!(body["error"]["code"], "processor_route_required");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("/v1/processor_routes"));
    }
}
