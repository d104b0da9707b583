//! Webhook deliveries kept verbatim. The unique `(store_id, dedup_key)` is what makes a
//! re-delivered webhook a no-op; timeline events point at the receipt that caused them.
//!
//! The stored key is the topic and the platform's key together ([`stored_key`]): Shopify's
//! `X-Shopify-Event-Id` names an event, and one event can reach us under several topics
//! (`orders/create` and `orders/paid` from one checkout), each of which must be applied; only
//! the same topic again is a duplicate. Migration 0021 rewrote the keys stored before.

use super::codec::{from_row, RowExt};

use super::{now_ms, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{ReceiptId, StoreId};
use sqlx::Row;
use std::collections::HashSet;

/// A delivery to keep.
pub struct NewReceipt<'a> {
    pub id: ReceiptId,
    pub store_id: StoreId,
    pub dedup_key: &'a str,
    pub topic: &'a str,
    pub body: &'a str,
}

/// The key a receipt is stored under: `"<topic> <platform key>"` (topics have no spaces).
pub fn stored_key(topic: &str, dedup_key: &str) -> String {
    format!("{topic} {dedup_key}")
}

/// Inserts the receipts that are new and returns their ids; a receipt whose dedup key was
/// already stored (or appears earlier in `receipts`) is skipped and absent from the result.
pub async fn insert_new(tx: &mut Tx<'_>, receipts: &[NewReceipt<'_>]) -> Result<HashSet<String>> {
    let now = now_ms();
    let mut inserted = HashSet::new();
    for chunk in super::write_set::chunks(receipts) {
        let values =
            super::write_set::placeholders(super::write_set::ParamStyle::of(tx), chunk.len(), 6);
        let sql = format!(
            "INSERT INTO webhook_receipts (id, store_id, dedup_key, topic, received_at, body)
             VALUES {values} ON CONFLICT (store_id, dedup_key) DO NOTHING RETURNING id"
        );
        let mut query = sqlx::query(&sql);
        for r in chunk {
            query = query
                .bind(r.id.to_string())
                .bind(r.store_id.to_string())
                .bind(stored_key(r.topic, r.dedup_key))
                .bind(r.topic)
                .bind(now)
                .bind(r.body);
        }
        for row in query.fetch_all(&mut **tx).await? {
            inserted.insert(row.try_get::<String, _>("id")?);
        }
    }
    Ok(inserted)
}

/// A webhook delivery as received.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub id: String,
    pub store_id: dropflow_core::ids::StoreId,
    pub topic: String,
    pub received_at: DateTime<Utc>,
    pub body: String,
}

/// The raw delivery a timeline event points at, for "show me what the store sent".
pub async fn get(db: &Database, id: ReceiptId) -> Result<Option<Receipt>> {
    let row = sqlx::query(
        "SELECT id, store_id, topic, received_at, body FROM webhook_receipts WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&db.reader)
    .await?;
    row.map(|r| {
        Ok(from_row!(r => Receipt {
            id, topic, body;
            store_id: r.id("store_id")?,
            received_at: r.at("received_at")?,
        }))
    })
    .transpose()
}
