//! Reads only the dashboard needs: which orders of a page are dropshipped, the stores a user
//! may pick from, and a vendor's queue of supplier orders to ship.

use super::accounts::Scope;
use super::codec::from_ms;
use super::{query, Database, Result};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, StoreId};
use sqlx::Row;
use std::collections::BTreeSet;

/// Which of these orders have at least one supplier order (the "dropship" badge).
pub async fn with_supplier_orders(db: &Database, ids: &[OrderId]) -> Result<BTreeSet<String>> {
    let rows = rows_for_orders(db, ids, |list| {
        format!("SELECT DISTINCT order_id FROM supplier_orders WHERE order_id IN ({list})")
    })
    .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get("order_id"))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Every row `sql` finds for the orders `ids`, asked a chunk at a time: `sql` is given the
/// chunk's placeholders for its `IN (…)` list.
async fn rows_for_orders(
    db: &Database,
    ids: &[OrderId],
    sql: impl Fn(&str) -> String,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut rows = Vec::new();
    for chunk in super::write_set::chunks(ids) {
        let sql = sql(&query::params(1, chunk.len()));
        let query = query::bind_ids(sqlx::query(&sql), chunk);
        rows.extend(query.fetch_all(&db.reader).await?);
    }
    Ok(rows)
}

/// A store as the filter lists it.
#[derive(Debug, Clone)]
pub struct StoreChoice {
    pub id: StoreId,
    pub domain: String,
}

/// The stores a scope may see, by domain.
pub async fn visible_stores(db: &Database, scope: &Scope) -> Result<Vec<StoreChoice>> {
    let mut choices = Vec::new();
    for store in super::stores::list(db).await? {
        if scope.sees_store(db, store.id).await? {
            choices.push(StoreChoice {
                id: store.id,
                domain: store.domain,
            });
        }
    }
    choices.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(choices)
}

/// One supplier order on a vendor's page.
#[derive(Debug, Clone)]
pub struct VendorItem {
    pub supplier_order_id: String,
    pub order_id: String,
    pub order_name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The parcels entered so far (tracking numbers).
    pub tracking: Vec<String>,
    /// Goes straight to the customer under the merchant's store (the "Dropship" badge).
    pub dropship: bool,
    /// What this supplier order buys (only this vendor's lines of the order).
    pub items: Vec<super::supplier_orders::SupplierOrderItem>,
}

/// A manual vendor's supplier orders in `statuses` (newest first, at most 200), within the
/// vendor's account.
pub async fn vendor_queue(
    db: &Database,
    account_id: &str,
    vendor: &str,
    statuses: &[&str],
) -> Result<Vec<VendorItem>> {
    let params = query::params(3, statuses.len());
    let sql = format!(
        "SELECT s.id, s.order_id, o.name, s.supplier, s.status, s.created_at
         FROM supplier_orders s
         JOIN orders o ON o.id = s.order_id
         WHERE s.supplier = 'manual' AND s.supplier_account = $1
           AND o.store_id IN (SELECT id FROM stores WHERE account_id = $2)
           AND s.status IN ({})
         ORDER BY s.created_at DESC, s.id DESC LIMIT 200",
        params
    );
    let mut query = sqlx::query(&sql).bind(vendor).bind(account_id);
    for status in statuses {
        query = query.bind(*status);
    }
    let rows = query.fetch_all(&db.reader).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let tracking = sqlx::query(
            "SELECT tracking_number FROM shipments
             WHERE supplier_order_id = $1 AND tracking_number IS NOT NULL ORDER BY created_at",
        )
        .bind(&id)
        .fetch_all(&db.reader)
        .await?
        .iter()
        .map(|t| t.try_get("tracking_number"))
        .collect::<std::result::Result<Vec<String>, _>>()?;
        let lines = super::supplier_orders::for_order_items(
            db,
            super::codec::parse_id("supplier_orders.id", &id)?,
        )
        .await?;
        let supplier: String = r.try_get("supplier")?;
        items.push(VendorItem {
            dropship: dropflow_core::supplier::SupplierKind::parse(&supplier)
                .is_some_and(|k| k.ships_to_customer()),
            items: lines,
            supplier_order_id: id,
            order_id: r.try_get("order_id")?,
            order_name: r.try_get("name")?,
            status: r.try_get("status")?,
            created_at: from_ms(r.try_get("created_at")?),
            tracking,
        });
    }
    Ok(items)
}

/// What the order lists' Reason column is made from, for one order.
#[derive(Debug, Clone)]
pub struct StopFacts {
    pub state: dropflow_core::lifecycle::OrderState,
    /// The needs-attention flag's words, when flagged.
    pub attention_reason: Option<String>,
    /// Refused purchases: supplier and its error, oldest first.
    pub refusals: Vec<(String, String)>,
}

/// [`StopFacts`] of the listed orders, by order id.
pub async fn stop_facts(
    db: &Database,
    ids: &[OrderId],
) -> Result<std::collections::BTreeMap<String, StopFacts>> {
    let mut found = std::collections::BTreeMap::new();
    let orders = rows_for_orders(db, ids, |list| {
        format!("SELECT id, state, attention_reason FROM orders WHERE id IN ({list})")
    })
    .await?;
    for row in orders {
        let state = super::codec::from_json("orders.state", &row.try_get::<String, _>("state")?)?;
        found.insert(
            row.try_get::<String, _>("id")?,
            StopFacts {
                state,
                attention_reason: row.try_get("attention_reason")?,
                refusals: Vec::new(),
            },
        );
    }
    let refusals = rows_for_orders(db, ids, |list| {
        format!(
            "SELECT order_id, supplier, last_error FROM supplier_orders
             WHERE status = 'rejected' AND last_error IS NOT NULL AND order_id IN ({list})
             ORDER BY id"
        )
    })
    .await?;
    for row in refusals {
        let order_id: String = row.try_get("order_id")?;
        if let Some(facts) = found.get_mut(&order_id) {
            facts
                .refusals
                .push((row.try_get("supplier")?, row.try_get("last_error")?));
        }
    }
    Ok(found)
}
