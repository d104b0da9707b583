//! The sellers' domestic parcels to the warehouse, and matching a scan to them.

use super::*;

/// A seller's domestic parcel to the warehouse.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub id: String,
    pub order_id: String,
    pub supplier_order_id: String,
    pub supplier_ref: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: String,
    pub expected_arrival: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

fn inbound_row(r: &AnyRow) -> Result<Inbound> {
    Ok(from_row!(r => Inbound {
        id, order_id, supplier_order_id, supplier_ref, carrier, tracking_number;
        expected_arrival: r.at_opt("expected_arrival")?,
        received_at: r.at_opt("received_at")?,
    }))
}

const INBOUND_COLUMNS: &str = "id, order_id, supplier_order_id, supplier_ref, carrier, \
     tracking_number, expected_arrival, received_at";

/// What a seller reported; `None` when this number was already recorded.
pub struct NewInbound<'a> {
    pub order_id: OrderId,
    pub supplier_order_id: SupplierOrderId,
    pub supplier_ref: Option<&'a str>,
    pub carrier: Option<&'a str>,
    pub tracking_number: &'a str,
    pub expected_arrival: DateTime<Utc>,
}

pub async fn insert_inbound(tx: &mut Tx<'_>, new: &NewInbound<'_>) -> Result<Option<String>> {
    let id = new_id();
    let done = sqlx::query(
        "INSERT INTO warehouse_inbound (id, order_id, supplier_order_id, supplier_ref, carrier,
            tracking_number, expected_arrival, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (supplier_order_id, tracking_number) DO NOTHING",
    )
    .bind(&id)
    .bind(new.order_id.to_string())
    .bind(new.supplier_order_id.to_string())
    .bind(new.supplier_ref)
    .bind(new.carrier)
    .bind(new.tracking_number)
    .bind(new.expected_arrival.timestamp_millis())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// Inbound parcels a scan names: by domestic tracking number, or by the marketplace's order
/// number (a parcel whose label is unreadable), or by our own supplier-order attempt id.
/// Only parcels of orders in `scope`: another account's parcel is unknown to this operator.
pub async fn match_scan(tx: &mut Tx<'_>, scope: &Scope, scan: &str) -> Result<Vec<Inbound>> {
    let mut binds = vec![scan.to_string()];
    let condition = scope.order_condition("", &mut binds);
    let sql = format!(
        "SELECT {INBOUND_COLUMNS} FROM warehouse_inbound
         WHERE (tracking_number = $1 OR supplier_ref = $1
            OR supplier_order_id IN (SELECT id FROM supplier_orders WHERE attempt_id = $1))
           AND order_id IN (SELECT id FROM orders WHERE {condition})
         ORDER BY created_at"
    );
    let query = query::with_binds(&sql, &binds);
    query::all(query, &mut **tx, inbound_row).await
}

/// The order's inbound parcels not received yet (a resolved exception receives them).
pub async fn unreceived_inbound(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<Inbound>> {
    let sql = format!(
        "SELECT {INBOUND_COLUMNS} FROM warehouse_inbound
         WHERE order_id = $1 AND received_at IS NULL ORDER BY created_at"
    );
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &mut **tx, inbound_row).await
}

pub async fn mark_received(tx: &mut Tx<'_>, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE warehouse_inbound SET received_at = $1 WHERE id = $2 AND received_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn inbound_of(db: &Database, order_id: OrderId) -> Result<Vec<Inbound>> {
    let sql = format!(
        "SELECT {INBOUND_COLUMNS} FROM warehouse_inbound WHERE order_id = $1 ORDER BY created_at"
    );
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &db.reader, inbound_row).await
}
