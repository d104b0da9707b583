//! Outbound webhook endpoints: a merchant's tool receives the store's order events, signed
//! (see `events::outbound` for the format and the signature).

use crate::events::endpoints::{self, Endpoint};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::StorageError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

/// A new endpoint.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where to POST the events: an `https://` URL (`http://` is accepted for local tools).
    pub url: String,
}

/// The created endpoint, with the secret that signs its deliveries. The secret is shown only
/// here, once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedEndpoint {
    pub id: String,
    pub url: String,
    /// `X-Dropflow-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.
    pub secret: String,
}

/// Where to deliver from again.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// The first event id to deliver again (inclusive), ≥ 1.
    pub from_event_id: i64,
}

const MAX_URL_LEN: usize = 2048;

fn check_url(raw: &str, allow_private: bool) -> Result<String, ApiError> {
    let raw = raw.trim();
    let bad = |why: &str| ApiError::Unprocessable(format!("url: {why}"));
    if raw.len() > MAX_URL_LEN {
        return Err(bad("longer than 2048 characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| bad("not a valid URL"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad("must start with https:// (or http://)"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !allow_private {
        if let Some(why) = crate::outbound::refuse_host(&url) {
            return Err(bad(&format!("{why}: webhooks go to public addresses only")));
        }
    }
    Ok(url.to_string())
}

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
    caller.require(&[Role::Owner], "add webhook endpoints")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    let url = check_url(&input.url, state.outbound_reach.allows_private())?;
    let (id, secret) = endpoints::create(&state.db, store_id, &url).await?;
    tracing::info!(store.id = %store_id, endpoint.id = %id, "webhook endpoint added");
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint { id, url, secret }),
    ))
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
    caller.require(&[Role::Owner, Role::Staff], "see webhook endpoints")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    Ok(Json(endpoints::list(&state.db, store_id).await?))
}

fn endpoint_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("webhook endpoint {id:?} not found"))
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
    caller.require(&[Role::Owner], "remove webhook endpoints")?;
    let store = caller.store_path(&state.db, &store_id).await?;
    match endpoints::delete(&state.db, store, &id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Err(endpoint_not_found(&id)),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(store.id = %store, endpoint.id = %id, "webhook endpoint removed");
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
    caller.require(&[Role::Owner], "replay webhooks")?;
    let store = caller.store_path(&state.db, &store_id).await?;
    if input.from_event_id < 1 {
        return Err(ApiError::Unprocessable(
            "from_event_id: must be 1 or more".into(),
        ));
    }
    match endpoints::replay(&state.db, store, &id, input.from_event_id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Err(endpoint_not_found(&id)),
        Err(e) => return Err(e.into()),
    }
    state.db.events_recorded.notify_waiters();
    tracing::info!(store.id = %store, endpoint.id = %id, from = input.from_event_id, "webhook replay requested");
    endpoints::get(&state.db, store, &id)
        .await?
        .map(Json)
        .ok_or_else(|| endpoint_not_found(&id))
}
