//! Store webhooks: one route per platform of [`registry`], all through [`receive`] and the
//! platform's [`StorePlatform`] connector. Order of checks, each failing before anything is
//! stored: required headers (400; a platform's unsigned test delivery is answered `pong`),
//! known store (404), signature over the raw body (401), a topic that carries an order (200
//! `ignored` otherwise; a refund made in the store becomes an after-sale case,
//! [`crate::services::cases::record_store_refund`]; a payment dispute is recorded on its
//! order, [`crate::fulfilment::after_sale::chargeback::record`]; a return made in the store
//! opens or moves its case, [`crate::services::cases::record_store_return`]), a non-empty
//! body (400), parseable order
//! (422). Then the delivery goes
//! to the group-commit writer and we answer 200 only after it is on disk; if the
//! commit does not happen within the deadline we answer 503 so the store retries (a retry of a
//! delivery that did commit meanwhile is dropped as a duplicate).

use super::error::ApiError;
use super::extract::RawBody;
use super::HttpState;
use crate::fulfilment::after_sale::chargeback::{self, DisputeOutcome};
use crate::ingest::{Delivery, IngestError, Outcome};
use crate::platforms::{registry, Incoming, StorePlatform, WebhookHeaders};
use crate::services::cases::{self, ReturnDelivery, StoreRefundOutcome, StoreReturnOutcome};
use crate::storage::stores::Store;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use dropflow_core::intake::{Platform, StoreOrder};
use serde::Serialize;

/// What a webhook answer says (platforms only look at the status code; this is for people).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    /// `created`, `updated`, `stale`, `duplicate`, `ignored`, `pong`, `case` (a store
    /// refund opened an after-sale case or landed on one; a store return opened its case or
    /// moved it) or `chargeback` (a payment dispute recorded on the order).
    pub status: &'static str,
    pub order_id: Option<String>,
}

/// `POST /webhooks/{platform}` for every platform of the registry (`/webhooks/shopify`,
/// `/webhooks/woocommerce`). One route per platform rather than a `{platform}` segment: a path
/// naming no platform stays a 404 whatever the method.
pub fn routes() -> Router<HttpState> {
    registry::store_platforms().fold(Router::new(), |routes, platform| {
        routes.route(
            &format!("/webhooks/{}", platform.platform().as_str()),
            post(
                move |state: State<HttpState>, headers: HeaderMap, body: RawBody| {
                    receive(platform, state, headers, body)
                },
            ),
        )
    })
}

/// One delivery from `platform`, in the order of checks above.
async fn receive(
    platform: &'static dyn StorePlatform,
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<WebhookAck>, ApiError> {
    let envelope = match platform
        .envelope(&WebhookHeaders::new(&headers), &body)
        .map_err(|missing| ApiError::BadRequest(missing.to_string()))?
    {
        Incoming::Ping => return Ok(ack("pong", None)),
        Incoming::Delivery(envelope) => envelope,
    };
    let stores = store_for(&state, platform.platform(), envelope.store).await?;
    let store = verify(&state, &stores, |secret| {
        platform.verify(secret, &body, envelope.signature)
    })
    .await?;

    let topic = envelope.topic;
    if platform.carries_refund(topic) {
        return store_refund(&state, platform, &store, &body).await;
    }
    if platform.carries_dispute(topic) {
        return store_dispute(&state, platform, &store, &body).await;
    }
    if platform.carries_return(topic) {
        let delivery = ReturnDelivery {
            dedup_key: envelope.dedup_key,
            topic,
            body: &body,
        };
        return store_return(&state, platform, &store, &delivery).await;
    }
    if !platform.carries_order(topic) {
        tracing::info!(
            platform = platform.platform().as_str(),
            topic,
            "acknowledged a topic that carries no order"
        );
        return Ok(ack("ignored", None));
    }
    let order = parsed(platform, &body, "order", |body| {
        platform
            .parse_order(body)
            .and_then(|order| state.intake.check(&order).map(|()| order))
    })?;
    submit(&state, &store, envelope.dedup_key, topic, &body, order).await
}

/// A refund made in the store: an after-sale case, written at once (refunds are rare next to
/// orders; they do not go through the group commit).
async fn store_refund(
    state: &HttpState,
    platform: &'static dyn StorePlatform,
    store: &Store,
    body: &[u8],
) -> Result<Json<WebhookAck>, ApiError> {
    let refund = parsed(platform, body, "refund", |body| platform.parse_refund(body))?;
    let outcome =
        cases::record_store_refund(&state.ctx, store.id, platform.platform().as_str(), &refund)
            .await?;
    Ok(match outcome {
        StoreRefundOutcome::Opened { order_id, .. }
        | StoreRefundOutcome::Recorded { order_id, .. } => ack("case", Some(order_id.to_string())),
        StoreRefundOutcome::Duplicate { order_id } => ack("duplicate", Some(order_id.to_string())),
        StoreRefundOutcome::NotACase { order_id } => {
            ack("ignored", order_id.map(|id| id.to_string()))
        }
    })
}

/// A return made in the store (requested, approved, declined, closed, cancelled, reopened):
/// its case opened or moved at once, like a refund. A return no case follows, whose delivery
/// names no order dropflow took, is acknowledged `ignored` (a non-2xx would only make the store
/// retry it); a request the order cannot take (a line not in it, more than shipped) is a 422
/// naming the line.
async fn store_return(
    state: &HttpState,
    platform: &'static dyn StorePlatform,
    store: &Store,
    delivery: &ReturnDelivery<'_>,
) -> Result<Json<WebhookAck>, ApiError> {
    let ret = parsed(platform, delivery.body, "return", |body| {
        platform.parse_return(delivery.topic, body)
    })?;
    let outcome = cases::record_store_return(
        &state.ctx,
        store.id,
        platform.platform().as_str(),
        platform.title(),
        delivery,
        &ret,
    )
    .await?;
    Ok(match outcome {
        StoreReturnOutcome::Opened { order_id, .. }
        | StoreReturnOutcome::Changed { order_id, .. } => ack("case", Some(order_id.to_string())),
        StoreReturnOutcome::Duplicate { order_id } => ack("duplicate", Some(order_id.to_string())),
        StoreReturnOutcome::Stale { order_id } => ack("stale", Some(order_id.to_string())),
        StoreReturnOutcome::Unknown => ack("ignored", None),
    })
}

/// A payment dispute opened or changed in the store: recorded on its order at once (like a
/// refund, outside the group commit), once per stage however often it is delivered.
async fn store_dispute(
    state: &HttpState,
    platform: &'static dyn StorePlatform,
    store: &Store,
    body: &[u8],
) -> Result<Json<WebhookAck>, ApiError> {
    let dispute = parsed(platform, body, "dispute", |body| {
        platform.parse_dispute(body)
    })?;
    let outcome = chargeback::record(
        &state.ctx.db,
        store.id,
        platform.platform().as_str(),
        &dispute,
    )
    .await
    .map_err(|e| match e.downcast::<crate::storage::StorageError>() {
        Ok(storage) => ApiError::from(storage),
        Err(other) => ApiError::Internal(other.to_string()),
    })?;
    Ok(match outcome {
        DisputeOutcome::Recorded { order_id, .. } | DisputeOutcome::Updated { order_id } => {
            ack("chargeback", Some(order_id.to_string()))
        }
        DisputeOutcome::Duplicate { order_id } => ack("duplicate", Some(order_id.to_string())),
        DisputeOutcome::Stale { order_id } => ack("stale", Some(order_id.to_string())),
        DisputeOutcome::NoOrder => ack("ignored", None),
    })
}

/// A delivery's body read by `parse`: empty is a 400, unreadable a 422 naming what it is not
/// (`not a Shopify refund: …`).
fn parsed<T>(
    platform: &dyn StorePlatform,
    body: &[u8],
    what: &str,
    parse: impl FnOnce(&[u8]) -> Result<T, crate::platforms::PayloadError>,
) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest("the webhook body is empty".into()));
    }
    parse(body)
        .map_err(|e| ApiError::Unprocessable(format!("not a {} {what}: {e}", platform.title())))
}

async fn submit(
    state: &HttpState,
    store: &Store,
    dedup_key: &str,
    topic: &str,
    body: &[u8],
    order: StoreOrder,
) -> Result<Json<WebhookAck>, ApiError> {
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::BadRequest("the webhook body is not UTF-8".into()))?;
    let review = state.intake.review(&order, store.platform);
    let delivery = Delivery {
        review,
        store_id: store.id,
        platform: store.platform,
        dedup_key: dedup_key.to_string(),
        topic: topic.to_string(),
        body,
        order,
    };
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(state.webhook_deadline, state.ingest.submit(delivery))
        .await
        .map_err(|_| ApiError::Unavailable("the order could not be stored in time; retry".into()))?
        .map_err(|e| match e {
            IngestError::Unavailable => ApiError::Unavailable("dropflow is shutting down".into()),
            IngestError::Storage(_) => {
                ApiError::Unavailable("the order could not be stored; retry".into())
            }
        })?;
    metrics::histogram!("dropflow_webhook_commit_wait_seconds")
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("dropflow_webhooks_total", "platform" => store.platform.as_str(), "outcome" => outcome_name(&outcome)).increment(1);
    Ok(match outcome {
        Outcome::Created(id) => ack("created", Some(id.to_string())),
        Outcome::Updated(id) => ack("updated", Some(id.to_string())),
        Outcome::Stale(id) => ack("stale", Some(id.to_string())),
        Outcome::Duplicate => ack("duplicate", None),
    })
}

fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Created(_) => "created",
        Outcome::Updated(_) => "updated",
        Outcome::Stale(_) => "stale",
        Outcome::Duplicate => "duplicate",
    }
}

/// The registrations the webhook may belong to (several only while none is verified).
async fn store_for(
    state: &HttpState,
    platform: Platform,
    domain: &str,
) -> Result<Vec<Store>, ApiError> {
    let stores = state
        .stores
        .find(&state.db, platform, domain, false)
        .await?;
    if stores.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no {} store is registered for {domain:?}",
            platform.as_str()
        )));
    }
    Ok(stores)
}

/// The registration whose secret signed the webhook: the current secret, then the previous
/// one (rotation), then once more against a fresh read in case another process rotated a
/// secret or verified a registration.
async fn verify(
    state: &HttpState,
    stores: &[Store],
    check: impl Fn(&[u8]) -> bool,
) -> Result<Store, ApiError> {
    let matches = |s: &&Store| {
        check(s.webhook_secret.as_bytes())
            || s.previous_webhook_secret
                .as_deref()
                .is_some_and(|old| check(old.as_bytes()))
    };
    if let Some(store) = stores.iter().find(matches) {
        return Ok(store.clone());
    }
    let Some(first) = stores.first() else {
        return Err(ApiError::NotFound("no store is registered".into()));
    };
    let fresh = state
        .stores
        .find(&state.db, first.platform, &first.domain, true)
        .await?;
    if let Some(store) = fresh.iter().find(matches) {
        return Ok(store.clone());
    }
    let store = first;
    metrics::counter!("dropflow_webhook_signature_failures_total", "platform" => store.platform.as_str()).increment(1);
    Err(ApiError::Unauthorized(
        "the webhook signature does not match the store's secret".into(),
    ))
}

fn ack(status: &'static str, order_id: Option<String>) -> Json<WebhookAck> {
    Json(WebhookAck { status, order_id })
}
