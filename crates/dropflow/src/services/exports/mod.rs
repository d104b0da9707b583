//! CSV exports: any table of rows, read one keyset page at a time and written through the
//! `csv` crate into a streamed answer, so an export of a million rows holds one page in
//! memory, never the whole file. A kind of export is an [`Export`] (its columns, how to read
//! the page after a row, how a row is written); [`csv_file`] streams any of them. The
//! exports themselves (orders, ledger postings, vendor payouts) are in [`sources`], each an
//! action with its role and scope check.
//!
//! Free text in a cell (names, e-mails, references, notes: anything a customer, a store or a
//! person typed) is neutralised against formula injection ([`neutralise`]): a spreadsheet
//! runs a cell starting with `=`, `+`, `-` or `@` as a formula. Values we make ourselves
//! (ids, codes, amounts, times) are written as they are, so a negative amount stays a number.

mod sources;

pub use sources::{ledger, orders, payouts, LedgerFilters, OrderFilters, PayoutFilters};

use super::ActionError;
use crate::storage::{codec::from_ms, Database, StorageError};
use axum::body::Bytes;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use futures::stream::BoxStream;
use futures::StreamExt;
use std::borrow::Cow;

/// Rows per page: large enough that a page's query is a small part of its cost, small
/// enough that a page's rows and its CSV (~150 KB for orders) are all the memory an export
/// holds.
pub const PAGE: i64 = 1000;

/// A kind of export: its header, its pages, its rows as CSV records.
#[async_trait::async_trait]
pub trait Export: Send + Sync + 'static {
    /// Cloned once a page: the last row is the next page's keyset bound, read while this
    /// page is written.
    type Row: Clone + Send + Sync + 'static;

    /// The header row's column names.
    fn columns(&self) -> &'static [&'static str];

    /// At most `limit` rows (a ledger's page may hold more rows: whole transactions) after
    /// `last`, the previous page's last row (`None`: the first page). An empty page ends the
    /// export.
    async fn page(
        &self,
        db: &Database,
        last: Option<&Self::Row>,
        limit: i64,
    ) -> Result<Vec<Self::Row>, StorageError>;

    /// Writes one row's cells, in the order of [`Export::columns`].
    fn write(&self, row: &Self::Row, record: &mut Record<'_>);
}

/// One CSV record being written: each cell either free text (neutralised) or a value we made.
pub struct Record<'a> {
    writer: &'a mut csv::Writer<Vec<u8>>,
    currency: &'a mut Option<Currency>,
    /// Reused for each formatted cell (amounts, times): no allocation per cell.
    scratch: &'a mut String,
    error: Option<String>,
}

impl Record<'_> {
    fn cell(&mut self, value: &[u8]) {
        if let Err(e) = self.writer.write_field(value) {
            self.error.get_or_insert(e.to_string());
        }
    }

    /// Text someone outside typed: neutralised against formula injection.
    pub fn text(&mut self, value: &str) {
        let value = neutralise(value);
        self.cell(value.as_bytes());
    }

    /// Optional free text: an empty cell when absent.
    pub fn text_opt(&mut self, value: Option<&str>) {
        self.text(value.unwrap_or(""));
    }

    /// A value dropflow made (an id, a status, a code, a number): written as it is.
    pub fn value(&mut self, value: impl AsRef<[u8]>) {
        self.cell(value.as_ref());
    }

    /// An amount in minor units of `currency`, as a decimal string in the currency's exponent
    /// ("12.50" USD, "1250" JPY), the way the API answers money.
    pub fn money(&mut self, minor: i64, currency: &str) {
        // Rows of one export are mostly in one currency: look its exponent up once.
        let known = match *self.currency {
            Some(c) if c.code() == currency => Some(c),
            _ => Currency::from_code(currency).ok(),
        };
        match known {
            Some(c) => {
                *self.currency = Some(c);
                let mut text = std::mem::take(self.scratch);
                text.clear();
                write_decimal(&mut text, Money::new(minor, c));
                self.cell(text.as_bytes());
                *self.scratch = text;
            }
            None => {
                self.error
                    .get_or_insert(format!("stored currency {currency:?} is unknown"));
            }
        }
    }

    /// A time (epoch ms) in RFC 3339, UTC, to the millisecond.
    pub fn at(&mut self, ms: i64) {
        let mut text = std::mem::take(self.scratch);
        text.clear();
        write_time(&mut text, ms);
        self.cell(text.as_bytes());
        *self.scratch = text;
    }

    /// An optional time: an empty cell when absent.
    pub fn at_opt(&mut self, ms: Option<i64>) {
        match ms {
            Some(ms) => self.at(ms),
            None => self.cell(b""),
        }
    }
}

/// `money` as [`Money::to_decimal_string`] writes it ("-12.50", "1250"), into `out`.
fn write_decimal(out: &mut String, money: Money) {
    use std::fmt::Write;
    let exponent = u32::from(money.currency.minor_units());
    let sign = if money.minor < 0 { "-" } else { "" };
    let abs = money.minor.unsigned_abs();
    // Writing into a String cannot fail.
    let _ = if exponent == 0 {
        write!(out, "{sign}{abs}")
    } else {
        let scale = 10u64.pow(exponent);
        write!(
            out,
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    };
}

/// Epoch `ms` as RFC 3339 in UTC to the millisecond (`2026-01-31T12:00:00.250Z`, what
/// `to_rfc3339_opts(Millis, true)` writes), into `out`.
fn write_time(out: &mut String, ms: i64) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let at = from_ms(ms);
    if !(0..=9999).contains(&at.year()) {
        // Outside four-digit years chrono's own spelling (a sign, more digits) is the one.
        out.push_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        return;
    }
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.timestamp_subsec_millis()
    );
}

/// Free text as a spreadsheet will not run it: a cell starting with `=`, `+`, `-`, `@` (a
/// formula to Excel, LibreOffice and Google Sheets), or with a tab or carriage return (which
/// some of them strip before looking), gets a leading `'`, OWASP's advice for CSV injection.
/// The apostrophe shows; the text is otherwise kept whole.
pub fn neutralise(value: &str) -> Cow<'_, str> {
    match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// A CSV file being streamed: its name and its body, page by page.
pub struct CsvFile {
    /// `<kind>-<store id>.csv`.
    pub filename: String,
    pub body: BoxStream<'static, Result<Bytes, StorageError>>,
}

impl std::fmt::Debug for CsvFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvFile")
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}

/// The file as an answer, the same from the API and the dashboard: an attachment, streamed
/// (chunked), kept by no cache (it holds customers' names and e-mails). A page that fails
/// after the answer began ends the body early, so the download fails instead of looking
/// complete.
impl axum::response::IntoResponse for CsvFile {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{header, HeaderValue};
        // The name is made of a fixed word and a store id: always a header value.
        let disposition =
            HeaderValue::from_str(&format!("attachment; filename=\"{}\"", self.filename))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            axum::body::Body::from_stream(self.body),
        )
            .into_response()
    }
}

/// The next page, being read while the current one is written (the database's work and
/// the CSV's overlap); stopped if the download is dropped.
struct NextPage<R>(tokio::task::JoinHandle<Result<Vec<R>, StorageError>>);

impl<R> Drop for NextPage<R> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the stream carries from one page to the next.
struct Cursor<E: Export> {
    db: Database,
    export: std::sync::Arc<E>,
    /// The first page, read before the answer began.
    first: Option<Vec<E::Row>>,
    next: Option<NextPage<E::Row>>,
    header: bool,
    done: bool,
    currency: Option<Currency>,
    scratch: String,
}

impl<E: Export> Cursor<E> {
    /// Starts reading the page after `last`.
    fn read_after(&mut self, last: E::Row) {
        let (db, export) = (self.db.clone(), self.export.clone());
        self.next = Some(NextPage(tokio::spawn(async move {
            export.page(&db, Some(&last), PAGE).await
        })));
    }
}

/// Streams `export` as CSV: one header row, then every page's rows. The first page is read
/// here, before the answer begins, so a database fault then is the usual error answer (503
/// when busy) rather than a cut-off download.
pub async fn csv_file<E: Export>(
    db: &Database,
    export: E,
    filename: String,
) -> Result<CsvFile, ActionError> {
    let first = export.page(db, None, PAGE).await?;
    let cursor = Cursor {
        db: db.clone(),
        export: std::sync::Arc::new(export),
        first: Some(first),
        next: None,
        header: true,
        done: false,
        currency: None,
        scratch: String::with_capacity(64),
    };
    let body = futures::stream::try_unfold(cursor, next_chunk).boxed();
    Ok(CsvFile { filename, body })
}

/// The next chunk of the file: the header with the first page, then one page each.
async fn next_chunk<E: Export>(
    mut cursor: Cursor<E>,
) -> Result<Option<(Bytes, Cursor<E>)>, StorageError> {
    if cursor.done {
        return Ok(None);
    }
    let rows = match (cursor.first.take(), cursor.next.take()) {
        (Some(rows), _) => rows,
        (None, Some(mut next)) => {
            let page = match (&mut next.0).await {
                Ok(page) => page,
                Err(e) => Err(StorageError::Corrupt(format!(
                    "export: a page's read ended: {e}"
                ))),
            };
            page.inspect_err(|e| tracing::error!(error = %e, "an export's page failed"))?
        }
        (None, None) => Vec::new(),
    };
    match rows.last() {
        Some(last) => cursor.read_after(last.clone()),
        None => {
            cursor.done = true;
            if !cursor.header {
                return Ok(None);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160 + 256));
    let mut error = None;
    if std::mem::take(&mut cursor.header) {
        if let Err(e) = writer.write_record(cursor.export.columns()) {
            error = Some(e.to_string());
        }
    }
    for row in &rows {
        let mut record = Record {
            writer: &mut writer,
            currency: &mut cursor.currency,
            scratch: &mut cursor.scratch,
            error: None,
        };
        cursor.export.write(row, &mut record);
        let failed = record.error.take();
        if let Err(e) = writer.write_record(None::<&[u8]>) {
            error.get_or_insert(e.to_string());
        }
        if let Some(e) = failed {
            error.get_or_insert(e);
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| StorageError::Corrupt(format!("export: {e}")))?;
    if let Some(e) = error {
        tracing::error!(error = %e, "an export's row could not be written");
        return Err(StorageError::Corrupt(format!("export: {e}")));
    }
    Ok(Some((Bytes::from(bytes), cursor)))
}

/// A filter's time bound: an RFC 3339 time, or a date (`YYYY-MM-DD`, UTC) meaning its start
/// (`from`) or the whole day (`to`, so `from=2026-01-01&to=2026-01-31` is January). Epoch ms;
/// a value that is neither is 400 naming the parameter.
pub fn time_bound(
    name: &str,
    text: Option<&str>,
    end_of_day: bool,
) -> Result<Option<i64>, ActionError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.timestamp_millis()));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ActionError::Invalid(format!(
            "{name}: {text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"
        ))
    })?;
    let day = if end_of_day {
        date.succ_opt()
    } else {
        Some(date)
    };
    let start = day
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| ActionError::Invalid(format!("{name}: {text:?} is out of range")))?;
    Ok(Some(start.and_utc().timestamp_millis()))
}

/// The `from`/`to` pair of a filter: each readable, `to` after `from`.
pub fn window(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<i64>, Option<i64>), ActionError> {
    let from = time_bound("from", from, false)?;
    let to = time_bound("to", to, true)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            return Err(ActionError::Invalid("to: must be after from".into()));
        }
    }
    Ok((from, to))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{neutralise, time_bound, window};

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_kept() {
        for (text, cell) in [
            ("=1+1", "'=1+1"),
            ("+33 1 23", "'+33 1 23"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("Ada = Lovelace", "Ada = Lovelace"),
            ("", ""),
        ] {
            assert_eq!(neutralise(text), cell, "{text:?}");
        }
    }

    #[test]
    fn amounts_and_times_are_written_as_money_and_chrono_spell_them() {
        use super::{from_ms, write_decimal, write_time, Currency, Money};
        for (minor, code) in [
            (0, "USD"),
            (5, "USD"),
            (-5, "USD"),
            (123_456, "USD"),
            (-1250, "JPY"),
            (1_234_567, "KWD"),
            (i64::MIN, "USD"),
        ] {
            let money = Money::new(minor, Currency::from_code(code).unwrap());
            let mut out = String::new();
            write_decimal(&mut out, money);
            assert_eq!(out, money.to_decimal_string());
        }
        for ms in [
            0,
            1,
            999,
            1_767_225_600_000,
            1_767_225_601_250,
            253_402_300_799_999,
            -1,
            -62_167_219_200_001,
        ] {
            let mut out = String::new();
            write_time(&mut out, ms);
            let chrono = from_ms(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            assert_eq!(out, chrono, "{ms}");
        }
    }

    #[test]
    fn a_date_bound_covers_its_day_and_a_time_is_exact() {
        let day = 86_400_000;
        let jan1 = time_bound("from", Some("2026-01-01"), false).unwrap();
        assert_eq!(jan1, Some(1_767_225_600_000));
        let to = time_bound("to", Some("2026-01-01"), true).unwrap();
        assert_eq!(to, jan1.map(|ms| ms + day));
        let exact = time_bound("to", Some("2026-01-01T00:00:01.500Z"), true).unwrap();
        assert_eq!(exact, jan1.map(|ms| ms + 1_500));
        assert_eq!(time_bound("from", Some(" "), false).unwrap(), None);
        let message = time_bound("from", Some("1/2/2026"), false).unwrap_err();
        assert!(message.to_string().starts_with("from:"), "{message}");
        let message = window(Some("2026-02-01"), Some("2026-01-31")).unwrap_err();
        assert!(message.to_string().starts_with("to:"), "{message}");
    }
}
