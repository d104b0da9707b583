//! Conversions between domain values and the two portable column types (BIGINT, TEXT).

use super::StorageError;
use chrono::{DateTime, TimeZone, Utc};
use serde::{de::DeserializeOwned, Serialize};

pub fn to_json<T: Serialize>(value: &T) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

pub fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
}

pub fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub fn parse_id<T: std::str::FromStr>(column: &str, text: &str) -> Result<T, StorageError> {
    text.parse()
        .map_err(|_| StorageError::Corrupt(format!("{column}: {text:?} is not an id")))
}

/// An order line's `variant_words` column (`NULL` from an outer join: no words).
pub fn variant_words(
    text: Option<String>,
) -> Result<Vec<dropflow_core::variant::VariantWord>, StorageError> {
    match text {
        Some(text) => from_json("order_lines.variant_words", &text),
        None => Ok(Vec::new()),
    }
}

/// Typed reads of the portable column kinds, named by column: times (epoch milliseconds),
/// JSON text and ids, so row readers say what a column holds instead of how it is decoded.
pub trait RowExt {
    /// A `BIGINT` of epoch milliseconds.
    fn at(&self, column: &str) -> Result<DateTime<Utc>, StorageError>;
    /// A nullable `BIGINT` of epoch milliseconds.
    fn at_opt(&self, column: &str) -> Result<Option<DateTime<Utc>>, StorageError>;
    /// A `TEXT` of JSON.
    fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StorageError>;
    /// A nullable `TEXT` of JSON.
    fn json_opt<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>, StorageError>;
    /// A `TEXT` id parsed into its typed form.
    fn id<T: std::str::FromStr>(&self, column: &str) -> Result<T, StorageError>;
}

impl RowExt for sqlx::any::AnyRow {
    fn at(&self, column: &str) -> Result<DateTime<Utc>, StorageError> {
        Ok(from_ms(sqlx::Row::try_get(self, column)?))
    }

    fn at_opt(&self, column: &str) -> Result<Option<DateTime<Utc>>, StorageError> {
        Ok(sqlx::Row::try_get::<Option<i64>, _>(self, column)?.map(from_ms))
    }

    fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StorageError> {
        from_json(column, &sqlx::Row::try_get::<String, _>(self, column)?)
    }

    fn json_opt<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>, StorageError> {
        sqlx::Row::try_get::<Option<String>, _>(self, column)?
            .map(|text| from_json(column, &text))
            .transpose()
    }

    fn id<T: std::str::FromStr>(&self, column: &str) -> Result<T, StorageError> {
        parse_id(column, &sqlx::Row::try_get::<String, _>(self, column)?)
    }
}

/// Builds a struct from a row: each field before the `;` is read from the column of its
/// name as it is; each after it is given as an expression (a time, JSON, an id, a rename).
///
/// `from_row!(r => Flag { id, kind, detail; opened_at: r.at("opened_at")? })`
macro_rules! from_row {
    ($row:ident => $ty:ident { $($field:ident),* $(,)? $(; $($name:ident : $value:expr),* $(,)?)? }) => {{
        // Owned or borrowed, the row is read through a reference.
        let row: &sqlx::any::AnyRow = &$row;
        $ty {
            $($field: sqlx::Row::try_get(row, stringify!($field))?,)*
            $($($name: $value,)*)?
        }
    }};
}
pub(crate) use from_row;
