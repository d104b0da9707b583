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
