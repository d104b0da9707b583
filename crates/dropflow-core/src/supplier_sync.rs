//! What the supplier's view of one of its orders means for ours, decided without I/O. The
//! sync job (and the CJ webhook) reads the purchase under its order's lock, asks [`apply`],
//! and writes the move, the wallet movement and the timeline in one transaction.
//!
//! The supplier's word only moves a purchase forward (placed → paid → shipped → delivered):
//! a late or repeated answer cannot undo progress. A supplier-side cancellation of a live
//! purchase is a refusal the merchant must see (Rejected), with any captured money refunded —
//! unless the store's order was stopped: then it is the cancellation we asked for.

use crate::procurement::SupplierOrderStatus;

/// How far along a status is; `None` for the final refusals.
pub fn progress(status: SupplierOrderStatus) -> Option<u8> {
    match status {
        SupplierOrderStatus::AwaitingPlacement | SupplierOrderStatus::PlacementUnknown => Some(0),
        SupplierOrderStatus::AwaitingPayment => Some(1),
        SupplierOrderStatus::AwaitingShipment => Some(2),
        SupplierOrderStatus::Shipped => Some(3),
        SupplierOrderStatus::Delivered => Some(4),
        SupplierOrderStatus::Rejected | SupplierOrderStatus::Cancelled => None,
    }
}

/// What the supplier says about the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News<'a> {
    /// Its status mapped onto ours.
    pub status: SupplierOrderStatus,
    /// Its own words for the status, for the timeline.
    pub raw_status: &'a str,
    /// It reports at least one parcel.
    pub parcels: bool,
}

/// Where the purchase stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<'a> {
    pub status: SupplierOrderStatus,
    /// `cj:default`, as the timeline shows it.
    pub label: &'a str,
    /// The store's order was cancelled or its payment reversed.
    pub order_stopped: bool,
}

/// Which refund the wallet gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    /// The purchase was cancelled at the supplier as asked after it was paid.
    CancelledAsAsked,
    /// The supplier ended a paid purchase on its own.
    Rejected,
}

/// What the news comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The purchase's status from now on (the same when nothing moved).
    pub target: SupplierOrderStatus,
    /// Why the supplier ended it, stored as the purchase's reason.
    pub detail: Option<String>,
    /// The cancellation the cancel job asked of the supplier happened: its flag is settled.
    pub cancelled_as_asked: bool,
    /// Paid before this news.
    pub was_paid: bool,
    /// Paid from now on.
    pub now_paid: bool,
}

impl Applied {
    /// Paid at the supplier outside our Pay (by hand in the supplier's buyer centre): the
    /// wallet still pays for it, so the merchant's balance tells the truth.
    pub fn paid_outside(&self) -> bool {
        !self.was_paid && self.now_paid
    }

    /// The refund owed to the wallet. `warehouse`: a purchase of the warehouse leg, refunded
    /// by its own rules when the order was cancelled.
    pub fn refund(&self, warehouse: bool) -> Option<Refund> {
        if !self.was_paid {
            return None;
        }
        if self.cancelled_as_asked {
            return (!warehouse).then_some(Refund::CancelledAsAsked);
        }
        (self.target == SupplierOrderStatus::Rejected).then_some(Refund::Rejected)
    }

    /// What the timeline says about a move: the reason, or the supplier's own words.
    pub fn timeline_detail(&self, news: &News<'_>) -> String {
        self.detail
            .clone()
            .unwrap_or_else(|| news.raw_status.to_string())
    }
}

/// What `news` does to the purchase `held`.
pub fn apply(held: &Held<'_>, news: &News<'_>) -> Applied {
    let mut target = held.status;
    let mut detail = None;
    let mut cancelled_as_asked = false;
    match (progress(held.status), progress(news.status)) {
        (Some(have), Some(said)) if said > have => target = news.status,
        // The store's order is gone: the supplier did what the cancel job asked of it.
        (Some(have), None) if have >= 1 && held.order_stopped => {
            target = SupplierOrderStatus::Cancelled;
            cancelled_as_asked = true;
            detail = Some(format!(
                "cancelled at {} as asked ({})",
                held.label, news.raw_status
            ));
        }
        // The supplier cancelled (or refused) an order we hold as live.
        (Some(have), None) if have >= 1 => {
            target = SupplierOrderStatus::Rejected;
            detail = Some(format!("the supplier reports it {}", news.raw_status));
        }
        _ => {}
    }
    // Tracking can come before the status says shipped: a parcel means it left.
    if news.parcels && progress(target).is_some_and(|p| (1..3).contains(&p)) {
        target = SupplierOrderStatus::Shipped;
    }
    Applied {
        target,
        detail,
        cancelled_as_asked,
        was_paid: progress(held.status).is_some_and(|p| p >= 2),
        now_paid: progress(target).is_some_and(|p| p >= 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SupplierOrderStatus::*;

    fn held(status: SupplierOrderStatus, order_stopped: bool) -> Held<'static> {
        Held {
            status,
            label: "cj:default",
            order_stopped,
        }
    }

    fn news(status: SupplierOrderStatus, parcels: bool) -> News<'static> {
        News {
            status,
            raw_status: "CANCELLED",
            parcels,
        }
    }

    #[test]
    fn the_supplier_only_moves_a_purchase_forward() {
        let forward = apply(
            &held(AwaitingPayment, false),
            &news(AwaitingShipment, false),
        );
        assert_eq!(forward.target, AwaitingShipment);
        assert!(forward.paid_outside());
        let late = apply(&held(Shipped, false), &news(AwaitingPayment, false));
        assert_eq!(late.target, Shipped);
        assert!(!late.paid_outside());
        assert_eq!(late.detail, None);
    }

    #[test]
    fn a_parcel_means_it_left() {
        let early = apply(&held(AwaitingPayment, false), &news(AwaitingPayment, true));
        assert_eq!(early.target, Shipped);
        assert!(early.now_paid);
        let delivered = apply(&held(Delivered, false), &news(Delivered, true));
        assert_eq!(delivered.target, Delivered);
        let unplaced = apply(
            &held(AwaitingPlacement, false),
            &news(AwaitingPlacement, true),
        );
        assert_eq!(unplaced.target, AwaitingPlacement);
    }

    #[test]
    fn a_supplier_cancellation_of_a_live_purchase_is_a_rejection_refunded_once_paid() {
        let unpaid = apply(&held(AwaitingPayment, false), &news(Cancelled, false));
        assert_eq!(unpaid.target, Rejected);
        assert_eq!(
            unpaid.detail.as_deref(),
            Some("the supplier reports it CANCELLED")
        );
        assert_eq!(unpaid.refund(false), None);
        let paid = apply(&held(AwaitingShipment, false), &news(Rejected, false));
        assert_eq!(paid.target, Rejected);
        assert_eq!(paid.refund(false), Some(Refund::Rejected));
        assert_eq!(paid.refund(true), Some(Refund::Rejected));
    }

    #[test]
    fn a_cancellation_we_asked_for_is_recorded_as_cancelled() {
        let asked = apply(&held(AwaitingShipment, true), &news(Cancelled, false));
        assert_eq!(asked.target, Cancelled);
        assert!(asked.cancelled_as_asked);
        assert_eq!(
            asked.detail.as_deref(),
            Some("cancelled at cj:default as asked (CANCELLED)")
        );
        assert_eq!(asked.refund(false), Some(Refund::CancelledAsAsked));
        assert_eq!(asked.refund(true), None);
        let unplaced = apply(&held(AwaitingPlacement, true), &news(Cancelled, false));
        assert_eq!(unplaced.target, AwaitingPlacement);
        assert!(!unplaced.cancelled_as_asked);
    }

    #[test]
    fn the_timeline_shows_the_reason_or_the_suppliers_words() {
        let n = news(AwaitingShipment, false);
        let moved = apply(&held(AwaitingPayment, false), &n);
        assert_eq!(moved.timeline_detail(&n), "CANCELLED");
        let c = news(Cancelled, false);
        let rejected = apply(&held(AwaitingPayment, false), &c);
        assert_eq!(
            rejected.timeline_detail(&c),
            "the supplier reports it CANCELLED"
        );
    }
}
