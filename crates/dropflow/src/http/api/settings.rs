//! Per-store settings (auto-order, auto-pay, price guard, customer notification) and the
//! store's Admin API access for writing fulfilments back.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::platforms::{shop_check, store_address};
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::settings::{self, AdminAccess, StoreSettings};
use crate::storage::stores;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dropflow_core::event::Actor;
use dropflow_core::payment::CapturePolicy;
use serde::Deserialize;

/// The store's settings (defaults if never set: auto-order and auto-pay on, no price guard,
/// customer notified).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/settings", security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = StoreSettings), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
) -> Result<Json<StoreSettings>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff], "see this")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    Ok(Json(settings::get(&state.db, store_id).await?))
}

/// Replaces the store's settings (every field required except the SLA thresholds, which
/// default to 24 h to place, 7 days to tracking, 48 h of tracking silence, and
/// `buy_when_authorized`, default false). Changing `buy_when_authorized` re-judges the
/// store's authorized orders not yet bought: routed now, or held until the store captures.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/settings", request_body = StoreSettings,
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = StoreSettings), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiJson(input): ApiJson<StoreSettings>,
) -> Result<Json<StoreSettings>, ApiError> {
    caller.require(&[Role::Owner], "change this")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    if input.price_guard_percent.is_some_and(|p| p > 1000) {
        return Err(ApiError::Unprocessable(
            "price_guard_percent: must be between 0 and 1000".into(),
        ));
    }
    if let Some(error) = input.threshold_error() {
        return Err(ApiError::Unprocessable(error));
    }
    let before = settings::get(&state.db, store_id).await?;
    let mut tx = state.db.begin().await?;
    settings::put_in(&mut tx, store_id, &input).await?;
    // A new capture policy re-judges the orders waiting on an authorization, in the same
    // transaction, so no order is left judged by the old one.
    let judged = if before.buy_when_authorized == input.buy_when_authorized {
        0
    } else {
        crate::fulfilment::capture::reapply(
            &mut tx,
            store_id,
            CapturePolicy::from_setting(input.buy_when_authorized),
            &Actor::Merchant(caller.actor.clone()),
        )
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
    };
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    state.db.jobs_queued.notify_one();
    tracing::info!(store.id = %store_id, orders.rejudged = judged, "store settings changed");
    Ok(Json(settings::get(&state.db, store_id).await?))
}

/// How to reach the store's Admin API.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminAccessInput {
    /// The store's base URL (`https://shop.myshopify.com`, `https://shop.example.com`).
    pub url: String,
    /// Shopify: the Admin API access token. WooCommerce: the consumer key.
    pub key: String,
    /// WooCommerce: the consumer secret. Not used for Shopify.
    pub secret: Option<String>,
}

/// Sets the store's Admin API access (write-only: never shown again) after checking it
/// against the shop itself (Shopify `GET shop.json`, WooCommerce `GET system_status`), which
/// makes the store *verified*. 422: not the shop's own Admin API URL, credentials refused, or
/// they open another shop; 409: another registration of this shop is verified already; 503:
/// the shop did not answer (nothing is kept).
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/admin", request_body = AdminAccessInput,
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_admin(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiJson(input): ApiJson<AdminAccessInput>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Owner], "set store credentials")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    let store = stores::get(&state.db, store_id).await?;
    // The shop's own Admin API only (never an address inside the operator's network).
    let url = store_address::check_admin_url(
        store.platform,
        &store.domain,
        &input.url,
        state.outbound_reach,
    )
    .map_err(ApiError::Unprocessable)?;
    if input.key.trim().is_empty() {
        return Err(ApiError::Unprocessable("key: must not be empty".into()));
    }
    let access = AdminAccess {
        url,
        key: input.key.trim().to_string(),
        secret: input.secret.map(|s| s.trim().to_string()),
    };
    // Checked against the shop itself before it is kept: the access must open this shop.
    shop_check::check(store.platform, &store.domain, &access)
        .await
        .map_err(|e| match e {
            shop_check::ShopCheckError::Refused(why) => ApiError::Unprocessable(why),
            shop_check::ShopCheckError::Unavailable(why) => ApiError::Unavailable(why),
        })?;
    stores::verify_with_access(&state.db, store_id, &access).await?;
    // Webhooks for the domain now go to this registration only.
    state.stores.forget(store.platform, &store.domain);
    tracing::info!(store.id = %store_id, "store admin access checked against the shop and set");
    Ok(StatusCode::NO_CONTENT)
}
