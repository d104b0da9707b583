//! The warehouse's tables: each order's leg, the sellers' domestic parcels (inbound), the
//! items per order line, scans nobody expected, the international packages, the operator's
//! rate tables and the stores' warehouse settings. Callers pass their transaction, so every
//! write lands together with the order's timeline events (`fulfilment::order_tx`).

use super::accounts::Scope;
use super::codec::{from_json, from_ms, to_json};
use super::{now_ms, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, StoreId, SupplierOrderId};
use dropflow_core::warehouse::choice::AutoPick;
use dropflow_core::warehouse::consolidation::ItemState;
use dropflow_core::warehouse::inspection::{Checklist, Outcome};
use dropflow_core::warehouse::rates::Quote;
use dropflow_core::warehouse::stage::WarehouseLeg;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn at(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_ms))
}

// ---- legs -------------------------------------------------------------------------------

/// The order's leg and whether the merchant asked to ship what is here.
pub async fn leg(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Option<(WarehouseLeg, bool)>> {
    let row = sqlx::query("SELECT leg, ship_what_is_here FROM warehouse_legs WHERE order_id = $1")
        .bind(order_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| {
        Ok((
            from_json("leg", &r.try_get::<String, _>("leg")?)?,
            r.try_get::<i64, _>("ship_what_is_here")? != 0,
        ))
    })
    .transpose()
}

/// Reads a leg outside a transaction (views).
pub async fn leg_of(db: &Database, order_id: OrderId) -> Result<Option<(WarehouseLeg, bool)>> {
    let row = sqlx::query("SELECT leg, ship_what_is_here FROM warehouse_legs WHERE order_id = $1")
        .bind(order_id.to_string())
        .fetch_optional(&db.reader)
        .await?;
    row.map(|r| {
        Ok((
            from_json("leg", &r.try_get::<String, _>("leg")?)?,
            r.try_get::<i64, _>("ship_what_is_here")? != 0,
        ))
    })
    .transpose()
}

pub async fn save_leg(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    store_id: StoreId,
    leg: &WarehouseLeg,
    ship_what_is_here: bool,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO warehouse_legs (order_id, store_id, stage, leg, ship_what_is_here,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (order_id) DO UPDATE SET stage = excluded.stage, leg = excluded.leg,
            ship_what_is_here = excluded.ship_what_is_here, updated_at = excluded.updated_at",
    )
    .bind(order_id.to_string())
    .bind(store_id.to_string())
    .bind(leg.stage.as_str())
    .bind(to_json(leg)?)
    .bind(i64::from(ship_what_is_here))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---- items ------------------------------------------------------------------------------

/// One order line at the warehouse.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRow {
    pub id: String,
    pub order_id: String,
    pub supplier_order_id: String,
    pub line_position: i64,
    pub title: String,
    pub quantity: i64,
    #[schema(value_type = Object)]
    pub state: ItemState,
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<Outcome>,
    #[schema(value_type = Option<Object>)]
    pub checklist: Option<Checklist>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub package_id: Option<String>,
}

fn item_row(r: &AnyRow) -> Result<ItemRow> {
    Ok(ItemRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        supplier_order_id: r.try_get("supplier_order_id")?,
        line_position: r.try_get("line_position")?,
        title: r.try_get("title")?,
        quantity: r.try_get("quantity")?,
        state: from_json("state", &r.try_get::<String, _>("state")?)?,
        outcome: r
            .try_get::<Option<String>, _>("outcome")?
            .map(|t| from_json("outcome", &t))
            .transpose()?,
        checklist: r
            .try_get::<Option<String>, _>("checklist")?
            .map(|t| from_json("checklist", &t))
            .transpose()?,
        arrived_at: at(r, "arrived_at")?,
        package_id: r.try_get("package_id")?,
    })
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

pub async fn items(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<ItemRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE order_id = $1
         ORDER BY line_position, id"
    ))
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(item_row).collect()
}

pub async fn items_of(db: &Database, order_id: OrderId) -> Result<Vec<ItemRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE order_id = $1
         ORDER BY line_position, id"
    ))
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(item_row).collect()
}

pub async fn item(tx: &mut Tx<'_>, id: &str) -> Result<Option<ItemRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(item_row).transpose()
}

pub async fn item_of(db: &Database, id: &str) -> Result<Option<ItemRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM warehouse_items WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.reader)
    .await?;
    row.as_ref().map(item_row).transpose()
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
    let rows = sqlx::query(
        "SELECT supplier_product_id, supplier_sku_id, quantity, unit_cost_minor, currency,
            product_url
         FROM supplier_order_items WHERE supplier_order_id = $1 AND line_position = $2
         ORDER BY position",
    )
    .bind(&item.supplier_order_id)
    .bind(item.line_position)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let code: String = r.try_get("currency")?;
            let currency = Currency::from_code(&code).map_err(|e| {
                super::StorageError::Corrupt(format!("supplier_order_items.currency: {e}"))
            })?;
            Ok(dropflow_core::routing::PlannedItem {
                line_position: u32::try_from(item.line_position).unwrap_or(u32::MAX),
                supplier_product_id: r.try_get("supplier_product_id")?,
                supplier_sku_id: r.try_get("supplier_sku_id")?,
                quantity: u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
                unit_cost: Money::new(r.try_get("unit_cost_minor")?, currency),
                product_url: r.try_get("product_url")?,
            })
        })
        .collect()
}

// ---- inbound parcels ----------------------------------------------------------------------

/// A seller's domestic parcel to the warehouse.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Inbound {
    pub id: String,
    pub order_id: String,
    pub supplier_order_id: String,
    /// The marketplace's order number.
    pub supplier_ref: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: String,
    /// An estimate from when the seller shipped.
    pub expected_arrival: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

fn inbound_row(r: &AnyRow) -> Result<Inbound> {
    Ok(Inbound {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        supplier_order_id: r.try_get("supplier_order_id")?,
        supplier_ref: r.try_get("supplier_ref")?,
        carrier: r.try_get("carrier")?,
        tracking_number: r.try_get("tracking_number")?,
        expected_arrival: at(r, "expected_arrival")?,
        received_at: at(r, "received_at")?,
    })
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
    let mut query = sqlx::query(&sql);
    for bind in &binds {
        query = query.bind(bind.as_str());
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter().map(inbound_row).collect()
}

/// The order's inbound parcels not received yet (a resolved exception receives them).
pub async fn unreceived_inbound(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<Inbound>> {
    let rows = sqlx::query(&format!(
        "SELECT {INBOUND_COLUMNS} FROM warehouse_inbound
         WHERE order_id = $1 AND received_at IS NULL ORDER BY created_at"
    ))
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(inbound_row).collect()
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
    let rows = sqlx::query(&format!(
        "SELECT {INBOUND_COLUMNS} FROM warehouse_inbound WHERE order_id = $1 ORDER BY created_at"
    ))
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(inbound_row).collect()
}

// ---- exceptions ---------------------------------------------------------------------------

/// A scan that matched no parcel we expect.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanException {
    pub id: String,
    pub scan: String,
    pub scanned_by: String,
    pub scanned_at: DateTime<Utc>,
    /// The account of the operator who scanned it; none for an installation-level caller.
    pub account_id: Option<String>,
    pub resolved_order_id: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The account an exception scanned within `scope` belongs to (none at installation level).
fn exception_account(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Installation => None,
        other => Some(other.account_id()),
    }
}

pub async fn insert_exception(
    tx: &mut Tx<'_>,
    scope: &Scope,
    scan: &str,
    by: &str,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO warehouse_exceptions (id, scan, scanned_by, scanned_at, account_id)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(scan)
    .bind(by)
    .bind(now_ms())
    .bind(exception_account(scope))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

const EXCEPTION_COLUMNS: &str =
    "id, scan, scanned_by, scanned_at, account_id, resolved_order_id, resolved_at";

fn exception_row(r: &AnyRow) -> Result<ScanException> {
    Ok(ScanException {
        id: r.try_get("id")?,
        scan: r.try_get("scan")?,
        scanned_by: r.try_get("scanned_by")?,
        scanned_at: from_ms(r.try_get("scanned_at")?),
        account_id: r.try_get("account_id")?,
        resolved_order_id: r.try_get("resolved_order_id")?,
        resolved_at: at(r, "resolved_at")?,
    })
}

/// The SQL condition limiting exceptions to `scope`'s account, with its bind appended.
fn exception_condition(scope: &Scope, binds: &mut Vec<String>) -> String {
    match exception_account(scope) {
        None => "1 = 1".to_string(),
        Some(account) => {
            binds.push(account.to_string());
            format!("account_id = ${}", binds.len())
        }
    }
}

/// The exceptions of `scope`'s account, newest first, at most `limit`; open ones only unless
/// `open_only` is false.
pub async fn exceptions(
    db: &Database,
    scope: &Scope,
    open_only: bool,
    limit: i64,
) -> Result<Vec<ScanException>> {
    let mut binds = Vec::new();
    let condition = exception_condition(scope, &mut binds);
    let open = if open_only {
        " AND resolved_at IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {EXCEPTION_COLUMNS} FROM warehouse_exceptions WHERE {condition}{open}
         ORDER BY scanned_at DESC, id DESC LIMIT {}",
        limit.clamp(1, 500)
    );
    let mut query = sqlx::query(&sql);
    for bind in &binds {
        query = query.bind(bind.as_str());
    }
    let rows = query.fetch_all(&db.reader).await?;
    rows.iter().map(exception_row).collect()
}

/// One exception, if it is in `scope`'s account.
pub async fn exception<'c, E>(executor: E, scope: &Scope, id: &str) -> Result<Option<ScanException>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let mut binds = vec![id.to_string()];
    let condition = exception_condition(scope, &mut binds);
    let sql = format!(
        "SELECT {EXCEPTION_COLUMNS} FROM warehouse_exceptions WHERE id = $1 AND {condition}"
    );
    let mut query = sqlx::query(&sql);
    for bind in &binds {
        query = query.bind(bind.as_str());
    }
    let row = query.fetch_optional(executor).await?;
    row.as_ref().map(exception_row).transpose()
}

/// Links an open exception to the order it turned out to belong to; false when not open.
pub async fn resolve_exception(tx: &mut Tx<'_>, id: &str, order_id: OrderId) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE warehouse_exceptions SET resolved_order_id = $1, resolved_at = $2
         WHERE id = $3 AND resolved_at IS NULL",
    )
    .bind(order_id.to_string())
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- packages -----------------------------------------------------------------------------

/// The international parcel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Package {
    pub id: String,
    /// The order it was packed from.
    pub order_id: String,
    /// Every order it carries (more than one when orders to one customer were combined).
    pub order_ids: Vec<String>,
    pub store_id: String,
    pub weight_g: i64,
    pub length_cm: i64,
    pub width_cm: i64,
    pub height_cm: i64,
    pub branding: bool,
    #[schema(value_type = Vec<Object>)]
    pub quotes: Vec<Quote>,
    pub carrier_code: Option<String>,
    pub fee_minor: Option<i64>,
    pub fee_currency: Option<String>,
    pub fee_ledger_ref: Option<String>,
    pub fee_paid_at: Option<DateTime<Utc>>,
    pub label_ref: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipment_id: Option<String>,
    pub dispatch_due_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub late: bool,
}

const PACKAGE_COLUMNS: &str = "id, order_id, store_id, weight_g, length_cm, width_cm, \
     height_cm, branding, quotes, carrier_code, fee_minor, fee_currency, fee_ledger_ref, \
     fee_paid_at, label_ref, carrier, tracking_number, shipment_id, dispatch_due_at, \
     dispatched_at, late";

fn package_row(r: &AnyRow) -> Result<Package> {
    Ok(Package {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        order_ids: Vec::new(),
        store_id: r.try_get("store_id")?,
        weight_g: r.try_get("weight_g")?,
        length_cm: r.try_get("length_cm")?,
        width_cm: r.try_get("width_cm")?,
        height_cm: r.try_get("height_cm")?,
        branding: r.try_get::<i64, _>("branding")? != 0,
        quotes: from_json("quotes", &r.try_get::<String, _>("quotes")?)?,
        carrier_code: r.try_get("carrier_code")?,
        fee_minor: r.try_get("fee_minor")?,
        fee_currency: r.try_get("fee_currency")?,
        fee_ledger_ref: r.try_get("fee_ledger_ref")?,
        fee_paid_at: at(r, "fee_paid_at")?,
        label_ref: r.try_get("label_ref")?,
        carrier: r.try_get("carrier")?,
        tracking_number: r.try_get("tracking_number")?,
        shipment_id: r.try_get("shipment_id")?,
        dispatch_due_at: at(r, "dispatch_due_at")?,
        dispatched_at: at(r, "dispatched_at")?,
        late: r.try_get::<i64, _>("late")? != 0,
    })
}

pub struct NewPackage<'a> {
    pub order_id: OrderId,
    /// Orders packed with it, to the same customer (empty: the order alone).
    pub with_orders: &'a [OrderId],
    pub store_id: StoreId,
    pub parcel: dropflow_core::warehouse::rates::Parcel,
    pub branding: bool,
    pub quotes: &'a [Quote],
}

pub async fn insert_package(tx: &mut Tx<'_>, new: &NewPackage<'_>) -> Result<String> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO warehouse_packages (id, order_id, store_id, weight_g, length_cm, width_cm,
            height_cm, branding, quotes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(new.order_id.to_string())
    .bind(new.store_id.to_string())
    .bind(i64::from(new.parcel.weight_g))
    .bind(i64::from(new.parcel.length_cm))
    .bind(i64::from(new.parcel.width_cm))
    .bind(i64::from(new.parcel.height_cm))
    .bind(i64::from(new.branding))
    .bind(to_json(&new.quotes)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for order in std::iter::once(&new.order_id).chain(new.with_orders) {
        sqlx::query("INSERT INTO warehouse_package_orders (package_id, order_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(order.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// The orders a package carries, the one it was packed from first.
async fn package_orders<'c, E>(executor: E, package: &mut Package) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT order_id FROM warehouse_package_orders WHERE package_id = $1 ORDER BY order_id",
    )
    .bind(&package.id)
    .fetch_all(executor)
    .await?;
    let mut ids = vec![package.order_id.clone()];
    for r in rows {
        let id: String = r.try_get("order_id")?;
        if id != package.order_id {
            ids.push(id);
        }
    }
    package.order_ids = ids;
    Ok(())
}

pub async fn package(tx: &mut Tx<'_>, id: &str) -> Result<Option<Package>> {
    let row = sqlx::query(&format!(
        "SELECT {PACKAGE_COLUMNS} FROM warehouse_packages WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(mut package) = row.as_ref().map(package_row).transpose()? else {
        return Ok(None);
    };
    package_orders(&mut **tx, &mut package).await?;
    Ok(Some(package))
}

/// Takes `order_id` out of a package it shares with other orders and that has not left (the
/// order was cancelled): its link goes, its items are unpacked (they stay at the warehouse),
/// and when the package was packed from it, another of the package's orders takes that
/// place. The package's weight and paid fee stay as they were.
pub async fn take_out_of_package(tx: &mut Tx<'_>, package_id: &str, order_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM warehouse_package_orders WHERE package_id = $1 AND order_id = $2")
        .bind(package_id)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE warehouse_items SET package_id = NULL, updated_at = $3
         WHERE package_id = $1 AND order_id = $2",
    )
    .bind(package_id)
    .bind(order_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE warehouse_packages SET updated_at = $3, order_id =
            (SELECT MIN(order_id) FROM warehouse_package_orders WHERE package_id = $1)
         WHERE id = $1 AND order_id = $2",
    )
    .bind(package_id)
    .bind(order_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The package being prepared for the order, alone or combined with others (the newest not
/// dispatched: an order is in one such package at a time).
pub async fn open_package(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Option<Package>> {
    let row = sqlx::query(
        "SELECT p.id FROM warehouse_packages p
         JOIN warehouse_package_orders po ON po.package_id = p.id
         WHERE po.order_id = $1 AND p.dispatched_at IS NULL
         ORDER BY p.created_at DESC, p.id DESC LIMIT 1",
    )
    .bind(order_id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(r) => package(tx, &r.try_get::<String, _>("id")?).await,
        None => Ok(None),
    }
}

/// Every package carrying the order (its own and any it shares), oldest first, inside a
/// transaction.
pub async fn packages_in(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<Package>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM warehouse_packages p
         JOIN warehouse_package_orders po ON po.package_id = p.id
         WHERE po.order_id = $1 ORDER BY p.created_at, p.id",
        prefixed_package_columns()
    ))
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(package_row).collect()
}

fn prefixed_package_columns() -> String {
    PACKAGE_COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every package carrying the order, oldest first.
pub async fn packages_of(db: &Database, order_id: OrderId) -> Result<Vec<Package>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM warehouse_packages p
         JOIN warehouse_package_orders po ON po.package_id = p.id
         WHERE po.order_id = $1 ORDER BY p.created_at, p.id",
        prefixed_package_columns()
    ))
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut packages = rows.iter().map(package_row).collect::<Result<Vec<_>>>()?;
    for package in &mut packages {
        package_orders(&db.reader, package).await?;
    }
    Ok(packages)
}

/// Records the order's shipment for the package (each order of a combined package has its
/// own, written back to its own store order).
pub async fn set_order_shipment(
    tx: &mut Tx<'_>,
    package_id: &str,
    order_id: OrderId,
    shipment_id: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE warehouse_package_orders SET shipment_id = $1
         WHERE package_id = $2 AND order_id = $3",
    )
    .bind(shipment_id)
    .bind(package_id)
    .bind(order_id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn choose_carrier(
    tx: &mut Tx<'_>,
    id: &str,
    code: &str,
    fee: i64,
    currency: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE warehouse_packages SET carrier_code = $1, fee_minor = $2, fee_currency = $3,
            updated_at = $4 WHERE id = $5 AND fee_paid_at IS NULL",
    )
    .bind(code)
    .bind(fee)
    .bind(currency)
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn fee_paid(
    tx: &mut Tx<'_>,
    id: &str,
    ledger_ref: &str,
    paid_at: DateTime<Utc>,
    due: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE warehouse_packages SET fee_ledger_ref = $1, fee_paid_at = $2,
            dispatch_due_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(ledger_ref)
    .bind(paid_at.timestamp_millis())
    .bind(due.timestamp_millis())
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct Dispatch<'a> {
    pub carrier: &'a str,
    pub tracking_number: &'a str,
    pub label_ref: Option<&'a str>,
    pub shipment_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn dispatched(tx: &mut Tx<'_>, id: &str, d: &Dispatch<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE warehouse_packages SET carrier = $1, tracking_number = $2, label_ref = $3,
            shipment_id = $4, dispatched_at = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(d.carrier)
    .bind(d.tracking_number)
    .bind(d.label_ref)
    .bind(d.shipment_id)
    .bind(d.at.timestamp_millis())
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Paid packages past their dispatch deadline and not flagged yet: flags them, returns them
/// with the orders they carry.
pub async fn flag_late(tx: &mut Tx<'_>, now: DateTime<Utc>) -> Result<Vec<(String, Vec<OrderId>)>> {
    let rows = sqlx::query(
        "SELECT id, order_id FROM warehouse_packages
         WHERE dispatched_at IS NULL AND late = 0 AND dispatch_due_at IS NOT NULL
            AND dispatch_due_at < $1
            AND order_id NOT IN (SELECT order_id FROM warehouse_legs WHERE stage = 'cancelled')
         ORDER BY dispatch_due_at LIMIT 200",
    )
    .bind(now.timestamp_millis())
    .fetch_all(&mut **tx)
    .await?;
    let mut late = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        sqlx::query("UPDATE warehouse_packages SET late = 1, updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(&id)
            .execute(&mut **tx)
            .await?;
        let orders = sqlx::query(
            "SELECT order_id FROM warehouse_package_orders WHERE package_id = $1
             ORDER BY order_id",
        )
        .bind(&id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|o| super::codec::parse_id("order_id", &o.try_get::<String, _>("order_id")?))
        .collect::<Result<Vec<OrderId>>>()?;
        late.push((id, orders));
    }
    Ok(late)
}

// ---- rate tables and settings -------------------------------------------------------------

/// The operator's rate tables as TOML, when they replaced the sample data.
pub async fn rate_tables(db: &Database) -> Result<Option<String>> {
    current_document(db, "warehouse_rates", "tables").await
}

pub async fn put_rate_tables(db: &Database, toml: &str, by: &str) -> Result<()> {
    put_current_document(db, "warehouse_rates", "tables", toml, by).await
}

/// The operator's refund rules as TOML, when they replaced the sample data.
pub async fn refund_rules(db: &Database) -> Result<Option<String>> {
    current_document(db, "warehouse_refund_rules", "rules").await
}

pub async fn put_refund_rules(db: &Database, toml: &str, by: &str) -> Result<()> {
    put_current_document(db, "warehouse_refund_rules", "rules", toml, by).await
}

/// An operator-edited document (rate tables, refund rules): the one `current` row of
/// `table`, its text in `column`. Both names are constants of this module, never input.
async fn current_document(
    db: &Database,
    table: &'static str,
    column: &'static str,
) -> Result<Option<String>> {
    let row = sqlx::query(&format!(
        "SELECT {column} FROM {table} WHERE id = 'current'"
    ))
    .fetch_optional(&db.reader)
    .await?;
    row.map(|r| r.try_get(column).map_err(Into::into))
        .transpose()
}

async fn put_current_document(
    db: &Database,
    table: &'static str,
    column: &'static str,
    text: &str,
    by: &str,
) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(&format!(
        "INSERT INTO {table} (id, {column}, updated_by, updated_at)
         VALUES ('current', $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column},
            updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(text)
    .bind(by)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A store's warehouse settings. What goes in the parcel with the goods (logo, thank-you
/// card) is the store's branding (`storage::branding`, the dashboard's settings page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseSettings {
    /// Choose the carrier without asking (`null`: the merchant chooses).
    #[schema(value_type = Option<Object>)]
    pub auto_pick: Option<AutoPick>,
    /// Pay the shipping fee from the wallet as soon as the carrier is chosen.
    pub auto_pay_fee: bool,
}

/// Inside a transaction (`&mut **tx`) or from the reader pool.
pub async fn settings<'c, E>(executor: E, store_id: StoreId) -> Result<WarehouseSettings>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row =
        sqlx::query("SELECT auto_pick, auto_pay_fee FROM warehouse_settings WHERE store_id = $1")
            .bind(store_id.to_string())
            .fetch_optional(executor)
            .await?;
    let Some(r) = row else {
        return Ok(WarehouseSettings {
            auto_pick: None,
            auto_pay_fee: false,
        });
    };
    Ok(WarehouseSettings {
        auto_pick: r
            .try_get::<Option<String>, _>("auto_pick")?
            .map(|t| from_json("auto_pick", &t))
            .transpose()?,
        auto_pay_fee: r.try_get::<i64, _>("auto_pay_fee")? != 0,
    })
}

pub async fn put_settings(db: &Database, store_id: StoreId, s: &WarehouseSettings) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO warehouse_settings (store_id, auto_pick, auto_pay_fee, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (store_id) DO UPDATE SET auto_pick = excluded.auto_pick,
            auto_pay_fee = excluded.auto_pay_fee, updated_at = excluded.updated_at",
    )
    .bind(store_id.to_string())
    .bind(s.auto_pick.map(|p| to_json(&p)).transpose()?)
    .bind(i64::from(s.auto_pay_fee))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The store lines of the shipment's order packed in the warehouse parcel written as
/// shipment `shipment_id`: (store line id, quantity); empty for any other parcel. A package
/// combining several orders has one shipment per order, each carrying that order's lines.
pub async fn package_lines(db: &Database, shipment_id: &str) -> Result<Vec<(String, u32)>> {
    let rows = sqlx::query(
        "SELECT l.external_id, l.quantity FROM warehouse_package_orders po
         JOIN warehouse_items i ON i.package_id = po.package_id AND i.order_id = po.order_id
         JOIN order_lines l ON l.order_id = i.order_id AND l.position = i.line_position
         WHERE po.shipment_id = $1 ORDER BY l.position",
    )
    .bind(shipment_id)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("external_id")?,
                u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
            ))
        })
        .collect()
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
        .map(|r| super::codec::parse_id("order_id", &r.try_get::<String, _>("order_id")?))
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
