//! What each supplier offer's stock and cost were when last read at the supplier, and when to
//! read them next (`offer_readings`, migration 0040); every read that found a change is kept in
//! `offer_reading_history`. One row per supplier SKU, shared by every store that maps it.

use super::{Database, Result, Tx};
use sqlx::Row;
use std::collections::BTreeMap;

/// An offer by supplier (`cj`; a manual vendor's `manual:<handle>`, two vendors being two
/// suppliers) and SKU.
pub type OfferKey = (String, String);

/// The key an offer's readings are kept under.
pub fn key_of(offer: &dropflow_core::catalog::Offer) -> OfferKey {
    let supplier = match offer.supplier.kind {
        dropflow_core::supplier::SupplierKind::Manual => offer.supplier.label(),
        kind => kind.as_str().to_string(),
    };
    (supplier, offer.supplier_sku_id.clone())
}

/// An offer to follow: what identifies it at the supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub supplier: String,
    pub supplier_sku_id: String,
    pub supplier_product_id: String,
    pub ship_to: String,
}

/// One offer's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub offer: Tracked,
    pub stock: Option<i64>,
    pub unit_cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub read_at: Option<i64>,
    pub changed_at: Option<i64>,
    pub refused_for_stock_at: Option<i64>,
    pub next_read_at: i64,
    /// Why the supplier does not sell it any more, as it said.
    pub note: Option<String>,
}

/// A reading to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub stock: Option<i64>,
    pub unit_cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub note: Option<String>,
    pub read_at: i64,
}

/// Follows `offers` from now on: an offer never seen is due at once; one already followed
/// keeps its pace.
pub async fn track(tx: &mut Tx<'_>, offers: &[Tracked], now_ms: i64) -> Result<()> {
    for o in offers {
        sqlx::query(
            "INSERT INTO offer_readings
                 (supplier, supplier_sku_id, supplier_product_id, ship_to, next_read_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (supplier, supplier_sku_id) DO NOTHING",
        )
        .bind(&o.supplier)
        .bind(&o.supplier_sku_id)
        .bind(&o.supplier_product_id)
        .bind(&o.ship_to)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const COLUMNS: &str = "supplier, supplier_sku_id, supplier_product_id, ship_to, stock, \
                       unit_cost_minor, currency, read_at, changed_at, refused_for_stock_at, \
                       next_read_at, note";

fn standing(row: &sqlx::any::AnyRow) -> Result<Standing> {
    Ok(Standing {
        offer: Tracked {
            supplier: row.try_get("supplier")?,
            supplier_sku_id: row.try_get("supplier_sku_id")?,
            supplier_product_id: row.try_get("supplier_product_id")?,
            ship_to: row.try_get("ship_to")?,
        },
        stock: row.try_get("stock")?,
        unit_cost_minor: row.try_get("unit_cost_minor")?,
        currency: row.try_get("currency")?,
        read_at: row.try_get("read_at")?,
        changed_at: row.try_get("changed_at")?,
        refused_for_stock_at: row.try_get("refused_for_stock_at")?,
        next_read_at: row.try_get("next_read_at")?,
        note: row.try_get("note")?,
    })
}

/// The rows of those of `keys` that are followed (the products list, the catalogue writer's
/// batch): one statement per supplier and up to 256 SKUs, not one per key.
pub async fn of(db: &Database, keys: &[OfferKey]) -> Result<BTreeMap<OfferKey, Standing>> {
    let mut by_supplier: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (supplier, sku) in keys {
        by_supplier.entry(supplier).or_default().push(sku);
    }
    let mut found = BTreeMap::new();
    for (supplier, skus) in by_supplier {
        for chunk in super::write_set::chunks(&skus) {
            let sql = format!(
                "SELECT {COLUMNS} FROM offer_readings
                 WHERE supplier = $1 AND supplier_sku_id IN ({})",
                super::query::params(2, chunk.len())
            );
            let query = chunk
                .iter()
                .fold(sqlx::query(&sql).bind(supplier), |q, sku| q.bind(*sku));
            for row in query.fetch_all(&db.reader).await? {
                let standing = standing(&row)?;
                let key = (
                    standing.offer.supplier.clone(),
                    standing.offer.supplier_sku_id.clone(),
                );
                found.insert(key, standing);
            }
        }
    }
    Ok(found)
}

/// Claims up to `limit` offers due a read: each one's next read is pushed `lease_ms` ahead
/// with a compare-and-set, so processes sharing the database never read one twice.
pub async fn claim_due(
    db: &Database,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<OfferKey>> {
    let rows = sqlx::query(
        "SELECT supplier, supplier_sku_id, next_read_at FROM offer_readings
         WHERE next_read_at <= $1 ORDER BY next_read_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    let mut claimed = Vec::new();
    if rows.is_empty() {
        return Ok(claimed);
    }
    let mut tx = db.begin().await?;
    for row in &rows {
        let key: OfferKey = (row.try_get("supplier")?, row.try_get("supplier_sku_id")?);
        let seen: i64 = row.try_get("next_read_at")?;
        let won = sqlx::query(
            "UPDATE offer_readings SET next_read_at = $1
             WHERE supplier = $2 AND supplier_sku_id = $3 AND next_read_at = $4",
        )
        .bind(now_ms + lease_ms)
        .bind(&key.0)
        .bind(&key.1)
        .bind(seen)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if won {
            claimed.push(key);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// One offer's row, if followed.
pub async fn load(db: &Database, key: &OfferKey) -> Result<Option<Standing>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM offer_readings WHERE supplier = $1 AND supplier_sku_id = $2"
    ))
    .bind(&key.0)
    .bind(&key.1)
    .fetch_optional(&db.reader)
    .await?;
    row.as_ref().map(standing).transpose()
}

/// Records `reading` and when to read next; a change of stock or cost goes into the
/// history too. The stock read before (`None`: never read, or not said).
pub async fn record(
    tx: &mut Tx<'_>,
    key: &OfferKey,
    reading: &Reading,
    changed: bool,
    next_read_at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE offer_readings SET stock = $1, unit_cost_minor = $2, currency = $3, note = $4,
             read_at = $5, changed_at = CASE WHEN $6 = 1 THEN $5 ELSE changed_at END,
             next_read_at = $7
         WHERE supplier = $8 AND supplier_sku_id = $9",
    )
    .bind(reading.stock)
    .bind(reading.unit_cost_minor)
    .bind(reading.currency.as_deref())
    .bind(reading.note.as_deref())
    .bind(reading.read_at)
    .bind(i64::from(changed))
    .bind(next_read_at)
    .bind(&key.0)
    .bind(&key.1)
    .execute(&mut **tx)
    .await?;
    if changed {
        sqlx::query(
            "INSERT INTO offer_reading_history
                 (supplier, supplier_sku_id, stock, unit_cost_minor, currency, read_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.0)
        .bind(&key.1)
        .bind(reading.stock)
        .bind(reading.unit_cost_minor)
        .bind(reading.currency.as_deref())
        .bind(reading.read_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Puts the next read off to `next_read_at` without a reading (the supplier cannot be asked).
pub async fn postpone(db: &Database, key: &OfferKey, next_read_at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE offer_readings SET next_read_at = $1 WHERE supplier = $2 AND supplier_sku_id = $3",
    )
    .bind(next_read_at)
    .bind(&key.0)
    .bind(&key.1)
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// A placement was just refused for stock: the offer is read again at once.
pub async fn refused_for_stock(tx: &mut Tx<'_>, key: &OfferKey, now_ms: i64) -> Result<()> {
    sqlx::query(
        "UPDATE offer_readings SET refused_for_stock_at = $1, next_read_at = $1
         WHERE supplier = $2 AND supplier_sku_id = $3",
    )
    .bind(now_ms)
    .bind(&key.0)
    .bind(&key.1)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The last stock read of an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockRead {
    pub stock: i64,
    pub read_at: i64,
    /// When a read last found stock or cost different (0: never).
    pub changed_at: i64,
}

/// The last stock read of each of `keys` that has one: what routing trusts over a mapping's
/// own figure written before it.
pub async fn stock_read(
    tx: &mut Tx<'_>,
    keys: &[OfferKey],
) -> Result<BTreeMap<OfferKey, StockRead>> {
    let mut read = BTreeMap::new();
    for key in keys {
        let row = sqlx::query(
            "SELECT stock, read_at, changed_at FROM offer_readings
             WHERE supplier = $1 AND supplier_sku_id = $2
               AND stock IS NOT NULL AND read_at IS NOT NULL",
        )
        .bind(&key.0)
        .bind(&key.1)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            let changed_at: Option<i64> = row.try_get("changed_at")?;
            let found = StockRead {
                stock: row.try_get("stock")?,
                read_at: row.try_get("read_at")?,
                changed_at: changed_at.unwrap_or(0),
            };
            read.insert(key.clone(), found);
        }
    }
    Ok(read)
}

/// Units bought through the offer since `since_ms` (live purchases): how well it sells.
pub async fn sold_since(db: &Database, key: &OfferKey, since_ms: i64) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) AS n FROM supplier_order_items i
         JOIN supplier_orders s ON s.id = i.supplier_order_id
         WHERE s.supplier = $1 AND i.supplier_sku_id = $2 AND s.created_at >= $3
           AND s.status NOT IN ('cancelled', 'rejected')",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(since_ms)
    .fetch_one(&db.reader)
    .await?;
    Ok(row.try_get("n")?)
}
