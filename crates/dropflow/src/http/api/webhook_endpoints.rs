//! Outbound webhook endpoints: a merchant's tool receives the store's order events, signed
//! (see `events::outbound` for the format and the signature).
//!
//! The handlers here are adapters over [`crate::services::webhook_endpoints`].

use crate::events::endpoints::Endpoint;
use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::webhook_endpoints as service;
use crate::services::webhook_endpoints::{CreatedEndpoint, NewEndpoint, Replay};
use axum::response::NoContent;
use axum::Json;

/// Adds an endpoint that receives every order event of the store from now on.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/webhook-endpoints",
    request_body = NewEndpoint, params(("store_id" = String, Path, description = "store id")),
    responses((status = 201, body = CreatedEndpoint)))]
pub async fn create(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<NewEndpoint>,
) -> Result<Created<CreatedEndpoint>, ApiError> {
    Ok(Created(
        service::create(&ctx, &caller, &store_id, input).await?,
    ))
}

/// The store's endpoints with their delivery state (never their secrets).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/webhook-endpoints",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = Vec<Endpoint>)))]
pub async fn list(Acting(ctx, caller): Acting, ApiPath(store_id): Id) -> Answer<Vec<Endpoint>> {
    Ok(Json(service::list(&ctx, &caller, &store_id).await?))
}

/// Removes an endpoint; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/stores/{store_id}/webhook-endpoints/{id}",
    params(("store_id" = String, Path, description = "store id"),
        ("id" = String, Path, description = "endpoint id")), responses((status = 204)))]
pub async fn delete(
    Acting(ctx, caller): Acting,
    ApiPath((store_id, id)): ApiPath<(String, String)>,
) -> Result<NoContent, ApiError> {
    service::delete(&ctx, &caller, &store_id, &id).await?;
    Ok(NoContent)
}

/// Delivers the store's events again, from `from_event_id` on, in order.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/webhook-endpoints/{id}/replay",
    request_body = Replay,
    params(("store_id" = String, Path, description = "store id"),
        ("id" = String, Path, description = "endpoint id")),
    responses((status = 200, body = Endpoint)))]
pub async fn replay(
    Acting(ctx, caller): Acting,
    ApiPath((store_id, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<Replay>,
) -> Answer<Endpoint> {
    Ok(Json(
        service::replay(&ctx, &caller, &store_id, &id, input).await?,
    ))
}
