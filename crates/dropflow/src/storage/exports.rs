//! The rows the CSV exports read, one keyset page at a time (`services::exports` streams
//! them): a page is the next `limit` rows after the last one of the previous page, in the
//! order the API lists them (newest first), so every page costs the same however deep the
//! export is and no read holds a connection (or, on SQLite, a WAL snapshot) for the whole
//! download.
//!
//! Rows carry raw columns (minor units, epoch milliseconds, codes): formatting is the
//! exporter's, so a page is read without building the listing's richer values.

use super::{query, Database, Result};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Which rows of one store, created (orders), posted (ledger) or requested (payouts) in
/// `[from, to)` (epoch ms).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub store_id: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Window {
    /// ` AND {column} >= $n AND {column} < $m` for the bounds present, binding into `binds`.
    fn condition(&self, column: &str, binds: &mut Vec<String>) -> String {
        let mut sql = String::new();
        for (bound, op) in [(self.from, ">="), (self.to, "<")] {
            if let Some(at) = bound {
                binds.push(at.to_string());
                sql.push_str(&format!(
                    " AND {column} {op} CAST(${} AS BIGINT)",
                    binds.len()
                ));
            }
        }
        sql
    }
}

/// One order as exported.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub name: String,
    pub external_id: String,
    pub created_at: i64,
    pub tab: String,
    pub payment_status: String,
    pub procurement: String,
    /// The customer as stored (JSON of `core::intake::Customer`).
    pub customer: Option<String>,
    pub email: Option<String>,
    pub currency: String,
    pub total_minor: i64,
    pub shipping_minor: i64,
    pub discounts_minor: i64,
    pub taxes_minor: i64,
    pub taxes_included: bool,
}

/// Orders of the window (only `tab` when given), newest first, older than `before`.
pub async fn orders(
    db: &Database,
    window: &Window,
    tab: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<OrderRow>> {
    let mut binds = vec![window.store_id.clone()];
    let mut sql = String::from(
        "SELECT id, name, external_id, created_at, tab, payment_status, procurement, customer, \
         email, currency, total_minor, shipping_minor, discounts_minor, taxes_minor, \
         taxes_included FROM orders WHERE store_id = $1",
    );
    sql.push_str(&window.condition("created_at", &mut binds));
    if let Some(tab) = tab.filter(|t| *t != "all") {
        binds.push(tab.to_string());
        sql.push_str(&format!(" AND tab = ${}", binds.len()));
    }
    if let Some(before) = before {
        binds.push(before.to_string());
        sql.push_str(&format!(" AND id < ${}", binds.len()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    query::all(query::with_binds(&sql, &binds), &db.reader, order_from_row).await
}

fn order_from_row(row: &AnyRow) -> Result<OrderRow> {
    Ok(OrderRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        external_id: row.try_get("external_id")?,
        created_at: row.try_get("created_at")?,
        tab: row.try_get("tab")?,
        payment_status: row.try_get("payment_status")?,
        procurement: row.try_get("procurement")?,
        customer: row.try_get("customer")?,
        email: row.try_get("email")?,
        currency: row.try_get("currency")?,
        total_minor: row.try_get("total_minor")?,
        shipping_minor: row.try_get("shipping_minor")?,
        discounts_minor: row.try_get("discounts_minor")?,
        taxes_minor: row.try_get("taxes_minor")?,
        taxes_included: row.try_get::<i64, _>("taxes_included")? != 0,
    })
}

/// One posting of a ledger transaction, as exported (a row per posting).
#[derive(Debug, Clone)]
pub struct PostingRow {
    pub transaction_id: i64,
    pub created_at: i64,
    pub kind: String,
    pub currency: String,
    pub reference: Option<String>,
    pub account: String,
    pub amount_minor: i64,
}

/// The postings of the window's ledger transactions (only to `account` when given), newest
/// transaction first, of the `limit` transactions older than `before`: a page always holds
/// whole transactions, so the next page starts below the last row's transaction.
pub async fn postings(
    db: &Database,
    window: &Window,
    account: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<PostingRow>> {
    let mut binds = vec![window.store_id.clone()];
    let mut inner = String::from("SELECT id FROM ledger_transactions WHERE store_id = $1");
    inner.push_str(&window.condition("created_at", &mut binds));
    let mut on_account = String::new();
    if let Some(account) = account {
        binds.push(account.to_string());
        let n = binds.len();
        inner.push_str(&format!(
            " AND id IN (SELECT transaction_id FROM ledger_postings WHERE account = ${n})"
        ));
        on_account = format!(" AND p.account = ${n}");
    }
    if let Some(before) = before {
        binds.push(before.to_string());
        inner.push_str(&format!(" AND id < CAST(${} AS BIGINT)", binds.len()));
    }
    let sql = format!(
        "SELECT t.id, t.created_at, t.kind, t.currency, t.reference, p.account, p.amount_minor
         FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
         WHERE t.id IN ({inner} ORDER BY id DESC LIMIT {limit}){on_account}
         ORDER BY t.id DESC, p.account"
    );
    query::all(query::with_binds(&sql, &binds), &db.reader, |row| {
        Ok(PostingRow {
            transaction_id: row.try_get("id")?,
            created_at: row.try_get("created_at")?,
            kind: row.try_get("kind")?,
            currency: row.try_get("currency")?,
            reference: row.try_get("reference")?,
            account: row.try_get("account")?,
            amount_minor: row.try_get("amount_minor")?,
        })
    })
    .await
}

/// One vendor payout of the store, as exported.
#[derive(Debug, Clone)]
pub struct PayoutRow {
    pub id: String,
    pub vendor: String,
    pub currency: String,
    pub amount_minor: i64,
    pub status: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub method: Option<String>,
    pub method_reference: Option<String>,
    pub note: Option<String>,
}

/// The window's vendor payouts (only `status` when given), newest first (ids are UUIDv7,
/// in request order), older than `before`.
pub async fn payouts(
    db: &Database,
    window: &Window,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<PayoutRow>> {
    let mut binds = vec![window.store_id.clone()];
    let mut sql = String::from(
        "SELECT id, vendor, currency, amount_minor, status, requested_by, requested_at, \
         decided_by, decided_at, method, method_reference, note FROM vendor_payouts \
         WHERE store_id = $1",
    );
    sql.push_str(&window.condition("requested_at", &mut binds));
    if let Some(status) = status {
        binds.push(status.to_string());
        sql.push_str(&format!(" AND status = ${}", binds.len()));
    }
    if let Some(before) = before {
        binds.push(before.to_string());
        sql.push_str(&format!(" AND id < ${}", binds.len()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    query::all(query::with_binds(&sql, &binds), &db.reader, |row| {
        Ok(PayoutRow {
            id: row.try_get("id")?,
            vendor: row.try_get("vendor")?,
            currency: row.try_get("currency")?,
            amount_minor: row.try_get("amount_minor")?,
            status: row.try_get("status")?,
            requested_by: row.try_get("requested_by")?,
            requested_at: row.try_get("requested_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            method: row.try_get("method")?,
            method_reference: row.try_get("method_reference")?,
            note: row.try_get("note")?,
        })
    })
    .await
}
