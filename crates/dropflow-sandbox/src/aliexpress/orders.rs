//! Sandbox orders and how they move with sandbox time.
//!
//! An order's whole future is fixed when it is created (from its number, so runs repeat):
//! how long payment takes, whether risk control looks at it, the seller's handling time and
//! the transit time of its delivery option. Its status at any moment is then a pure function
//! of the sandbox clock:
//!
//! ```text
//! PLACE_ORDER_SUCCESS ─(try_to_pay, or paid by hand)→ PAYMENT_PROCESSING ─1 min→
//!   [RISK_CONTROL 6 h, one order in ten] → WAIT_SELLER_SEND_GOODS ─1–3 days→
//!   WAIT_BUYER_ACCEPT_GOODS + tracking ─transit→ FINISH / BUYER_ACCEPT_GOODS
//! unpaid for 24 h → FINISH / NO_LOGISTICS (closed)
//! ```

use super::catalogue::{tracking_number, Delivery, Store};
use crate::numbers::mix;
use std::time::Duration;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// How long AliExpress keeps an unpaid order open (`pay_timeout_second`).
pub(crate) const PAY_TIMEOUT: Duration = Duration::from_secs(DAY);
/// How long `out_order_id` blocks a repeat (§3.5: 24 h).
pub(crate) const REPEAT_WINDOW: Duration = Duration::from_secs(DAY);
const PAYMENT_PROCESSING: Duration = Duration::from_secs(MINUTE);
const RISK_CONTROL: Duration = Duration::from_secs(6 * HOUR);

/// One line of an order.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub product_id: u64,
    pub sku_id: u64,
    pub subject: String,
    pub count: u32,
    pub unit_cents: i64,
}

/// How the order gets paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payment {
    /// Charged from creation (`try_to_pay: true`).
    Automatic,
    /// Waits for someone to pay it in the buyer centre; `Some(t)` once they did.
    ByHand(Option<Duration>),
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub id: u64,
    pub out_order_id: Option<String>,
    pub store: &'static Store,
    pub created: Duration,
    pub items: Vec<Item>,
    pub delivery: &'static Delivery,
    pub shipping_cents: i64,
    pub payment: Payment,
    pub risk_control: bool,
    pub handling: Duration,
    pub transit: Duration,
    pub tracking_number: String,
}

/// Where an order is at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Unpaid,
    Closed,
    Processing,
    RiskControl,
    WaitSend,
    /// In transit for this long.
    Shipped(Duration),
    Delivered,
}

/// The parts of an order its number decides.
pub(crate) struct Schedule {
    pub risk_control: bool,
    pub handling: Duration,
    pub transit: Duration,
    pub tracking_number: String,
}

pub(crate) fn schedule(id: u64, delivery: &Delivery) -> Schedule {
    // Mixed, so neighbouring order numbers get unrelated schedules.
    let h = mix(id);
    let span_days = u64::from(delivery.max_days.saturating_sub(delivery.min_days)) + 1;
    Schedule {
        risk_control: h % 10 == 9,
        // One to three days, to the hour.
        handling: Duration::from_secs(DAY + ((h >> 8) % 48) * HOUR),
        transit: Duration::from_secs(
            (u64::from(delivery.min_days) + (h >> 16) % span_days) * DAY + ((h >> 24) % 24) * HOUR,
        ),
        tracking_number: tracking_number(delivery.format, h >> 20),
    }
}

impl Order {
    pub fn goods_cents(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i.unit_cents * i64::from(i.count))
            .sum()
    }

    pub fn total_cents(&self) -> i64 {
        self.goods_cents() + self.shipping_cents
    }

    /// When the charge started, if it did.
    fn pay_started(&self) -> Option<Duration> {
        match self.payment {
            Payment::Automatic => Some(self.created),
            Payment::ByHand(at) => at,
        }
    }

    pub fn paid_at(&self) -> Option<Duration> {
        self.pay_started().map(|t| t + PAYMENT_PROCESSING)
    }

    pub fn shipped_at(&self) -> Option<Duration> {
        let risk = if self.risk_control {
            RISK_CONTROL
        } else {
            Duration::ZERO
        };
        self.paid_at().map(|t| t + risk + self.handling)
    }

    pub fn delivered_at(&self) -> Option<Duration> {
        self.shipped_at().map(|t| t + self.transit)
    }

    pub fn phase(&self, now: Duration) -> Phase {
        let Some(started) = self.pay_started() else {
            return if now >= self.created + PAY_TIMEOUT {
                Phase::Closed
            } else {
                Phase::Unpaid
            };
        };
        let paid = started + PAYMENT_PROCESSING;
        let cleared = paid
            + if self.risk_control {
                RISK_CONTROL
            } else {
                Duration::ZERO
            };
        let shipped = cleared + self.handling;
        let delivered = shipped + self.transit;
        if now < started {
            Phase::Unpaid
        } else if now < paid {
            Phase::Processing
        } else if now < cleared {
            Phase::RiskControl
        } else if now < shipped {
            Phase::WaitSend
        } else if now < delivered {
            Phase::Shipped(now - shipped)
        } else {
            Phase::Delivered
        }
    }

    /// `order_status` and `logistics_status` at `now`.
    pub fn statuses(&self, now: Duration) -> (&'static str, &'static str) {
        match self.phase(now) {
            Phase::Unpaid => ("PLACE_ORDER_SUCCESS", "NO_LOGISTICS"),
            Phase::Closed => ("FINISH", "NO_LOGISTICS"),
            Phase::Processing => ("PAYMENT_PROCESSING", "NO_LOGISTICS"),
            Phase::RiskControl => ("RISK_CONTROL", "WAIT_SELLER_SEND_GOODS"),
            Phase::WaitSend => ("WAIT_SELLER_SEND_GOODS", "WAIT_SELLER_SEND_GOODS"),
            Phase::Shipped(_) => ("WAIT_BUYER_ACCEPT_GOODS", "SELLER_SEND_GOODS"),
            Phase::Delivered => ("FINISH", "BUYER_ACCEPT_GOODS"),
        }
    }

    /// The carrier's scans so far: `(sandbox time, name, description)`, oldest first. Empty
    /// before the parcel ships.
    pub fn scans(&self, now: Duration) -> Vec<(Duration, &'static str, &'static str)> {
        let Some(shipped) = self.shipped_at() else {
            return Vec::new();
        };
        if now < shipped {
            return Vec::new();
        }
        // (share of the transit time, name, description)
        const MILESTONES: [(f64, &str, &str); 7] = [
            (
                0.0,
                "Shipment information received",
                "The seller has shipped; the carrier has the parcel's details",
            ),
            (
                0.04,
                "Accepted by carrier",
                "Parcel picked up at the sorting centre",
            ),
            (
                0.15,
                "Departed from origin country",
                "Left the export airport",
            ),
            (
                0.55,
                "Arrived at destination country",
                "Arrived at the import airport",
            ),
            (0.65, "Customs clearance completed", "Released by customs"),
            (
                0.92,
                "Out for delivery",
                "With the local courier for delivery",
            ),
            (1.0, "Delivered", "Delivered to the recipient"),
        ];
        MILESTONES
            .iter()
            .map(|(share, name, desc)| (shipped + self.transit.mul_f64(*share), *name, *desc))
            .filter(|(at, _, _)| *at <= now)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::{DELIVERIES, STORES};
    use super::*;

    fn order(payment: Payment) -> Order {
        let delivery = &DELIVERIES[0];
        let s = schedule(42, delivery);
        Order {
            id: 42,
            out_order_id: None,
            store: &STORES[0],
            created: Duration::ZERO,
            items: Vec::new(),
            delivery,
            shipping_cents: 0,
            payment,
            risk_control: false,
            handling: s.handling,
            transit: s.transit,
            tracking_number: s.tracking_number,
        }
    }

    #[test]
    fn a_paid_order_moves_through_every_phase() {
        let o = order(Payment::Automatic);
        assert_eq!(o.phase(Duration::ZERO), Phase::Processing);
        assert_eq!(o.phase(Duration::from_secs(2 * MINUTE)), Phase::WaitSend);
        let shipped = o.shipped_at().unwrap_or_default();
        assert!(matches!(o.phase(shipped), Phase::Shipped(_)));
        assert_eq!(o.scans(shipped).len(), 1);
        let delivered = o.delivered_at().unwrap_or_default();
        assert_eq!(o.phase(delivered), Phase::Delivered);
        assert_eq!(o.scans(delivered).len(), 7);
        assert_eq!(o.statuses(delivered), ("FINISH", "BUYER_ACCEPT_GOODS"));
    }

    #[test]
    fn an_unpaid_order_waits_then_closes() {
        let o = order(Payment::ByHand(None));
        assert_eq!(
            o.statuses(Duration::from_secs(HOUR)).0,
            "PLACE_ORDER_SUCCESS"
        );
        assert_eq!(o.statuses(PAY_TIMEOUT), ("FINISH", "NO_LOGISTICS"));
        let paid = order(Payment::ByHand(Some(Duration::from_secs(HOUR))));
        assert_eq!(
            paid.statuses(Duration::from_secs(HOUR)).0,
            "PAYMENT_PROCESSING"
        );
    }
}
