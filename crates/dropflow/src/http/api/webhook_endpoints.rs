//! Outbound webhook endpoints: a merchant's tool receives the store's order events, signed
//! (see `events::outbound` for the format and the signature).
//!
//! The handlers here are adapters over [`crate::services::webhook_endpoints`].

use crate::events::endpoints::Endpoint;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::webhook_endpoints as service;
use crate::services::webhook_endpoints::{CreatedEndpoint, NewEndpoint, Replay};
use crate::services::Caller;
use crate::services::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// Adds an endpoint that receives every order event of the store from now on.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/webhook-endpoints",
    request_body = NewEndpoint, security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 201, body = CreatedEndpoint), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiJson(input): ApiJson<NewEndpoint>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let answer = service::create(&state, &caller, &store_id, input).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The store's endpoints with their delivery state (never their secrets).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/webhook-endpoints",
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = Vec<Endpoint>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
) -> Result<Json<Vec<Endpoint>>, ApiError> {
    Ok(Json(service::list(&state, &caller, &store_id).await?))
}

/// Removes an endpoint; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/stores/{store_id}/webhook-endpoints/{id}",
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id"),
        ("id" = String, Path, description = "endpoint id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<Context>,
    caller: Caller,
    ApiPath((store_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    service::delete(&state, &caller, &store_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delivers the store's events again, from `from_event_id` on, in order.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/webhook-endpoints/{id}/replay",
    request_body = Replay, security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id"),
        ("id" = String, Path, description = "endpoint id")),
    responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn replay(
    State(state): State<Context>,
    caller: Caller,
    ApiPath((store_id, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<Replay>,
) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(
        service::replay(&state, &caller, &store_id, &id, input).await?,
    ))
}
