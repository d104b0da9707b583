//! Per-store settings (auto-order, auto-pay, price guard, customer notification) and the
//! store's Admin API access for writing fulfilments back: adapters over
//! [`crate::services::settings`].

use crate::http::api::views::settings::StoreSettings;
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::settings::{self, AdminAccessInput};
use axum::response::NoContent;
use axum::Json;

/// The store's settings (defaults if never set: auto-order and auto-pay on, no price guard,
/// customer notified).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/settings",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = StoreSettings)))]
pub async fn show(Acting(ctx, caller): Acting, ApiPath(store_id): Id) -> Answer<StoreSettings> {
    Ok(Json(settings::show(&ctx, &caller, &store_id).await?.into()))
}

/// Replaces the store's settings (every field required except the SLA thresholds, which
/// default to 24 h to place, 7 days to tracking, 48 h of tracking silence, and
/// `buy_when_authorized`, default false). Changing `buy_when_authorized` re-judges the
/// store's authorized orders not yet bought: routed now, or held until the store captures.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/settings", request_body = StoreSettings,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = StoreSettings)))]
pub async fn put(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<StoreSettings>,
) -> Answer<StoreSettings> {
    Ok(Json(
        settings::put(&ctx, &caller, &store_id, input.into())
            .await?
            .into(),
    ))
}

/// Sets the store's Admin API access (write-only: never shown again) after checking it
/// against the shop itself (Shopify `GET shop.json`, WooCommerce `GET system_status`), which
/// makes the store *verified*. 422: not the shop's own Admin API URL, credentials refused, or
/// they open another shop; 409: another registration of this shop is verified already; 503:
/// the shop did not answer (nothing is kept).
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/admin", request_body = AdminAccessInput,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 204), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody,
            description = "the shop did not answer; nothing is kept")))]
pub async fn put_admin(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<AdminAccessInput>,
) -> Result<NoContent, ApiError> {
    settings::put_admin(&ctx, &caller, &store_id, input).await?;
    Ok(NoContent)
}
