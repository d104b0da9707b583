use super::error::ApiError;
use super::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database not reachable: {e}")))?;
    Ok(Json(json!({ "status": "ready" })))
}

/// Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> String {
    state
        .metrics
        .as_ref()
        .map(|handle| handle.render())
        .unwrap_or_default()
}
