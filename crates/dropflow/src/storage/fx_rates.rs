//! The operator's exchange rates (`fx_rates`), one row per (base, quote) pair, shared by
//! every process on the database. Routing reads the whole table inside its transaction.

use super::{now_ms, Database, Result, StorageError, Tx};
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
    Ok(())
}

/// Sets the given rates (an import), keeping the others; in the caller's transaction.
pub async fn merge_in(tx: &mut Tx<'_>, rates: &[FxRate], actor: &str) -> Result<()> {
    for rate in rates {
        upsert(tx, rate, actor, false).await?;
    }
    Ok(())
}

/// Seeds rates from the configuration: a pair is written when it is missing or the stored
/// rate is for an earlier day, so a restart never undoes a newer rate set through the API.
pub async fn seed(db: &Database, rates: &[FxRate]) -> Result<()> {
    let mut tx = db.begin().await?;
    for rate in rates {
        upsert(&mut tx, rate, "config", true).await?;
    }
    tx.commit().await?;
    Ok(())
}
