//! How often to read an offer's stock and price at its supplier. Reading is not free (each
//! supplier's rate limit and daily quota), and what matters is a sell-out reaching the store
//! before an order does: so an offer is read often while it sells or runs low, rarely while
//! nothing sells, again soon after it was seen to change, and at once after a placement was
//! refused for stock (the supplier just told us our figure is wrong). Pure: the caller passes
//! the clock.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The intervals, in real time at `time_scale` 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Sells every day (≥ 10 units over the last 7 days).
    pub selling: Duration,
    /// Sells now and then (1–9 units over the last 7 days).
    pub sometimes: Duration,
    /// Sold nothing over the last 7 days.
    pub idle: Duration,
    /// Known stock at or below `low_units`: a sell-out is near, whatever the sales.
    pub low: Duration,
    pub low_units: u32,
    /// Sandbox seconds per real second (tests run days in seconds). 1 in production.
    pub time_scale: f64,
}

impl Default for Pace {
    fn default() -> Self {
        const MIN: u64 = 60;
        Pace {
            selling: Duration::from_secs(15 * MIN),
            sometimes: Duration::from_secs(2 * 60 * MIN),
            idle: Duration::from_secs(24 * 60 * MIN),
            low: Duration::from_secs(10 * MIN),
            low_units: 10,
            time_scale: 1.0,
        }
    }
}

/// What is known of an offer when its next read is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfferFacts {
    /// Store units sold through this offer over the last 7 days.
    pub sold_last_7_days: u32,
    /// The stock last read (`None`: the supplier does not say).
    pub stock: Option<u32>,
    pub last_read_at: Option<DateTime<Utc>>,
    /// When the last read found stock or cost different from the one before.
    pub changed_at: Option<DateTime<Utc>>,
    /// When a placement was last refused by this supplier for stock.
    pub refused_for_stock_at: Option<DateTime<Utc>>,
}

impl Pace {
    /// How long to wait between reads of an offer with these facts (before the time scale).
    pub fn interval(&self, facts: &OfferFacts) -> Duration {
        let by_sales = match facts.sold_last_7_days {
            0 => self.idle,
            1..=9 => self.sometimes,
            _ => self.selling,
        };
        let mut interval = by_sales;
        if facts.stock.is_some_and(|s| s <= self.low_units) {
            interval = interval.min(self.low);
        }
        // Seen to change at the last read: it is moving, look again at half the interval.
        if facts.changed_at.is_some() && facts.changed_at == facts.last_read_at {
            interval /= 2;
        }
        interval
    }

    /// When to read the offer next: never read, or refused for stock since the last read →
    /// now; otherwise the last read plus [`Pace::interval`], and not before now.
    pub fn next_read(&self, facts: &OfferFacts, now: DateTime<Utc>) -> DateTime<Utc> {
        let Some(last) = facts.last_read_at else {
            return now;
        };
        if facts
            .refused_for_stock_at
            .is_some_and(|refused| refused >= last)
        {
            return now;
        }
        let scale = if self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        let ms = (self.interval(facts).as_secs_f64() * 1000.0 / scale).max(1.0) as i64;
        (last + chrono::Duration::milliseconds(ms)).max(now)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn read_at(minutes_ago: i64, sold: u32, stock: Option<u32>) -> OfferFacts {
        OfferFacts {
            sold_last_7_days: sold,
            stock,
            last_read_at: Some(t0() - chrono::Duration::minutes(minutes_ago)),
            ..OfferFacts::default()
        }
    }

    #[test]
    fn an_offer_never_read_or_refused_for_stock_since_is_read_at_once() {
        let pace = Pace::default();
        assert_eq!(pace.next_read(&OfferFacts::default(), t0()), t0());
        let refused = OfferFacts {
            refused_for_stock_at: Some(t0() - chrono::Duration::minutes(1)),
            ..read_at(5, 0, Some(100))
        };
        assert_eq!(pace.next_read(&refused, t0()), t0());
        // A refusal before the last read was already answered by that read.
        let answered = OfferFacts {
            refused_for_stock_at: Some(t0() - chrono::Duration::minutes(10)),
            ..read_at(5, 0, Some(100))
        };
        assert_eq!(
            pace.next_read(&answered, t0()),
            t0() + chrono::Duration::minutes(24 * 60 - 5)
        );
    }

    #[test]
    fn sellers_are_read_often_idle_offers_rarely_and_low_stock_soon() {
        let pace = Pace::default();
        let next = |facts: OfferFacts| pace.next_read(&facts, t0()) - t0();
        assert_eq!(
            next(read_at(5, 25, Some(500))),
            chrono::Duration::minutes(10)
        );
        assert_eq!(
            next(read_at(5, 3, Some(500))),
            chrono::Duration::minutes(115)
        );
        assert_eq!(
            next(read_at(5, 0, Some(500))),
            chrono::Duration::minutes(1435)
        );
        assert_eq!(next(read_at(5, 0, Some(4))), chrono::Duration::minutes(5));
        // Overdue: now, not in the past.
        assert_eq!(next(read_at(3_000, 0, None)), chrono::Duration::zero());
    }

    #[test]
    fn an_offer_seen_changing_is_read_again_at_half_the_interval() {
        let pace = Pace::default();
        let mut facts = read_at(0, 25, Some(500));
        facts.changed_at = facts.last_read_at;
        assert_eq!(pace.interval(&facts), Duration::from_secs(450));
    }

    proptest! {
        /// Selling more, or having less stock, never makes the next read later; and the next
        /// read is never in the past.
        #[test]
        fn more_sales_or_less_stock_never_read_later(
            sold in 0..200u32, more in 0..200u32,
            stock in proptest::option::of(0..1_000u32), less in 0..1_000u32,
            minutes_ago in 0..3_000i64,
        ) {
            let pace = Pace::default();
            let facts = read_at(minutes_ago, sold, stock);
            let busier = OfferFacts { sold_last_7_days: sold + more, ..facts };
            let scarcer = OfferFacts { stock: stock.map(|s| s.saturating_sub(less)), ..facts };
            let next = pace.next_read(&facts, t0());
            prop_assert!(pace.next_read(&busier, t0()) <= next);
            prop_assert!(pace.next_read(&scarcer, t0()) <= next);
            prop_assert!(next >= t0());
        }
    }
}
