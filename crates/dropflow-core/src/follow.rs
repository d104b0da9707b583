//! How often to ask a supplier or a carrier where things stand. Adaptive, because asking is
//! not free (rate limits, quotas) and answers change at predictable moments: right after
//! payment the supplier confirms and then ships within days, so we ask often while tracking is
//! due; an order waiting for a person's payment, or a parcel on a week-long flight, changes
//! rarely. Pure: the caller passes the clock.

use crate::procurement::SupplierOrderStatus;
use crate::shipment::ShipmentStatus;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The intervals, in real time at `time_scale` 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cadence {
    /// Placed, not paid: someone may pay by hand at the supplier.
    pub awaiting_payment: Duration,
    /// Paid, within `tracking_due` of payment: ask often.
    pub often: Duration,
    /// How long after payment a supplier usually ships (tracking is "due").
    pub tracking_due: Duration,
    /// Paid, past `tracking_due`, still not shipped: keep asking, less often.
    pub overdue: Duration,
    /// Shipped: the carrier tells us more; ask the supplier rarely (for delivered/closed).
    pub shipped: Duration,
    /// A parcel in transit, asked of the carrier.
    pub parcel: Duration,
    /// A parcel out for delivery or waiting for pickup: the end is near.
    pub parcel_final_mile: Duration,
    /// Sandbox seconds per real second: demo and tests run days in seconds. 1 in production.
    pub time_scale: f64,
}

impl Default for Cadence {
    fn default() -> Self {
        const MIN: u64 = 60;
        const HOUR: u64 = 60 * MIN;
        Cadence {
            awaiting_payment: Duration::from_secs(6 * HOUR),
            often: Duration::from_secs(30 * MIN),
            tracking_due: Duration::from_secs(5 * 24 * HOUR),
            overdue: Duration::from_secs(4 * HOUR),
            shipped: Duration::from_secs(12 * HOUR),
            parcel: Duration::from_secs(4 * HOUR),
            parcel_final_mile: Duration::from_secs(HOUR),
            time_scale: 1.0,
        }
    }
}

impl Cadence {
    fn after(&self, now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
        let scale = if self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        let ms = (interval.as_secs_f64() * 1000.0 / scale).max(1.0) as i64;
        now + chrono::Duration::milliseconds(ms)
    }

    /// How often a supplier's answer to a case (its dispute or refund request) is asked for,
    /// in real milliseconds: as often as an order waiting for tracking.
    /// Never more often than once a second, however fast sandbox time runs: each look is a
    /// call to the supplier.
    pub fn case_poll_ms(&self) -> i64 {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        (self.after(now, self.often) - now)
            .num_milliseconds()
            .max(1_000)
    }

    /// When to next ask the supplier about an order in `status`; `None`: no need any more.
    pub fn next_supplier_sync(
        &self,
        status: SupplierOrderStatus,
        paid_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match status {
            SupplierOrderStatus::AwaitingPayment => Some(self.after(now, self.awaiting_payment)),
            SupplierOrderStatus::AwaitingShipment => {
                let since = paid_at.map(|p| now - p).unwrap_or_default();
                let due = chrono::Duration::from_std(self.tracking_due)
                    .unwrap_or(chrono::Duration::MAX)
                    .num_milliseconds() as f64
                    / self.time_scale.max(f64::MIN_POSITIVE);
                if (since.num_milliseconds() as f64) <= due {
                    Some(self.after(now, self.often))
                } else {
                    Some(self.after(now, self.overdue))
                }
            }
            SupplierOrderStatus::Shipped => Some(self.after(now, self.shipped)),
            // Nothing to follow: not placed yet (placing has its own job), or finished.
            SupplierOrderStatus::AwaitingPlacement
            | SupplierOrderStatus::PlacementUnknown
            | SupplierOrderStatus::Delivered
            | SupplierOrderStatus::Rejected
            | SupplierOrderStatus::Cancelled => None,
        }
    }

    /// When to next ask the carrier about a parcel in `status`; `None` once it is final.
    pub fn next_parcel_sync(
        &self,
        status: ShipmentStatus,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match status {
            ShipmentStatus::Delivered | ShipmentStatus::Expired => None,
            ShipmentStatus::OutForDelivery
            | ShipmentStatus::AvailableForPickup
            | ShipmentStatus::AttemptFail => Some(self.after(now, self.parcel_final_mile)),
            ShipmentStatus::Pending
            | ShipmentStatus::InfoReceived
            | ShipmentStatus::InTransit
            | ShipmentStatus::Exception => Some(self.after(now, self.parcel)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0)
            .single()
            .unwrap_or_default()
            + chrono::Duration::hours(h)
    }

    #[test]
    fn paid_orders_are_asked_often_until_tracking_is_overdue() {
        let c = Cadence::default();
        let paid = at(0);
        let soon = c.next_supplier_sync(SupplierOrderStatus::AwaitingShipment, Some(paid), at(1));
        assert_eq!(soon, Some(at(1) + chrono::Duration::minutes(30)));
        let late = c.next_supplier_sync(SupplierOrderStatus::AwaitingShipment, Some(paid), at(200));
        assert_eq!(late, Some(at(204)));
    }

    #[test]
    fn finished_and_unplaced_orders_are_not_followed() {
        let c = Cadence::default();
        for s in [
            SupplierOrderStatus::Delivered,
            SupplierOrderStatus::Cancelled,
            SupplierOrderStatus::Rejected,
            SupplierOrderStatus::AwaitingPlacement,
        ] {
            assert_eq!(c.next_supplier_sync(s, None, at(0)), None);
        }
        assert_eq!(c.next_parcel_sync(ShipmentStatus::Delivered, at(0)), None);
    }

    #[test]
    fn time_scale_shrinks_every_interval() {
        let c = Cadence {
            time_scale: 3600.0,
            ..Cadence::default()
        };
        // Six hours at 3600× is six seconds.
        assert_eq!(
            c.next_supplier_sync(SupplierOrderStatus::AwaitingPayment, None, at(0)),
            Some(at(0) + chrono::Duration::seconds(6))
        );
        assert_eq!(
            c.next_parcel_sync(ShipmentStatus::OutForDelivery, at(0)),
            Some(at(0) + chrono::Duration::seconds(1))
        );
    }
}
