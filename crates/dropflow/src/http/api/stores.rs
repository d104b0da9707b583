//! Registering and listing stores: adapters over [`crate::services::stores`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::services::stores::{self, StoreView};
use crate::services::{Caller, Context};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    /// `shopify` or `woocommerce`.
    #[schema(schema_with = crate::http::openapi::platform_schema)]
    pub platform: String,
    /// `my-shop.myshopify.com`, or the WooCommerce site URL (`https://shop.example/`).
    pub domain: String,
    /// The secret the platform signs webhooks with (Shopify app secret, WooCommerce webhook
    /// secret). Stored; never returned.
    pub webhook_secret: String,
}

/// Registers a store so its webhooks are accepted. 409 when the caller's account has the
/// domain already or a verified registration of it exists (which account holds it is not
/// said).
#[utoipa::path(post, path = "/api/v1/stores", request_body = NewStore,
    security(("bearer" = [])),
    responses(
        (status = 201, body = StoreView),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(new): ApiJson<NewStore>,
) -> Result<(StatusCode, Json<StoreView>), ApiError> {
    let store = stores::register(
        &state,
        &caller,
        &new.platform,
        &new.domain,
        &new.webhook_secret,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(store)))
}

/// Lists the stores the caller may see.
#[utoipa::path(get, path = "/api/v1/stores", security(("bearer" = [])),
    responses((status = 200, body = Vec<StoreView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<Vec<StoreView>>, ApiError> {
    Ok(Json(stores::list(&state, &caller).await?))
}
