//! The supplier-order axis. An order is bought as one supplier order per supplier; each moves
//! on its own, and the order keeps a [`Procurement`] summary of all of them so the merchant's
//! tab can be derived without reading every supplier order.

use serde::{Deserialize, Serialize};

/// Where one purchase from one supplier stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplierOrderStatus {
    /// Routed to this supplier, not sent yet.
    AwaitingPlacement,
    /// We asked the supplier to place it and do not know whether it did (timeout). Must be
    /// reconciled by asking the supplier with our attempt id before any retry: never buy twice.
    PlacementUnknown,
    /// The supplier holds the order and waits for our payment (wallet or the "Pay" click).
    AwaitingPayment,
    /// Paid; the supplier prepares and ships it.
    AwaitingShipment,
    /// The supplier shipped it (tracking known).
    Shipped,
    /// The package arrived.
    Delivered,
    /// The supplier refused it (out of stock, price changed, address refused).
    Rejected,
    /// Cancelled with the supplier.
    Cancelled,
}

impl SupplierOrderStatus {
    pub const ALL: [SupplierOrderStatus; 8] = [
        SupplierOrderStatus::AwaitingPlacement,
        SupplierOrderStatus::PlacementUnknown,
        SupplierOrderStatus::AwaitingPayment,
        SupplierOrderStatus::AwaitingShipment,
        SupplierOrderStatus::Shipped,
        SupplierOrderStatus::Delivered,
        SupplierOrderStatus::Rejected,
        SupplierOrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SupplierOrderStatus::AwaitingPlacement => "awaiting_placement",
            SupplierOrderStatus::PlacementUnknown => "placement_unknown",
            SupplierOrderStatus::AwaitingPayment => "awaiting_payment",
            SupplierOrderStatus::AwaitingShipment => "awaiting_shipment",
            SupplierOrderStatus::Shipped => "shipped",
            SupplierOrderStatus::Delivered => "delivered",
            SupplierOrderStatus::Rejected => "rejected",
            SupplierOrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<SupplierOrderStatus> {
        SupplierOrderStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The order-level summary of its supplier orders, ordered from least to most advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procurement {
    /// No supplier order exists yet (or every one still waits to be placed).
    NotStarted,
    /// Routing or a supplier failed for at least one line: a person must act.
    Failed,
    /// At least one supplier order waits for our payment.
    AwaitingSupplierPayment,
    /// Everything is paid; at least one supplier has not shipped.
    AwaitingShipment,
    /// Some of it has shipped (a supplier or a parcel of a vendor's), the rest has not —
    /// Shopify's `partially_fulfilled`.
    #[serde(rename = "partially_fulfilled")]
    PartiallyShipped,
    /// Every supplier order has shipped.
    Shipped,
    /// Every package has been delivered.
    Delivered,
}

impl Procurement {
    pub const ALL: [Procurement; 7] = [
        Procurement::NotStarted,
        Procurement::Failed,
        Procurement::AwaitingSupplierPayment,
        Procurement::AwaitingShipment,
        Procurement::PartiallyShipped,
        Procurement::Shipped,
        Procurement::Delivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Procurement::NotStarted => "not_started",
            Procurement::Failed => "failed",
            Procurement::AwaitingSupplierPayment => "awaiting_supplier_payment",
            Procurement::AwaitingShipment => "awaiting_shipment",
            Procurement::PartiallyShipped => "partially_fulfilled",
            Procurement::Shipped => "shipped",
            Procurement::Delivered => "delivered",
        }
    }

    pub fn parse(s: &str) -> Option<Procurement> {
        Procurement::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Summarises the live supplier orders of one order. Cancelled ones are ignored (they were
    /// replaced or the order was cancelled); the least advanced live one decides, except that
    /// any failure needs attention first.
    pub fn summarize(statuses: &[SupplierOrderStatus]) -> Procurement {
        let live: Vec<SupplierOrderStatus> = statuses
            .iter()
            .copied()
            .filter(|s| *s != SupplierOrderStatus::Cancelled)
            .collect();
        if live.is_empty() {
            return Procurement::NotStarted;
        }
        if live.contains(&SupplierOrderStatus::Rejected) {
            return Procurement::Failed;
        }
        live.iter()
            .map(|s| match s {
                // A placement in doubt counts as not placed: the merchant must not be shown
                // it as bought until reconciliation says so.
                SupplierOrderStatus::AwaitingPlacement | SupplierOrderStatus::PlacementUnknown => {
                    Procurement::NotStarted
                }
                SupplierOrderStatus::AwaitingPayment => Procurement::AwaitingSupplierPayment,
                SupplierOrderStatus::AwaitingShipment => Procurement::AwaitingShipment,
                SupplierOrderStatus::Shipped => Procurement::Shipped,
                SupplierOrderStatus::Delivered => Procurement::Delivered,
                SupplierOrderStatus::Rejected | SupplierOrderStatus::Cancelled => {
                    Procurement::Failed
                }
            })
            .min()
            .map(|least| {
                let some_shipped = live.iter().any(|s| {
                    matches!(
                        s,
                        SupplierOrderStatus::Shipped | SupplierOrderStatus::Delivered
                    )
                });
                if least == Procurement::AwaitingShipment && some_shipped {
                    Procurement::PartiallyShipped
                } else {
                    least
                }
            })
            .unwrap_or(Procurement::NotStarted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SupplierOrderStatus as S;

    /// Each purchase set and what it summarises to.
    fn assert_summaries(cases: &[(&[S], Procurement)]) {
        for (statuses, expected) in cases {
            assert_eq!(Procurement::summarize(statuses), *expected, "{statuses:?}");
        }
    }

    #[test]
    fn some_shipped_and_some_awaiting_shipment_is_partially_fulfilled() {
        assert_summaries(&[
            (
                &[S::Shipped, S::AwaitingShipment],
                Procurement::PartiallyShipped,
            ),
            (
                &[S::Delivered, S::AwaitingPayment],
                Procurement::AwaitingSupplierPayment,
            ),
        ]);
        assert_eq!(
            Procurement::PartiallyShipped.as_str(),
            "partially_fulfilled"
        );
    }

    #[test]
    fn the_least_advanced_supplier_order_decides() {
        assert_summaries(&[
            (
                &[S::Shipped, S::AwaitingPayment],
                Procurement::AwaitingSupplierPayment,
            ),
            (&[S::Delivered, S::Shipped], Procurement::Shipped),
        ]);
    }

    #[test]
    fn a_rejection_needs_attention_before_anything_else() {
        assert_summaries(&[(&[S::Delivered, S::Rejected], Procurement::Failed)]);
    }

    #[test]
    fn cancelled_supplier_orders_do_not_count() {
        assert_summaries(&[
            (&[S::Cancelled], Procurement::NotStarted),
            (
                &[S::Cancelled, S::AwaitingShipment],
                Procurement::AwaitingShipment,
            ),
        ]);
    }
}
