//! `webhook_endpoints`: merchants' URLs that receive their store's order events, with the
//! secret that signs each delivery (returned once, at creation) and the delivery state the
//! merchant sees (last error, next try). Each endpoint's position is its own event cursor,
//! `webhook:<id>`, created with it at the stream's current end.

use super::{cursor, stream};
use crate::storage::codec::{from_row, RowExt};
use crate::storage::{now_ms, Database, Result, StorageError};
use dropflow_core::ids::StoreId;
use rand::RngCore;
use serde::Serialize;
use sqlx::Row;

/// An endpoint as listed (never with its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Endpoint {
    pub id: String,
    #[schema(value_type = String, format = Uuid)]
    pub store_id: StoreId,
    pub url: String,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// Every event up to this id has been delivered.
    pub delivered_through: i64,
    /// Failed deliveries in a row.
    pub failures: i64,
    pub last_error: Option<String>,
    /// When the next try is due after a failure (epoch ms); absent: as soon as there are events.
    pub next_attempt_at: Option<i64>,
    pub last_delivered_at: Option<i64>,
}

/// An endpoint with the secret deliveries are signed with (never logged: `Debug` hides it).
#[derive(Clone)]
pub struct Target {
    pub id: String,
    pub store_id: StoreId,
    pub url: String,
    pub secret: String,
    pub failures: i64,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("id", &self.id)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

/// The cursor of endpoint `id`.
pub fn cursor_name(id: &str) -> String {
    format!("webhook:{id}")
}

/// Creates an endpoint that receives the store's events from now on; its id and its secret.
pub async fn create(db: &Database, store_id: StoreId, url: &str) -> Result<(String, String)> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!("whsec_{}", hex(&bytes));
    let start = stream::last_id(db).await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, store_id, url, secret, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(store_id.to_string())
    .bind(url)
    .bind(&secret)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO event_cursors (name, last_event_id, updated_at) VALUES ($1, $2, $3)")
        .bind(cursor_name(&id))
        .bind(start)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((id, secret))
}

const COLUMNS: &str = "e.id, e.store_id, e.url, e.created_at, e.failures, e.last_error,
    e.next_attempt_at, e.last_delivered_at, c.last_event_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Endpoint> {
    Ok(from_row!(r => Endpoint {
        id, url, created_at, failures, last_error, next_attempt_at, last_delivered_at;
        store_id: r.id("store_id")?,
        delivered_through: r.try_get("last_event_id")?,
    }))
}

/// The store's endpoints, oldest first.
pub async fn list(db: &Database, store_id: StoreId) -> Result<Vec<Endpoint>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints e
         JOIN event_cursors c ON c.name = 'webhook:' || e.id
         WHERE e.store_id = $1 ORDER BY e.created_at, e.id"
    ))
    .bind(store_id.to_string())
    .fetch_all(&db.writer)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One endpoint of the store.
pub async fn get(db: &Database, store_id: StoreId, id: &str) -> Result<Option<Endpoint>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints e
         JOIN event_cursors c ON c.name = 'webhook:' || e.id
         WHERE e.store_id = $1 AND e.id = $2"
    ))
    .bind(store_id.to_string())
    .bind(id)
    .fetch_optional(&db.writer)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Removes an endpoint of the store and its cursor; `NotFound` when it has no such endpoint.
pub async fn delete(db: &Database, store_id: StoreId, id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let gone = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND store_id = $2")
        .bind(id)
        .bind(store_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(StorageError::NotFound);
    }
    cursor::remove(&mut tx, &cursor_name(id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Delivers again from event `from_event_id` on (inclusive), at once.
pub async fn replay(db: &Database, store_id: StoreId, id: &str, from_event_id: i64) -> Result<()> {
    let reset = sqlx::query(
        "UPDATE webhook_endpoints SET failures = 0, next_attempt_at = NULL
         WHERE id = $1 AND store_id = $2",
    )
    .bind(id)
    .bind(store_id.to_string())
    .execute(&db.writer)
    .await?
    .rows_affected();
    if reset == 0 || !cursor::reset(db, &cursor_name(id), from_event_id - 1).await? {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Endpoints whose next try is due at `now`.
pub async fn due(db: &Database, now: i64) -> Result<Vec<Target>> {
    let rows = sqlx::query(
        "SELECT id, store_id, url, secret, failures FROM webhook_endpoints
         WHERE next_attempt_at IS NULL OR next_attempt_at <= $1 ORDER BY id",
    )
    .bind(now)
    .fetch_all(&db.writer)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(from_row!(r => Target {
                id, url, secret, failures;
                store_id: r.id("store_id")?,
            }))
        })
        .collect()
}

/// Records a delivered batch's outcome on the endpoint.
pub async fn delivered(tx: &mut crate::storage::Tx<'_>, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET failures = 0, last_error = NULL, next_attempt_at = NULL,
            last_delivered_at = $1 WHERE id = $2",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a failed try and when to try again.
pub async fn failed(db: &Database, id: &str, error: &str, next_attempt_at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET failures = failures + 1, last_error = $1,
            next_attempt_at = $2 WHERE id = $3",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(id)
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
