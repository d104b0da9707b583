//! The store's catalogue as dropflow knows it (`store_variants`, migration 0041): each
//! variant as the store showed it when last read or written, what dropflow last did to it,
//! and whether its suppliers changed since (`write_due_at`).
//!
//! Marking: a mapping written ([`mark_mapped_due`]) or a supplier SKU read different
//! ([`mark_offer_due`], through `mapping_offers`) sets `write_due_at` to now. The follower
//! leases a store's due rows ([`lease_due`]: `write_due_at` pushed to the lease's end) and
//! queues one writer job carrying the lease; the writer clears a row only if it still holds
//! that lease ([`record`]), so a change that lands while it writes is written next time.

use super::{Database, Result, Tx};
use crate::storage::catalog::KeyKind;
use dropflow_core::ids::StoreId;
use sqlx::Row;

/// A variant as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadVariant {
    pub variant_id: String,
    pub product_id: String,
    pub sku: Option<String>,
    pub title: String,
    pub inventory_item_id: Option<String>,
    pub price_minor: i64,
    pub stock: Option<i64>,
    pub published: bool,
}

/// A variant's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVariant {
    pub shown: ReadVariant,
    pub unpublished_by_us: bool,
    pub read_at: i64,
    pub write_due_at: Option<i64>,
    /// `inventory::Writes` as JSON.
    pub last_write: Option<String>,
    pub last_write_at: Option<i64>,
    pub write_error: Option<String>,
    pub held_price_minor: Option<i64>,
    pub approved_price_minor: Option<i64>,
}

const COLUMNS: &str = "variant_id, product_id, sku, title, inventory_item_id, price_minor, stock,
    published, unpublished_by_us, read_at, write_due_at, last_write, last_write_at, write_error,
    held_price_minor, approved_price_minor";

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredVariant> {
    Ok(StoredVariant {
        shown: ReadVariant {
            variant_id: row.try_get("variant_id")?,
            product_id: row.try_get("product_id")?,
            sku: row.try_get("sku")?,
            title: row.try_get("title")?,
            inventory_item_id: row.try_get("inventory_item_id")?,
            price_minor: row.try_get("price_minor")?,
            stock: row.try_get("stock")?,
            published: row.try_get::<i64, _>("published")? != 0,
        },
        unpublished_by_us: row.try_get::<i64, _>("unpublished_by_us")? != 0,
        read_at: row.try_get("read_at")?,
        write_due_at: row.try_get("write_due_at")?,
        last_write: row.try_get("last_write")?,
        last_write_at: row.try_get("last_write_at")?,
        write_error: row.try_get("write_error")?,
        held_price_minor: row.try_get("held_price_minor")?,
        approved_price_minor: row.try_get("approved_price_minor")?,
    })
}

/// Keeps what the store shows for `variants` (asked for at `fetched_at`), each marked due
/// so the writer compares it with its suppliers. A variant dropflow wrote after the page was
/// asked for keeps what was written: the page shows the store from before that write. A
/// variant the store shows on sale again was put back by the merchant: no longer ours to
/// publish or hide.
pub async fn upsert_read(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    variants: &[ReadVariant],
    fetched_at: i64,
    now_ms: i64,
) -> Result<()> {
    for v in variants {
        sqlx::query(
            "INSERT INTO store_variants (store_id, variant_id, product_id, sku, title,
                inventory_item_id, price_minor, stock, published, unpublished_by_us, read_at,
                write_due_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10)
             ON CONFLICT (store_id, variant_id) DO UPDATE SET
                product_id = excluded.product_id, sku = excluded.sku, title = excluded.title,
                inventory_item_id = excluded.inventory_item_id,
                price_minor = CASE WHEN store_variants.last_write_at > $11
                    THEN store_variants.price_minor ELSE excluded.price_minor END,
                stock = CASE WHEN store_variants.last_write_at > $11
                    THEN store_variants.stock ELSE excluded.stock END,
                published = CASE WHEN store_variants.last_write_at > $11
                    THEN store_variants.published ELSE excluded.published END,
                unpublished_by_us = CASE WHEN store_variants.last_write_at > $11
                    THEN store_variants.unpublished_by_us
                    WHEN excluded.published = 1 THEN 0
                    ELSE store_variants.unpublished_by_us END,
                read_at = excluded.read_at, write_due_at = excluded.write_due_at",
        )
        .bind(store_id.to_string())
        .bind(&v.variant_id)
        .bind(&v.product_id)
        .bind(&v.sku)
        .bind(&v.title)
        .bind(&v.inventory_item_id)
        .bind(v.price_minor)
        .bind(v.stock)
        .bind(i64::from(v.published))
        .bind(now_ms)
        .bind(fetched_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Forgets the variants a whole read that began at `read_since` did not see (deleted in the
/// store).
pub async fn forget_unseen(tx: &mut Tx<'_>, store_id: StoreId, read_since: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM store_variants WHERE store_id = $1 AND read_at < $2")
        .bind(store_id.to_string())
        .bind(read_since)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Marks the variant a mapping names (by variant id or SKU) due a comparison.
pub async fn mark_mapped_due(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    key_kind: KeyKind,
    key_value: &str,
    now_ms: i64,
) -> Result<()> {
    let column = match key_kind {
        KeyKind::Variant => "variant_id",
        KeyKind::Sku => "sku",
    };
    sqlx::query(&format!(
        "UPDATE store_variants SET write_due_at = $3 WHERE store_id = $1 AND {column} = $2"
    ))
    .bind(store_id.to_string())
    .bind(key_value)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks every store variant mapped to the supplier SKU due a comparison (its stock or cost
/// was read different), in one statement: the variants its mappings name by variant id, and
/// those carrying a SKU its mappings name. (Written as a LEFT JOIN, not a UNION: SQLite
/// scans the whole table for a row-value IN over a compound select, and both engines look
/// each variant up by primary key this way.) The number marked.
pub async fn mark_offer_due(
    tx: &mut Tx<'_>,
    supplier: &str,
    supplier_sku_id: &str,
    now_ms: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE store_variants SET write_due_at = $3
         WHERE (store_id, variant_id) IN (
            SELECT o.store_id,
                CASE WHEN o.key_kind = 'variant' THEN o.key_value ELSE v.variant_id END
            FROM mapping_offers o
            LEFT JOIN store_variants v
                ON o.key_kind = 'sku' AND v.store_id = o.store_id AND v.sku = o.key_value
            WHERE o.supplier = $1 AND o.supplier_sku_id = $2)",
    )
    .bind(supplier)
    .bind(supplier_sku_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// The stores with variants due a comparison now.
pub async fn stores_due(db: &Database, now_ms: i64, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT store_id FROM store_variants
         WHERE write_due_at IS NOT NULL AND write_due_at <= $1 LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("store_id")?))
        .collect()
}

/// Leases the store's due variants until `lease_until` (their `write_due_at`); the number
/// leased (0: another process took them first).
pub async fn lease_due(
    tx: &mut Tx<'_>,
    store_id: &str,
    now_ms: i64,
    lease_until: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE store_variants SET write_due_at = $3
         WHERE store_id = $1 AND write_due_at IS NOT NULL AND write_due_at <= $2",
    )
    .bind(store_id)
    .bind(now_ms)
    .bind(lease_until)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// The variants a lease holds, in variant order, `limit` after `after`.
pub async fn leased(
    db: &Database,
    store_id: StoreId,
    lease_until: i64,
    after: &str,
    limit: i64,
) -> Result<Vec<StoredVariant>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM store_variants
         WHERE store_id = $1 AND write_due_at = $2 AND variant_id > $3
         ORDER BY variant_id LIMIT $4"
    ))
    .bind(store_id.to_string())
    .bind(lease_until)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The variants of `product_id` (a platform that publishes whole products asks whether all
/// of them are sold out).
pub async fn of_product(
    db: &Database,
    store_id: StoreId,
    product_id: &str,
) -> Result<Vec<StoredVariant>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM store_variants WHERE store_id = $1 AND product_id = $2"
    ))
    .bind(store_id.to_string())
    .bind(product_id)
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What the writer settled for one leased variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub variant_id: String,
    /// What the store shows now (after the write that landed, or as before).
    pub stock: Option<i64>,
    pub published: bool,
    pub unpublished_by_us: bool,
    pub price_minor: i64,
    /// The write made, as JSON, when one landed.
    pub wrote: Option<String>,
    /// The store's refusal, when it refused.
    pub refused: Option<String>,
    /// A rise held for a person (`None`: none held).
    pub held_price_minor: Option<i64>,
}

/// Records what the writer settled for a leased variant; the row stops being due unless it
/// was marked again since the lease. What the store shows is changed only by a write that
/// landed (a read of the store meanwhile keeps what it found).
pub async fn record(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    lease_until: i64,
    settled: &Settled,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE store_variants SET
            stock = CASE WHEN $7 IS NULL THEN stock ELSE $3 END,
            published = CASE WHEN $7 IS NULL THEN published ELSE $4 END,
            unpublished_by_us = CASE WHEN $7 IS NULL THEN unpublished_by_us ELSE $5 END,
            price_minor = CASE WHEN $7 IS NULL THEN price_minor ELSE $6 END,
            last_write = COALESCE($7, last_write),
            last_write_at = CASE WHEN $7 IS NULL THEN last_write_at ELSE $9 END,
            write_error = CASE WHEN $8 IS NOT NULL THEN $8
                WHEN $7 IS NOT NULL THEN NULL ELSE write_error END,
            held_price_minor = $10,
            write_due_at = CASE WHEN write_due_at = $11 THEN NULL ELSE write_due_at END
         WHERE store_id = $1 AND variant_id = $2",
    )
    .bind(store_id.to_string())
    .bind(&settled.variant_id)
    .bind(settled.stock)
    .bind(i64::from(settled.published))
    .bind(i64::from(settled.unpublished_by_us))
    .bind(settled.price_minor)
    .bind(&settled.wrote)
    .bind(&settled.refused)
    .bind(now_ms)
    .bind(settled.held_price_minor)
    .bind(lease_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every variant of a product put on sale or hidden whole by dropflow (a platform that
/// publishes products, not variants).
pub async fn set_product_published(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    product_id: &str,
    published: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE store_variants SET published = $3, unpublished_by_us = $4
         WHERE store_id = $1 AND product_id = $2",
    )
    .bind(store_id.to_string())
    .bind(product_id)
    .bind(i64::from(published))
    .bind(i64::from(!published))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A person approves the held rise to `price_minor` (exactly what was held: a rise held
/// since at another price is not approved by this); the variant is marked due. `false` when
/// no such rise is held.
pub async fn approve_price(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    variant_id: &str,
    price_minor: i64,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE store_variants SET approved_price_minor = $3, write_due_at = $4
         WHERE store_id = $1 AND variant_id = $2 AND held_price_minor = $3",
    )
    .bind(store_id.to_string())
    .bind(variant_id)
    .bind(price_minor)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Notes that the store's whole catalogue was read at `at`.
pub async fn catalogue_read(tx: &mut Tx<'_>, store_id: StoreId, at: i64) -> Result<()> {
    sqlx::query("UPDATE stores SET catalogue_read_at = $2 WHERE id = $1")
        .bind(store_id.to_string())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores with Admin API access whose catalogue was last read before `before` (or never):
/// due a whole read.
pub async fn stores_due_a_read(db: &Database, before: i64, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM stores
         WHERE admin_url IS NOT NULL AND admin_key IS NOT NULL
           AND (catalogue_read_at IS NULL OR catalogue_read_at < $1)
         ORDER BY id LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("id")?))
        .collect()
}

/// The store's variants named by `variant_ids` or carrying one of `skus` (a page of the
/// products list), in one statement.
pub async fn of_keys(
    db: &Database,
    store_id: StoreId,
    variant_ids: &[&str],
    skus: &[&str],
) -> Result<Vec<StoredVariant>> {
    let mut clauses = Vec::new();
    let mut next = 2;
    for (column, values) in [("variant_id", variant_ids), ("sku", skus)] {
        if values.is_empty() {
            continue;
        }
        let marks: Vec<String> = (0..values.len())
            .map(|i| format!("${}", next + i))
            .collect();
        next += values.len();
        clauses.push(format!("{column} IN ({})", marks.join(", ")));
    }
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM store_variants WHERE store_id = $1 AND ({})",
        clauses.join(" OR ")
    );
    let mut query = sqlx::query(&sql).bind(store_id.to_string());
    for value in variant_ids.iter().chain(skus.iter()) {
        query = query.bind(*value);
    }
    let rows = query.fetch_all(&db.reader).await?;
    rows.iter().map(from_row).collect()
}
