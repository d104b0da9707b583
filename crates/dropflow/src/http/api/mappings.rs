//! Product mappings: which supplier offers fulfil a store item.
//!
//! The handlers here are adapters over [`crate::services::mappings`].

use crate::http::api::views::{each, mappings::StoredMapping};
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::mappings as service;
use crate::services::mappings::MappingInput;
use axum::Json;

/// Creates or replaces the mapping of one store item.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/mappings", request_body = MappingInput,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = StoredMapping)))]
pub async fn put(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<MappingInput>,
) -> Answer<StoredMapping> {
    Ok(Json(
        service::put(&ctx, &caller, &store_id, input).await?.into(),
    ))
}

/// Lists a store's mappings.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/mappings",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = Vec<StoredMapping>)))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
) -> Answer<Vec<StoredMapping>> {
    Ok(Json(each(service::list(&ctx, &caller, &store_id).await?)))
}
