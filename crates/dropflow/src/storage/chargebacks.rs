//! Payment disputes on orders (`dropflow_core::after_sale::dispute`): one row per store
//! dispute, written inside the caller's transaction after `orders::lock`, so two deliveries
//! of one dispute are decided one after the other. [`upsert`] keeps the latest stage: a late
//! delivery of an earlier status is reported stale and writes nothing.

use super::codec::{from_row, parse_id, RowExt};
use super::{now_ms, query, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::after_sale::dispute::{self as core, DisputeStatus, Progress, StoreDispute};
use dropflow_core::ids::{OrderId, StoreId};
use sqlx::any::AnyRow;
use sqlx::Row;

/// One dispute as stored.
#[derive(Debug, Clone)]
pub struct StoredChargeback {
    pub id: String,
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub store_dispute_id: String,
    /// `chargeback` or `inquiry`.
    pub kind: String,
    /// The store's word (`needs_response`, `won`…).
    pub status: String,
    pub reason: Option<String>,
    pub network_reason_code: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub evidence_due_by: Option<DateTime<Utc>>,
    pub evidence_sent_on: Option<DateTime<Utc>>,
    pub finalized_on: Option<DateTime<Utc>>,
    pub initiated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredChargeback {
    /// What a new delivery is compared with.
    fn recorded(&self) -> core::Recorded {
        core::Recorded {
            status: DisputeStatus::parse(&self.status),
            amount_minor: self.amount_minor,
            evidence_due_by_ms: self.evidence_due_by.map(|t| t.timestamp_millis()),
            finalized_on_ms: self.finalized_on.map(|t| t.timestamp_millis()),
        }
    }
}

const COLUMNS: &str = "c.id, c.order_id, c.store_id, c.store_dispute_id, c.kind, c.status, \
    c.reason, c.network_reason_code, c.amount_minor, c.currency, c.evidence_due_by, \
    c.evidence_sent_on, c.finalized_on, c.initiated_at, c.created_at, c.updated_at";

fn from_db(r: &AnyRow) -> Result<StoredChargeback> {
    Ok(from_row!(r => StoredChargeback {
        id, store_dispute_id, kind, status, reason, network_reason_code, amount_minor,
        currency;
        order_id: parse_id("chargebacks.order_id", &r.try_get::<String, _>("order_id")?)?,
        store_id: parse_id("chargebacks.store_id", &r.try_get::<String, _>("store_id")?)?,
        evidence_due_by: r.at_opt("evidence_due_by")?,
        evidence_sent_on: r.at_opt("evidence_sent_on")?,
        finalized_on: r.at_opt("finalized_on")?,
        initiated_at: r.at_opt("initiated_at")?,
        created_at: r.at("created_at")?,
        updated_at: r.at("updated_at")?,
    }))
}

/// What [`upsert`] did.
#[derive(Debug, Clone)]
pub struct Upserted {
    pub progress: Progress,
    /// The status recorded before, when there was a record.
    pub previous_status: Option<String>,
    /// The row as it stands afterwards.
    pub row: StoredChargeback,
}

/// Records `dispute` against `order_id`, keyed by the store's dispute id: inserted when new,
/// updated when it moves forward, left as it is when it is the same or stale. Call after
/// `orders::lock` on the order.
pub async fn upsert(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    store_id: StoreId,
    dispute: &StoreDispute,
) -> Result<Upserted> {
    let known = by_store_dispute(tx, store_id, &dispute.dispute_id).await?;
    let progress = core::progress(known.as_ref().map(|k| k.recorded()).as_ref(), dispute);
    let now = now_ms();
    let id = match (&progress, &known) {
        (Progress::Same | Progress::Stale, Some(row)) => {
            return Ok(Upserted {
                progress,
                previous_status: Some(row.status.clone()),
                row: row.clone(),
            })
        }
        (_, Some(row)) => {
            let update = sqlx::query(
                "UPDATE chargebacks SET kind = $1, status = $2, reason = $3,
                    network_reason_code = $4, amount_minor = $5, currency = $6,
                    evidence_due_by = $7, evidence_sent_on = $8, finalized_on = $9,
                    initiated_at = $10, updated_at = $11
                 WHERE id = $12",
            );
            bind_dispute(update, dispute)
                .bind(now)
                .bind(&row.id)
                .execute(&mut **tx)
                .await?;
            row.id.clone()
        }
        (_, None) => {
            let id = uuid::Uuid::now_v7().to_string();
            let insert = sqlx::query(
                "INSERT INTO chargebacks (id, order_id, store_id, store_dispute_id, kind, status,
                    reason, network_reason_code, amount_minor, currency, evidence_due_by,
                    evidence_sent_on, finalized_on, initiated_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
            )
            .bind(&id)
            .bind(order_id.to_string())
            .bind(store_id.to_string())
            .bind(&dispute.dispute_id);
            bind_dispute(insert, dispute)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            id
        }
    };
    let sql = format!("SELECT {COLUMNS} FROM chargebacks c WHERE c.id = $1");
    let row = query::one(sqlx::query(&sql).bind(&id), &mut **tx, from_db)
        .await?
        .ok_or(super::StorageError::NotFound)?;
    Ok(Upserted {
        progress,
        previous_status: known.map(|k| k.status),
        row,
    })
}

/// `query` with what the store says of the dispute bound after what it already has, in the
/// columns' order: kind, status, reason, network_reason_code, amount_minor, currency,
/// evidence_due_by, evidence_sent_on, finalized_on, initiated_at.
fn bind_dispute<'q>(query: query::Query<'q>, dispute: &'q StoreDispute) -> query::Query<'q> {
    query
        .bind(dispute.kind.as_str())
        .bind(dispute.status.as_str())
        .bind(dispute.reason.as_deref())
        .bind(dispute.network_reason_code.as_deref())
        .bind(dispute.amount.minor)
        .bind(dispute.amount.currency.code())
        .bind(dispute.evidence_due_by_ms)
        .bind(dispute.evidence_sent_on_ms)
        .bind(dispute.finalized_on_ms)
        .bind(dispute.initiated_at_ms)
}

async fn by_store_dispute(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    dispute_id: &str,
) -> Result<Option<StoredChargeback>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM chargebacks c WHERE c.store_id = $1 AND c.store_dispute_id = $2"
    );
    let query = sqlx::query(&sql)
        .bind(store_id.to_string())
        .bind(dispute_id);
    query::one(query, &mut **tx, from_db).await
}

/// Every dispute of an order, oldest first.
pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<StoredChargeback>> {
    let sql = format!("SELECT {COLUMNS} FROM chargebacks c WHERE c.order_id = $1 ORDER BY c.id");
    query::all(
        sqlx::query(&sql).bind(order_id.to_string()),
        &db.reader,
        from_db,
    )
    .await
}

/// One dispute, if `scope` sees its order.
pub async fn get(
    db: &Database,
    scope: &super::accounts::Scope,
    id: &str,
) -> Result<Option<StoredChargeback>> {
    let mut binds = vec![id.to_string()];
    let condition = scope.order_condition("o.", &mut binds);
    let sql = format!(
        "SELECT {COLUMNS} FROM chargebacks c JOIN orders o ON o.id = c.order_id
         WHERE c.id = $1 AND {condition}"
    );
    query::one(query::with_binds(&sql, &binds), &db.reader, from_db).await
}
