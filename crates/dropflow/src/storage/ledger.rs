//! The wallet ledger's tables: `wallets` (one row per store and currency, with the running
//! balance of each account), `ledger_transactions` and `ledger_postings`.
//!
//! [`post`] runs inside the caller's transaction, so a reserve is written together with the
//! supplier-order placement that calls for it, or not at all. It serialises movements on one
//! wallet by its row: `SELECT … FOR UPDATE` on PostgreSQL; SQLite's single writer already
//! serialises every write transaction. Under that lock it reads the balances, lets
//! [`dropflow_core::ledger::plan`] build and check the transaction, and writes it.
//!
//! Why a running balance on the wallet row instead of `SUM()` over the postings on every
//! movement: the sum grows with the wallet's history and a busy store reserves hundreds of times
//! a second; the row is one read under the lock we need anyway. The postings remain the record,
//! and [`check_balanced`] proves the row and the postings agree.

use super::codec::from_ms;
use super::{now_ms, Database, Engine, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::StoreId;
use dropflow_core::ledger::{self, Account, Balances, Kind, LedgerError, Operation, Transaction};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// Why a movement was not written.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The ledger's rules refuse it (insufficient funds, duplicate reference, …).
    #[error(transparent)]
    Refused(#[from] LedgerError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for PostError {
    fn from(error: sqlx::Error) -> Self {
        PostError::Storage(StorageError::Database(error))
    }
}

/// A movement as written.
#[derive(Debug, Clone)]
pub struct Posted {
    pub transaction_id: i64,
    pub transaction: Transaction,
    /// The wallet's balances after it.
    pub balances: Balances,
}

/// Checks `operation` against the wallet of `store_id` in its currency and writes it, inside
/// the caller's transaction `tx`. A wallet is opened on first use; an unknown store is
/// [`StorageError::NotFound`].
pub async fn post(
    tx: &mut Tx<'_>,
    engine: Engine,
    store_id: StoreId,
    operation: &Operation,
) -> Result<Posted, PostError> {
    let currency = operation.currency();
    let store = store_id.to_string();
    let mut balances = match lock_wallet(tx, engine, &store, currency).await? {
        Some(b) => b,
        None => {
            // Only a top-up can pass against an empty wallet: refuse anything else before
            // writing a row for it.
            ledger::plan(&Balances::new(currency), operation)?;
            let now = now_ms();
            let opened = sqlx::query(
                "INSERT INTO wallets (store_id, currency, created_at, updated_at)
                 VALUES ($1, $2, $3, $3) ON CONFLICT (store_id, currency) DO NOTHING",
            )
            .bind(&store)
            .bind(currency.code())
            .bind(now)
            .execute(&mut **tx)
            .await;
            match opened {
                Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                    return Err(StorageError::NotFound.into())
                }
                other => other?,
            };
            lock_wallet(tx, engine, &store, currency)
                .await?
                .ok_or_else(|| StorageError::Corrupt("the wallet just opened is gone".into()))?
        }
    };
    if let Some(reference) = operation.reference() {
        let state = reference_state(tx, &store, currency, reference).await?;
        balances.references.insert(reference.to_string(), state);
        if matches!(operation, Operation::Refund { .. }) {
            // A refund is bounded by the purchase's capture less every refund of it, the
            // refunds of its parts (`<captured>#<part>`) included.
            let captured = ledger::captured_reference(reference);
            let mut whole = reference_state(tx, &store, currency, captured).await?;
            whole.captured += refunded_parts(tx, &store, currency, captured).await?;
            balances.references.insert(captured.to_string(), whole);
        }
    }
    let transaction = ledger::plan(&balances, operation)?;
    balances.apply(&transaction)?;

    let inserted = sqlx::query(
        "INSERT INTO ledger_transactions (store_id, currency, kind, reference, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&store)
    .bind(currency.code())
    .bind(transaction.kind.as_str())
    .bind(transaction.reference.clone())
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await;
    let transaction_id: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        // The lock makes this unreachable; the unique key stays the guarantee regardless.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(LedgerError::Duplicate {
                kind: transaction.kind,
                reference: transaction.reference.clone().unwrap_or_default(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    let values: Vec<String> = (0..transaction.postings.len())
        .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
        .collect();
    if !values.is_empty() {
        let sql = format!(
            "INSERT INTO ledger_postings (transaction_id, account, amount_minor) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(transaction_id);
        for posting in &transaction.postings {
            query = query
                .bind(posting.account.as_str())
                .bind(posting.amount.minor);
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query(
        "UPDATE wallets SET available_minor = $1, reserved_minor = $2, spent_minor = $3,
            external_minor = $4, updated_at = $5
         WHERE store_id = $6 AND currency = $7",
    )
    .bind(balances.available)
    .bind(balances.reserved)
    .bind(balances.spent)
    .bind(balances.external)
    .bind(now_ms())
    .bind(&store)
    .bind(currency.code())
    .execute(&mut **tx)
    .await?;
    Ok(Posted {
        transaction_id,
        transaction,
        balances,
    })
}

const BALANCE_COLUMNS: &str = "available_minor, reserved_minor, spent_minor, external_minor";

async fn lock_wallet(
    tx: &mut Tx<'_>,
    engine: Engine,
    store: &str,
    currency: Currency,
) -> Result<Option<Balances>> {
    let lock = match engine {
        Engine::Postgres => " FOR UPDATE",
        Engine::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "SELECT {BALANCE_COLUMNS} FROM wallets WHERE store_id = $1 AND currency = $2{lock}"
    ))
    .bind(store)
    .bind(currency.code())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| balances_from_row(&r, currency)).transpose()
}

fn balances_from_row(row: &AnyRow, currency: Currency) -> Result<Balances> {
    let mut balances = Balances::new(currency);
    balances.available = row.try_get("available_minor")?;
    balances.reserved = row.try_get("reserved_minor")?;
    balances.spent = row.try_get("spent_minor")?;
    balances.external = row.try_get("external_minor")?;
    Ok(balances)
}

/// Rebuilds one reference's state from its transactions (a handful of rows).
async fn reference_state(
    tx: &mut Tx<'_>,
    store: &str,
    currency: Currency,
    reference: &str,
) -> Result<ledger::ReferenceState> {
    let rows = sqlx::query(
        "SELECT t.id, t.kind, p.account, p.amount_minor
         FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
         WHERE t.store_id = $1 AND t.currency = $2 AND t.reference = $3
         ORDER BY t.id",
    )
    .bind(store)
    .bind(currency.code())
    .bind(reference)
    .fetch_all(&mut **tx)
    .await?;
    let mut transactions: BTreeMap<i64, Transaction> = BTreeMap::new();
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let kind = parse_kind(&row.try_get::<String, _>("kind")?)?;
        let account = parse_account(&row.try_get::<String, _>("account")?)?;
        let amount: i64 = row.try_get("amount_minor")?;
        transactions
            .entry(id)
            .or_insert_with(|| Transaction {
                kind,
                currency,
                reference: Some(reference.to_string()),
                postings: Vec::new(),
            })
            .postings
            .push(ledger::Posting {
                account,
                amount: Money::new(amount, currency),
            });
    }
    let mut state = ledger::ReferenceState::default();
    for transaction in transactions.values() {
        state.record(transaction);
    }
    Ok(state)
}

/// What the refunds of the parts of `captured` took out of `spent` (zero or negative).
async fn refunded_parts(
    tx: &mut Tx<'_>,
    store: &str,
    currency: Currency,
    captured: &str,
) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) AS spent
         FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
         WHERE t.store_id = $1 AND t.currency = $2 AND t.kind = 'refund'
            AND t.reference LIKE $3 ESCAPE '!' AND p.account = 'spent'",
    )
    .bind(store)
    .bind(currency.code())
    .bind(format!(
        "{}{}%",
        captured
            .replace('!', "!!")
            .replace('%', "!%")
            .replace('_', "!_"),
        ledger::PART_SEPARATOR
    ))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("spent")?)
}

fn parse_kind(text: &str) -> Result<Kind> {
    Kind::parse(text).ok_or_else(|| StorageError::Corrupt(format!("ledger kind {text:?}")))
}

fn parse_account(text: &str) -> Result<Account> {
    Account::parse(text).ok_or_else(|| StorageError::Corrupt(format!("ledger account {text:?}")))
}

/// A ledger account as the entries show it: a wallet's, or a vendor's purse's
/// (`vendor:<handle>:<account>`, [`dropflow_core::payouts`]).
fn entry_account(text: &str) -> Result<String> {
    if dropflow_core::payouts::parse_account(text).is_some() {
        return Ok(text.to_string());
    }
    Ok(parse_account(text)?.as_str().to_string())
}

/// A transaction's kind as the entries show it: a wallet's, or a vendor movement's.
fn entry_kind(text: &str) -> Result<String> {
    if let Some(kind) = dropflow_core::payouts::Kind::parse(text) {
        return Ok(kind.as_str().to_string());
    }
    Ok(parse_kind(text)?.as_str().to_string())
}

fn parse_currency(text: &str) -> Result<Currency> {
    Currency::from_code(text).map_err(|e| StorageError::Corrupt(format!("ledger currency: {e}")))
}

/// A wallet's balances (all zero when it was never used). Reference states are not loaded.
pub async fn balances(db: &Database, store_id: StoreId, currency: Currency) -> Result<Balances> {
    let row = sqlx::query(&format!(
        "SELECT {BALANCE_COLUMNS} FROM wallets WHERE store_id = $1 AND currency = $2"
    ))
    .bind(store_id.to_string())
    .bind(currency.code())
    .fetch_optional(&db.reader)
    .await?;
    match row {
        Some(r) => balances_from_row(&r, currency),
        None => Ok(Balances::new(currency)),
    }
}

/// The currencies the store has a wallet in, alphabetically.
pub async fn currencies(db: &Database, store_id: StoreId) -> Result<Vec<Currency>> {
    let rows = sqlx::query("SELECT currency FROM wallets WHERE store_id = $1 ORDER BY currency")
        .bind(store_id.to_string())
        .fetch_all(&db.reader)
        .await?;
    rows.iter()
        .map(|r| parse_currency(&r.try_get::<String, _>("currency")?))
        .collect()
}

/// One ledger transaction as the API shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub currency: String,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub postings: Vec<EntryPosting>,
}

#[derive(Debug, Clone)]
pub struct EntryPosting {
    pub account: String,
    pub amount: String,
}

/// A store's ledger transactions, newest first, `limit` of them, older than id `before`.
pub async fn entries(
    db: &Database,
    store_id: StoreId,
    limit: i64,
    before: Option<i64>,
) -> Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT t.id, t.kind, t.currency, t.reference, t.created_at, p.account, p.amount_minor
         FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
         WHERE t.id IN (SELECT id FROM ledger_transactions WHERE store_id = $1 AND id < $2
                        ORDER BY id DESC LIMIT $3)
         ORDER BY t.id DESC, p.account",
    )
    .bind(store_id.to_string())
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    let mut out: Vec<Entry> = Vec::new();
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let currency_code: String = row.try_get("currency")?;
        let currency = parse_currency(&currency_code)?;
        let account = entry_account(&row.try_get::<String, _>("account")?)?;
        let posting = EntryPosting {
            account,
            amount: Money::new(row.try_get("amount_minor")?, currency).to_decimal_string(),
        };
        match out.last_mut() {
            Some(entry) if entry.id == id => entry.postings.push(posting),
            _ => out.push(Entry {
                id,
                kind: entry_kind(&row.try_get::<String, _>("kind")?)?,
                currency: currency_code,
                reference: row.try_get("reference")?,
                created_at: from_ms(row.try_get("created_at")?),
                postings: vec![posting],
            }),
        }
    }
    Ok(out)
}

/// Whose accounts [`posting_sums`] adds up: the stores' wallets, or the vendors' purses
/// (accounts named `vendor:…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounts {
    Wallets,
    Vendors,
}

/// The sum of the postings of each (store, currency, account) of one family, read in the
/// caller's transaction so a balance check compares it with rows of the same snapshot.
pub async fn posting_sums(
    tx: &mut Tx<'_>,
    accounts: Accounts,
) -> Result<BTreeMap<(String, String, String), i64>> {
    let filter = match accounts {
        Accounts::Wallets => "NOT LIKE",
        Accounts::Vendors => "LIKE",
    };
    // PostgreSQL's SUM(BIGINT) is NUMERIC, which the Any driver cannot decode: cast it back.
    let sums = sqlx::query(&format!(
        "SELECT t.store_id, t.currency, p.account,
                CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) AS total
         FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
         WHERE p.account {filter} 'vendor:%'
         GROUP BY t.store_id, t.currency, p.account"
    ))
    .fetch_all(&mut **tx)
    .await?;
    sums.iter()
        .map(|row| {
            Ok((
                (
                    row.try_get("store_id")?,
                    row.try_get("currency")?,
                    row.try_get("account")?,
                ),
                row.try_get("total")?,
            ))
        })
        .collect()
}

/// Whether the books add up: every transaction's postings sum to zero, the postings of each
/// currency sum to zero, every wallet's running balances equal the sums of its postings, and
/// no balance but `external` is negative.
pub async fn check_balanced(db: &Database) -> Result<bool> {
    // One snapshot for every read below: postings and wallets are written together, and a
    // write landing between two separate reads would look like an imbalance. PostgreSQL's
    // default (read committed) gives each statement its own snapshot, so ask for one; a
    // SQLite read transaction keeps the snapshot of its first read.
    let mut tx = db.reader.begin().await?;
    if db.engine == Engine::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_postings
            GROUP BY transaction_id HAVING SUM(amount_minor) <> 0) x",
    )
    .fetch_one(&mut *tx)
    .await?;
    let currencies_off: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT t.currency FROM ledger_transactions t
            JOIN ledger_postings p ON p.transaction_id = t.id
            GROUP BY t.currency HAVING SUM(p.amount_minor) <> 0) x",
    )
    .fetch_one(&mut *tx)
    .await?;
    if unbalanced != 0 || currencies_off != 0 {
        return Ok(false);
    }
    let from_postings = posting_sums(&mut tx, Accounts::Wallets).await?;
    let wallets = sqlx::query(&format!(
        "SELECT store_id, currency, {BALANCE_COLUMNS} FROM wallets"
    ))
    .fetch_all(&mut *tx)
    .await?;
    let mut accounted = 0;
    for row in &wallets {
        let store: String = row.try_get("store_id")?;
        let code: String = row.try_get("currency")?;
        let balances = balances_from_row(row, parse_currency(&code)?)?;
        if balances.total() != 0
            || balances.available < 0
            || balances.reserved < 0
            || balances.spent < 0
        {
            return Ok(false);
        }
        for account in Account::ALL {
            let key = (store.clone(), code.clone(), account.as_str().to_string());
            let posted = from_postings.get(&key).copied();
            accounted += usize::from(posted.is_some());
            if posted.unwrap_or(0) != balances.get(account) {
                return Ok(false);
            }
        }
    }
    // Postings on a wallet that has no row would have escaped the comparison above. A
    // vendor's accounts are checked against its purse (`storage::vendor_payouts`).
    Ok(accounted == from_postings.len() && super::vendor_payouts::balanced_in(&mut tx).await?)
}
