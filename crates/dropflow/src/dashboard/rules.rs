//! Which buttons an order page shows: one pure function of the order's state, its supplier
//! orders and the viewer's role. The actions themselves check again when clicked (a state can
//! change between showing and clicking); this only keeps the page from offering what cannot
//! work.

use crate::storage::accounts::Role;
use dropflow_core::hold::HoldReason;
use dropflow_core::procurement::SupplierOrderStatus;

/// What the page knows about one supplier order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierOrderFacts {
    pub id: String,
    pub status: SupplierOrderStatus,
    /// Bought from a manual vendor (tracking is entered by hand, not fetched).
    pub manual: bool,
}

/// What the page knows about the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts<'a> {
    pub cancelled: bool,
    pub holds: &'a [HoldReason],
    /// Lines routing could not place (or a supplier refused).
    pub routing_failed: bool,
    pub supplier_orders: &'a [SupplierOrderFacts],
}

/// One button.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderAction {
    /// Pay the supplier orders awaiting payment, from the wallet.
    Pay,
    /// Place the supplier orders awaiting placement.
    Place,
    /// Route the order again (after a mapping was fixed or a supplier refused).
    Retry,
    /// Ask the suppliers now rather than at the next sync.
    Refresh,
    ReleaseHold(HoldReason),
    /// Enter the tracking number of a manual vendor's supplier order (marks it shipped).
    EnterTracking(String),
    /// Mark a manual vendor's shipped supplier order delivered.
    MarkDelivered(String),
}

/// The actions the order's state allows this role, in the order the page shows them.
pub fn allowed(order: &OrderFacts<'_>, role: Role) -> Vec<OrderAction> {
    let merchant = matches!(role, Role::Owner | Role::Staff);
    let mut actions = Vec::new();
    if order.cancelled {
        return actions;
    }
    let any =
        |status: SupplierOrderStatus| order.supplier_orders.iter().any(|s| s.status == status);
    let held = !order.holds.is_empty();
    if merchant {
        if !held && any(SupplierOrderStatus::AwaitingPayment) {
            actions.push(OrderAction::Pay);
        }
        if !held && any(SupplierOrderStatus::AwaitingPlacement) {
            actions.push(OrderAction::Place);
        }
        if !held && (order.routing_failed || any(SupplierOrderStatus::Rejected)) {
            actions.push(OrderAction::Retry);
        }
        if order.supplier_orders.iter().any(|s| {
            !s.manual
                && matches!(
                    s.status,
                    SupplierOrderStatus::AwaitingPayment
                        | SupplierOrderStatus::AwaitingShipment
                        | SupplierOrderStatus::Shipped
                )
        }) {
            actions.push(OrderAction::Refresh);
        }
        actions.extend(order.holds.iter().map(|r| OrderAction::ReleaseHold(*r)));
    }
    if merchant || role == Role::Vendor {
        for so in order.supplier_orders.iter().filter(|s| s.manual) {
            match so.status {
                SupplierOrderStatus::AwaitingShipment => {
                    actions.push(OrderAction::EnterTracking(so.id.clone()))
                }
                SupplierOrderStatus::Shipped => {
                    actions.push(OrderAction::MarkDelivered(so.id.clone()))
                }
                _ => {}
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use SupplierOrderStatus as S;

    fn so(id: &str, status: S, manual: bool) -> SupplierOrderFacts {
        SupplierOrderFacts {
            id: id.into(),
            status,
            manual,
        }
    }

    fn facts<'a>(sos: &'a [SupplierOrderFacts], holds: &'a [HoldReason]) -> OrderFacts<'a> {
        OrderFacts {
            cancelled: false,
            holds,
            routing_failed: false,
            supplier_orders: sos,
        }
    }

    #[test]
    fn awaiting_payment_offers_pay_and_refresh_to_merchants_only() {
        let sos = [so("a", S::AwaitingPayment, false)];
        assert_eq!(
            allowed(&facts(&sos, &[]), Role::Owner),
            vec![OrderAction::Pay, OrderAction::Refresh]
        );
        assert_eq!(
            allowed(&facts(&sos, &[]), Role::Staff),
            vec![OrderAction::Pay, OrderAction::Refresh]
        );
        assert!(allowed(&facts(&sos, &[]), Role::Vendor).is_empty());
        assert!(allowed(&facts(&sos, &[]), Role::Warehouse).is_empty());
    }

    #[test]
    fn a_hold_blocks_buying_and_offers_its_release() {
        let sos = [so("a", S::AwaitingPlacement, false)];
        let holds = [HoldReason::IncorrectAddress];
        assert_eq!(
            allowed(&facts(&sos, &holds), Role::Owner),
            vec![OrderAction::ReleaseHold(HoldReason::IncorrectAddress)]
        );
        assert_eq!(
            allowed(&facts(&sos, &[]), Role::Owner),
            vec![OrderAction::Place]
        );
    }

    #[test]
    fn a_cancelled_order_offers_nothing() {
        let sos = [so("a", S::AwaitingPayment, false)];
        let holds = [HoldReason::Other];
        let order = OrderFacts {
            cancelled: true,
            ..facts(&sos, &holds)
        };
        assert!(allowed(&order, Role::Owner).is_empty());
    }

    #[test]
    fn failures_and_refusals_offer_retry() {
        let order = OrderFacts {
            routing_failed: true,
            ..facts(&[], &[])
        };
        assert_eq!(allowed(&order, Role::Owner), vec![OrderAction::Retry]);
        let sos = [so("a", S::Rejected, false)];
        assert_eq!(
            allowed(&facts(&sos, &[]), Role::Staff),
            vec![OrderAction::Retry]
        );
    }

    #[test]
    fn manual_vendor_orders_take_tracking_then_delivery() {
        let sos = [
            so("m1", S::AwaitingShipment, true),
            so("m2", S::Shipped, true),
            so("m3", S::Delivered, true),
        ];
        let expected = vec![
            OrderAction::EnterTracking("m1".into()),
            OrderAction::MarkDelivered("m2".into()),
        ];
        assert_eq!(allowed(&facts(&sos, &[]), Role::Vendor), expected);
        // A manual order is not refreshed from a supplier API.
        assert_eq!(allowed(&facts(&sos, &[]), Role::Owner), expected);
    }

    #[test]
    fn shipped_and_delivered_supplier_orders_offer_no_buying() {
        let sos = [so("a", S::Shipped, false), so("b", S::Delivered, false)];
        assert_eq!(
            allowed(&facts(&sos, &[]), Role::Owner),
            vec![OrderAction::Refresh]
        );
    }
}
