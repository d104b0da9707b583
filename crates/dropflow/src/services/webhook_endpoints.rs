//! Outbound webhook endpoints: a merchant's tool receives the store's order events, signed
//! (see `events::outbound` for the format and the signature).

use super::stores::store_in_scope;
use super::MERCHANTS;
use crate::events::endpoints::{self, Endpoint};
use crate::services::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::StorageError;
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

pub fn check_url(raw: &str, allow_private: bool) -> Result<String, ActionError> {
    let raw = raw.trim();
    let bad = |why: &str| ActionError::Unprocessable(format!("url: {why}"));
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

pub fn endpoint_not_found(id: &str) -> ActionError {
    ActionError::NotFound(format!("webhook endpoint {id:?} not found"))
}

pub async fn create(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    input: NewEndpoint,
) -> Result<CreatedEndpoint, ActionError> {
    let store_id = store_in_scope(
        ctx,
        caller,
        &[Role::Owner],
        "add webhook endpoints",
        store_id,
    )
    .await?;
    let url = check_url(&input.url, ctx.outbound_reach.allows_private())?;
    let (id, secret) = endpoints::create(&ctx.db, store_id, &url).await?;
    tracing::info!(store.id = %store_id, endpoint.id = %id, "webhook endpoint added");
    Ok(CreatedEndpoint { id, url, secret })
}

pub async fn list(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
) -> Result<Vec<Endpoint>, ActionError> {
    let store_id =
        store_in_scope(ctx, caller, MERCHANTS, "see webhook endpoints", store_id).await?;
    Ok(endpoints::list(&ctx.db, store_id).await?)
}

/// Removes one of the store's endpoints.
pub async fn delete(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    id: &str,
) -> Result<(), ActionError> {
    let store = store_in_scope(
        ctx,
        caller,
        &[Role::Owner],
        "remove webhook endpoints",
        store_id,
    )
    .await?;
    match endpoints::delete(&ctx.db, store, id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Err(endpoint_not_found(id)),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(store.id = %store, endpoint.id = %id, "webhook endpoint removed");
    Ok(())
}

/// Delivers the store's events again, from `from_event_id` on, in order.
pub async fn replay(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    id: &str,
    input: Replay,
) -> Result<Endpoint, ActionError> {
    let store = store_in_scope(ctx, caller, &[Role::Owner], "replay webhooks", store_id).await?;
    if input.from_event_id < 1 {
        return Err(ActionError::Unprocessable(
            "from_event_id: must be 1 or more".into(),
        ));
    }
    match endpoints::replay(&ctx.db, store, id, input.from_event_id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Err(endpoint_not_found(id)),
        Err(e) => return Err(e.into()),
    }
    ctx.db.events_recorded.notify_waiters();
    tracing::info!(store.id = %store, endpoint.id = %id, from = input.from_event_id, "webhook replay requested");
    endpoints::get(&ctx.db, store, id)
        .await?
        .ok_or_else(|| endpoint_not_found(id))
}
