//! Outbound webhooks: each endpoint receives its store's order events in id order, in
//! batches, as JSON signed with the endpoint's secret:
//!
//! `X-Dropflow-Timestamp: <unix seconds>` and
//! `X-Dropflow-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`
//! (the timestamp inside the signature lets receivers refuse replays of old deliveries).
//!
//! The endpoint's cursor moves only after a 2xx answer, in one transaction with clearing its
//! error; any other answer or no answer records the error and the next try (exponential
//! backoff with jitter) and resends the same events then, so none is skipped and the order
//! holds. Delivery is at least once: a receiver that answered 2xx after a crash of ours may
//! see a batch again, and dedupes by event id.

use super::endpoints::{self, Target};
use super::{cursor, stream, EventsConfig};
use crate::outbound::{Endpoint, HttpError};
use crate::storage::{now_ms, Database, StorageError};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

/// The signature header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", endpoints::hex(&mac.finalize().into_bytes()))
}

/// What one endpoint's turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// Another process holds the endpoint, or nothing new.
    Idle,
    /// The cursor moved over events of other stores only.
    Skipped,
    /// A batch of this many events was accepted.
    Delivered(usize),
    /// The endpoint failed; retried later.
    Failed,
}

/// Gives every due endpoint one turn; how many batches were delivered.
pub async fn deliver_due(
    db: &Database,
    client: &Endpoint,
    config: &EventsConfig,
    owner: &str,
) -> Result<usize, StorageError> {
    let mut delivered = 0;
    for target in endpoints::due(db, now_ms()).await? {
        if let Turn::Delivered(_) = turn(db, client, config, owner, &target).await? {
            delivered += 1;
        }
    }
    Ok(delivered)
}

/// One batch for one endpoint.
pub async fn turn(
    db: &Database,
    client: &Endpoint,
    config: &EventsConfig,
    owner: &str,
    target: &Target,
) -> Result<Turn, StorageError> {
    let name = endpoints::cursor_name(&target.id);
    if !super::has_news(db, &name, config).await? {
        return Ok(Turn::Idle);
    }
    let Some(from) = cursor::claim(db, &name, owner, config.lease_ms).await? else {
        return Ok(Turn::Idle);
    };
    let upto = stream::horizon(db, from, config.batch, config.gap_grace_ms, now_ms()).await?;
    if upto == from {
        return Ok(Turn::Idle);
    }
    let events = stream::read(db, from, upto, Some(target.store_id)).await?;
    if events.is_empty() {
        let mut tx = db.begin().await?;
        if cursor::advance(&mut tx, &name, owner, from, upto).await? {
            tx.commit().await?;
        }
        return Ok(Turn::Skipped);
    }
    let names = order_names(db, &events).await?;
    let body = json!({
        "endpoint_id": target.id,
        "store_id": target.store_id.to_string(),
        "events": events.iter().map(|e| json!({
            "id": e.id,
            "kind": e.kind,
            "order_id": e.order_id,
            "order_name": names.get(&e.order_id),
            "actor": e.actor,
            "at": e.at,
            "detail": e.detail,
        })).collect::<Vec<_>>(),
    });
    let body = serde_json::to_vec(&body).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    // Registered before the rule, or written to the database directly: still never sent
    // inside the network.
    let refused = reqwest::Url::parse(&target.url)
        .ok()
        .and_then(|url| crate::outbound::refuse_host(&url))
        .filter(|_| !config.reach.allows_private());
    let error = match refused {
        Some(why) => Some(format!("refused: {why}")),
        None => send(client, target, body).await,
    };
    match error {
        None => {
            let mut tx = db.begin().await?;
            if !cursor::advance(&mut tx, &name, owner, from, upto).await? {
                // Replayed (or taken over) meanwhile: the cursor's new position wins.
                return Ok(Turn::Idle);
            }
            endpoints::delivered(&mut tx, &target.id).await?;
            tx.commit().await?;
            tracing::info!(endpoint.id = %target.id, events = events.len(), through = upto, "webhook batch delivered");
            Ok(Turn::Delivered(events.len()))
        }
        Some(error) => {
            let wait = config.webhook_backoff.delay(target.failures + 1);
            endpoints::failed(db, &target.id, &error, now_ms() + wait.as_millis() as i64).await?;
            tracing::warn!(endpoint.id = %target.id, %error, retry_in_ms = wait.as_millis() as u64, "webhook delivery failed; will retry");
            Ok(Turn::Failed)
        }
    }
}

/// The endpoint merchants' webhooks are sent through, with the events' own reach (a
/// merchant types these URLs: public addresses only unless the operator allows otherwise).
pub fn endpoint(config: &EventsConfig) -> Endpoint {
    // Only the status is read: a receiver's body is kept to a few bytes.
    Endpoint::with_reach(
        "webhook",
        "the endpoint",
        config.reach,
        config.webhook_timeout,
    )
    .max_body(4096)
}

/// POSTs one signed batch; the failure in words (never the URL: it may carry credentials).
async fn send(client: &Endpoint, target: &Target, body: Vec<u8>) -> Option<String> {
    let timestamp = now_ms() / 1000;
    let request = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("user-agent", "dropflow-webhooks")
        .header("x-dropflow-timestamp", timestamp.to_string())
        .header(
            "x-dropflow-signature",
            signature(&target.secret, timestamp, &body),
        )
        .body(body);
    match client.send("deliver", request).await {
        Ok(answer) if answer.is_success() => None,
        Ok(answer) => Some(format!("the endpoint answered {}", answer.status)),
        Err(HttpError::Refused { why }) => Some(format!("refused: {why}")),
        Err(HttpError::Timeout { .. }) => Some("no answer in time".to_string()),
        Err(HttpError::Unreachable { .. }) => Some("could not connect".to_string()),
        Err(_) => Some("the request failed".to_string()),
    }
}

async fn order_names(
    db: &Database,
    events: &[stream::StoredEvent],
) -> Result<std::collections::HashMap<String, String>, StorageError> {
    use sqlx::Row;
    let mut names = std::collections::HashMap::new();
    for event in events {
        if names.contains_key(&event.order_id) {
            continue;
        }
        if let Some(row) = sqlx::query("SELECT name FROM orders WHERE id = $1")
            .bind(&event.order_id)
            .fetch_optional(&db.writer)
            .await?
        {
            names.insert(event.order_id.clone(), row.try_get::<String, _>("name")?);
        }
    }
    Ok(names)
}
