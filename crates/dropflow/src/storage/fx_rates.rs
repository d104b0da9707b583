//! The operator's exchange rates (`fx_rates`), one row per (base, quote) pair, shared by
//! every process on the database. Routing reads the whole table inside its transaction.

use super::{now_ms, Database, Result, StorageError, Tx};
use dropflow_core::fx::history::{RateChange, RateHistory};
use dropflow_core::fx::{FxRate, Rate, RateTable};
use dropflow_core::reference::currency::Currency;
use sqlx::Row;

const SELECT: &str = "SELECT base, quote, rate, source, as_of FROM fx_rates ORDER BY base, quote";

fn from_row(row: &sqlx::any::AnyRow) -> Result<FxRate> {
    let corrupt =
        |what: &str, text: &str| StorageError::Corrupt(format!("fx_rates.{what}: {text:?}"));
    let currency = |column: &str| -> Result<Currency> {
        let text: String = row.try_get(column)?;
        Currency::from_code(&text).map_err(|_| corrupt(column, &text))
    };
    let rate: String = row.try_get("rate")?;
    let as_of: String = row.try_get("as_of")?;
    Ok(FxRate {
        base: currency("base")?,
        quote: currency("quote")?,
        rate: Rate::parse(&rate).map_err(|_| corrupt("rate", &rate))?,
        source: row.try_get("source")?,
        as_of: chrono::NaiveDate::parse_from_str(&as_of, "%Y-%m-%d")
            .map_err(|_| corrupt("as_of", &as_of))?,
    })
}

fn table(rows: &[sqlx::any::AnyRow]) -> Result<RateTable> {
    let rates = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    RateTable::new(rates).map_err(|e| StorageError::Corrupt(format!("fx_rates: {e}")))
}

/// Every rate, in (base, quote) order.
pub async fn all(db: &Database) -> Result<RateTable> {
    let rows = sqlx::query(SELECT).fetch_all(&db.reader).await?;
    table(&rows)
}

/// Every rate, read inside the caller's transaction.
pub async fn all_in(tx: &mut Tx<'_>) -> Result<RateTable> {
    let rows = sqlx::query(SELECT).fetch_all(&mut **tx).await?;
    table(&rows)
}

async fn upsert(tx: &mut Tx<'_>, rate: &FxRate, actor: &str, only_if_newer: bool) -> Result<()> {
    // A seed (config at start-up) never replaces a rate for a later day that someone set.
    let condition = if only_if_newer {
        " WHERE fx_rates.as_of < excluded.as_of"
    } else {
        ""
    };
    sqlx::query(&format!(
        "INSERT INTO fx_rates (base, quote, rate, source, as_of, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (base, quote) DO UPDATE SET rate = excluded.rate,
            source = excluded.source, as_of = excluded.as_of,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at{condition}"
    ))
    .bind(rate.base.code().to_string())
    .bind(rate.quote.code().to_string())
    .bind(rate.rate.to_string())
    .bind(rate.source.clone())
    .bind(rate.as_of.format("%Y-%m-%d").to_string())
    .bind(actor.to_string())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces the whole table with `table`, in the caller's transaction.
pub async fn replace_in(tx: &mut Tx<'_>, table: &RateTable, actor: &str) -> Result<()> {
    sqlx::query("DELETE FROM fx_rates")
        .execute(&mut **tx)
        .await?;
    for rate in table.rates() {
        upsert(tx, rate, actor, false).await?;
    }
    record_history(tx).await?;
    Ok(())
}

/// Sets the given rates (an import), keeping the others; in the caller's transaction.
pub async fn merge_in(tx: &mut Tx<'_>, rates: &[FxRate], actor: &str) -> Result<()> {
    for rate in rates {
        upsert(tx, rate, actor, false).await?;
    }
    record_history(tx).await?;
    Ok(())
}

/// Seeds rates from the configuration: a pair is written when it is missing or the stored
/// rate is for an earlier day, so a restart never undoes a newer rate set through the API.
pub async fn seed(db: &Database, rates: &[FxRate]) -> Result<()> {
    let mut tx = db.begin().await?;
    for rate in rates {
        upsert(&mut tx, rate, "config", true).await?;
    }
    record_history(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Appends to `fx_rate_history` what changed in `fx_rates` in this transaction: a pair whose
/// rate differs from its last recorded one, and a pair recorded but no longer in the table
/// (removed, `rate` NULL). Called by every writer of `fx_rates`, so the history is complete.
async fn record_history(tx: &mut Tx<'_>) -> Result<()> {
    let now = now_ms();
    let last = "SELECT MAX(h2.id) FROM fx_rate_history h2 WHERE h2.base = {t}.base AND h2.quote = {t}.quote";
    sqlx::query(&format!(
        "INSERT INTO fx_rate_history (base, quote, rate, source, as_of, recorded_at)
         SELECT f.base, f.quote, f.rate, f.source, f.as_of, $1 FROM fx_rates f
         WHERE NOT EXISTS (SELECT 1 FROM fx_rate_history h
            WHERE h.base = f.base AND h.quote = f.quote AND h.rate = f.rate
              AND h.id = ({}))",
        last.replace("{t}", "f")
    ))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO fx_rate_history (base, quote, rate, source, as_of, recorded_at)
         SELECT h.base, h.quote, NULL, NULL, NULL, $1 FROM fx_rate_history h
         WHERE h.rate IS NOT NULL AND h.id = ({})
           AND NOT EXISTS (SELECT 1 FROM fx_rates f WHERE f.base = h.base AND f.quote = h.quote)",
        last.replace("{t}", "h")
    ))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every change to the rates, oldest first: the table as it stood at any moment.
pub async fn history(db: &Database) -> Result<RateHistory> {
    let rows = sqlx::query(
        "SELECT base, quote, rate, source, as_of, recorded_at FROM fx_rate_history ORDER BY id",
    )
    .fetch_all(&db.reader)
    .await?;
    let changes = rows
        .iter()
        .map(|row| {
            let at_ms: i64 = row.try_get("recorded_at")?;
            let rate: Option<String> = row.try_get("rate")?;
            let rate = match rate {
                Some(_) => Some(from_row(row)?),
                None => None,
            };
            let currency = |column: &str| -> Result<Currency> {
                let text: String = row.try_get(column)?;
                Currency::from_code(&text).map_err(|_| {
                    StorageError::Corrupt(format!("fx_rate_history.{column}: {text:?}"))
                })
            };
            Ok(RateChange {
                at_ms,
                base: currency("base")?,
                quote: currency("quote")?,
                rate,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RateHistory::new(changes))
}
