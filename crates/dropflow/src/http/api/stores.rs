use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::stores::{self, Store};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use dropflow_core::intake::Platform;
use serde::{Deserialize, Serialize};

/// Shortest webhook secret accepted: Shopify app secrets are 32 hex chars; anything much
/// shorter is guessable.
const MIN_SECRET_LEN: usize = 16;

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

/// A registered store (the secret is never shown).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoreView {
    pub id: String,
    pub platform: String,
    pub domain: String,
    /// Whether the store's Admin API access has been checked against the shop itself
    /// (`PUT /stores/{id}/admin`). Only a verified registration is protected: another
    /// account's unverified registration of the same domain never blocks it.
    pub verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&Store> for StoreView {
    fn from(s: &Store) -> Self {
        StoreView {
            id: s.id.to_string(),
            platform: s.platform.as_str().to_string(),
            domain: s.domain.clone(),
            verified: s.verified_at.is_some(),
            created_at: crate::storage::codec::from_ms(s.created_at),
        }
    }
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
    caller.require(&[Role::Owner], "register stores")?;
    let platform = Platform::parse(new.platform.trim()).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "platform {:?} is not supported: use \"shopify\" or \"woocommerce\"",
            new.platform
        ))
    })?;
    let domain = crate::platforms::store_address::check_domain(platform, &new.domain)
        .map_err(ApiError::Unprocessable)?;
    if new.webhook_secret.len() < MIN_SECRET_LEN {
        return Err(ApiError::Unprocessable(format!(
            "webhook_secret must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    // Registered in the caller's account, unverified until its Admin API access is checked
    // against the shop (`PUT /stores/{id}/admin`).
    let store = stores::create_in(
        &state.db,
        caller.account_id(),
        platform,
        &domain,
        &new.webhook_secret,
    )
    .await?;
    tracing::info!(store.id = %store.id, platform = platform.as_str(), "store registered");
    Ok((StatusCode::CREATED, Json(StoreView::from(&store))))
}

/// Lists the stores the caller may see.
#[utoipa::path(get, path = "/api/v1/stores", security(("bearer" = [])),
    responses((status = 200, body = Vec<StoreView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<Vec<StoreView>>, ApiError> {
    let mut visible = Vec::new();
    for store in stores::list(&state.db).await? {
        if caller.scope.sees_store(&state.db, store.id).await? {
            visible.push(StoreView::from(&store));
        }
    }
    Ok(Json(visible))
}
