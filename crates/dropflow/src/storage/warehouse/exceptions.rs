//! Scans nobody expected, kept per account until linked to an order.

use super::*;

/// A scan that matched no parcel we expect.
#[derive(Debug, Clone)]
pub struct ScanException {
    pub id: String,
    pub scan: String,
    pub scanned_by: String,
    pub scanned_at: DateTime<Utc>,
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
    Ok(from_row!(r => ScanException {
        id, scan, scanned_by, account_id, resolved_order_id;
        scanned_at: r.at("scanned_at")?,
        resolved_at: r.at_opt("resolved_at")?,
    }))
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
    let query = query::with_binds(&sql, &binds);
    query::all(query, &db.reader, exception_row).await
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
    let query = query::with_binds(&sql, &binds);
    query::one(query, executor, exception_row).await
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
