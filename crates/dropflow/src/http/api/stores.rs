//! Registering and listing stores: adapters over [`crate::services::stores`].

use crate::http::api::{Answer, Created};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::services::stores::{self, StoreView};
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
    responses((status = 201, body = StoreView), (status = 409, body = ErrorBody)))]
pub async fn create(
    Acting(ctx, caller): Acting,
    ApiJson(new): ApiJson<NewStore>,
) -> Result<Created<StoreView>, ApiError> {
    let store = stores::register(
        &ctx,
        &caller,
        &new.platform,
        &new.domain,
        &new.webhook_secret,
    )
    .await?;
    Ok(Created(store))
}

/// Lists the stores the caller may see.
#[utoipa::path(get, path = "/api/v1/stores", responses((status = 200, body = Vec<StoreView>)))]
pub async fn list(Acting(ctx, caller): Acting) -> Answer<Vec<StoreView>> {
    Ok(Json(stores::list(&ctx, &caller).await?))
}
