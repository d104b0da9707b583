//! How values read on a page: tab names, statuses, money, times.

use chrono::{DateTime, Utc};
use dropflow_core::tab::Tab;

/// The tab's name on the page ("Awaiting Payment").
pub fn tab_label(tab: Tab) -> &'static str {
    match tab {
        Tab::All => "All",
        Tab::AwaitingOrder => "Awaiting Order",
        Tab::AwaitingPayment => "Awaiting Payment",
        Tab::AwaitingShipment => "Awaiting Shipment",
        Tab::AtWarehouse => "At Warehouse",
        Tab::Fulfilled => "Fulfilled",
        Tab::Delivered => "Delivered",
        Tab::Canceled => "Canceled",
        Tab::Failed => "Failed",
        Tab::OnHold => "On Hold",
    }
}

/// A snake_case status as words ("awaiting_shipment" → "awaiting shipment").
pub fn words(status: &str) -> String {
    status.replace('_', " ")
}

/// An amount in minor units with its currency ("12.50 USD"); the raw number when the
/// currency is unknown.
pub fn money(minor: i64, currency: &str) -> String {
    match dropflow_core::reference::currency::Currency::from_code(currency) {
        Ok(c) => dropflow_core::money::Money::new(minor, c).to_string(),
        Err(_) => format!("{minor} {currency}"),
    }
}

/// A time as the pages show it (UTC, to the minute).
pub fn time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An optional time, or a dash.
pub fn maybe_time(at: &Option<DateTime<Utc>>) -> String {
    at.as_ref().map(time).unwrap_or_else(|| "—".into())
}

/// When a purchase or parcel is asked about next; none: it is no longer followed.
pub fn next_sync(at: &Option<DateTime<Utc>>) -> String {
    at.as_ref()
        .map(time)
        .unwrap_or_else(|| "not followed".into())
}

/// A file's size as people read it ("812 KiB", "2.4 MiB").
pub fn bytes(size: i64) -> String {
    const KIB: i64 = 1024;
    const MIB: i64 = 1024 * KIB;
    if size >= MIB {
        // Tenths of a MiB, rounded down: whole numbers keep it exact.
        let tenths = size.saturating_mul(10) / MIB;
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    } else if size >= KIB {
        format!("{} KiB", size / KIB)
    } else {
        format!("{size} bytes")
    }
}

/// A `YYYY-MM-DD` date as epoch milliseconds at its start (UTC); `None` when not a date.
pub fn date_ms(text: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tab_has_words() {
        for tab in Tab::ALL {
            assert!(!tab_label(tab).is_empty());
        }
        assert_eq!(tab_label(Tab::AwaitingPayment), "Awaiting Payment");
    }

    #[test]
    fn dates_parse_to_the_start_of_the_day() {
        assert_eq!(date_ms("1970-01-02"), Some(86_400_000));
        assert_eq!(date_ms("02/01/1970"), None);
    }

    #[test]
    fn money_reads_with_its_currency() {
        assert_eq!(money(1250, "USD"), "12.50 USD");
        assert_eq!(money(5, "???"), "5 ???");
    }

    #[test]
    fn sizes_read_in_their_unit() {
        assert_eq!(bytes(900), "900 bytes");
        assert_eq!(bytes(2048), "2 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(bytes(2_516_582), "2.3 MiB");
    }
}
