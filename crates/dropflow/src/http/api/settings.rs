//! Per-store settings (auto-order, auto-pay, price guard, customer notification) and the
//! store's Admin API access for writing fulfilments back: adapters over
//! [`crate::services::settings`].

use crate::http::api::views::catalogue::CataloguePolicy;
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

/// The merchant's own return address: `address` is `null` until one is given.
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnAddress {
    /// A postal address (`name`, `company`, `address1`, `address2`, `city`, `province`,
    /// `province_code`, `postal_code`, `country_code`, `phone`), or `null`.
    #[schema(value_type = Option<Object>)]
    pub address: Option<dropflow_core::reference::address::PostalAddress>,
}

/// Where customers send back goods that did not come through the agent warehouse (those go
/// back to the warehouse). Without one, a customer asked to return goods is told the merchant
/// will send the address.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/return-address",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = ReturnAddress)))]
pub async fn return_address(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
) -> Answer<ReturnAddress> {
    let address = settings::return_address(&ctx, &caller, &store_id).await?;
    Ok(Json(ReturnAddress { address }))
}

/// Sets the merchant's return address (`null` removes it). 422 names each field that is
/// wrong: the country's required fields, its postal code pattern, a name or company to send
/// it to, a street.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/return-address", request_body = ReturnAddress,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = ReturnAddress)))]
pub async fn put_return_address(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<ReturnAddress>,
) -> Answer<ReturnAddress> {
    let address = settings::put_return_address(&ctx, &caller, &store_id, input.address).await?;
    Ok(Json(ReturnAddress { address }))
}

/// The store's catalogue policy: the stock to publish from its suppliers' (less a buffer, at
/// most a cap, 0 or unpublished when out) and the price rule (cost × markup + fixed, rounded
/// up to an ending, written automatically or only shown, rises above a ceiling held for a
/// person). Never set: the defaults for the currency of the store's orders.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/catalogue-policy",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = CataloguePolicy)))]
pub async fn catalogue_policy(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
) -> Answer<CataloguePolicy> {
    Ok(Json(
        settings::catalogue_policy(&ctx, &caller, &store_id)
            .await?
            .into(),
    ))
}

/// Replaces the store's catalogue policy (owner only). 422 names the field out of range (an
/// unknown currency, a markup of 0, an ending that does not fit the currency, a cap of 0);
/// nothing changes then.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/catalogue-policy",
    request_body = CataloguePolicy,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = CataloguePolicy)))]
pub async fn put_catalogue_policy(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<CataloguePolicy>,
) -> Answer<CataloguePolicy> {
    let policy = input.try_into()?;
    Ok(Json(
        settings::put_catalogue_policy(&ctx, &caller, &store_id, policy)
            .await?
            .into(),
    ))
}
