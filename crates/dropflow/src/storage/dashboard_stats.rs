//! The numbers behind the home page charts, within the viewer's [`Scope`]: orders received per
//! day by the tab they are in now, and per day the time from paying the supplier to the first
//! parcel (p50 and p90, in whole hours).
//!
//! Days are UTC days. Both queries group in SQL, so what travels is one row per day and tab
//! (or per day and hour), never one per order. Orders are found through the index
//! `(store_id, created_at, tab)`; parcels through `shipments (created_at)` (migration 0010).
//!
//! Why "first parcel recorded" is the shipment time: it is when dropflow learned the purchase
//! shipped (supplier sync or webhook), the same moment the merchant is told; `paid_at` is set
//! once, when the supplier order first becomes paid.

use super::accounts::Scope;
use super::{query, Database, Result, StorageError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dropflow_core::tab::Tab;
use sqlx::Row;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// A run of whole UTC days ending with today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first_day: NaiveDate,
    pub days: u32,
}

impl Window {
    /// The last `days` days up to and including the day of `now`.
    pub fn last_days(now: DateTime<Utc>, days: u32) -> Window {
        let days = days.max(1);
        Window {
            first_day: now.date_naive() - Duration::days(i64::from(days) - 1),
            days,
        }
    }

    fn start_ms(&self) -> i64 {
        self.first_day
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default()
    }

    fn end_ms(&self) -> i64 {
        self.start_ms() + i64::from(self.days) * DAY_MS
    }

    /// Every day of the window, oldest first.
    pub fn day_list(&self) -> Vec<NaiveDate> {
        (0..i64::from(self.days))
            .map(|i| self.first_day + Duration::days(i))
            .collect()
    }

    fn index(&self, day: i64) -> Result<usize> {
        usize::try_from(day)
            .ok()
            .filter(|d| *d < self.days as usize)
            .ok_or_else(|| StorageError::Corrupt(format!("day {day} outside the window")))
    }
}

/// Orders received on one day, by the tab each is in now (tabs without orders left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTabs {
    pub day: NaiveDate,
    pub tabs: Vec<(Tab, i64)>,
}

/// Runs `sql` whose `$1` and `$2` are the window's start and end, and whose further
/// parameters are `binds` after its first two (placeholders kept for the window).
async fn in_window(
    db: &Database,
    window: Window,
    sql: &str,
    binds: &[String],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let query = sqlx::query(sql)
        .bind(window.start_ms())
        .bind(window.end_ms());
    Ok(query::bind_all(query, &binds[2..])
        .fetch_all(&db.reader)
        .await?)
}

/// Orders received per day of the window (every day present, oldest first).
pub async fn orders_per_day(db: &Database, scope: &Scope, window: Window) -> Result<Vec<DayTabs>> {
    // The first two placeholders are the window; the scope numbers its own after them.
    let mut binds = vec![String::new(), String::new()];
    let condition = scope.order_condition("o.", &mut binds);
    let sql = format!(
        "SELECT (o.created_at - $1) / {DAY_MS} AS day, o.tab AS tab, COUNT(*) AS n
         FROM orders o WHERE o.created_at >= $1 AND o.created_at < $2 AND {condition}
         GROUP BY 1, 2"
    );
    let rows = in_window(db, window, &sql, &binds).await?;
    let mut days: Vec<DayTabs> = window
        .day_list()
        .into_iter()
        .map(|day| DayTabs {
            day,
            tabs: Vec::new(),
        })
        .collect();
    for row in &rows {
        let tab: String = row.try_get("tab")?;
        let tab =
            Tab::parse(&tab).ok_or_else(|| StorageError::Corrupt(format!("orders.tab {tab:?}")))?;
        let index = window.index(row.try_get("day")?)?;
        days[index].tabs.push((tab, row.try_get("n")?));
    }
    for day in &mut days {
        day.tabs
            .sort_by_key(|(tab, _)| Tab::ALL.iter().position(|t| t == tab));
    }
    Ok(days)
}

/// Supplier orders whose first parcel was recorded on one day, and how long after payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayShipping {
    pub day: NaiveDate,
    pub shipped: i64,
    /// Median hours from payment to the first parcel (whole hours, rounded down).
    pub p50_hours: Option<i64>,
    /// 90th percentile, same unit.
    pub p90_hours: Option<i64>,
}

/// Payment-to-shipment times per day of the window (every day present, oldest first).
pub async fn shipping_times(
    db: &Database,
    scope: &Scope,
    window: Window,
) -> Result<Vec<DayShipping>> {
    let mut binds = vec![String::new(), String::new()];
    let condition = scope.order_condition("o.", &mut binds);
    // A parcel counts on the day the purchase's *first* parcel was recorded: later parcels of
    // a purchase whose first came before the window are left out by the NOT EXISTS.
    let sql = format!(
        "SELECT (f.first_at - $1) / {DAY_MS} AS day, (f.first_at - so.paid_at) / {HOUR_MS} AS hours,
            COUNT(*) AS n
         FROM (SELECT supplier_order_id, MIN(created_at) AS first_at FROM shipments
               WHERE created_at >= $1 AND created_at < $2 AND supplier_order_id IS NOT NULL
               GROUP BY supplier_order_id) f
         JOIN supplier_orders so ON so.id = f.supplier_order_id
         JOIN orders o ON o.id = so.order_id
         WHERE so.paid_at IS NOT NULL AND so.paid_at <= f.first_at
           AND NOT EXISTS (SELECT 1 FROM shipments e
                           WHERE e.supplier_order_id = f.supplier_order_id AND e.created_at < $1)
           AND {condition}
         GROUP BY 1, 2"
    );
    let rows = in_window(db, window, &sql, &binds).await?;
    let mut histograms: Vec<Vec<(i64, i64)>> = vec![Vec::new(); window.days as usize];
    for row in &rows {
        let index = window.index(row.try_get("day")?)?;
        histograms[index].push((row.try_get("hours")?, row.try_get("n")?));
    }
    Ok(window
        .day_list()
        .into_iter()
        .zip(histograms)
        .map(|(day, mut histogram)| {
            histogram.sort_unstable();
            DayShipping {
                day,
                shipped: histogram.iter().map(|(_, n)| n).sum(),
                p50_hours: percentile(&histogram, 50),
                p90_hours: percentile(&histogram, 90),
            }
        })
        .collect())
}

/// Nearest-rank percentile of a sorted histogram of (value, count).
fn percentile(histogram: &[(i64, i64)], pct: i64) -> Option<i64> {
    let total: i64 = histogram.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The smallest value with at least ceil(pct% of total) values at or below it.
    let rank = (total * pct + 99) / 100;
    let mut seen = 0;
    for (value, n) in histogram {
        seen += n;
        if seen >= rank {
            return Some(*value);
        }
    }
    histogram.last().map(|(v, _)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(7, 1)], 50), Some(7));
        assert_eq!(percentile(&[(7, 1)], 90), Some(7));
        // 1..=10 once each: p50 is the 5th value, p90 the 9th.
        let spread: Vec<(i64, i64)> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(percentile(&spread, 50), Some(5));
        assert_eq!(percentile(&spread, 90), Some(9));
        assert_eq!(percentile(&[(2, 9), (100, 1)], 90), Some(2));
        assert_eq!(percentile(&[(2, 8), (100, 2)], 90), Some(100));
    }

    #[test]
    fn windows_are_whole_utc_days_ending_today() {
        let now = Utc
            .with_ymd_and_hms(2025, 3, 2, 23, 59, 0)
            .single()
            .unwrap_or_default();
        let w = Window::last_days(now, 3);
        let days: Vec<String> = w.day_list().iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2025-02-28", "2025-03-01", "2025-03-02"]);
        assert_eq!(w.end_ms() - w.start_ms(), 3 * DAY_MS);
        assert!(w.end_ms() > now.timestamp_millis());
        assert_eq!(Window::last_days(now, 0).days, 1);
        assert!(w.index(3).is_err() && w.index(-1).is_err() && w.index(2).is_ok());
    }
}
