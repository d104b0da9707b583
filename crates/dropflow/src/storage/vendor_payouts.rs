//! A manual vendor's earnings and payouts (`dropflow_core::payouts`): the purses
//! (`vendor_purses`, running balances like `wallets`), `vendor_earnings`, `vendor_charges`,
//! `vendor_payouts`, `vendor_settings`, and the postings in the ledger's own tables.
//!
//! [`post`] runs inside the caller's transaction. It locks the purse's row (opening it, and an
//! empty wallet row of the store and currency for the ledger's foreign key, on first use) by
//! touching it — an `UPDATE` holds the row on PostgreSQL, and SQLite's single writer already
//! serialises — then refuses a reference already posted for the kind (read under that lock,
//! so the unique key is never hit and a PostgreSQL transaction is never aborted by it), lets
//! the core plan the movement from the balances read under the lock, and writes it.

use super::codec::from_ms;
use super::{now_ms, Database, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::money::Money;
use dropflow_core::payouts::{
    self, Balances, Bucket, ItemKind, Movement, PayoutError, Schedule, Settings, StatementItem,
};
use dropflow_core::reference::currency::Currency;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Why a vendor movement was not written.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error(transparent)]
    Refused(#[from] PayoutError),
    /// This kind was already posted for this reference (a repeat).
    #[error("a {kind} for {reference:?} was already posted")]
    Duplicate {
        kind: &'static str,
        reference: String,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for PostError {
    fn from(error: sqlx::Error) -> Self {
        PostError::Storage(StorageError::Database(error))
    }
}

/// One purse: a store, a currency, a vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurseKey {
    pub store_id: String,
    pub currency: Currency,
    pub vendor: String,
}

fn parse_currency(text: &str) -> Result<Currency> {
    Currency::from_code(text).map_err(|e| StorageError::Corrupt(format!("vendor currency: {e}")))
}

const PURSE_COLUMNS: &str =
    "p.store_id, p.currency, p.vendor, p.pending_minor, p.available_minor, p.paid_minor, \
     p.cost_minor, p.last_scheduled_at";

/// A purse as read.
#[derive(Debug, Clone)]
pub struct Purse {
    pub key: PurseKey,
    pub balances: Balances,
    pub last_scheduled_at: Option<DateTime<Utc>>,
}

fn purse_from_row(row: &AnyRow) -> Result<Purse> {
    let currency = parse_currency(&row.try_get::<String, _>("currency")?)?;
    Ok(Purse {
        key: PurseKey {
            store_id: row.try_get("store_id")?,
            currency,
            vendor: row.try_get("vendor")?,
        },
        balances: Balances {
            currency,
            pending: row.try_get("pending_minor")?,
            available: row.try_get("available_minor")?,
            paid: row.try_get("paid_minor")?,
            cost: row.try_get("cost_minor")?,
        },
        last_scheduled_at: row
            .try_get::<Option<i64>, _>("last_scheduled_at")?
            .map(from_ms),
    })
}

/// Opens (when missing) and locks the purse; it as read under the lock.
pub async fn lock_purse(tx: &mut Tx<'_>, key: &PurseKey) -> Result<Purse> {
    let now = now_ms();
    let opened = sqlx::query(
        "INSERT INTO wallets (store_id, currency, created_at, updated_at)
         VALUES ($1, $2, $3, $3) ON CONFLICT (store_id, currency) DO NOTHING",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(now)
    .execute(&mut **tx)
    .await;
    match opened {
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(StorageError::NotFound)
        }
        other => other?,
    };
    sqlx::query(
        "INSERT INTO vendor_purses (store_id, currency, vendor, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (store_id, currency, vendor) DO NOTHING",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    // Touching the row is the lock (held until the caller's commit).
    sqlx::query(
        "UPDATE vendor_purses SET updated_at = $4
         WHERE store_id = $1 AND currency = $2 AND vendor = $3",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {PURSE_COLUMNS} FROM vendor_purses p
         WHERE p.store_id = $1 AND p.currency = $2 AND p.vendor = $3"
    ))
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .fetch_one(&mut **tx)
    .await?;
    purse_from_row(&row)
}

/// A movement as written.
#[derive(Debug, Clone)]
pub struct Posted {
    pub transaction_id: i64,
    pub movement: Movement,
    /// The purse's balances after it.
    pub balances: Balances,
}

/// Locks the purse of `key`, refuses a repeat of `(kind, reference)`, asks `plan` for the
/// movement against the balances read under the lock, and writes it with the purse's new
/// balances; in the caller's transaction.
pub async fn post(
    tx: &mut Tx<'_>,
    key: &PurseKey,
    kind: payouts::Kind,
    reference: &str,
    plan: impl FnOnce(&Balances) -> Result<Movement, PayoutError>,
) -> Result<Posted, PostError> {
    let purse = lock_purse(tx, key).await?;
    post_locked(tx, key, purse.balances, kind, reference, plan).await
}

/// [`post`] for a purse the caller has locked already (its balances as read then).
pub async fn post_locked(
    tx: &mut Tx<'_>,
    key: &PurseKey,
    mut balances: Balances,
    kind: payouts::Kind,
    reference: &str,
    plan: impl FnOnce(&Balances) -> Result<Movement, PayoutError>,
) -> Result<Posted, PostError> {
    let seen: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM ledger_transactions WHERE store_id = $1 AND kind = $2 AND reference = $3",
    )
    .bind(&key.store_id)
    .bind(kind.as_str())
    .bind(reference)
    .fetch_optional(&mut **tx)
    .await?;
    if seen.is_some() {
        return Err(PostError::Duplicate {
            kind: kind.as_str(),
            reference: reference.to_string(),
        });
    }
    let movement = plan(&balances)?;
    if movement.kind != kind || movement.reference != reference {
        return Err(StorageError::Corrupt(
            "a vendor movement planned for another reference".into(),
        )
        .into());
    }
    balances.apply(&movement)?;
    let now = now_ms();
    let transaction_id: i64 = sqlx::query(
        "INSERT INTO ledger_transactions (store_id, currency, kind, reference, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(kind.as_str())
    .bind(reference)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    if !movement.lines.is_empty() {
        let values: Vec<String> = (0..movement.lines.len())
            .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO ledger_postings (transaction_id, account, amount_minor) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(transaction_id);
        for line in &movement.lines {
            query = query
                .bind(payouts::account_name(&key.vendor, line.bucket))
                .bind(line.minor);
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query(
        "UPDATE vendor_purses SET pending_minor = $1, available_minor = $2, paid_minor = $3,
            cost_minor = $4, updated_at = $5
         WHERE store_id = $6 AND currency = $7 AND vendor = $8",
    )
    .bind(balances.pending)
    .bind(balances.available)
    .bind(balances.paid)
    .bind(balances.cost)
    .bind(now)
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .execute(&mut **tx)
    .await?;
    Ok(Posted {
        transaction_id,
        movement,
        balances,
    })
}

/// A vendor's purchase as its earning needs it (read in the caller's transaction).
#[derive(Debug, Clone)]
pub struct VendorPurchase {
    pub supplier_order_id: String,
    pub order_id: String,
    pub store_id: String,
    pub account_id: String,
    pub supplier: String,
    pub vendor: String,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
}

/// The purchase `supplier_order_id` with its store's account.
pub async fn purchase(tx: &mut Tx<'_>, supplier_order_id: &str) -> Result<Option<VendorPurchase>> {
    let row = sqlx::query(
        "SELECT so.id, so.order_id, o.store_id, s.account_id, so.supplier, so.supplier_account,
            so.cost_minor, so.currency
         FROM supplier_orders so JOIN orders o ON o.id = so.order_id
         JOIN stores s ON s.id = o.store_id
         WHERE so.id = $1",
    )
    .bind(supplier_order_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(VendorPurchase {
            supplier_order_id: r.try_get("id")?,
            order_id: r.try_get("order_id")?,
            store_id: r.try_get("store_id")?,
            account_id: r.try_get("account_id")?,
            supplier: r.try_get("supplier")?,
            vendor: r.try_get("supplier_account")?,
            cost_minor: r.try_get("cost_minor")?,
            currency: r.try_get("currency")?,
        })
    })
    .transpose()
}

/// A vendor's settings (the defaults when none were set).
pub async fn settings_in<'c, E>(executor: E, account_id: &str, vendor: &str) -> Result<Settings>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT holding_days, minimum_minor, schedule FROM vendor_settings
         WHERE account_id = $1 AND vendor = $2",
    )
    .bind(account_id)
    .bind(vendor)
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(Settings::default());
    };
    let schedule: String = row.try_get("schedule")?;
    Settings::checked(
        row.try_get("holding_days")?,
        row.try_get("minimum_minor")?,
        &schedule,
    )
    .map_err(|e| StorageError::Corrupt(format!("vendor_settings: {e}")))
}

pub async fn settings(db: &Database, account_id: &str, vendor: &str) -> Result<Settings> {
    settings_in(&db.reader, account_id, vendor).await
}

/// Sets a vendor's settings in `tx` (the caller records the change in the same one).
pub async fn put_settings_in(
    tx: &mut Tx<'_>,
    account_id: &str,
    vendor: &str,
    settings: &Settings,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO vendor_settings (account_id, vendor, holding_days, minimum_minor, schedule,
            updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id, vendor) DO UPDATE SET holding_days = EXCLUDED.holding_days,
            minimum_minor = EXCLUDED.minimum_minor, schedule = EXCLUDED.schedule,
            updated_at = EXCLUDED.updated_at",
    )
    .bind(account_id)
    .bind(vendor)
    .bind(i64::from(settings.holding_days))
    .bind(settings.minimum_minor)
    .bind(settings.schedule.as_str())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the earning of a delivered purchase (the caller posted it); false when it exists.
pub async fn insert_earning(
    tx: &mut Tx<'_>,
    purchase: &VendorPurchase,
    amount: Money,
    delivered_at: DateTime<Utc>,
    available_at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO vendor_earnings (supplier_order_id, order_id, store_id, currency, vendor,
            amount_minor, delivered_at, available_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (supplier_order_id) DO NOTHING",
    )
    .bind(&purchase.supplier_order_id)
    .bind(&purchase.order_id)
    .bind(&purchase.store_id)
    .bind(amount.currency.code())
    .bind(&purchase.vendor)
    .bind(amount.minor)
    .bind(delivered_at.timestamp_millis())
    .bind(available_at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One earning as stored.
#[derive(Debug, Clone)]
pub struct EarningRow {
    pub key: PurseKey,
    pub order_id: String,
    pub order_name: String,
    pub earning: payouts::Earning,
    pub matured_at: Option<DateTime<Utc>>,
    pub payout_id: Option<String>,
}

const EARNING_COLUMNS: &str = "e.supplier_order_id, e.order_id, o.name AS order_name, e.store_id, \
     e.currency, e.vendor, e.amount_minor, e.delivered_at, e.available_at, e.matured_at, \
     e.payout_id";

fn earning_from_row(row: &AnyRow) -> Result<EarningRow> {
    let currency = parse_currency(&row.try_get::<String, _>("currency")?)?;
    let matured_at = row.try_get::<Option<i64>, _>("matured_at")?.map(from_ms);
    Ok(EarningRow {
        key: PurseKey {
            store_id: row.try_get("store_id")?,
            currency,
            vendor: row.try_get("vendor")?,
        },
        order_id: row.try_get("order_id")?,
        order_name: row.try_get("order_name")?,
        earning: payouts::Earning {
            reference: row.try_get("supplier_order_id")?,
            amount: Money::new(row.try_get("amount_minor")?, currency),
            delivered_at: from_ms(row.try_get("delivered_at")?),
            available_at: from_ms(row.try_get("available_at")?),
            matured: matured_at.is_some(),
        },
        matured_at,
        payout_id: row.try_get("payout_id")?,
    })
}

/// Earnings whose holding period is over at `now` and that are still pending, oldest first.
pub async fn due_earnings(
    db: &Database,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<EarningRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {EARNING_COLUMNS} FROM vendor_earnings e JOIN orders o ON o.id = e.order_id
         WHERE e.matured_at IS NULL AND e.available_at <= $1
         ORDER BY e.available_at, e.supplier_order_id LIMIT $2"
    ))
    .bind(now.timestamp_millis())
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(earning_from_row).collect()
}

/// One earning, read in the caller's transaction (after its purse's lock).
pub async fn earning_in(tx: &mut Tx<'_>, supplier_order_id: &str) -> Result<Option<EarningRow>> {
    let row = sqlx::query(&format!(
        "SELECT {EARNING_COLUMNS} FROM vendor_earnings e JOIN orders o ON o.id = e.order_id
         WHERE e.supplier_order_id = $1"
    ))
    .bind(supplier_order_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(earning_from_row).transpose()
}

pub async fn mark_matured(
    tx: &mut Tx<'_>,
    supplier_order_id: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE vendor_earnings SET matured_at = $2 WHERE supplier_order_id = $1 AND matured_at IS NULL",
    )
    .bind(supplier_order_id)
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a charge (the caller posted it).
#[allow(clippy::too_many_arguments)]
pub async fn insert_charge(
    tx: &mut Tx<'_>,
    reference: &str,
    purchase: &VendorPurchase,
    case_id: &str,
    amount: Money,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO vendor_charges (reference, supplier_order_id, case_id, order_id, store_id,
            currency, vendor, amount_minor, charged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(reference)
    .bind(&purchase.supplier_order_id)
    .bind(case_id)
    .bind(&purchase.order_id)
    .bind(&purchase.store_id)
    .bind(amount.currency.code())
    .bind(&purchase.vendor)
    .bind(amount.minor)
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which purses a reader sees: an account's (all its stores), optionally one vendor's.
#[derive(Debug, Clone)]
pub struct Filter<'a> {
    /// `None`: every account (the installation).
    pub account_id: Option<&'a str>,
    pub vendor: Option<&'a str>,
}

impl Filter<'_> {
    /// The SQL condition on a table aliased `alias` with `store_id` and `vendor`, binding
    /// from `$first`; and the values to bind.
    fn condition(&self, alias: &str, first: usize) -> (String, Vec<String>) {
        let mut parts = vec!["1 = 1".to_string()];
        let mut binds = Vec::new();
        if let Some(account) = self.account_id {
            binds.push(account.to_string());
            parts.push(format!(
                "{alias}.store_id IN (SELECT id FROM stores WHERE account_id = ${})",
                first + binds.len() - 1
            ));
        }
        if let Some(vendor) = self.vendor {
            binds.push(vendor.to_string());
            parts.push(format!("{alias}.vendor = ${}", first + binds.len() - 1));
        }
        (parts.join(" AND "), binds)
    }
}

/// The purses the filter sees, by vendor, store, currency.
pub async fn purses(db: &Database, filter: &Filter<'_>) -> Result<Vec<Purse>> {
    let (condition, binds) = filter.condition("p", 1);
    let sql = format!(
        "SELECT {PURSE_COLUMNS} FROM vendor_purses p WHERE {condition}
         ORDER BY p.vendor, p.store_id, p.currency"
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    query
        .fetch_all(&db.reader)
        .await?
        .iter()
        .map(purse_from_row)
        .collect()
}

/// The filter's earnings, newest delivery first, at most `limit`.
pub async fn earnings(db: &Database, filter: &Filter<'_>, limit: i64) -> Result<Vec<EarningRow>> {
    let (condition, binds) = filter.condition("e", 2);
    let sql = format!(
        "SELECT {EARNING_COLUMNS} FROM vendor_earnings e JOIN orders o ON o.id = e.order_id
         WHERE {condition} ORDER BY e.delivered_at DESC, e.supplier_order_id LIMIT $1"
    );
    let mut query = sqlx::query(&sql).bind(limit);
    for b in &binds {
        query = query.bind(b);
    }
    query
        .fetch_all(&db.reader)
        .await?
        .iter()
        .map(earning_from_row)
        .collect()
}

/// One charge as stored.
#[derive(Debug, Clone)]
pub struct ChargeRow {
    pub key: PurseKey,
    pub reference: String,
    pub supplier_order_id: String,
    pub case_id: String,
    pub order_id: String,
    pub order_name: String,
    pub amount: Money,
    pub charged_at: DateTime<Utc>,
    pub payout_id: Option<String>,
}

const CHARGE_COLUMNS: &str = "c.reference, c.supplier_order_id, c.case_id, c.order_id, \
     o.name AS order_name, c.store_id, c.currency, c.vendor, c.amount_minor, c.charged_at, \
     c.payout_id";

fn charge_from_row(row: &AnyRow) -> Result<ChargeRow> {
    let currency = parse_currency(&row.try_get::<String, _>("currency")?)?;
    Ok(ChargeRow {
        key: PurseKey {
            store_id: row.try_get("store_id")?,
            currency,
            vendor: row.try_get("vendor")?,
        },
        reference: row.try_get("reference")?,
        supplier_order_id: row.try_get("supplier_order_id")?,
        case_id: row.try_get("case_id")?,
        order_id: row.try_get("order_id")?,
        order_name: row.try_get("order_name")?,
        amount: Money::new(row.try_get("amount_minor")?, currency),
        charged_at: from_ms(row.try_get("charged_at")?),
        payout_id: row.try_get("payout_id")?,
    })
}

/// The filter's charges, newest first, at most `limit`.
pub async fn charges(db: &Database, filter: &Filter<'_>, limit: i64) -> Result<Vec<ChargeRow>> {
    let (condition, binds) = filter.condition("c", 2);
    let sql = format!(
        "SELECT {CHARGE_COLUMNS} FROM vendor_charges c JOIN orders o ON o.id = c.order_id
         WHERE {condition} ORDER BY c.charged_at DESC, c.reference LIMIT $1"
    );
    let mut query = sqlx::query(&sql).bind(limit);
    for b in &binds {
        query = query.bind(b);
    }
    query
        .fetch_all(&db.reader)
        .await?
        .iter()
        .map(charge_from_row)
        .collect()
}

/// One payout as stored.
#[derive(Debug, Clone)]
pub struct PayoutRow {
    pub id: String,
    pub key: PurseKey,
    pub amount: Money,
    /// `requested`, `paid` or `declined`.
    pub status: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub method: Option<String>,
    pub method_reference: Option<String>,
    pub note: Option<String>,
    pub opening_minor: Option<i64>,
    pub closing_minor: Option<i64>,
}

const PAYOUT_COLUMNS: &str = "v.id, v.store_id, v.currency, v.vendor, v.amount_minor, v.status, \
     v.requested_by, v.requested_at, v.decided_by, v.decided_at, v.method, v.method_reference, \
     v.note, v.opening_minor, v.closing_minor";

fn payout_from_row(row: &AnyRow) -> Result<PayoutRow> {
    let currency = parse_currency(&row.try_get::<String, _>("currency")?)?;
    Ok(PayoutRow {
        id: row.try_get("id")?,
        key: PurseKey {
            store_id: row.try_get("store_id")?,
            currency,
            vendor: row.try_get("vendor")?,
        },
        amount: Money::new(row.try_get("amount_minor")?, currency),
        status: row.try_get("status")?,
        requested_by: row.try_get("requested_by")?,
        requested_at: from_ms(row.try_get("requested_at")?),
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_ms),
        method: row.try_get("method")?,
        method_reference: row.try_get("method_reference")?,
        note: row.try_get("note")?,
        opening_minor: row.try_get("opening_minor")?,
        closing_minor: row.try_get("closing_minor")?,
    })
}

/// Whether the purse has an open request (read in the caller's transaction).
pub async fn open_request(tx: &mut Tx<'_>, key: &PurseKey) -> Result<bool> {
    let open: Option<String> = sqlx::query_scalar(
        "SELECT id FROM vendor_payouts
         WHERE store_id = $1 AND currency = $2 AND vendor = $3 AND status = 'requested'",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(open.is_some())
}

/// Writes a payout request; its id.
pub async fn insert_request(
    tx: &mut Tx<'_>,
    key: &PurseKey,
    amount: Money,
    requested_by: &str,
    at: DateTime<Utc>,
) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO vendor_payouts (id, store_id, currency, vendor, amount_minor, status,
            requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7)",
    )
    .bind(&id)
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .bind(amount.minor)
    .bind(requested_by)
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn set_last_scheduled(tx: &mut Tx<'_>, key: &PurseKey, at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE vendor_purses SET last_scheduled_at = $4
         WHERE store_id = $1 AND currency = $2 AND vendor = $3",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One payout, with the account of its store (for scope checks).
pub async fn payout(db: &Database, id: &str) -> Result<Option<(PayoutRow, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {PAYOUT_COLUMNS}, s.account_id FROM vendor_payouts v
         JOIN stores s ON s.id = v.store_id WHERE v.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.reader)
    .await?;
    row.map(|r| Ok((payout_from_row(&r)?, r.try_get("account_id")?)))
        .transpose()
}

/// One payout read in the caller's transaction.
pub async fn payout_in(tx: &mut Tx<'_>, id: &str) -> Result<Option<PayoutRow>> {
    let row = sqlx::query(&format!(
        "SELECT {PAYOUT_COLUMNS} FROM vendor_payouts v WHERE v.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(payout_from_row).transpose()
}

/// The filter's payouts, newest first; only `status` when given.
pub async fn payouts(
    db: &Database,
    filter: &Filter<'_>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<PayoutRow>> {
    let (condition, binds) = filter.condition("v", 3);
    let sql = format!(
        "SELECT {PAYOUT_COLUMNS} FROM vendor_payouts v
         WHERE {condition} AND ($2 = '' OR v.status = $2)
         ORDER BY v.requested_at DESC, v.id DESC LIMIT $1"
    );
    let mut query = sqlx::query(&sql).bind(limit).bind(status.unwrap_or(""));
    for b in &binds {
        query = query.bind(b);
    }
    query
        .fetch_all(&db.reader)
        .await?
        .iter()
        .map(payout_from_row)
        .collect()
}

/// The balance the purse's last paid payout carried forward (0 before the first).
pub async fn carried_forward(tx: &mut Tx<'_>, key: &PurseKey) -> Result<i64> {
    let closing: Option<i64> = sqlx::query_scalar(
        "SELECT closing_minor FROM vendor_payouts
         WHERE store_id = $1 AND currency = $2 AND vendor = $3 AND status = 'paid'
         ORDER BY decided_at DESC, id DESC LIMIT 1",
    )
    .bind(&key.store_id)
    .bind(key.currency.code())
    .bind(&key.vendor)
    .fetch_optional(&mut **tx)
    .await?
    .flatten();
    Ok(closing.unwrap_or(0))
}

/// Marks every matured earning and every charge of the purse that no payout covers yet as
/// covered by `payout_id`; the statement's items.
pub async fn cover(tx: &mut Tx<'_>, key: &PurseKey, payout_id: &str) -> Result<Vec<CoveredItem>> {
    for sql in [
        "UPDATE vendor_earnings SET payout_id = $4
         WHERE store_id = $1 AND currency = $2 AND vendor = $3 AND payout_id IS NULL
            AND matured_at IS NOT NULL",
        "UPDATE vendor_charges SET payout_id = $4
         WHERE store_id = $1 AND currency = $2 AND vendor = $3 AND payout_id IS NULL",
    ] {
        sqlx::query(sql)
            .bind(&key.store_id)
            .bind(key.currency.code())
            .bind(&key.vendor)
            .bind(payout_id)
            .execute(&mut **tx)
            .await?;
    }
    covered_in(&mut **tx, payout_id).await
}

/// A statement item with the order it is about.
#[derive(Debug, Clone)]
pub struct CoveredItem {
    pub item: StatementItem,
    pub order_id: String,
    pub order_name: String,
}

/// The items a payout covers.
pub async fn covered(db: &Database, payout_id: &str) -> Result<Vec<CoveredItem>> {
    covered_in(&db.reader, payout_id).await
}

async fn covered_in<'c, E>(executor: E, payout_id: &str) -> Result<Vec<CoveredItem>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT 'earning' AS kind, e.supplier_order_id AS reference, e.amount_minor,
            e.matured_at AS happened_at, e.order_id, o.name AS order_name
         FROM vendor_earnings e JOIN orders o ON o.id = e.order_id WHERE e.payout_id = $1
         UNION ALL
         SELECT 'charge' AS kind, c.reference, c.amount_minor, c.charged_at AS happened_at,
            c.order_id, o.name AS order_name
         FROM vendor_charges c JOIN orders o ON o.id = c.order_id WHERE c.payout_id = $1",
    )
    .bind(payout_id)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let minor: i64 = r.try_get("amount_minor")?;
            let (kind, minor) = if kind == "charge" {
                (ItemKind::Charge, -minor)
            } else {
                (ItemKind::Earning, minor)
            };
            Ok(CoveredItem {
                item: StatementItem {
                    kind,
                    reference: r.try_get("reference")?,
                    minor,
                    at: from_ms(r.try_get::<Option<i64>, _>("happened_at")?.unwrap_or(0)),
                },
                order_id: r.try_get("order_id")?,
                order_name: r.try_get("order_name")?,
            })
        })
        .collect()
}

/// What the merchant recorded when paying.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub status: &'a str,
    pub by: &'a str,
    pub at: DateTime<Utc>,
    pub method: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub note: Option<&'a str>,
    pub opening_minor: Option<i64>,
    pub closing_minor: Option<i64>,
}

/// Closes a request as paid or declined; false when it was no longer open.
pub async fn decide(tx: &mut Tx<'_>, id: &str, decision: &Decision<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE vendor_payouts SET status = $2, decided_by = $3, decided_at = $4, method = $5,
            method_reference = $6, note = $7, opening_minor = $8, closing_minor = $9
         WHERE id = $1 AND status = 'requested'",
    )
    .bind(id)
    .bind(decision.status)
    .bind(decision.by)
    .bind(decision.at.timestamp_millis())
    .bind(decision.method)
    .bind(decision.reference)
    .bind(decision.note)
    .bind(decision.opening_minor)
    .bind(decision.closing_minor)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The vendor's users' addresses in the store's account (enabled ones).
pub async fn vendor_emails(tx: &mut Tx<'_>, store_id: &str, vendor: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT u.email FROM users u JOIN stores s ON s.account_id = u.account_id
         WHERE s.id = $1 AND u.role = 'vendor' AND u.vendor = $2 AND u.disabled_at IS NULL
         ORDER BY u.created_at, u.id",
    )
    .bind(store_id)
    .bind(vendor)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("email")?))
        .collect()
}

/// Whether the account (every account: `None`) knows the vendor handle: a vendor user, a
/// purse in one of its stores, settings, or a mapping buying from it.
pub async fn known_vendor(db: &Database, account_id: Option<&str>, vendor: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM users WHERE role = 'vendor' AND vendor = $1
            AND ($2 = '' OR account_id = $2)
         UNION ALL
         SELECT CAST(1 AS BIGINT) FROM vendor_purses p JOIN stores s ON s.id = p.store_id
         WHERE p.vendor = $1 AND ($2 = '' OR s.account_id = $2)
         UNION ALL
         SELECT CAST(1 AS BIGINT) FROM vendor_settings WHERE vendor = $1 AND ($2 = '' OR account_id = $2)
         UNION ALL
         SELECT CAST(1 AS BIGINT) FROM mapping_offers m JOIN stores s ON s.id = m.store_id
         WHERE m.supplier = 'manual:' || $1 AND ($2 = '' OR s.account_id = $2)
         LIMIT 1",
    )
    .bind(vendor)
    .bind(account_id.unwrap_or(""))
    .fetch_optional(&db.reader)
    .await?;
    Ok(found.is_some())
}

/// The store's name as its people know it (its domain).
pub async fn store_name(tx: &mut Tx<'_>, store_id: &str) -> Result<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT domain FROM stores WHERE id = $1")
        .bind(store_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(name.unwrap_or_else(|| store_id.to_string()))
}

/// Purses whose vendor is paid on a schedule, with their settings.
pub async fn scheduled_purses(db: &Database) -> Result<Vec<(Purse, Settings)>> {
    let rows = sqlx::query(&format!(
        "SELECT {PURSE_COLUMNS}, v.holding_days, v.minimum_minor, v.schedule
         FROM vendor_purses p JOIN stores s ON s.id = p.store_id
         JOIN vendor_settings v ON v.account_id = s.account_id AND v.vendor = p.vendor
         WHERE v.schedule <> $1 AND p.available_minor > 0
         ORDER BY p.store_id, p.currency, p.vendor"
    ))
    .bind(Schedule::OnRequest.as_str())
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            let schedule: String = r.try_get("schedule")?;
            let settings = Settings::checked(
                r.try_get("holding_days")?,
                r.try_get("minimum_minor")?,
                &schedule,
            )
            .map_err(|e| StorageError::Corrupt(format!("vendor_settings: {e}")))?;
            Ok((purse_from_row(r)?, settings))
        })
        .collect()
}

/// Whether the purses agree with the ledger, inside the caller's snapshot: each purse's
/// running balances equal the sums of its accounts' postings, they sum to zero, `pending`
/// and `paid` are not negative, and no vendor posting lies outside a purse.
pub async fn balanced_in(tx: &mut Tx<'_>) -> Result<bool> {
    let from_postings = super::ledger::posting_sums(tx, super::ledger::Accounts::Vendors).await?;
    let purses = sqlx::query(&format!("SELECT {PURSE_COLUMNS} FROM vendor_purses p"))
        .fetch_all(&mut **tx)
        .await?;
    let mut accounted = 0;
    for row in &purses {
        let purse = purse_from_row(row)?;
        let b = &purse.balances;
        if b.total() != 0 || b.pending < 0 || b.paid < 0 {
            return Ok(false);
        }
        for bucket in Bucket::ALL {
            let key = (
                purse.key.store_id.clone(),
                purse.key.currency.code().to_string(),
                payouts::account_name(&purse.key.vendor, bucket),
            );
            let posted = from_postings.get(&key).copied();
            accounted += usize::from(posted.is_some());
            if posted.unwrap_or(0) != b.get(bucket) {
                return Ok(false);
            }
        }
    }
    Ok(accounted == from_postings.len())
}
