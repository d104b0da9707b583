//! Supplier orders: one purchase from one supplier for part of an order, with the items it
//! buys. Created by routing in status `awaiting_placement`, each with a fresh attempt id that
//! goes to the supplier as our reference.

use super::codec::{from_row, RowExt};
use super::{now_ms, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, StoreId, SupplierOrderId};
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::routing::{PlannedItem, PlannedPurchase};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// Writes the planned purchases as supplier orders and, with `place_now` (the store's
/// auto-order), queues their placement.
pub async fn create_from_plan(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    purchases: &[PlannedPurchase],
    place_now: bool,
) -> Result<Vec<SupplierOrderId>> {
    let now = now_ms();
    // The address the supplier will be given, as a fingerprint: an edit after hand-over is
    // told apart from one before.
    let ship_to = sqlx::query("SELECT state FROM orders WHERE id = $1")
        .bind(order_id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<String, _>("state"))
        .transpose()?
        .and_then(|state| serde_json::from_str::<serde_json::Value>(&state).ok())
        .and_then(|state| state["address_fingerprint"].as_str().map(str::to_string));
    let mut ids = Vec::with_capacity(purchases.len());
    for purchase in purchases {
        let id = SupplierOrderId::new();
        let currency = purchase
            .items
            .first()
            .map(|i| i.unit_cost.currency.code().to_string());
        // The goods and each item's shipping: what the supplier (a vendor: what it earns) is
        // owed for the purchase.
        let cost: i64 = purchase.items.iter().map(PlannedItem::cost_minor).sum();
        sqlx::query(
            "INSERT INTO supplier_orders (id, order_id, supplier, supplier_account, status,
                attempt_id, cost_minor, currency, created_at, updated_at, ship_to_fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
        )
        .bind(id.to_string())
        .bind(order_id.to_string())
        .bind(purchase.supplier.kind.as_str())
        .bind(&purchase.supplier.account)
        .bind(SupplierOrderStatus::AwaitingPlacement.as_str())
        .bind(uuid::Uuid::now_v7().simple().to_string())
        .bind(cost)
        .bind(currency)
        .bind(now)
        .bind(ship_to.clone())
        .execute(&mut **tx)
        .await?;
        for (position, item) in purchase.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO supplier_order_items (supplier_order_id, position, line_position,
                    supplier_product_id, supplier_sku_id, quantity, unit_cost_minor, currency,
                    product_url, shipping_minor, line_quantity)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                    (SELECT quantity FROM order_lines WHERE order_id = $11 AND position = $3))",
            )
            .bind(id.to_string())
            .bind(position as i64)
            .bind(i64::from(item.line_position))
            .bind(&item.supplier_product_id)
            .bind(&item.supplier_sku_id)
            .bind(i64::from(item.quantity))
            .bind(item.unit_cost.minor)
            .bind(item.unit_cost.currency.code())
            .bind(&item.product_url)
            .bind(item.shipping_cost.map(|s| s.minor))
            .bind(order_id.to_string())
            .execute(&mut **tx)
            .await?;
        }
        if place_now {
            enqueue_job(tx, dropflow_core::jobs::PLACE_SUPPLIER_ORDER, id, order_id).await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The order lines already covered by a live (not cancelled, not rejected) supplier order,
/// which a routing retry must not buy again.
pub async fn routed_lines(tx: &mut Tx<'_>, order_id: OrderId) -> Result<BTreeSet<u32>> {
    let rows = sqlx::query(
        "SELECT DISTINCT i.line_position FROM supplier_order_items i
         JOIN supplier_orders s ON s.id = i.supplier_order_id
         WHERE s.order_id = $1 AND s.status NOT IN ('cancelled', 'rejected')",
    )
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| Ok(u32::try_from(r.try_get::<i64, _>("line_position")?).unwrap_or(u32::MAX)))
        .collect()
}

/// The offers (supplier kind, SKU) that refused this order as out of stock, with when they
/// last did (ms): routing it again leaves them out, so a backup offer takes over, unless the
/// offer's stock was updated since.
pub async fn out_of_stock_offers(
    tx: &mut Tx<'_>,
    order_id: OrderId,
) -> Result<BTreeMap<(String, String), i64>> {
    let rows = sqlx::query(
        "SELECT s.supplier, i.supplier_sku_id, MAX(s.updated_at) AS refused_at
         FROM supplier_orders s
         JOIN supplier_order_items i ON i.supplier_order_id = s.id
         WHERE s.order_id = $1 AND s.status = 'cancelled' AND s.last_error LIKE 'out of stock%'
         GROUP BY s.supplier, i.supplier_sku_id",
    )
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let key = (r.try_get("supplier")?, r.try_get("supplier_sku_id")?);
            Ok((key, r.try_get("refused_at")?))
        })
        .collect()
}

/// The order's supplier orders still waiting to be placed, inside a write transaction.
pub async fn awaiting_placement_in(
    tx: &mut Tx<'_>,
    order_id: OrderId,
) -> Result<Vec<SupplierOrderId>> {
    let rows = sqlx::query(
        "SELECT id FROM supplier_orders WHERE order_id = $1 AND status = 'awaiting_placement'",
    )
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| super::codec::parse_id("supplier_orders.id", &r.try_get::<String, _>("id")?))
        .collect()
}

/// Moves a supplier order from `from` to `to` only if it is still in `from`: the claim that
/// keeps two runners from placing one purchase at once. Whether it moved.
pub async fn compare_and_set_status(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
    from: SupplierOrderStatus,
    to: SupplierOrderStatus,
) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE supplier_orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(to.as_str())
    .bind(now_ms())
    .bind(id.to_string())
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// One item of a supplier order, as shown.
#[derive(Debug, Clone)]
pub struct SupplierOrderItem {
    pub line_position: i64,
    pub line_id: Option<String>,
    pub line_quantity: Option<i64>,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub quantity: i64,
    pub unit_cost_minor: i64,
    pub currency: String,
    pub product_url: Option<String>,
    /// The offer's shipping the item was bought with (once, whatever the quantity).
    pub shipping_minor: Option<i64>,
    pub line_title: Option<String>,
    pub variant_words: Vec<dropflow_core::variant::VariantWord>,
}

/// A supplier order as shown on the order page.
#[derive(Debug, Clone)]
pub struct SupplierOrderView {
    pub id: String,
    pub supplier: String,
    pub supplier_account: String,
    pub status: String,
    pub attempt_id: String,
    pub external_id: Option<String>,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub last_error: Option<String>,
    pub dropship: bool,
    pub items: Vec<SupplierOrderItem>,
    pub placed_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<SupplierOrderView>> {
    let rows = sqlx::query(
        "SELECT id, supplier, supplier_account, status, attempt_id, external_id, cost_minor,
            currency, last_error, placed_at, paid_at, last_synced_at, next_sync_at, created_at,
            updated_at
         FROM supplier_orders WHERE order_id = $1 ORDER BY created_at, id",
    )
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let items = for_order_items(db, super::codec::parse_id("supplier_orders.id", &id)?).await?;
        let supplier: String = r.try_get("supplier")?;
        views.push(from_row!(r => SupplierOrderView {
            supplier_account, status, attempt_id, external_id, cost_minor, currency, last_error;
            id: id,
            dropship: dropflow_core::supplier::SupplierKind::parse(&supplier)
                .is_some_and(|k| k.ships_to_customer()),
            supplier: supplier,
            items: items,
            placed_at: r.at_opt("placed_at")?,
            paid_at: r.at_opt("paid_at")?,
            last_synced_at: r.at_opt("last_synced_at")?,
            next_sync_at: r.at_opt("next_sync_at")?,
            created_at: r.at("created_at")?,
            updated_at: r.at("updated_at")?,
        }));
    }
    Ok(views)
}

/// One supplier order with its items and the store it buys for: what placing, paying and
/// following it need.
#[derive(Debug, Clone)]
pub struct SupplierOrder {
    pub id: SupplierOrderId,
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub supplier: String,
    pub supplier_account: String,
    pub status: SupplierOrderStatus,
    pub attempt_id: String,
    pub external_id: Option<String>,
    /// What the supplier charges (goods and shipping) once placed; the mapped estimate before.
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub last_error: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// When the row last changed (for an attempt in doubt: when it was sent).
    pub updated_at: DateTime<Utc>,
    pub items: Vec<SupplierOrderItem>,
    /// The after-sale case this purchase replaces goods for (a reship or an exchange).
    pub case_id: Option<String>,
}

impl SupplierOrder {
    /// `aliexpress:default`: the label the timeline shows.
    pub fn label(&self) -> String {
        format!("{}:{}", self.supplier, self.supplier_account)
    }

    /// What the wallet reserves and captures for it, when the amount is known.
    pub fn cost(&self) -> Option<dropflow_core::money::Money> {
        let currency =
            dropflow_core::reference::currency::Currency::from_code(self.currency.as_deref()?)
                .ok()?;
        Some(dropflow_core::money::Money::new(self.cost_minor?, currency))
    }
}

const SUPPLIER_ORDER_COLUMNS: &str = "s.id, s.order_id, o.store_id, s.supplier,
    s.supplier_account, s.status, s.attempt_id, s.external_id, s.cost_minor, s.currency,
    s.last_error, s.paid_at, s.updated_at, s.case_id";

/// Marks purchases as bought for case `case_id` (its replacement goods).
pub async fn mark_replacement(
    tx: &mut Tx<'_>,
    ids: &[SupplierOrderId],
    case_id: &str,
) -> Result<()> {
    for id in ids {
        sqlx::query("UPDATE supplier_orders SET case_id = $1 WHERE id = $2")
            .bind(case_id)
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Reads one supplier order and its items.
pub async fn load(db: &Database, id: SupplierOrderId) -> Result<Option<SupplierOrder>> {
    let Some(r) = sqlx::query(&format!(
        "SELECT {SUPPLIER_ORDER_COLUMNS} FROM supplier_orders s
         JOIN orders o ON o.id = s.order_id WHERE s.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&db.reader)
    .await?
    else {
        return Ok(None);
    };
    let items = for_order_items(db, id).await?;
    from_row(&r, items).map(Some)
}

/// Finds a supplier order by the supplier's id for it, or by our attempt id (what CJ's
/// webhooks carry as `orderNumber`).
pub async fn find_by_supplier_ref(
    db: &Database,
    supplier: &str,
    external_id: Option<&str>,
    attempt_id: Option<&str>,
) -> Result<Option<SupplierOrderId>> {
    let row = sqlx::query(
        "SELECT id FROM supplier_orders
         WHERE supplier = $1 AND (external_id = $2 OR attempt_id = $3) LIMIT 1",
    )
    .bind(supplier)
    .bind(external_id)
    .bind(attempt_id)
    .fetch_optional(&db.reader)
    .await?;
    row.map(|r| super::codec::parse_id("supplier_orders.id", &r.try_get::<String, _>("id")?))
        .transpose()
}

/// The ids of an order's supplier orders in one of `statuses`.
pub async fn ids_for_order(
    db: &Database,
    order_id: OrderId,
    statuses: &[SupplierOrderStatus],
) -> Result<Vec<SupplierOrderId>> {
    let rows =
        sqlx::query("SELECT id, status FROM supplier_orders WHERE order_id = $1 ORDER BY id")
            .bind(order_id.to_string())
            .fetch_all(&db.reader)
            .await?;
    let mut ids = Vec::new();
    for r in rows {
        let status: String = r.try_get("status")?;
        if statuses.iter().any(|s| s.as_str() == status) {
            ids.push(super::codec::parse_id(
                "supplier_orders.id",
                &r.try_get::<String, _>("id")?,
            )?);
        }
    }
    Ok(ids)
}

/// Supplier orders of a store waiting for payment whose last attempt failed for want of
/// money: a top-up pays them.
pub async fn unpaid_for_lack_of_funds(
    tx: &mut Tx<'_>,
    store_id: StoreId,
) -> Result<Vec<(SupplierOrderId, OrderId)>> {
    let rows = sqlx::query(
        "SELECT s.id, s.order_id FROM supplier_orders s JOIN orders o ON o.id = s.order_id
         WHERE o.store_id = $1 AND s.status = 'awaiting_payment'
           AND s.last_error LIKE 'payment failed: insufficient balance%'",
    )
    .bind(store_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                super::codec::parse_id("supplier_orders.id", &r.try_get::<String, _>("id")?)?,
                super::codec::parse_id(
                    "supplier_orders.order_id",
                    &r.try_get::<String, _>("order_id")?,
                )?,
            ))
        })
        .collect()
}

fn from_row(r: &sqlx::any::AnyRow, items: Vec<SupplierOrderItem>) -> Result<SupplierOrder> {
    let status: String = r.try_get("status")?;
    Ok(from_row!(r => SupplierOrder {
        supplier, supplier_account, attempt_id, external_id, cost_minor, currency, last_error,
        case_id;
        id: r.id("id")?,
        order_id: r.id("order_id")?,
        store_id: r.id("store_id")?,
        status: SupplierOrderStatus::parse(&status).ok_or_else(|| {
            super::StorageError::Corrupt(format!("supplier_orders.status {status:?}"))
        })?,
        paid_at: r.at_opt("paid_at")?,
        updated_at: r.at("updated_at")?,
        items: items,
    }))
}

/// A supplier order's items with their order lines' titles and variant words.
pub async fn for_order_items(db: &Database, id: SupplierOrderId) -> Result<Vec<SupplierOrderItem>> {
    sqlx::query(
        "SELECT i.line_position, l.external_id AS line_id, i.line_quantity,
            i.supplier_product_id, i.supplier_sku_id, i.quantity, i.unit_cost_minor,
            i.currency, i.product_url, i.shipping_minor, l.title AS line_title, l.variant_words
         FROM supplier_order_items i
         JOIN supplier_orders s ON s.id = i.supplier_order_id
         LEFT JOIN order_lines l ON l.order_id = s.order_id AND l.position = i.line_position
         WHERE i.supplier_order_id = $1 ORDER BY i.position",
    )
    .bind(id.to_string())
    .fetch_all(&db.reader)
    .await?
    .iter()
    .map(|i| {
        Ok(from_row!(i => SupplierOrderItem {
            line_position, line_id, line_quantity, supplier_product_id, supplier_sku_id,
            quantity, unit_cost_minor, currency, product_url, shipping_minor, line_title;
            variant_words: super::codec::variant_words(i.try_get("variant_words")?)?,
        }))
    })
    .collect()
}

/// Records a supplier order's new status (and what the supplier told us) in the caller's
/// transaction; returns the statuses of all the order's supplier orders afterwards.
pub async fn set_status(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
    status: SupplierOrderStatus,
    external_id: Option<&str>,
    cost_minor: Option<i64>,
    last_error: Option<&str>,
) -> Result<Vec<SupplierOrderStatus>> {
    let now = now_ms();
    let placed = matches!(
        status,
        SupplierOrderStatus::AwaitingPayment | SupplierOrderStatus::AwaitingShipment
    );
    let paid = matches!(
        status,
        SupplierOrderStatus::AwaitingShipment
            | SupplierOrderStatus::Shipped
            | SupplierOrderStatus::Delivered
    );
    sqlx::query(
        "UPDATE supplier_orders SET status = $1, external_id = COALESCE($2, external_id),
            cost_minor = COALESCE($3, cost_minor), last_error = $4, updated_at = $5,
            placed_at = CASE WHEN $6 = 1 THEN COALESCE(placed_at, $5) ELSE placed_at END,
            paid_at = CASE WHEN $7 = 1 THEN COALESCE(paid_at, $5) ELSE paid_at END
         WHERE id = $8",
    )
    .bind(status.as_str())
    .bind(external_id)
    .bind(cost_minor)
    .bind(last_error)
    .bind(now)
    .bind(i64::from(placed))
    .bind(i64::from(paid))
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    let rows = sqlx::query(
        "SELECT status FROM supplier_orders WHERE order_id =
            (SELECT order_id FROM supplier_orders WHERE id = $1)",
    )
    .bind(id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let s: String = r.try_get("status")?;
            SupplierOrderStatus::parse(&s).ok_or_else(|| {
                super::StorageError::Corrupt(format!("supplier_orders.status {s:?}"))
            })
        })
        .collect()
}

/// Records a problem on a supplier order without moving it (a failed payment, a refused push).
pub async fn set_last_error(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
    last_error: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE supplier_orders SET last_error = $1, updated_at = $2 WHERE id = $3")
        .bind(last_error)
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets when the supplier order is next asked about (`None`: no more), and, with `synced`,
/// that it was asked just now.
pub async fn schedule_sync(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
    next_sync_at: Option<DateTime<Utc>>,
    synced: bool,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE supplier_orders SET next_sync_at = $1,
            last_synced_at = CASE WHEN $2 = 1 THEN $3 ELSE last_synced_at END
         WHERE id = $4",
    )
    .bind(next_sync_at.map(|t| t.timestamp_millis()))
    .bind(i64::from(synced))
    .bind(now)
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims up to `limit` supplier orders whose next sync is due, pushing each one's next sync
/// `lease_ms` ahead so no other process (or tick) claims it meanwhile, and queues a sync job
/// for each, all in one transaction.
pub async fn claim_due_syncs(
    db: &Database,
    now: DateTime<Utc>,
    lease_ms: i64,
    limit: i64,
) -> Result<usize> {
    super::jobs::enqueue_due(
        db,
        "supplier_orders",
        "supplier_order_id",
        dropflow_core::jobs::SYNC_SUPPLIER_ORDER,
        now.timestamp_millis(),
        lease_ms,
        limit,
    )
    .await
}

/// Queues a job about one supplier order in the caller's transaction.
pub async fn enqueue_job(
    tx: &mut Tx<'_>,
    kind: &str,
    id: SupplierOrderId,
    order_id: OrderId,
) -> Result<()> {
    let payload = serde_json::json!({ "supplier_order_id": id.to_string() });
    super::jobs::enqueue(tx, kind, &payload, Some(order_id), now_ms()).await?;
    Ok(())
}

/// Manual-vendor supplier orders waiting for the vendor to ship (what a vendor's list shows).
pub async fn ids_waiting_for_vendor(db: &Database) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM supplier_orders WHERE supplier = 'manual' AND status = 'awaiting_shipment'
         ORDER BY created_at LIMIT 500",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// The order's purchases as an edit sees them (`edits::decide`), in a write transaction.
pub async fn purchases_for_edit(
    tx: &mut Tx<'_>,
    order_id: OrderId,
) -> Result<Vec<dropflow_core::edits::Purchase>> {
    let rows = sqlx::query(
        "SELECT s.id, s.supplier, s.supplier_account, s.status, s.ship_to_fingerprint,
            i.line_position, i.line_quantity
         FROM supplier_orders s JOIN supplier_order_items i ON i.supplier_order_id = s.id
         WHERE s.order_id = $1 ORDER BY s.created_at, s.id, i.position",
    )
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let mut purchases: Vec<dropflow_core::edits::Purchase> = Vec::new();
    for r in rows {
        let id: String = r.try_get("id")?;
        let item = dropflow_core::edits::BoughtItem {
            line_position: u32::try_from(r.try_get::<i64, _>("line_position")?).unwrap_or(u32::MAX),
            line_quantity: r
                .try_get::<Option<i64>, _>("line_quantity")?
                .map(|q| u32::try_from(q).unwrap_or(0)),
        };
        match purchases.last_mut() {
            Some(last) if last.id == id => last.items.push(item),
            _ => {
                let status: String = r.try_get("status")?;
                let supplier: String = r.try_get("supplier")?;
                purchases.push(dropflow_core::edits::Purchase {
                    label: format!("{supplier}:{}", r.try_get::<String, _>("supplier_account")?),
                    kind: dropflow_core::supplier::SupplierKind::parse(&supplier),
                    status: SupplierOrderStatus::parse(&status).ok_or_else(|| {
                        super::StorageError::Corrupt(format!("supplier_orders.status {status:?}"))
                    })?,
                    ship_to: r.try_get("ship_to_fingerprint")?,
                    items: vec![item],
                    id,
                });
            }
        }
    }
    Ok(purchases)
}

/// Takes the order's current quantities (and address) as what a purchase was bought for: a
/// person accepted the difference, so it is not flagged again.
pub async fn accept_current(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
    address_fingerprint: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE supplier_order_items SET line_quantity = (
            SELECT l.quantity FROM order_lines l JOIN supplier_orders s ON s.order_id = l.order_id
            WHERE s.id = supplier_order_items.supplier_order_id
              AND l.position = supplier_order_items.line_position)
         WHERE supplier_order_id = $1",
    )
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    if address_fingerprint.is_some() {
        sqlx::query("UPDATE supplier_orders SET ship_to_fingerprint = $1 WHERE id = $2")
            .bind(address_fingerprint)
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Takes the order line `line`'s current quantity as what the purchase's items of that line
/// were bought for (its difference was re-placed elsewhere): that change is not flagged
/// again, and the purchase's other lines keep theirs.
pub async fn accept_line(tx: &mut Tx<'_>, id: SupplierOrderId, line: u32) -> Result<()> {
    sqlx::query(
        "UPDATE supplier_order_items SET line_quantity = (
            SELECT l.quantity FROM order_lines l JOIN supplier_orders s ON s.order_id = l.order_id
            WHERE s.id = supplier_order_items.supplier_order_id
              AND l.position = supplier_order_items.line_position)
         WHERE supplier_order_id = $1 AND line_position = $2",
    )
    .bind(id.to_string())
    .bind(i64::from(line))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A supplier order's status and last error, read in a write transaction (after the order's
/// lock, so it is current).
pub async fn status_in(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
) -> Result<(SupplierOrderStatus, Option<String>)> {
    let row = sqlx::query("SELECT status, last_error FROM supplier_orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&mut **tx)
        .await?;
    let status: String = row.try_get("status")?;
    Ok((
        SupplierOrderStatus::parse(&status).ok_or_else(|| {
            super::StorageError::Corrupt(format!("supplier_orders.status {status:?}"))
        })?,
        row.try_get("last_error")?,
    ))
}
