//! The international packages: what they carry, their carrier, fee and dispatch.

use super::*;

/// The international parcel.
#[derive(Debug, Clone)]
pub struct Package {
    pub id: String,
    pub order_id: String,
    pub order_ids: Vec<String>,
    pub store_id: String,
    pub weight_g: i64,
    pub length_cm: i64,
    pub width_cm: i64,
    pub height_cm: i64,
    pub branding: bool,
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
    Ok(from_row!(r => Package {
        id, order_id, store_id, weight_g, length_cm, width_cm, height_cm, carrier_code,
        fee_minor, fee_currency, fee_ledger_ref, label_ref, carrier, tracking_number,
        shipment_id;
        order_ids: Vec::new(),
        branding: r.try_get::<i64, _>("branding")? != 0,
        quotes: r.json("quotes")?,
        fee_paid_at: r.at_opt("fee_paid_at")?,
        dispatch_due_at: r.at_opt("dispatch_due_at")?,
        dispatched_at: r.at_opt("dispatched_at")?,
        late: r.try_get::<i64, _>("late")? != 0,
    }))
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
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM warehouse_packages WHERE id = $1");
    let found = query::one(sqlx::query(&sql).bind(id), &mut **tx, package_row).await?;
    let Some(mut package) = found else {
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
    let sql = packages_carrying_order();
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &mut **tx, package_row).await
}

/// The packages carrying the order `$1`, oldest first.
fn packages_carrying_order() -> String {
    let columns = PACKAGE_COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {columns} FROM warehouse_packages p
         JOIN warehouse_package_orders po ON po.package_id = p.id
         WHERE po.order_id = $1 ORDER BY p.created_at, p.id"
    )
}

/// Every package carrying the order, oldest first, with every order each one carries.
pub async fn packages_of(db: &Database, order_id: OrderId) -> Result<Vec<Package>> {
    let sql = packages_carrying_order();
    let query = sqlx::query(&sql).bind(order_id.to_string());
    let mut packages = query::all(query, &db.reader, package_row).await?;
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
        .map(|o| crate::storage::codec::parse_id("order_id", &o.try_get::<String, _>("order_id")?))
        .collect::<Result<Vec<OrderId>>>()?;
        late.push((id, orders));
    }
    Ok(late)
}
