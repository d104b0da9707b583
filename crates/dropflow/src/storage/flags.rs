//! Order flags: a change after a purchase that a person must settle (a quantity or address
//! edited after hand-over, an order cancelled after it was paid or shipped, a placement to
//! link by hand). Open flags put the order in Needs Attention; a flag is never deleted, only
//! resolved, with what was done and by whom.

use super::codec::parse_id;
use super::codec::{from_row, RowExt};
use super::{now_ms, query, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, SupplierOrderId};
use sqlx::Row;

/// The kinds of flag, as stored (`order_flags.kind`).
pub mod kind {
    /// A line's quantity changed (or the line was removed) after it was bought.
    pub const QUANTITY_CHANGED: &str = "quantity_changed";
    /// The shipping address changed after the supplier was given it.
    pub const ADDRESS_CHANGED: &str = "address_changed";
    /// Cancelled or refunded in the store after the supplier was paid, not yet shipped.
    pub const CANCEL_WITH_SUPPLIER: &str = "cancel_with_supplier";
    /// Cancelled or refunded in the store after a vendor was handed the order.
    pub const CANCELLED_AFTER_HANDOVER: &str = "cancelled_after_handover";
    /// Cancelled or refunded in the store after the goods shipped: return or refund?
    pub const CANCELLED_AFTER_SHIPMENT: &str = "cancelled_after_shipment";
    /// A placement went unanswered and the supplier cannot be asked: link it by hand.
    pub const LINK_BY_HAND: &str = "link_by_hand";
    /// The store refused to refund a case's customer: a person refunds in the store, or fixes
    /// the cause and retries the job.
    pub const CASE_REFUND_FAILED: &str = "case_refund_failed";
    /// A case's supplier must be asked by a person (no dispute API): open the dispute by the
    /// deadline, then record its answer on the case.
    pub const CASE_SUPPLIER_TASK: &str = "case_supplier_task";
    /// A case's supplier has not answered and its deadline is near.
    pub const CASE_SUPPLIER_DUE: &str = "case_supplier_due";
    /// A case's supplier did not answer in time: a person decides what is lost.
    pub const CASE_SUPPLIER_EXPIRED: &str = "case_supplier_expired";
    /// A case's replacement (reship or exchange) could not be routed: map it, then retry.
    pub const CASE_REPLACEMENT_FAILED: &str = "case_replacement_failed";
    /// The customer's bank disputes the payment (a chargeback or an inquiry): gather the
    /// evidence (`GET /api/v1/orders/{id}/evidence`) and answer in the store by the due date.
    pub const CHARGEBACK: &str = "chargeback";
    /// A job of the order used up its tries (a store or supplier down for hours, an answer
    /// nobody expected): fix the cause, then retry the job, which settles the flag.
    pub const JOB_FAILED: &str = "job_failed";
}

/// How a `job_failed` flag's detail begins: the job it is about, so retrying that job
/// settles it.
pub fn job_prefix(job_id: i64, job_kind: &str) -> String {
    format!("job {job_id} ({job_kind}) ")
}

/// One flag as shown.
#[derive(Debug, Clone)]
pub struct Flag {
    pub id: String,
    pub supplier_order_id: Option<String>,
    pub line_position: Option<i64>,
    pub kind: String,
    pub detail: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
}

const COLUMNS: &str = "id, supplier_order_id, line_position, kind, detail, opened_at, \
    resolved_at, resolution, resolved_by";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Flag> {
    Ok(from_row!(r => Flag {
        id, supplier_order_id, line_position, kind, detail, resolution, resolved_by;
        opened_at: r.at("opened_at")?,
        resolved_at: r.at_opt("resolved_at")?,
    }))
}

/// Opens a flag unless the same one (order, purchase, kind, words) is already open; the new
/// flag's id, or `None` for a repeat (a job that runs twice raises it once). `line`: the
/// order line a quantity flag is about.
pub async fn raise(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    supplier_order_id: Option<SupplierOrderId>,
    line: Option<u32>,
    kind: &str,
    detail: &str,
) -> Result<Option<String>> {
    let so = supplier_order_id.map(|s| s.to_string());
    let open = sqlx::query(
        "SELECT id FROM order_flags WHERE order_id = $1 AND kind = $2 AND detail = $3
           AND resolved_at IS NULL
           AND (supplier_order_id = $4 OR (supplier_order_id IS NULL AND $5 = 1))",
    )
    .bind(order_id.to_string())
    .bind(kind)
    .bind(detail)
    .bind(so.clone())
    .bind(i64::from(so.is_none()))
    .fetch_optional(&mut **tx)
    .await?;
    if open.is_some() {
        return Ok(None);
    }
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO order_flags (id, order_id, supplier_order_id, kind, detail, opened_at,
            line_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(order_id.to_string())
    .bind(so)
    .bind(kind)
    .bind(detail)
    .bind(now_ms())
    .bind(line.map(i64::from))
    .execute(&mut **tx)
    .await?;
    Ok(Some(id))
}

/// Every flag of the order, newest first.
pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<Flag>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM order_flags WHERE order_id = $1 ORDER BY opened_at DESC, id DESC"
    );
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &db.reader, from_row).await
}

/// The order's open flags, oldest first, inside a transaction (the attention check).
pub async fn open_in(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<Flag>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM order_flags WHERE order_id = $1 AND resolved_at IS NULL
         ORDER BY opened_at, id"
    );
    let query = sqlx::query(&sql).bind(order_id.to_string());
    query::all(query, &mut **tx, from_row).await
}

/// One flag of the order, in a transaction.
pub async fn get_in(tx: &mut Tx<'_>, order_id: OrderId, id: &str) -> Result<Option<Flag>> {
    let sql = format!("SELECT {COLUMNS} FROM order_flags WHERE order_id = $1 AND id = $2");
    let query = sqlx::query(&sql).bind(order_id.to_string()).bind(id);
    query::one(query, &mut **tx, from_row).await
}

/// Resolves an open flag; whether it was open (a second resolve changes nothing).
pub async fn resolve(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    id: &str,
    resolution: &str,
    by: &str,
) -> Result<bool> {
    let which = [order_id.to_string(), id.to_string()];
    let done = resolve_where(tx, "order_id = $4 AND id = $5", &which, resolution, by).await?;
    Ok(done == 1)
}

/// Resolves every open flag of `kind` on a purchase (a link by hand settles its flag).
pub async fn resolve_kind(
    tx: &mut Tx<'_>,
    supplier_order_id: SupplierOrderId,
    kind: &str,
    resolution: &str,
    by: &str,
) -> Result<u64> {
    let which = [supplier_order_id.to_string(), kind.to_string()];
    resolve_where(
        tx,
        "supplier_order_id = $4 AND kind = $5",
        &which,
        resolution,
        by,
    )
    .await
}

/// Resolves the open `job_failed` flag of job `job_id` on its order (a person retried the
/// job); how many were open.
pub async fn resolve_for_job(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    job_id: i64,
    job_kind: &str,
    by: &str,
) -> Result<u64> {
    let prefix = job_prefix(job_id, job_kind);
    let resolution = "the job was retried";
    resolve_by_prefix(tx, order_id, kind::JOB_FAILED, &prefix, resolution, by).await
}

/// Resolves the open flags of `kind` on the order whose detail begins with `prefix` (a case's
/// flags begin with the case); how many were open.
pub async fn resolve_by_prefix(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    kind: &str,
    prefix: &str,
    resolution: &str,
    by: &str,
) -> Result<u64> {
    // The prefix is ours (a fixed word and an id), never a LIKE pattern from outside.
    let which = [order_id.to_string(), kind.to_string(), format!("{prefix}%")];
    resolve_where(
        tx,
        "order_id = $4 AND kind = $5 AND detail LIKE $6",
        &which,
        resolution,
        by,
    )
    .await
}

/// Resolves the open flags `condition` picks (its parameters `which`, numbered from `$4`);
/// how many were open.
async fn resolve_where(
    tx: &mut Tx<'_>,
    condition: &str,
    which: &[String],
    resolution: &str,
    by: &str,
) -> Result<u64> {
    let sql = format!(
        "UPDATE order_flags SET resolved_at = $1, resolution = $2, resolved_by = $3
         WHERE {condition} AND resolved_at IS NULL"
    );
    let query = sqlx::query(&sql).bind(now_ms()).bind(resolution).bind(by);
    let done = query::bind_all(query, which).execute(&mut **tx).await?;
    Ok(done.rows_affected())
}

/// Orders with an open flag of `kind` (the demo's summary; tests).
pub async fn count_open(db: &Database, kind: &str) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(DISTINCT order_id) AS n FROM order_flags
         WHERE kind = $1 AND resolved_at IS NULL",
    )
    .bind(kind)
    .fetch_one(&db.reader)
    .await?
    .try_get("n")?)
}

/// Parses a stored flag's purchase id.
pub fn supplier_order_of(flag: &Flag) -> Result<Option<SupplierOrderId>> {
    flag.supplier_order_id
        .as_deref()
        .map(|s| parse_id("order_flags.supplier_order_id", s))
        .transpose()
}
