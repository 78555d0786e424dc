//! The HTTP API: one module per resource, each with its handlers; the
//! router and the layers every request passes through are assembled here.

pub mod account;
pub mod answer;
pub mod auth;
pub mod charges;
pub mod confirm;
pub mod coupons;
pub mod customers;
pub mod events;
pub mod expand;
pub mod extract;
pub mod form;
pub mod idempotency;
pub mod intent_capture;
pub mod list;
pub mod metrics;
pub mod middleware;
mod openapi_conventions;
pub mod ops;
mod param_de;
pub mod params;
pub mod payment_error;
pub mod payment_method_input;
pub mod payments;
pub mod prices;
pub mod processor_routes;
pub mod products;
pub mod promotion_codes;
pub mod rate_limit;
pub mod refunds;
pub mod resource;
pub mod schemas;
pub mod session_amounts;
pub mod session_buyer;
pub mod session_cascade;
pub mod session_close;
pub mod session_custom;
pub mod session_discounts;
pub mod session_intent_data;
pub mod session_lines;
pub mod session_lists;
pub mod session_shipping;
pub mod sessions;
pub mod shipping_rates;
pub mod tax_rates;
pub mod webhook_endpoints;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Requests running longer than this are cut off with a retryable error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(OpenApi)]
#[openapi(
    components(schemas(schemas::ErrorBody)),
    info(title = "kassa", description = "A self-hosted, Stripe-compatible checkout-sessions payment server."),
    tags(
        (name = "account", description = "The caller's account and its profile"),
        (name = "customers", description = "Customers"),
        (name = "products", description = "Products"),
        (name = "prices", description = "Prices"),
        (name = "checkout.sessions", description = "Checkout Sessions"),
        (name = "discounts", description = "Coupons"),
        (name = "taxes", description = "Tax rates"),
        (name = "shipping", description = "Shipping rates"),
        (name = "processor_routes", description = "Processor routes: fallback chains"),
        (name = "payments", description = "PaymentIntents, PaymentMethods, SetupIntents, Contracts"),
        (name = "events", description = "Events"),
        (name = "webhooks", description = "Webhook endpoints and their deliveries")
    )
)]
struct ApiDoc;

fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::retrieve, account::update))
        .routes(routes!(customers::create, customers::list))
        .routes(routes!(customers::retrieve, customers::update, customers::delete))
        .routes(routes!(products::create, products::list))
        .routes(routes!(products::retrieve, products::update))
        .routes(routes!(prices::create, prices::list))
        .routes(routes!(prices::retrieve, prices::update))
        .routes(routes!(sessions::create, session_lists::list))
        .routes(routes!(sessions::retrieve, sessions::update))
        .routes(routes!(session_lists::line_items))
        .routes(routes!(session_close::expire))
        .routes(routes!(session_close::complete))
        .routes(routes!(session_close::cancel))
        .routes(routes!(confirm::confirm))
        .routes(routes!(processor_routes::create, processor_routes::list))
        .routes(routes!(processor_routes::retrieve))
        .routes(routes!(payments::retrieve_payment_intent))
        .routes(routes!(payments::list_payment_intents))
        .routes(routes!(payments::retrieve_payment_method))
        .routes(routes!(payments::list_payment_methods))
        .routes(routes!(payments::retrieve_setup_intent))
        .routes(routes!(payments::list_setup_intents))
        .routes(routes!(payments::retrieve_contract))
        .routes(routes!(payments::list_contracts))
        .routes(routes!(charges::list))
        .routes(routes!(charges::retrieve, charges::update))
        .routes(routes!(intent_capture::capture))
        .routes(routes!(intent_capture::cancel))
        .routes(routes!(refunds::create, refunds::list))
        .routes(routes!(refunds::retrieve))
        .routes(routes!(refunds::refund_intent))
        .routes(routes!(coupons::create, coupons::list))
        .routes(routes!(coupons::retrieve, coupons::update, coupons::delete))
        .routes(routes!(promotion_codes::create, promotion_codes::list))
        .routes(routes!(promotion_codes::retrieve, promotion_codes::update))
        .routes(routes!(shipping_rates::create, shipping_rates::list))
        .routes(routes!(shipping_rates::retrieve, shipping_rates::update))
        .routes(routes!(tax_rates::create, tax_rates::list))
        .routes(routes!(tax_rates::retrieve, tax_rates::update))
        .routes(routes!(events::list))
        .routes(routes!(events::retrieve))
        .routes(routes!(events::resend))
        .routes(routes!(webhook_endpoints::create, webhook_endpoints::list))
        .routes(routes!(webhook_endpoints::retrieve, webhook_endpoints::update, webhook_endpoints::delete))
        .routes(routes!(webhook_endpoints::roll_secret))
        .routes(routes!(webhook_endpoints::deliveries))
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> serde_json::Value {
    let (_, mut doc) = documented().split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    openapi_conventions::apply(&doc)
}

pub fn router(state: AppState) -> Router {
    let (api, _) = documented().split_for_parts();
    let spec = Arc::new(openapi());
    let api = api.route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::limit));
    let api = api.route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track));
    Router::new()
        .merge(api)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/openapi.json", get(move || async move { Json(spec.as_ref().clone()) }))
        .merge(crate::web::router())
        .fallback(ops::not_found)
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::map_request(middleware::forget_client_request_id))
                .layer(SetRequestIdLayer::new(middleware::REQUEST_ID, middleware::MakeReqId))
                .layer(PropagateRequestIdLayer::new(middleware::REQUEST_ID))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(middleware::request_span::<Body>)
                        .on_request(())
                        .on_response(middleware::log_response::<Body>)
                        .on_body_chunk(())
                        .on_eos(())
                        .on_failure(()),
                )
                .layer(axum::middleware::from_fn(middleware::echo_idempotency_key))
                .layer(axum::middleware::from_fn(middleware::stripe_errors))
                .layer(CatchPanicLayer::custom(middleware::panic_response))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.cfg.request_timeout)),
        )
        .with_state(state)
}
