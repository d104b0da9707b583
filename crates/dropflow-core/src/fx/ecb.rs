//! The ECB's euro foreign exchange reference rates as CSV: `eurofxref.csv` (inside
//! `https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip`, one day) and
//! `eurofxref-hist.csv` (every day, newest first). Layout: a header `Date, USD, JPY, …,`
//! and rows `10 February 2023, 1.0690, 139.88, …,` — units of each currency per 1 EUR,
//! comma and space separated with a trailing comma; the history file writes dates as
//! `2023-02-10` and `N/A` where a currency had no rate that day. Only the first (newest)
//! row is read. Columns of currencies no longer in ISO 4217 (HRK, CYP…) are skipped and
//! named, never guessed.

use super::{FxError, FxRate, Rate};
use crate::reference::currency::Currency;
use chrono::NaiveDate;

/// The `source` recorded on rates read from the ECB file.
pub const SOURCE: &str = "ECB euro foreign exchange reference rates";

/// The rates of the newest day in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcbRates {
    pub as_of: NaiveDate,
    /// 1 EUR = rate × quote, one per currency with a rate that day.
    pub rates: Vec<FxRate>,
    /// Header codes that are not current ISO 4217 currencies, left out.
    pub skipped: Vec<String>,
}

/// Why the file could not be read: the line (1-based) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcbError {
    #[error("the file is empty")]
    Empty,
    #[error("line 1: the header must start with \"Date\", found {0:?}")]
    NoDateColumn(String),
    #[error("line 2: no row of rates under the header")]
    NoRows,
    #[error("line {line}: the date {text:?} is neither \"10 February 2023\" nor \"2023-02-10\"")]
    BadDate { line: usize, text: String },
    #[error("line {line}: {currency}: {source}")]
    BadRate {
        line: usize,
        currency: String,
        source: FxError,
    },
    #[error("line {line}: {found} values for {expected} columns")]
    Columns {
        line: usize,
        expected: usize,
        found: usize,
    },
}

fn fields(line: &str) -> Vec<&str> {
    let mut fields: Vec<&str> = line.split(',').map(str::trim).collect();
    // Every line ends with a comma: drop the empty field after it.
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%d %B %Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// Reads the newest day's rates from an ECB reference-rate CSV.
pub fn parse(text: &str) -> Result<EcbRates, EcbError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(EcbError::Empty)?;
    let header = fields(header);
    match header.first() {
        Some(first) if first.eq_ignore_ascii_case("date") => {}
        other => {
            return Err(EcbError::NoDateColumn(
                other.map(|s| s.to_string()).unwrap_or_default(),
            ))
        }
    }
    let (index, row) = lines.next().ok_or(EcbError::NoRows)?;
    let line = index + 1;
    let row = fields(row);
    if row.len() != header.len() {
        return Err(EcbError::Columns {
            line,
            expected: header.len(),
            found: row.len(),
        });
    }
    let date_text = row.first().copied().unwrap_or_default();
    let as_of = parse_date(date_text).ok_or_else(|| EcbError::BadDate {
        line,
        text: date_text.to_string(),
    })?;
    let euro = Currency::from_code("EUR").map_err(|_| EcbError::Empty)?;
    let mut rates = Vec::new();
    let mut skipped = Vec::new();
    for (code, value) in header.iter().zip(&row).skip(1) {
        if value.is_empty() || value.eq_ignore_ascii_case("N/A") {
            continue;
        }
        let Ok(quote) = Currency::from_code(code) else {
            skipped.push(code.to_string());
            continue;
        };
        let rate = Rate::parse(value).map_err(|source| EcbError::BadRate {
            line,
            currency: code.to_string(),
            source,
        })?;
        rates.push(FxRate {
            base: euro,
            quote,
            rate,
            source: SOURCE.to_string(),
            as_of,
        });
    }
    Ok(EcbRates {
        as_of,
        rates,
        skipped,
    })
}
