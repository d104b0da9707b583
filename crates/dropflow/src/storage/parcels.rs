//! Parcels (`shipments` rows) as suppliers report them, and their write-back to the store.
//! (Carrier status updates in bulk live in `shipments.rs`.)

use super::codec::parse_id;
use super::codec::{from_row, RowExt};
use super::shipments::status_text;
use super::{now_ms, query, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, StoreId, SupplierOrderId};
use dropflow_core::intake::Platform;
use dropflow_core::shipment::ShipmentStatus;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A parcel to write: what the supplier said plus what we worked out from the number.
#[derive(Debug, Clone)]
pub struct NewParcel<'a> {
    pub order_id: OrderId,
    pub supplier_order_id: SupplierOrderId,
    pub leg: &'a str,
    pub tracking_number: &'a str,
    pub carrier: Option<&'a str>,
    pub tracking_url: Option<&'a str>,
    pub courier_detected: Option<&'a str>,
    /// `valid`, `invalid` or `unrecognised`.
    pub number_check: &'a str,
    pub status: ShipmentStatus,
    pub next_sync_at: Option<DateTime<Utc>>,
}

/// Inserts the parcel unless the supplier order already has one with this number; returns
/// the new row's id, or `None` for a repeat.
pub async fn insert_once(tx: &mut Tx<'_>, parcel: &NewParcel<'_>) -> Result<Option<String>> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO shipments (id, order_id, supplier_order_id, leg, carrier, tracking_number,
            status, tracking_url, courier_detected, number_check, next_sync_at, created_at,
            updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (supplier_order_id, tracking_number) DO NOTHING",
    )
    .bind(&id)
    .bind(parcel.order_id.to_string())
    .bind(parcel.supplier_order_id.to_string())
    .bind(parcel.leg)
    .bind(parcel.carrier)
    .bind(parcel.tracking_number)
    .bind(status_text(parcel.status))
    .bind(parcel.tracking_url)
    .bind(parcel.courier_detected)
    .bind(parcel.number_check)
    .bind(parcel.next_sync_at.map(|t| t.timestamp_millis()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok((inserted.rows_affected() == 1).then_some(id))
}

/// The leg of goods a customer sends back for an after-sale case.
pub const RETURN_LEG: &str = "customer_return";

/// Records the parcel a customer sends back (no purchase of ours carries it), unless the
/// order already has a return parcel with this number; the new row's id, or `None`. The
/// carrier is followed like any parcel from `next_sync_at`.
pub async fn insert_return(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    number: &str,
    courier: Option<&str>,
    tracking_url: Option<&str>,
    number_check: &str,
    next_sync_at: Option<DateTime<Utc>>,
) -> Result<Option<String>> {
    let known = sqlx::query(
        "SELECT id FROM shipments WHERE order_id = $1 AND leg = $2 AND tracking_number = $3",
    )
    .bind(order_id.to_string())
    .bind(RETURN_LEG)
    .bind(number)
    .fetch_optional(&mut **tx)
    .await?;
    if known.is_some() {
        return Ok(None);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO shipments (id, order_id, supplier_order_id, leg, carrier, tracking_number,
            status, tracking_url, courier_detected, number_check, next_sync_at, created_at,
            updated_at)
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $4, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(order_id.to_string())
    .bind(RETURN_LEG)
    .bind(courier)
    .bind(number)
    .bind(status_text(ShipmentStatus::InfoReceived))
    .bind(tracking_url)
    .bind(number_check)
    .bind(next_sync_at.map(|t| t.timestamp_millis()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(Some(id))
}

/// A parcel as shown on the order page.
#[derive(Debug, Clone)]
pub struct ParcelView {
    pub id: String,
    pub supplier_order_id: Option<String>,
    pub leg: String,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub tracking_url: Option<String>,
    pub courier_detected: Option<String>,
    pub number_check: String,
    pub status: String,
    pub sub_status: Option<String>,
    pub last_event: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub next_sync_at: Option<DateTime<Utc>>,
}

pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<ParcelView>> {
    let rows = sqlx::query(
        "SELECT id, supplier_order_id, leg, tracking_number, carrier, tracking_url,
            courier_detected, number_check, status, sub_status, last_event, last_event_at,
            pushed_at, last_synced_at, next_sync_at
         FROM shipments WHERE order_id = $1 ORDER BY created_at, id",
    )
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(from_row!(r => ParcelView {
                id, supplier_order_id, leg, tracking_number, carrier, tracking_url,
                courier_detected, number_check, status, sub_status, last_event;
                last_event_at: r.at_opt("last_event_at")?,
                pushed_at: r.at_opt("pushed_at")?,
                last_synced_at: r.at_opt("last_synced_at")?,
                next_sync_at: r.at_opt("next_sync_at")?,
            }))
        })
        .collect()
}

/// What writing one parcel back to its store needs.
#[derive(Debug, Clone)]
pub struct ToPush {
    pub id: String,
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub platform: Platform,
    pub store_order_id: String,
    pub supplier_order_id: Option<SupplierOrderId>,
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub tracking_url: Option<String>,
    pub number_check: String,
    pub pushed: bool,
}

pub async fn to_push(db: &Database, id: &str) -> Result<Option<ToPush>> {
    let Some(r) = sqlx::query(
        "SELECT s.id, s.order_id, o.store_id, st.platform, o.external_id, s.supplier_order_id,
            s.tracking_number, s.carrier, s.courier_detected, s.tracking_url, s.number_check,
            s.pushed_at
         FROM shipments s JOIN orders o ON o.id = s.order_id JOIN stores st ON st.id = o.store_id
         WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.reader)
    .await?
    else {
        return Ok(None);
    };
    let platform: String = r.try_get("platform")?;
    let carrier: Option<String> = r.try_get("carrier")?;
    let detected: Option<String> = r.try_get("courier_detected")?;
    Ok(Some(ToPush {
        id: r.try_get("id")?,
        order_id: r.id("order_id")?,
        store_id: r.id("store_id")?,
        platform: Platform::parse(&platform)
            .ok_or_else(|| super::StorageError::Corrupt(format!("stores.platform {platform:?}")))?,
        store_order_id: r.try_get("external_id")?,
        supplier_order_id: r
            .try_get::<Option<String>, _>("supplier_order_id")?
            .map(|s| parse_id("shipments.supplier_order_id", &s))
            .transpose()?,
        tracking_number: r
            .try_get::<Option<String>, _>("tracking_number")?
            .unwrap_or_default(),
        carrier: carrier.or(detected),
        tracking_url: r.try_get("tracking_url")?,
        number_check: r.try_get("number_check")?,
        pushed: r.try_get::<Option<i64>, _>("pushed_at")?.is_some(),
    }))
}

/// The store lines a parcel holds when it was shipped line by line (a vendor's parcel):
/// (store line id, quantity). Empty for a parcel that holds its whole supplier order.
pub async fn parcel_lines(db: &Database, shipment_id: &str) -> Result<Vec<(String, u32)>> {
    let query = sqlx::query(
        "SELECT l.external_id, si.quantity FROM shipment_items si
         JOIN shipments s ON s.id = si.shipment_id
         JOIN order_lines l ON l.order_id = s.order_id AND l.position = si.line_position
         WHERE si.shipment_id = $1 ORDER BY si.line_position",
    )
    .bind(shipment_id);
    query::all(query, &db.reader, store_line).await
}

/// A `(store line id, quantity)` row: the line's `external_id` and a `quantity` of it.
pub(super) fn store_line(r: &AnyRow) -> Result<(String, u32)> {
    Ok((
        r.try_get("external_id")?,
        u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
    ))
}

/// What of each line a supplier order bought is still to ship: (line position, store line
/// id, title, quantity left), in the store's units. A parcel recorded without its lines
/// (supplier-reported, or before lines were recorded) counts as the whole purchase.
pub async fn left_to_ship(
    tx: &mut Tx<'_>,
    supplier_order_id: SupplierOrderId,
) -> Result<Vec<(i64, String, String, i64)>> {
    let whole: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM shipments s WHERE s.supplier_order_id = $1
           AND NOT EXISTS (SELECT 1 FROM shipment_items si WHERE si.shipment_id = s.id)",
    )
    .bind(supplier_order_id.to_string())
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    let rows = sqlx::query(
        "SELECT i.line_position, l.external_id, l.title,
            MAX(COALESCE(i.line_quantity, i.quantity)) AS bought,
            (SELECT CAST(COALESCE(SUM(si.quantity), 0) AS BIGINT) FROM shipment_items si
               JOIN shipments s ON s.id = si.shipment_id
              WHERE s.supplier_order_id = $1 AND si.line_position = i.line_position) AS shipped
         FROM supplier_order_items i
         JOIN supplier_orders so ON so.id = i.supplier_order_id
         JOIN order_lines l ON l.order_id = so.order_id AND l.position = i.line_position
         WHERE i.supplier_order_id = $1
         GROUP BY i.line_position, l.external_id, l.title
         ORDER BY i.line_position",
    )
    .bind(supplier_order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let bought: i64 = r.try_get("bought")?;
            let shipped: i64 = r.try_get("shipped")?;
            let left = if whole > 0 {
                0
            } else {
                (bought - shipped).max(0)
            };
            Ok((
                r.try_get("line_position")?,
                r.try_get("external_id")?,
                r.try_get("title")?,
                left,
            ))
        })
        .collect()
}

/// Whether the supplier order already has a parcel with this number.
pub async fn has_number(
    tx: &mut Tx<'_>,
    supplier_order_id: SupplierOrderId,
    number: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM shipments WHERE supplier_order_id = $1 AND tracking_number = $2",
    )
    .bind(supplier_order_id.to_string())
    .bind(number)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// Records what a parcel holds, line by line.
pub async fn insert_items(tx: &mut Tx<'_>, shipment_id: &str, lines: &[(i64, i64)]) -> Result<()> {
    for (position, quantity) in lines {
        sqlx::query(
            "INSERT INTO shipment_items (shipment_id, line_position, quantity) VALUES ($1, $2, $3)",
        )
        .bind(shipment_id)
        .bind(position)
        .bind(quantity)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The store lines a supplier order covers: (store line id, quantity), one per order line.
/// The quantity is what was bought for the line, but never more than the store's order still
/// holds (a line removed after purchase has 0 left to fulfil there).
pub async fn store_lines(
    db: &Database,
    supplier_order_id: SupplierOrderId,
) -> Result<Vec<(String, u32)>> {
    let rows = sqlx::query(
        "SELECT l.external_id, l.position, l.quantity AS current,
            MAX(COALESCE(i.line_quantity, l.quantity)) AS bought
         FROM supplier_order_items i
         JOIN supplier_orders s ON s.id = i.supplier_order_id
         JOIN order_lines l ON l.order_id = s.order_id AND l.position = i.line_position
         WHERE i.supplier_order_id = $1
         GROUP BY l.external_id, l.position, l.quantity
         ORDER BY l.position",
    )
    .bind(supplier_order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            let current: i64 = r.try_get("current")?;
            let bought: i64 = r.try_get("bought")?;
            Ok((
                r.try_get("external_id")?,
                u32::try_from(current.min(bought).max(0)).unwrap_or(0),
            ))
        })
        .collect()
}

/// Whether, once this parcel is pushed, the whole order is with the store: every live
/// supplier order has shipped and every other parcel is pushed (or flagged, never pushed).
pub async fn completes_order(db: &Database, order_id: OrderId, parcel_id: &str) -> Result<bool> {
    let unshipped: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM supplier_orders WHERE order_id = $1
         AND status NOT IN ('shipped', 'delivered', 'cancelled', 'rejected')",
    )
    .bind(order_id.to_string())
    .fetch_one(&db.reader)
    .await?
    .try_get("n")?;
    let unpushed: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM shipments WHERE order_id = $1 AND id <> $2
         AND pushed_at IS NULL AND number_check <> 'invalid'",
    )
    .bind(order_id.to_string())
    .bind(parcel_id)
    .fetch_one(&db.reader)
    .await?
    .try_get("n")?;
    Ok(unshipped == 0 && unpushed == 0)
}

/// Records that the store now shows the parcel fulfilled.
pub async fn mark_pushed(
    tx: &mut Tx<'_>,
    id: &str,
    store_fulfilment_id: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE shipments SET pushed_at = $1, store_fulfilment_id = $2, updated_at = $1
         WHERE id = $3",
    )
    .bind(now_ms())
    .bind(store_fulfilment_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Parcels due for a carrier check: claims up to `limit` (pushing their next check
/// `lease_ms` ahead) and returns their numbers.
pub async fn claim_due(
    db: &Database,
    now: DateTime<Utc>,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let now_ms = now.timestamp_millis();
    let due = sqlx::query(
        "SELECT id, tracking_number, next_sync_at FROM shipments
         WHERE next_sync_at IS NOT NULL AND next_sync_at <= $1 AND tracking_number IS NOT NULL
         ORDER BY next_sync_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    let mut numbers = Vec::with_capacity(due.len());
    for r in &due {
        let id: String = r.try_get("id")?;
        let seen: i64 = r.try_get("next_sync_at")?;
        if query::claim_next_sync(&mut tx, "shipments", &id, seen, now_ms + lease_ms).await? {
            numbers.push(r.try_get("tracking_number")?);
        }
    }
    tx.commit().await?;
    Ok(numbers)
}

/// Whether every live parcel of the supplier order has been delivered (and there is one).
pub async fn all_delivered(tx: &mut Tx<'_>, supplier_order_id: SupplierOrderId) -> Result<bool> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS total,
            COUNT(CASE WHEN status = 'delivered' THEN 1 END) AS delivered
         FROM shipments WHERE supplier_order_id = $1 AND number_check <> 'invalid'",
    )
    .bind(supplier_order_id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let total: i64 = r.try_get("total")?;
    let delivered: i64 = r.try_get("delivered")?;
    Ok(total > 0 && delivered == total)
}

/// Pushes the next carrier check of parcels the service answered about without news: the
/// bulk apply touches only changed rows, and the follower's claim left these a lease ahead.
pub async fn reschedule(
    tx: &mut Tx<'_>,
    numbers: &[String],
    next_sync_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let now = now_ms();
    for chunk in numbers.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "UPDATE shipments SET next_sync_at = $1, last_synced_at = $2
             WHERE tracking_number IN ({}) AND next_sync_at IS NOT NULL",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(next_sync_at.map(|t| t.timestamp_millis()))
            .bind(now);
        for number in chunk {
            query = query.bind(number);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The other packages of a supplier order, seen in one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Siblings {
    /// One is written back (its store fulfilment id, when known).
    Pushed(Option<String>),
    /// Some exist, none written back yet.
    InFlight,
    None,
}

pub async fn sibling_state(
    db: &Database,
    supplier_order_id: SupplierOrderId,
    parcel_id: &str,
) -> Result<Siblings> {
    let rows = sqlx::query(
        "SELECT pushed_at, store_fulfilment_id FROM shipments
         WHERE supplier_order_id = $1 AND id <> $2 AND number_check <> 'invalid'",
    )
    .bind(supplier_order_id.to_string())
    .bind(parcel_id)
    .fetch_all(&db.reader)
    .await?;
    if rows.is_empty() {
        return Ok(Siblings::None);
    }
    for r in &rows {
        if r.try_get::<Option<i64>, _>("pushed_at")?.is_some() {
            return Ok(Siblings::Pushed(r.try_get("store_fulfilment_id")?));
        }
    }
    Ok(Siblings::InFlight)
}
