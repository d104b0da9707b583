//! One row per order line bought for the warehouse: state, inspection, package, cost.

use super::*;

/// One order line at the warehouse.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: String,
    pub order_id: String,
    pub supplier_order_id: String,
    pub line_position: i64,
    pub title: String,
    pub quantity: i64,
    pub state: ItemState,
    pub outcome: Option<Outcome>,
    pub checklist: Option<Checklist>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub package_id: Option<String>,
}

fn item_row(r: &AnyRow) -> Result<ItemRow> {
    Ok(from_row!(r => ItemRow {
        id, order_id, supplier_order_id, line_position, title, quantity, package_id;
        state: r.json("state")?,
        outcome: r.json_opt("outcome")?,
        checklist: r.json_opt("checklist")?,
        arrived_at: r.at_opt("arrived_at")?,
    }))
}

const ITEM_COLUMNS: &str = "id, order_id, supplier_order_id, line_position, title, quantity, \
     state, outcome, checklist, arrived_at, package_id";

/// Creates the items of a supplier order's lines (once: a repeat changes nothing). A line
/// bought again (a reorder) gets a new item of its own, linked to the new supplier order.
pub async fn ensure_items(tx: &mut Tx<'_>, order_id: OrderId, so: SupplierOrderId) -> Result<()> {
    let lines = sqlx::query(
        "SELECT i.line_position, CAST(SUM(i.quantity) AS BIGINT) AS quantity, l.title
         FROM supplier_order_items i
         JOIN order_lines l ON l.order_id = $1 AND l.position = i.line_position
         WHERE i.supplier_order_id = $2
         GROUP BY i.line_position, l.title ORDER BY i.line_position",
    )
    .bind(order_id.to_string())
    .bind(so.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let expected = to_json(&ItemState::Expected)?;
    for line in lines {
        sqlx::query(
            "INSERT INTO warehouse_items (id, order_id, supplier_order_id, line_position, title,
                quantity, state, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (supplier_order_id, line_position) DO NOTHING",
        )
        .bind(new_id())
        .bind(order_id.to_string())
        .bind(so.to_string())
        .bind(line.try_get::<i64, _>("line_position")?)
        .bind(line.try_get::<String, _>("title")?)
        .bind(line.try_get::<i64, _>("quantity")?)
        .bind(&expected)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const ITEMS_OF_ORDER: &str = "WHERE order_id = $1 ORDER BY line_position, id";

pub async fn items(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM warehouse_items {ITEMS_OF_ORDER}");
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &mut **tx, item_row).await
}

pub async fn items_of(db: &Database, order_id: OrderId) -> Result<Vec<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM warehouse_items {ITEMS_OF_ORDER}");
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &db.reader, item_row).await
}

pub async fn item(tx: &mut Tx<'_>, id: &str) -> Result<Option<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE id = $1");
    query::one(sqlx::query(&sql).bind(id), &mut **tx, item_row).await
}

pub async fn item_of(db: &Database, id: &str) -> Result<Option<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE id = $1");
    query::one(sqlx::query(&sql).bind(id), &db.reader, item_row).await
}

pub async fn set_item_state(tx: &mut Tx<'_>, id: &str, state: ItemState) -> Result<()> {
    sqlx::query("UPDATE warehouse_items SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(to_json(&state)?)
        .bind(now_ms())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks a supplier order's items that were not here yet as arrived now.
pub async fn items_arrived(tx: &mut Tx<'_>, so: SupplierOrderId) -> Result<Vec<String>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE supplier_order_id = $1"
    ))
    .bind(so.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let mut arrived = Vec::new();
    for row in rows.iter().map(item_row) {
        let row = row?;
        // A failed item stays failed whatever its purchase's parcels do: a reorder arrives as
        // a new item of its own purchase.
        let waiting = matches!(row.state, ItemState::Expected | ItemState::InTransit);
        if waiting {
            sqlx::query(
                "UPDATE warehouse_items SET state = $1, arrived_at = $2, outcome = NULL,
                    checklist = NULL, updated_at = $2 WHERE id = $3",
            )
            .bind(to_json(&ItemState::Arrived)?)
            .bind(now_ms())
            .bind(&row.id)
            .execute(&mut **tx)
            .await?;
            arrived.push(row.id);
        }
    }
    Ok(arrived)
}

pub async fn record_inspection(
    tx: &mut Tx<'_>,
    id: &str,
    state: ItemState,
    outcome: &Outcome,
    checklist: &Checklist,
) -> Result<()> {
    sqlx::query(
        "UPDATE warehouse_items SET state = $1, outcome = $2, checklist = $3, updated_at = $4
         WHERE id = $5",
    )
    .bind(to_json(&state)?)
    .bind(to_json(outcome)?)
    .bind(to_json(checklist)?)
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn put_in_package(tx: &mut Tx<'_>, item_ids: &[String], package: &str) -> Result<()> {
    for id in item_ids {
        sqlx::query("UPDATE warehouse_items SET package_id = $1, updated_at = $2 WHERE id = $3")
            .bind(package)
            .bind(now_ms())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What an item's goods cost at its purchase: its supplier order's unit cost × quantity for
/// the item's line, in the currency it was bought in; `None` when nothing is known.
pub async fn item_cost(tx: &mut Tx<'_>, item: &ItemRow) -> Result<Option<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT CAST(SUM(unit_cost_minor * quantity) AS BIGINT) AS cost, currency
         FROM supplier_order_items WHERE supplier_order_id = $1 AND line_position = $2
         GROUP BY currency",
    )
    .bind(&item.supplier_order_id)
    .bind(item.line_position)
    .fetch_all(&mut **tx)
    .await?;
    // Two currencies in one purchase cannot be refunded as one amount: say so, not guess.
    match rows.as_slice() {
        [row] => Ok(Some((row.try_get("cost")?, row.try_get("currency")?))),
        _ => Ok(None),
    }
}

/// The purchase an item came from: (supplier kind, account, attempt id).
pub async fn item_purchase(tx: &mut Tx<'_>, item: &ItemRow) -> Result<(String, String, String)> {
    let row = sqlx::query(
        "SELECT supplier, supplier_account, attempt_id FROM supplier_orders WHERE id = $1",
    )
    .bind(&item.supplier_order_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok((
        row.try_get("supplier")?,
        row.try_get("supplier_account")?,
        row.try_get("attempt_id")?,
    ))
}

/// The item's line as its purchase bought it (same product and variant, same quantity), to
/// buy it again.
pub async fn item_line_bought(
    tx: &mut Tx<'_>,
    item: &ItemRow,
) -> Result<Vec<dropflow_core::routing::PlannedItem>> {
    use dropflow_core::money::Money;
    use dropflow_core::reference::currency::Currency;
    let query = sqlx::query(
        "SELECT supplier_product_id, supplier_sku_id, quantity, unit_cost_minor, currency,
            product_url, shipping_minor
         FROM supplier_order_items WHERE supplier_order_id = $1 AND line_position = $2
         ORDER BY position",
    )
    .bind(&item.supplier_order_id)
    .bind(item.line_position);
    query::all(query, &mut **tx, |r| {
        let code: String = r.try_get("currency")?;
        let currency = Currency::from_code(&code).map_err(|e| {
            crate::storage::StorageError::Corrupt(format!("supplier_order_items.currency: {e}"))
        })?;
        Ok(dropflow_core::routing::PlannedItem {
            line_position: u32::try_from(item.line_position).unwrap_or(u32::MAX),
            supplier_product_id: r.try_get("supplier_product_id")?,
            supplier_sku_id: r.try_get("supplier_sku_id")?,
            quantity: u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
            unit_cost: Money::new(r.try_get("unit_cost_minor")?, currency),
            product_url: r.try_get("product_url")?,
            // Bought again as it was: its shipping again too.
            shipping_cost: r
                .try_get::<Option<i64>, _>("shipping_minor")?
                .map(|minor| Money::new(minor, currency)),
        })
    })
    .await
}
