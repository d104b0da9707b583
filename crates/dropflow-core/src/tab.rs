//! The merchant's tabs are views over the axes, never stored state of their own: one function
//! decides, so a tab can never disagree with the order it shows. (Storage keeps the result in
//! a column for indexing, always written from this function.)

use crate::lifecycle::OrderState;
use crate::procurement::Procurement;
use crate::warehouse::stage::WarehouseStage;
use serde::{Deserialize, Serialize};

/// A tab of the orders page. Every order is in `All` and in exactly one other tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    All,
    /// Customer paid; no supplier order placed yet.
    AwaitingOrder,
    /// Placed with a supplier, not yet paid to the supplier.
    AwaitingPayment,
    /// Paid to the supplier, not yet shipped.
    AwaitingShipment,
    /// Shipped with tracking, on its way.
    Fulfilled,
    /// Every parcel delivered to the customer.
    Delivered,
    /// Cancelled, refunded or voided.
    Canceled,
    /// Routing or a supplier failed; a person must act.
    Failed,
    /// Held back: awaiting payment, bad address, fraud risk, stock, other.
    OnHold,
    /// Bought at the marketplace and on its way to, or at, dropflow's warehouse: not yet
    /// dispatched to the customer.
    AtWarehouse,
}

/// The tab a warehouse stage decides; `None` while buying (the supplier axis decides then).
/// The supplier's "shipped" and "delivered" are the domestic leg to the warehouse, so once the
/// seller ships the order is At Warehouse until the international parcel leaves.
fn warehouse_tab(stage: WarehouseStage) -> Option<Tab> {
    match stage {
        WarehouseStage::AwaitingPurchase | WarehouseStage::Purchased => None,
        WarehouseStage::ShippedToWarehouse
        | WarehouseStage::PartlyArrived
        | WarehouseStage::Arrived
        | WarehouseStage::Inspected
        | WarehouseStage::Packed
        | WarehouseStage::AwaitingShippingFee
        | WarehouseStage::FeePaid
        | WarehouseStage::LabelCreated
        | WarehouseStage::Exception => Some(Tab::AtWarehouse),
        WarehouseStage::Dispatched => Some(Tab::Fulfilled),
        WarehouseStage::Cancelled => Some(Tab::Canceled),
        WarehouseStage::Delivered => Some(Tab::Delivered),
    }
}

impl Tab {
    pub const ALL: [Tab; 10] = [
        Tab::All,
        Tab::AwaitingOrder,
        Tab::AwaitingPayment,
        Tab::AwaitingShipment,
        Tab::Fulfilled,
        Tab::Delivered,
        Tab::Canceled,
        Tab::Failed,
        Tab::OnHold,
        Tab::AtWarehouse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tab::All => "all",
            Tab::AwaitingOrder => "awaiting_order",
            Tab::AwaitingPayment => "awaiting_payment",
            Tab::AwaitingShipment => "awaiting_shipment",
            Tab::Fulfilled => "fulfilled",
            Tab::Delivered => "delivered",
            Tab::Canceled => "canceled",
            Tab::Failed => "failed",
            Tab::OnHold => "on_hold",
            Tab::AtWarehouse => "at_warehouse",
        }
    }

    pub fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The one specific tab (never `All`) an order belongs to. Precedence: a cancelled or
    /// reversed order is Canceled whatever else is true; a held order is On Hold; an order
    /// with lines routing could not place is Failed; otherwise the supplier axis decides.
    pub fn of(state: &OrderState) -> Tab {
        if state.cancel_reason.is_some() || state.payment.is_reversed() {
            return Tab::Canceled;
        }
        if !state.holds.is_empty() {
            return Tab::OnHold;
        }
        if !state.routing_failures.is_empty() {
            return Tab::Failed;
        }
        if let Some(tab) = state.warehouse.and_then(warehouse_tab) {
            return tab;
        }
        match state.procurement {
            Procurement::NotStarted => Tab::AwaitingOrder,
            Procurement::Failed => Tab::Failed,
            Procurement::AwaitingSupplierPayment => Tab::AwaitingPayment,
            // The rest is still to ship: the order stays where work remains.
            Procurement::AwaitingShipment | Procurement::PartiallyShipped => Tab::AwaitingShipment,
            Procurement::Shipped => Tab::Fulfilled,
            Procurement::Delivered => Tab::Delivered,
        }
    }
}
