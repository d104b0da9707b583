//! Store webhooks. Order of checks, each failing before anything is stored: required headers
//! (400), known store (404), signature over the raw body (401), parseable order (422). Then the
//! delivery goes to the group-commit writer and we answer 200 only after it is on disk; if the
//! commit does not happen within the deadline we answer 503 so the store retries (a retry of a
//! delivery that did commit meanwhile is dropped as a duplicate).

use super::error::ApiError;
use super::extract::RawBody;
use super::HttpState;
use crate::ingest::{Delivery, IngestError, Outcome};
use crate::platforms::{shopify, woocommerce};
use crate::storage::stores::Store;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use dropflow_core::intake::{Platform, StoreOrder};
use serde::Serialize;

/// What a webhook answer says (platforms only look at the status code; this is for people).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    /// `created`, `updated`, `stale`, `duplicate`, `ignored` or `pong`.
    pub status: &'static str,
    pub order_id: Option<String>,
}

pub async fn shopify(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<WebhookAck>, ApiError> {
    let topic = required(&headers, "x-shopify-topic")?;
    let hmac = required(&headers, "x-shopify-hmac-sha256")?;
    let domain = required(&headers, "x-shopify-shop-domain")?;
    let webhook_id = required(&headers, "x-shopify-webhook-id")?;
    // Shopify keeps the event id across re-deliveries of one event; the webhook id is per
    // delivery. Prefer the event id, fall back to the webhook id on older API versions.
    let dedup_key = optional(&headers, "x-shopify-event-id").unwrap_or(webhook_id);

    let stores = store_for(&state, Platform::Shopify, domain).await?;
    let store = verify(&state, &stores, |secret| {
        shopify::verify_webhook(secret, &body, hmac)
    })
    .await?;

    let Some(parsed_topic) = shopify::Topic::parse(topic) else {
        tracing::info!(topic, "ignoring a Shopify topic dropflow does not handle");
        return Ok(ack("ignored", None));
    };
    if !parsed_topic.is_order_topic() {
        // Compliance and app topics are verified and acknowledged; dropflow keeps no
        // customer data beyond orders, which the order lifecycle owns.
        tracing::info!(topic, "acknowledged a non-order Shopify topic");
        return Ok(ack("ignored", None));
    }
    if body.is_empty() {
        return Err(ApiError::BadRequest("the webhook body is empty".into()));
    }
    let order = shopify::parse_order(&body)
        .and_then(|order| state.intake.check(&order).map(|()| order))
        .map_err(|e| ApiError::Unprocessable(format!("not a Shopify order: {e}")))?;
    submit(&state, &store, dedup_key, topic, &body, order).await
}

pub async fn woocommerce(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<WebhookAck>, ApiError> {
    // WooCommerce pings a new webhook with an unsigned form body and disables it unless the
    // answer is 2xx.
    let content_type = optional(&headers, "content-type");
    if optional(&headers, "x-wc-webhook-signature").is_none()
        && woocommerce::is_ping(content_type, &body)
    {
        return Ok(ack("pong", None));
    }
    let signature = required(&headers, "x-wc-webhook-signature")?;
    let topic = required(&headers, "x-wc-webhook-topic")?;
    let source = required(&headers, "x-wc-webhook-source")?;
    let delivery_id = required(&headers, "x-wc-webhook-delivery-id")?;

    let stores = store_for(&state, Platform::Woocommerce, source).await?;
    let store = verify(&state, &stores, |secret| {
        woocommerce::verify_webhook(secret, &body, signature)
    })
    .await?;

    // `order.deleted` carries only an id and follows a trash (which arrives as an
    // `order.updated` with status `trash`, and cancels the order), so it is acknowledged only.
    if !woocommerce::Topic::parse(topic).is_some_and(woocommerce::Topic::carries_order) {
        tracing::info!(topic, "ignoring a WooCommerce topic that carries no order");
        return Ok(ack("ignored", None));
    }
    let order = woocommerce::parse_order(&body)
        .and_then(|order| state.intake.check(&order).map(|()| order))
        .map_err(|e| ApiError::Unprocessable(format!("not a WooCommerce order: {e}")))?;
    // WooCommerce does not retry; its delivery id identifies one delivery, so a replay of the
    // same delivery (a proxy, a manual re-send) is dropped.
    submit(&state, &store, delivery_id, topic, &body, order).await
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

fn required<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, ApiError> {
    optional(headers, name).ok_or_else(|| ApiError::BadRequest(format!("missing header {name}")))
}

fn optional<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn ack(status: &'static str, order_id: Option<String>) -> Json<WebhookAck> {
    Json(WebhookAck { status, order_id })
}
