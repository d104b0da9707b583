//! Customers' return parcels of after-sale cases received at the warehouse (one per case),
//! with their inspection, and the return parcels a scan may name.

use super::*;
use dropflow_core::after_sale::warehouse::Receipt;

/// A case's return parcel as the warehouse received it.
#[derive(Debug, Clone)]
pub struct ReturnReceipt {
    pub id: String,
    pub case_id: String,
    pub order_id: String,
    /// The order's name in the store (`#1001`).
    pub order_name: String,
    /// The number scanned, or the scan of the unknown parcel linked to the case.
    pub scan: String,
    /// The unknown parcel (exception) that turned out to be this return, when it was one.
    pub exception_id: Option<String>,
    /// Who received it (an actor label).
    pub received_by: String,
    pub received_at: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    pub checklist: Option<Checklist>,
    /// Restocked (`true`) or disposed of, once inspected.
    pub restocked: Option<bool>,
    pub inspected_by: Option<String>,
    pub inspected_at: Option<DateTime<Utc>>,
    /// The units the case claims: (title, quantity), in line order.
    pub lines: Vec<(String, i64)>,
}

impl ReturnReceipt {
    /// Where the warehouse is with it, as core names it.
    pub fn stage(&self) -> Receipt {
        match (self.inspected_at, self.restocked) {
            (Some(_), Some(restocked)) => Receipt::Inspected { restocked },
            (Some(_), None) => Receipt::Inspected { restocked: false },
            (None, _) => Receipt::Received,
        }
    }
}

/// The core stage of an optional receipt (none: not received here).
pub fn receipt_stage(receipt: Option<&ReturnReceipt>) -> Receipt {
    receipt.map_or(Receipt::None, ReturnReceipt::stage)
}

const RETURN_COLUMNS: &str = "r.id, r.case_id, r.order_id, o.name AS order_name, r.scan, \
     r.exception_id, r.received_by, r.received_at, r.outcome, r.checklist, r.restocked, \
     r.inspected_by, r.inspected_at";

fn return_row(r: &AnyRow) -> Result<ReturnReceipt> {
    Ok(from_row!(r => ReturnReceipt {
        id, case_id, order_id, order_name, scan, exception_id, received_by, inspected_by;
        received_at: r.at("received_at")?,
        outcome: r.json_opt("outcome")?,
        checklist: r.json_opt("checklist")?,
        restocked: r.try_get::<Option<i64>, _>("restocked")?.map(|n| n != 0),
        inspected_at: r.at_opt("inspected_at")?,
        lines: Vec::new(),
    }))
}

/// A receipt to record.
pub struct NewReturnReceipt<'a> {
    pub case_id: &'a str,
    pub order_id: OrderId,
    pub scan: &'a str,
    pub exception_id: Option<&'a str>,
    pub received_by: &'a str,
}

/// Records a case's return as received; false when it already was (one receipt per case,
/// whoever got there first).
pub async fn insert_return_receipt(tx: &mut Tx<'_>, new: &NewReturnReceipt<'_>) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO warehouse_returns (id, case_id, order_id, scan, exception_id, received_by,
            received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(new_id())
    .bind(new.case_id)
    .bind(new.order_id.to_string())
    .bind(new.scan)
    .bind(new.exception_id)
    .bind(new.received_by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The receipt of a case's return, whoever's it is (inside the transaction that changes it).
pub async fn return_receipt_in(tx: &mut Tx<'_>, case_id: &str) -> Result<Option<ReturnReceipt>> {
    let sql = format!(
        "SELECT {RETURN_COLUMNS} FROM warehouse_returns r JOIN orders o ON o.id = r.order_id
         WHERE r.case_id = $1"
    );
    query::one(sqlx::query(&sql).bind(case_id), &mut **tx, return_row).await
}

/// The receipt of a case's return, if `scope` sees its order.
pub async fn return_receipt(
    db: &Database,
    scope: &Scope,
    case_id: &str,
) -> Result<Option<ReturnReceipt>> {
    let mut binds = vec![case_id.to_string()];
    let condition = scope.order_condition("o.", &mut binds);
    let sql = format!(
        "SELECT {RETURN_COLUMNS} FROM warehouse_returns r JOIN orders o ON o.id = r.order_id
         WHERE r.case_id = $1 AND {condition}"
    );
    let found = query::one(query::with_binds(&sql, &binds), &db.reader, return_row).await?;
    let Some(mut receipt) = found else {
        return Ok(None);
    };
    receipt.lines = claimed_lines(&db.reader, &receipt.case_id).await?;
    Ok(Some(receipt))
}

/// Returns already received under `scan`, of orders in `scope` (a parcel scanned again).
pub async fn return_receipts_by_scan(
    tx: &mut Tx<'_>,
    scope: &Scope,
    scan: &str,
) -> Result<Vec<ReturnReceipt>> {
    let mut binds = vec![scan.to_string()];
    let condition = scope.order_condition("o.", &mut binds);
    let sql = format!(
        "SELECT {RETURN_COLUMNS} FROM warehouse_returns r JOIN orders o ON o.id = r.order_id
         WHERE r.scan = $1 AND {condition} ORDER BY r.received_at, r.id"
    );
    query::all(query::with_binds(&sql, &binds), &mut **tx, return_row).await
}

/// The orders in `scope` with a customer's return parcel numbered `scan` (shipments leg
/// `customer_return`), oldest first.
pub async fn orders_with_return_parcel(
    tx: &mut Tx<'_>,
    scope: &Scope,
    scan: &str,
) -> Result<Vec<OrderId>> {
    let mut binds = vec![
        scan.to_string(),
        crate::storage::parcels::RETURN_LEG.to_string(),
    ];
    let condition = scope.order_condition("o.", &mut binds);
    let sql = format!(
        "SELECT DISTINCT s.order_id FROM shipments s JOIN orders o ON o.id = s.order_id
         WHERE s.tracking_number = $1 AND s.leg = $2 AND {condition} ORDER BY s.order_id"
    );
    let rows = query::with_binds(&sql, &binds).fetch_all(&mut **tx).await?;
    rows.iter().map(|r| r.id("order_id")).collect()
}

/// Records a received return's inspection; false when it was already inspected.
pub async fn record_return_inspection(
    tx: &mut Tx<'_>,
    case_id: &str,
    outcome: &Outcome,
    checklist: &Checklist,
    restocked: bool,
    by: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE warehouse_returns SET outcome = $1, checklist = $2, restocked = $3,
            inspected_by = $4, inspected_at = $5
         WHERE case_id = $6 AND inspected_at IS NULL",
    )
    .bind(to_json(outcome)?)
    .bind(to_json(checklist)?)
    .bind(i64::from(restocked))
    .bind(by)
    .bind(now_ms())
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The returns of orders in `scope`: those waiting for inspection (`waiting`), oldest
/// receipt first, or every one, newest first; at most `limit`, with the units each case
/// claims.
pub async fn return_receipts(
    db: &Database,
    scope: &Scope,
    waiting: bool,
    limit: i64,
) -> Result<Vec<ReturnReceipt>> {
    let mut binds = Vec::new();
    let condition = scope.order_condition("o.", &mut binds);
    let (filter, order) = if waiting {
        (" AND r.inspected_at IS NULL", "r.received_at, r.id")
    } else {
        ("", "r.received_at DESC, r.id DESC")
    };
    let sql = format!(
        "SELECT {RETURN_COLUMNS} FROM warehouse_returns r JOIN orders o ON o.id = r.order_id
         WHERE {condition}{filter} ORDER BY {order} LIMIT {}",
        limit.clamp(1, 500)
    );
    let mut receipts = query::all(query::with_binds(&sql, &binds), &db.reader, return_row).await?;
    // One query per return: a page lists at most a few hundred.
    for receipt in &mut receipts {
        receipt.lines = claimed_lines(&db.reader, &receipt.case_id).await?;
    }
    Ok(receipts)
}

/// The units a case claims: (line title, quantity), in line order.
async fn claimed_lines<'c, E>(executor: E, case_id: &str) -> Result<Vec<(String, i64)>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let query = sqlx::query(
        "SELECT l.title, cl.quantity FROM case_lines cl
         JOIN cases c ON c.id = cl.case_id
         JOIN order_lines l ON l.order_id = c.order_id AND l.position = cl.line_position
         WHERE cl.case_id = $1 ORDER BY cl.line_position",
    )
    .bind(case_id);
    query::all(query, executor, |r| {
        Ok((r.try_get("title")?, r.try_get("quantity")?))
    })
    .await
}
