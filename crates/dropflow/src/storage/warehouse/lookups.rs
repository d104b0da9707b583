//! Reads other parts of dropflow make of the warehouse: packed lines, order facts, readiness.

use super::*;

/// The store lines of the shipment's order packed in the warehouse parcel written as
/// shipment `shipment_id`: (store line id, quantity); empty for any other parcel. A package
/// combining several orders has one shipment per order, each carrying that order's lines.
pub async fn package_lines(db: &Database, shipment_id: &str) -> Result<Vec<(String, u32)>> {
    let query = sqlx::query(
        "SELECT l.external_id, l.quantity FROM warehouse_package_orders po
         JOIN warehouse_items i ON i.package_id = po.package_id AND i.order_id = po.order_id
         JOIN order_lines l ON l.order_id = i.order_id AND l.position = i.line_position
         WHERE po.shipment_id = $1 ORDER BY l.position",
    )
    .bind(shipment_id);
    query::all(query, &db.reader, crate::storage::parcels::store_line).await
}

/// How many sellers' domestic numbers were recorded as customer parcels (must stay 0).
pub async fn domestic_on_shipments(db: &Database) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM shipments s
         JOIN warehouse_inbound i ON i.tracking_number = s.tracking_number",
    )
    .fetch_one(&db.reader)
    .await?;
    Ok(row.try_get("n")?)
}

/// What combining needs to know of an order: its store, name and shipping address (kept in
/// memory to compare, never logged).
pub struct OrderFacts {
    pub store_id: String,
    pub name: String,
    pub address: Option<dropflow_core::reference::address::PostalAddress>,
}

pub async fn order_facts<'c, E>(executor: E, order_id: OrderId) -> Result<Option<OrderFacts>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT store_id, name, shipping_address FROM orders WHERE id = $1")
        .bind(order_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.map(|r| {
        Ok(OrderFacts {
            store_id: r.try_get("store_id")?,
            name: r.try_get("name")?,
            address: r
                .try_get::<Option<String>, _>("shipping_address")?
                .map(|t| from_json("orders.shipping_address", &t))
                .transpose()?,
        })
    })
    .transpose()
}

/// Orders of the store whose leg is inspected and cleared (ready to pack), oldest first.
pub async fn ready_to_pack(db: &Database, store_id: &str) -> Result<Vec<OrderId>> {
    let rows = sqlx::query(
        "SELECT order_id FROM warehouse_legs WHERE store_id = $1 AND stage = 'inspected'
         ORDER BY created_at, order_id LIMIT 500",
    )
    .bind(store_id)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| crate::storage::codec::parse_id("order_id", &r.try_get::<String, _>("order_id")?))
        .collect()
}

/// How many of the order's items the warehouse has still to send (not shipped, not
/// returned); 0 for an order without a warehouse leg.
pub async fn items_to_send(db: &Database, order_id: OrderId) -> Result<usize> {
    use dropflow_core::warehouse::consolidation::{disposition, Disposition};
    Ok(items_of(db, order_id)
        .await?
        .iter()
        .filter(|i| disposition(i.state) != Disposition::Gone)
        .count())
}
