//! Registering and listing stores.

use super::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::stores::{self, Store};
use chrono::{DateTime, Utc};
use dropflow_core::ids::StoreId;
use dropflow_core::intake::Platform;
use serde::Serialize;

/// Shortest webhook secret accepted: Shopify app secrets are 32 hex chars; anything much
/// shorter is guessable.
const MIN_SECRET_LEN: usize = 16;

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

/// The store a path names (`text`), for a caller whose role may `what` (403 otherwise) and
/// who may see that store (404 otherwise): how every action on one store begins.
pub async fn store_in_scope(
    ctx: &Context,
    caller: &Caller,
    roles: &[Role],
    what: &str,
    text: &str,
) -> Result<StoreId, ActionError> {
    caller.require(roles, what)?;
    caller.store_path(&ctx.db, text).await
}

/// Registers a store in the caller's account so its webhooks are accepted; unverified until
/// its Admin API access is checked against the shop.
pub async fn register(
    ctx: &Context,
    caller: &Caller,
    platform: &str,
    domain: &str,
    webhook_secret: &str,
) -> Result<StoreView, ActionError> {
    caller.require(&[Role::Owner], "register stores")?;
    let platform = Platform::parse(platform.trim()).ok_or_else(|| {
        ActionError::Unprocessable(format!(
            "platform {platform:?} is not supported: use \"shopify\" or \"woocommerce\""
        ))
    })?;
    let domain = crate::platforms::store_address::check_domain(platform, domain)
        .map_err(ActionError::Unprocessable)?;
    if webhook_secret.len() < MIN_SECRET_LEN {
        return Err(ActionError::Unprocessable(format!(
            "webhook_secret must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    let store = stores::create_in(
        &ctx.db,
        caller.account_id(),
        platform,
        &domain,
        webhook_secret,
    )
    .await?;
    tracing::info!(store.id = %store.id, platform = platform.as_str(), "store registered");
    Ok(StoreView::from(&store))
}

/// The stores the caller may see.
pub async fn list(ctx: &Context, caller: &Caller) -> Result<Vec<StoreView>, ActionError> {
    let mut visible = Vec::new();
    for store in stores::list(&ctx.db).await? {
        if caller.scope.sees_store(&ctx.db, store.id).await? {
            visible.push(StoreView::from(&store));
        }
    }
    Ok(visible)
}

/// The store a person names (its domain, as typed, or its id), among those the caller may
/// see; otherwise 404.
pub async fn find(ctx: &Context, caller: &Caller, reference: &str) -> Result<Store, ActionError> {
    let wanted = stores::normalize_domain(reference);
    for store in stores::list(&ctx.db).await? {
        if (store.domain == wanted || store.id.to_string() == reference)
            && caller.scope.sees_store(&ctx.db, store.id).await?
        {
            return Ok(store);
        }
    }
    Err(ActionError::NotFound(format!(
        "no store {reference:?} is registered"
    )))
}
