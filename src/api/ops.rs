//! Operations endpoints: liveness, readiness, metrics, the API description,
//! and the Stripe-shaped 404 for unknown routes.

use axum::extract::{OriginalUri, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::{ApiError, ErrorType};
use crate::AppState;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"}))).into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

pub async fn not_found(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    method: axum::http::Method,
) -> Response {
    state.metrics.observe("unmatched", method.as_str(), 404, 0.0);
    let path: String = uri.path().chars().take(200).collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorType::InvalidRequest,
        Some("resource_missing"),
        format!("Unrecognized request URL ({method}: {path})."),
    )
    .into_response()
}
