//! Wallet top-ups paid by card (`card_top_ups`, `dropflow_core::card_top_up`).
//!
//! A top-up is written ([`insert_in`]) before the provider is asked for a payment page, so its id
//! can be the request's idempotency key; the provider's answer moves it to `open`
//! ([`opened`]) or `failed` ([`failed`]). A payment notice is applied inside the caller's
//! transaction: [`lock_for_notice`] reads the row under a lock (`FOR UPDATE` on PostgreSQL;
//! SQLite's one writer serialises anyway), the core decides, and [`settle`] writes the outcome
//! only while the row still awaits payment, so two deliveries of one notice settle it once.

use super::codec::{from_row, RowExt};
use super::{now_ms, query, Database, Engine, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::card_top_up::Status;
use dropflow_core::ids::StoreId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use sqlx::any::AnyRow;

/// One card top-up as stored.
#[derive(Debug, Clone)]
pub struct CardTopUp {
    pub id: String,
    pub store_id: StoreId,
    /// `stripe`.
    pub provider: String,
    /// What we asked the provider to charge, and what a paid notice credits.
    pub amount: Money,
    pub status: Status,
    /// The provider's session (`cs_…`), once it answered.
    pub session_id: Option<String>,
    /// The payment page the merchant is sent to.
    pub url: Option<String>,
    /// Who asked (the caller's actor).
    pub requested_by: String,
    /// The ledger's credit, once paid.
    pub ledger_transaction_id: Option<i64>,
    /// The provider's event that settled it.
    pub event_id: Option<String>,
    /// Why it failed or was refused.
    pub problem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, store_id, provider, currency, amount_minor, status, session_id, url, \
    requested_by, ledger_transaction_id, event_id, problem, created_at, updated_at";

fn from_db(r: &AnyRow) -> Result<CardTopUp> {
    let code: String = sqlx::Row::try_get(r, "currency")?;
    let currency = Currency::from_code(&code)
        .map_err(|e| StorageError::Corrupt(format!("card_top_ups.currency: {e}")))?;
    let status: String = sqlx::Row::try_get(r, "status")?;
    let status = Status::parse(&status)
        .ok_or_else(|| StorageError::Corrupt(format!("card_top_ups.status {status:?}")))?;
    Ok(from_row!(r => CardTopUp {
        id, provider, session_id, url, requested_by, ledger_transaction_id, event_id, problem;
        store_id: r.id("store_id")?,
        amount: Money::new(sqlx::Row::try_get(r, "amount_minor")?, currency),
        status: status,
        created_at: r.at("created_at")?,
        updated_at: r.at("updated_at")?,
    }))
}

/// A top-up about to be asked for.
#[derive(Debug, Clone)]
pub struct NewCardTopUp {
    pub store_id: StoreId,
    pub provider: &'static str,
    pub amount: Money,
    pub requested_by: String,
}

/// Writes a new top-up (`creating`) with a fresh id in `tx` (the caller records it in the
/// audit log in the same one); an unknown store is `NotFound`.
pub async fn insert_in(tx: &mut Tx<'_>, new: &NewCardTopUp) -> Result<CardTopUp> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO card_top_ups (id, store_id, provider, currency, amount_minor, status,
            requested_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(new.store_id.to_string())
    .bind(new.provider)
    .bind(new.amount.currency.code())
    .bind(new.amount.minor)
    .bind(Status::Creating.as_str())
    .bind(&new.requested_by)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(StorageError::NotFound)
        }
        other => other?,
    };
    let sql = format!("SELECT {COLUMNS} FROM card_top_ups WHERE id = $1");
    query::one(sqlx::query(&sql).bind(&id), &mut **tx, from_db)
        .await?
        .ok_or(StorageError::NotFound)
}

/// The provider made the payment page: `open`, with its session and URL. A top-up a notice
/// already settled (a payment faster than our bookkeeping) keeps its status.
pub async fn opened(db: &Database, id: &str, session_id: &str, url: &str) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE card_top_ups SET session_id = $1, url = $2,
            status = CASE WHEN status = $3 THEN $4 ELSE status END, updated_at = $5
         WHERE id = $6 AND (session_id IS NULL OR session_id = $1)",
    )
    .bind(session_id)
    .bind(url)
    .bind(Status::Creating.as_str())
    .bind(Status::Open.as_str())
    .bind(now_ms())
    .bind(id)
    .execute(&db.writer)
    .await;
    match updated {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StorageError::Conflict(
            format!("session {session_id} belongs to another top-up"),
        )),
        Err(e) => Err(e.into()),
        Ok(done) if done.rows_affected() == 0 => Err(StorageError::Conflict(format!(
            "top-up {id} already has another session"
        ))),
        Ok(_) => Ok(()),
    }
}

/// The provider refused to make the page: `failed`, with why (only from `creating`).
pub async fn failed(db: &Database, id: &str, problem: &str) -> Result<()> {
    sqlx::query(
        "UPDATE card_top_ups SET status = $1, problem = $2, updated_at = $3
         WHERE id = $4 AND status = $5",
    )
    .bind(Status::Failed.as_str())
    .bind(problem)
    .bind(now_ms())
    .bind(id)
    .bind(Status::Creating.as_str())
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// A top-up of `store_id` by its id (`None`: no such top-up in that store).
pub async fn in_store(db: &Database, store_id: StoreId, id: &str) -> Result<Option<CardTopUp>> {
    let sql = format!("SELECT {COLUMNS} FROM card_top_ups WHERE id = $1 AND store_id = $2");
    let query = sqlx::query(&sql).bind(id).bind(store_id.to_string());
    query::one(query, &db.reader, from_db).await
}

/// The top-up a provider's notice is about, locked for the caller's transaction: the one with
/// its session, else (our answer from the provider was lost, so the session was never
/// recorded) the one its reference names, if that one has no other session.
pub async fn lock_for_notice(
    tx: &mut Tx<'_>,
    engine: Engine,
    provider: &str,
    session_id: &str,
    reference: Option<&str>,
) -> Result<Option<CardTopUp>> {
    let lock = match engine {
        Engine::Postgres => " FOR UPDATE",
        Engine::Sqlite => "",
    };
    let sql =
        format!("SELECT {COLUMNS} FROM card_top_ups WHERE provider = $1 AND session_id = $2{lock}");
    let query = sqlx::query(&sql).bind(provider).bind(session_id);
    if let Some(found) = query::one(query, &mut **tx, from_db).await? {
        return Ok(Some(found));
    }
    let Some(reference) = reference else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM card_top_ups
         WHERE id = $1 AND provider = $2 AND session_id IS NULL{lock}"
    );
    let query = sqlx::query(&sql).bind(reference).bind(provider);
    query::one(query, &mut **tx, from_db).await
}

/// How a notice settled a top-up.
#[derive(Debug, Clone)]
pub struct Settlement<'a> {
    /// `paid` or `refused`.
    pub status: Status,
    pub session_id: &'a str,
    pub event_id: &'a str,
    pub ledger_transaction_id: Option<i64>,
    pub problem: Option<&'a str>,
}

/// Writes how a notice settled the top-up `id`, in the caller's transaction, only while it
/// still awaits payment; whether it did (`false`: someone settled it first).
pub async fn settle(tx: &mut Tx<'_>, id: &str, settlement: &Settlement<'_>) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE card_top_ups SET status = $1, session_id = $2, event_id = $3,
            ledger_transaction_id = $4, problem = $5, updated_at = $6
         WHERE id = $7 AND status IN ($8, $9)",
    )
    .bind(settlement.status.as_str())
    .bind(settlement.session_id)
    .bind(settlement.event_id)
    .bind(settlement.ledger_transaction_id)
    .bind(settlement.problem)
    .bind(now_ms())
    .bind(id)
    .bind(Status::Creating.as_str())
    .bind(Status::Open.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}
