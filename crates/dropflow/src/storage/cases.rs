//! After-sale cases (`dropflow_core::after_sale`): one row per case with its state as JSON,
//! the units of each order line it claims, and what an order has shipped per line (the most a
//! case may claim). Cases are written inside the caller's transaction, after
//! `orders::lock`, so two cases opened at once for one order see each other.

use super::codec::{from_row, parse_id, RowExt};
use super::{now_ms, query, Database, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::after_sale::{CaseLine, CaseState};
use dropflow_core::ids::{OrderId, StoreId};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// One case as stored.
#[derive(Debug, Clone)]
pub struct StoredCase {
    pub id: String,
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub state: CaseState,
    /// The merchant's or the customer's words when it was opened.
    pub note: Option<String>,
    /// Who opened it (an actor label: `merchant:…`, `store:shopify`).
    pub opened_by: String,
    /// The store's refund or return id that opened it, for a case the store opened.
    pub store_reference: Option<String>,
    /// The store return the case follows (Shopify Returns), when one does.
    pub store_return_id: Option<String>,
    /// That return's status as the store last told it (`requested`, `open`, …).
    pub store_return_status: Option<String>,
    /// When the supplier's answer is due, while one is awaited.
    pub supplier_due_at: Option<DateTime<Utc>>,
    /// Optimistic concurrency: [`update`] writes only over the version read.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The claimed units, by order line position.
    pub lines: Vec<ClaimedLine>,
}

/// Units of one order line a case claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedLine {
    pub line_position: i64,
    /// The store's id for the line.
    pub line_id: String,
    pub title: String,
    pub quantity: u32,
}

impl StoredCase {
    /// The lines as the pure core names them (by store line id).
    pub fn core_lines(&self) -> Vec<CaseLine> {
        self.lines
            .iter()
            .map(|l| CaseLine {
                line_id: l.line_id.clone(),
                quantity: l.quantity,
            })
            .collect()
    }
}

/// A case to record.
pub struct NewCase<'a> {
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub state: &'a CaseState,
    /// (order line position, units).
    pub lines: &'a [(i64, u32)],
    pub note: Option<&'a str>,
    pub opened_by: &'a str,
    pub store_reference: Option<&'a str>,
}

const COLUMNS: &str = "c.id, c.order_id, c.store_id, c.state, c.note, c.opened_by, \
    c.store_reference, c.store_return_id, c.store_return_status, c.supplier_due_at, c.version, \
    c.created_at, c.updated_at";

/// The cases `scope` sees, as a condition on `cases c JOIN orders o`: those of the orders it
/// sees; a vendor only those whose supplier side asks one of its purchases.
fn case_condition(scope: &super::accounts::Scope, binds: &mut Vec<String>) -> String {
    let orders = scope.order_condition("o.", binds);
    match scope {
        super::accounts::Scope::Vendor { vendor, .. } => {
            binds.push(vendor.clone());
            format!(
                "{orders} AND c.supplier_order_id IN (SELECT id FROM supplier_orders \
                 WHERE supplier = 'manual' AND supplier_account = ${})",
                binds.len()
            )
        }
        _ => orders,
    }
}

fn case_from_row(r: &AnyRow) -> Result<StoredCase> {
    Ok(from_row!(r => StoredCase {
        id, note, opened_by, store_reference, store_return_id, store_return_status, version;
        order_id: parse_id("cases.order_id", &r.try_get::<String, _>("order_id")?)?,
        store_id: parse_id("cases.store_id", &r.try_get::<String, _>("store_id")?)?,
        state: r.json("state")?,
        supplier_due_at: r.at_opt("supplier_due_at")?,
        created_at: r.at("created_at")?,
        updated_at: r.at("updated_at")?,
        lines: Vec::new(),
    }))
}

/// Records a case and its lines; its id.
pub async fn insert(tx: &mut Tx<'_>, case: &NewCase<'_>) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO cases (id, order_id, store_id, reason, resolution, state, closed, note,
            opened_by, store_reference, supplier_due_at, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 1, $11, $11)",
    )
    .bind(&id)
    .bind(case.order_id.to_string())
    .bind(case.store_id.to_string())
    .bind(case.state.reason.as_str())
    .bind(case.state.resolution.kind())
    .bind(super::codec::to_json(case.state)?)
    .bind(i64::from(case.state.closed.is_some()))
    .bind(case.note)
    .bind(case.opened_by)
    .bind(case.store_reference)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for (position, quantity) in case.lines {
        sqlx::query(
            "INSERT INTO case_lines (case_id, line_position, quantity) VALUES ($1, $2, $3)",
        )
        .bind(&id)
        .bind(position)
        .bind(i64::from(*quantity))
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Writes a case's new state over the version read; a case changed meanwhile is a conflict.
pub async fn update(
    tx: &mut Tx<'_>,
    case: &StoredCase,
    state: &CaseState,
    supplier_due_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE cases SET state = $1, resolution = $2, closed = $3, supplier_due_at = $4,
            version = version + 1, updated_at = $5
         WHERE id = $6 AND version = $7",
    )
    .bind(super::codec::to_json(state)?)
    .bind(state.resolution.kind())
    .bind(i64::from(state.closed.is_some()))
    .bind(supplier_due_at.map(super::codec::ms))
    .bind(now_ms())
    .bind(&case.id)
    .bind(case.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::Conflict(format!(
            "case {} changed meanwhile; read it again",
            case.id
        )));
    }
    Ok(())
}

/// The order's purchases (not cancelled or rejected) that bought any of the lines at
/// `positions`: whom case `case_id` about those lines concerns. The case's own replacement
/// (a reship bought for it) is not where its goods came from, so it is left out; another
/// case's replacement is, when its goods are the ones claimed.
pub async fn purchases_of_lines(
    db: &Database,
    order_id: OrderId,
    case_id: &str,
    positions: &[i64],
) -> Result<Vec<dropflow_core::ids::SupplierOrderId>> {
    // One query per claimed line: a case claims a handful of lines.
    let mut ids = Vec::new();
    for position in positions {
        let found = sqlx::query(
            "SELECT DISTINCT so.id AS id FROM supplier_orders so
             JOIN supplier_order_items i ON i.supplier_order_id = so.id
             WHERE so.order_id = $1 AND so.status NOT IN ('cancelled', 'rejected')
               AND i.line_position = $2 AND (so.case_id IS NULL OR so.case_id <> $3)",
        )
        .bind(order_id.to_string())
        .bind(position)
        .bind(case_id)
        .fetch_all(&db.reader)
        .await?;
        for row in found {
            let id =
                super::codec::parse_id("supplier_orders.id", &row.try_get::<String, _>("id")?)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// The suppliers (`marketplace`, `cj`, …) of the order's live purchases (not cancelled or
/// rejected) that bought any of the lines at `positions`, each once: where the goods of a
/// case about those lines came from, and so where they go back.
pub async fn suppliers_of_lines(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    positions: &[i64],
) -> Result<Vec<String>> {
    let mut suppliers = Vec::new();
    // One query per claimed line: a case claims a handful of lines.
    for position in positions {
        let found = sqlx::query(
            "SELECT DISTINCT so.supplier FROM supplier_orders so
             JOIN supplier_order_items i ON i.supplier_order_id = so.id
             WHERE so.order_id = $1 AND so.status NOT IN ('cancelled', 'rejected')
               AND i.line_position = $2",
        )
        .bind(order_id.to_string())
        .bind(position)
        .fetch_all(&mut **tx)
        .await?;
        for row in found {
            let supplier: String = row.try_get("supplier")?;
            if !suppliers.contains(&supplier) {
                suppliers.push(supplier);
            }
        }
    }
    Ok(suppliers)
}

/// When the purchase's goods were first seen delivered to the customer (the anchor of a
/// buyer-protection window), in ms; `None` when no parcel of it is known delivered.
pub async fn delivered_at(
    db: &Database,
    purchase: dropflow_core::ids::SupplierOrderId,
) -> Result<Option<i64>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(COALESCE(last_event_at, updated_at)) FROM shipments
         WHERE supplier_order_id = $1 AND status = 'delivered'",
    )
    .bind(purchase.to_string())
    .fetch_one(&db.reader)
    .await?;
    Ok(at)
}

/// When the follower next looks at the case's supplier side (`None`: nothing to follow).
pub async fn set_next_sync(tx: &mut Tx<'_>, id: &str, at_ms: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE cases SET next_sync_at = $1 WHERE id = $2")
        .bind(at_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The purchase whose supplier the case asks (what a vendor's list is filtered on).
pub async fn set_supplier_order(tx: &mut Tx<'_>, id: &str, purchase: &str) -> Result<()> {
    sqlx::query("UPDATE cases SET supplier_order_id = $1 WHERE id = $2")
        .bind(purchase)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Claims the cases whose supplier side is due a look and queues `job` for each; how many.
pub async fn claim_due_follows(
    db: &Database,
    job: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<usize> {
    super::jobs::enqueue_due(db, "cases", "case_id", job, now_ms, lease_ms, limit).await
}

/// Every case of an order, oldest first, with their lines (inside the opening transaction).
pub async fn for_order_in(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<StoredCase>> {
    let sql = format!("SELECT {COLUMNS} FROM cases c WHERE c.order_id = $1 ORDER BY c.id");
    let query = sqlx::query(&sql).bind(order_id.to_string());
    let mut cases = query::all(query, &mut **tx, case_from_row).await?;
    let lines = lines_of_order(&mut **tx, order_id).await?;
    attach(&mut cases, lines);
    Ok(cases)
}

/// Every case of an order, newest first, with their lines.
pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<StoredCase>> {
    let sql = format!("SELECT {COLUMNS} FROM cases c WHERE c.order_id = $1 ORDER BY c.id DESC");
    let query = sqlx::query(&sql).bind(order_id.to_string());
    let mut cases = query::all(query, &db.reader, case_from_row).await?;
    let lines = lines_of_order(&db.reader, order_id).await?;
    attach(&mut cases, lines);
    Ok(cases)
}

/// One case, if the scope sees its order; with its lines.
pub async fn get(
    db: &Database,
    scope: &super::accounts::Scope,
    id: &str,
) -> Result<Option<StoredCase>> {
    let mut binds = vec![id.to_string()];
    let condition = case_condition(scope, &mut binds);
    let sql = format!(
        "SELECT {COLUMNS} FROM cases c JOIN orders o ON o.id = c.order_id
         WHERE c.id = $1 AND {condition}"
    );
    let Some(mut case) =
        query::one(query::with_binds(&sql, &binds), &db.reader, case_from_row).await?
    else {
        return Ok(None);
    };
    let lines = lines_of_order(&db.reader, case.order_id).await?;
    let mut one = vec![case];
    attach(&mut one, lines);
    case = one.pop().ok_or(StorageError::NotFound)?;
    Ok(Some(case))
}

/// The same case again inside a transaction (to update it).
pub async fn get_in(tx: &mut Tx<'_>, id: &str) -> Result<Option<StoredCase>> {
    by_id(tx, id).await
}

/// One case by id, whoever's it is (for the jobs that carry it out).
pub async fn load(db: &Database, id: &str) -> Result<Option<StoredCase>> {
    let mut conn = db.reader.acquire().await?;
    by_id(&mut conn, id).await
}

async fn by_id(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Option<StoredCase>> {
    let sql = format!("SELECT {COLUMNS} FROM cases c WHERE c.id = $1");
    let query = sqlx::query(&sql).bind(id);
    let Some(case) = query::one(query, &mut *conn, case_from_row).await? else {
        return Ok(None);
    };
    let lines = lines_of_order(&mut *conn, case.order_id).await?;
    let mut one = vec![case];
    attach(&mut one, lines);
    Ok(one.pop())
}

/// The case a store refund or return opened, if one did.
pub async fn by_store_reference(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    reference: &str,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT id FROM cases WHERE store_id = $1 AND store_reference = $2")
        .bind(store_id.to_string())
        .bind(reference)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.try_get::<String, _>("id").map_err(Into::into))
        .transpose()
}

/// The case following the store's return `return_id`, if one does: (case id, order id).
pub async fn by_store_return(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    return_id: &str,
) -> Result<Option<(String, OrderId)>> {
    let row =
        sqlx::query("SELECT id, order_id FROM cases WHERE store_id = $1 AND store_return_id = $2")
            .bind(store_id.to_string())
            .bind(return_id)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|r| {
        let order: String = r.try_get("order_id")?;
        Ok((r.try_get("id")?, parse_id("cases.order_id", &order)?))
    })
    .transpose()
}

/// Ties a case to the store's return `return_id` (one case per return and store: a second
/// tie to the same return is refused by the unique index), with the return's status.
pub async fn link_store_return(
    tx: &mut Tx<'_>,
    case_id: &str,
    return_id: &str,
    status: &str,
) -> Result<()> {
    sqlx::query("UPDATE cases SET store_return_id = $1, store_return_status = $2 WHERE id = $3")
        .bind(return_id)
        .bind(status)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The store return's status as the store now tells it.
pub async fn set_store_return_status(tx: &mut Tx<'_>, case_id: &str, status: &str) -> Result<()> {
    sqlx::query("UPDATE cases SET store_return_status = $1 WHERE id = $2")
        .bind(status)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which cases to list.
#[derive(Debug, Clone)]
pub struct CaseQuery {
    pub scope: super::accounts::Scope,
    /// `Some(false)`: open ones only; `Some(true)`: closed ones only.
    pub closed: Option<bool>,
    /// Keyset cursor: cases older than this id.
    pub before: Option<String>,
    pub limit: u32,
}

/// Cases the scope sees, newest first, with their lines.
pub async fn list(db: &Database, q: &CaseQuery) -> Result<Vec<StoredCase>> {
    let mut binds = Vec::new();
    let mut conditions = vec![case_condition(&q.scope, &mut binds)];
    if let Some(closed) = q.closed {
        conditions.push(format!("c.closed = {}", i64::from(closed)));
    }
    if let Some(before) = &q.before {
        binds.push(before.clone());
        conditions.push(format!("c.id < ${}", binds.len()));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM cases c JOIN orders o ON o.id = c.order_id
         WHERE {} ORDER BY c.id DESC LIMIT {}",
        conditions.join(" AND "),
        q.limit
    );
    let mut cases = query::all(query::with_binds(&sql, &binds), &db.reader, case_from_row).await?;
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let mut lines = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT cl.case_id, cl.line_position, cl.quantity, l.external_id, l.title
             FROM case_lines cl JOIN cases c ON c.id = cl.case_id
             JOIN order_lines l ON l.order_id = c.order_id AND l.position = cl.line_position
             WHERE cl.case_id IN ({})",
            query::params(1, chunk.len())
        );
        let query = query::bind_ids(sqlx::query(&sql), chunk);
        lines.extend(query::all(query, &db.reader, case_line).await?);
    }
    attach(&mut cases, lines);
    Ok(cases)
}

/// Cases per state and per resolution, of those the scope sees: the Returns tab's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseCounts {
    pub open: i64,
    pub closed: i64,
    /// Open cases per resolution kind (`refund`, `reship`, `exchange`, `return_first`).
    pub open_by_resolution: BTreeMap<String, i64>,
}

pub async fn counts(db: &Database, scope: &super::accounts::Scope) -> Result<CaseCounts> {
    let mut binds = Vec::new();
    let condition = case_condition(scope, &mut binds);
    let sql = format!(
        "SELECT c.closed, c.resolution, COUNT(*) AS n FROM cases c
         JOIN orders o ON o.id = c.order_id WHERE {condition}
         GROUP BY c.closed, c.resolution"
    );
    let rows = query::with_binds(&sql, &binds)
        .fetch_all(&db.reader)
        .await?;
    let mut counts = CaseCounts::default();
    for row in rows {
        let closed: i64 = row.try_get("closed")?;
        let n: i64 = row.try_get("n")?;
        if closed != 0 {
            counts.closed += n;
        } else {
            counts.open += n;
            *counts
                .open_by_resolution
                .entry(row.try_get("resolution")?)
                .or_default() += n;
        }
    }
    Ok(counts)
}

type LineRow = (String, ClaimedLine);

fn case_line(r: &AnyRow) -> Result<LineRow> {
    Ok((
        r.try_get("case_id")?,
        ClaimedLine {
            line_position: r.try_get("line_position")?,
            line_id: r.try_get("external_id")?,
            title: r.try_get("title")?,
            quantity: u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
        },
    ))
}

async fn lines_of_order<'c, E>(on: E, order_id: OrderId) -> Result<Vec<LineRow>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let query = sqlx::query(
        "SELECT cl.case_id, cl.line_position, cl.quantity, l.external_id, l.title
         FROM case_lines cl JOIN cases c ON c.id = cl.case_id
         JOIN order_lines l ON l.order_id = c.order_id AND l.position = cl.line_position
         WHERE c.order_id = $1 ORDER BY cl.line_position",
    )
    .bind(order_id.to_string());
    query::all(query, on, case_line).await
}

fn attach(cases: &mut [StoredCase], lines: Vec<LineRow>) {
    let mut by_case: BTreeMap<String, Vec<ClaimedLine>> = BTreeMap::new();
    for (case_id, line) in lines {
        by_case.entry(case_id).or_default().push(line);
    }
    for case in cases {
        let mut lines = by_case.remove(&case.id).unwrap_or_default();
        lines.sort_by_key(|l| l.line_position);
        case.lines = lines;
    }
}

/// Units of each order line that reached the customer's way, by line position: lines a
/// parcel lists; every line of a supplier order whose parcel was recorded without its lines
/// (the whole purchase); and items the warehouse shipped on. Capped by what the purchases
/// that shipped bought of the line (or its current quantity, when larger).
pub async fn shipped_per_line(tx: &mut Tx<'_>, order_id: OrderId) -> Result<BTreeMap<i64, u32>> {
    let id = order_id.to_string();
    let listed = sqlx::query(
        "SELECT si.line_position AS position, CAST(SUM(si.quantity) AS BIGINT) AS n
         FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
         WHERE s.order_id = $1 GROUP BY si.line_position",
    )
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?;
    // A supplier's parcel without its lines carries the whole purchase; the warehouse's own
    // parcels are counted by the items they shipped (below), not by their first purchase.
    let whole = sqlx::query(
        "SELECT i.line_position AS position, MAX(COALESCE(i.line_quantity, i.quantity)) AS n
         FROM supplier_order_items i
         WHERE i.supplier_order_id IN (
             SELECT s.supplier_order_id FROM shipments s
             WHERE s.order_id = $1 AND s.leg = 'supplier_to_customer'
               AND NOT EXISTS (SELECT 1 FROM shipment_items si WHERE si.shipment_id = s.id))
         GROUP BY i.supplier_order_id, i.line_position",
    )
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?;
    let from_warehouse = sqlx::query(
        "SELECT w.line_position AS position, MAX(COALESCE(i.line_quantity, i.quantity)) AS n
         FROM warehouse_items w
         JOIN supplier_order_items i ON i.supplier_order_id = w.supplier_order_id
          AND i.line_position = w.line_position
         WHERE w.order_id = $1 AND w.state LIKE '%\"shipped\"%'
         GROUP BY w.supplier_order_id, w.line_position",
    )
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?;
    // The cap is what was bought by purchases that shipped something, or the line's current
    // quantity when larger: a store refund that lowered the line after shipping must not
    // hide the units still with the customer.
    let limits = sqlx::query(
        "SELECT l.position AS position, l.quantity AS current_quantity,
                (SELECT CAST(COALESCE(SUM(COALESCE(i.line_quantity, i.quantity)), 0) AS BIGINT)
                 FROM supplier_order_items i
                 WHERE i.line_position = l.position
                   AND i.supplier_order_id IN (
                       SELECT s.supplier_order_id FROM shipments s WHERE s.order_id = $1)
                ) AS bought
         FROM order_lines l WHERE l.order_id = $1",
    )
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?;
    let mut shipped: BTreeMap<i64, i64> = BTreeMap::new();
    for row in listed.iter().chain(&whole).chain(&from_warehouse) {
        *shipped.entry(row.try_get("position")?).or_default() += row.try_get::<i64, _>("n")?;
    }
    let mut capped = BTreeMap::new();
    for row in limits {
        let position: i64 = row.try_get("position")?;
        let cap = row
            .try_get::<i64, _>("current_quantity")?
            .max(row.try_get::<i64, _>("bought")?);
        let units = shipped.get(&position).copied().unwrap_or(0).min(cap);
        capped.insert(position, u32::try_from(units.max(0)).unwrap_or(0));
    }
    Ok(capped)
}
