//! Product mappings: which supplier offers fulfil a store item.
//!
//! The handlers here are adapters over [`crate::services::mappings`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::mappings as service;
use crate::services::mappings::MappingInput;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::catalog::StoredMapping;
use axum::extract::State;
use axum::Json;

/// Creates or replaces the mapping of one store item.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/mappings", request_body = MappingInput,
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = StoredMapping), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiJson(input): ApiJson<MappingInput>,
) -> Result<Json<StoredMapping>, ApiError> {
    Ok(Json(service::put(&state, &caller, &store_id, input).await?))
}

/// Lists a store's mappings.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/mappings", security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = Vec<StoredMapping>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
) -> Result<Json<Vec<StoredMapping>>, ApiError> {
    Ok(Json(service::list(&state, &caller, &store_id).await?))
}
