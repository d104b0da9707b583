//! Supplier orders: one purchase from one supplier for part of an order, with the items it
//! buys. Created by routing in status `awaiting_placement`, each with a fresh attempt id that
//! goes to the supplier as our reference.

use super::codec::from_ms;
use super::{now_ms, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::routing::PlannedPurchase;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeSet;

/// The job that places one supplier order.
pub const PLACE_JOB: &str = "supplier_order.place";

/// Writes the planned purchases as supplier orders and queues their placement.
pub async fn create_from_plan(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    purchases: &[PlannedPurchase],
) -> Result<Vec<SupplierOrderId>> {
    let now = now_ms();
    let mut ids = Vec::with_capacity(purchases.len());
    for purchase in purchases {
        let id = SupplierOrderId::new();
        let currency = purchase
            .items
            .first()
            .map(|i| i.unit_cost.currency.code().to_string());
        let cost: i64 = purchase
            .items
            .iter()
            .map(|i| i.unit_cost.minor.saturating_mul(i64::from(i.quantity)))
            .sum();
        sqlx::query(
            "INSERT INTO supplier_orders (id, order_id, supplier, supplier_account, status,
                attempt_id, cost_minor, currency, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
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
        .execute(&mut **tx)
        .await?;
        for (position, item) in purchase.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO supplier_order_items (supplier_order_id, position, line_position,
                    supplier_product_id, supplier_sku_id, quantity, unit_cost_minor, currency,
                    product_url)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
            .execute(&mut **tx)
            .await?;
        }
        let payload = serde_json::json!({ "supplier_order_id": id.to_string() });
        super::jobs::enqueue(tx, PLACE_JOB, &payload, Some(order_id), now).await?;
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

/// One item of a supplier order, as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierOrderItem {
    pub line_position: i64,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub quantity: i64,
    pub unit_cost_minor: i64,
    pub currency: String,
    pub product_url: Option<String>,
}

/// A supplier order as shown on the order page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    pub items: Vec<SupplierOrderItem>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<SupplierOrderView>> {
    let rows = sqlx::query(
        "SELECT id, supplier, supplier_account, status, attempt_id, external_id, cost_minor,
            currency, last_error, created_at, updated_at
         FROM supplier_orders WHERE order_id = $1 ORDER BY created_at, id",
    )
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let items = for_order_items(db, super::codec::parse_id("supplier_orders.id", &id)?).await?;
        views.push(SupplierOrderView {
            id,
            supplier: r.try_get("supplier")?,
            supplier_account: r.try_get("supplier_account")?,
            status: r.try_get("status")?,
            attempt_id: r.try_get("attempt_id")?,
            external_id: r.try_get("external_id")?,
            cost_minor: r.try_get("cost_minor")?,
            currency: r.try_get("currency")?,
            last_error: r.try_get("last_error")?,
            items,
            created_at: from_ms(r.try_get("created_at")?),
            updated_at: from_ms(r.try_get("updated_at")?),
        });
    }
    Ok(views)
}

/// A supplier order with what placing it needs.
#[derive(Debug, Clone)]
pub struct ToPlace {
    pub id: SupplierOrderId,
    pub order_id: OrderId,
    pub supplier: String,
    pub supplier_account: String,
    pub status: SupplierOrderStatus,
    pub attempt_id: String,
    pub items: Vec<SupplierOrderItem>,
}

/// Reads one supplier order and its items.
pub async fn load(db: &Database, id: SupplierOrderId) -> Result<Option<ToPlace>> {
    let Some(r) = sqlx::query(
        "SELECT order_id, supplier, supplier_account, status, attempt_id FROM supplier_orders
         WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&db.reader)
    .await?
    else {
        return Ok(None);
    };
    let status: String = r.try_get("status")?;
    let view = for_order_items(db, id).await?;
    Ok(Some(ToPlace {
        id,
        order_id: super::codec::parse_id(
            "supplier_orders.order_id",
            &r.try_get::<String, _>("order_id")?,
        )?,
        supplier: r.try_get("supplier")?,
        supplier_account: r.try_get("supplier_account")?,
        status: SupplierOrderStatus::parse(&status).ok_or_else(|| {
            super::StorageError::Corrupt(format!("supplier_orders.status {status:?}"))
        })?,
        attempt_id: r.try_get("attempt_id")?,
        items: view,
    }))
}

async fn for_order_items(db: &Database, id: SupplierOrderId) -> Result<Vec<SupplierOrderItem>> {
    sqlx::query(
        "SELECT line_position, supplier_product_id, supplier_sku_id, quantity,
            unit_cost_minor, currency, product_url
         FROM supplier_order_items WHERE supplier_order_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&db.reader)
    .await?
    .iter()
    .map(|i| {
        Ok(SupplierOrderItem {
            line_position: i.try_get("line_position")?,
            supplier_product_id: i.try_get("supplier_product_id")?,
            supplier_sku_id: i.try_get("supplier_sku_id")?,
            quantity: i.try_get("quantity")?,
            unit_cost_minor: i.try_get("unit_cost_minor")?,
            currency: i.try_get("currency")?,
            product_url: i.try_get("product_url")?,
        })
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
    sqlx::query(
        "UPDATE supplier_orders SET status = $1, external_id = COALESCE($2, external_id),
            cost_minor = COALESCE($3, cost_minor), last_error = $4, updated_at = $5
         WHERE id = $6",
    )
    .bind(status.as_str())
    .bind(external_id)
    .bind(cost_minor)
    .bind(last_error)
    .bind(now_ms())
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
