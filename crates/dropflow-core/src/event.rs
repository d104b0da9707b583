//! The order timeline. Every state change appends one [`OrderEvent`]; nothing is ever edited.

use crate::hold::{HoldOrigin, HoldReason};
use crate::payment::PaymentStatus;
use crate::procurement::Procurement;
use crate::routing::LineFailure;
use serde::{Deserialize, Serialize};

/// Who or what caused an event. Never holds personal data: a merchant is named by the API
/// token's name, a system by its component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum Actor {
    /// A store platform's webhook ("shopify", "woocommerce").
    Store(String),
    /// A merchant or operator acting through the API or CLI (token name).
    Merchant(String),
    /// dropflow itself (a worker, the router).
    System(String),
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::Store(n) => format!("store:{n}"),
            Actor::Merchant(n) => format!("merchant:{n}"),
            Actor::System(n) => format!("system:{n}"),
        }
    }
}

/// What happened. Serialised with a `kind` tag; the store keeps the tag in its own column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderEvent {
    /// The store told us about the order for the first time.
    Received {
        topic: String,
    },
    /// A later snapshot from the store was applied.
    StoreUpdated {
        topic: String,
    },
    /// A snapshot older than the one already applied arrived late and was ignored.
    StaleUpdateIgnored {
        topic: String,
    },
    PaymentChanged {
        from: PaymentStatus,
        to: PaymentStatus,
    },
    HoldPlaced {
        reason: HoldReason,
        detail: String,
        origin: HoldOrigin,
    },
    HoldReleased {
        reason: HoldReason,
    },
    Cancelled {
        reason: String,
    },
    /// The store's capture policy changed (buy on an authorized payment, or only once
    /// paid); the order's wait for payment was judged again.
    CapturePolicyChanged {
        policy: crate::payment::CapturePolicy,
    },
    /// Nothing stands between the order and buying it any more: routing was queued.
    ReadyToOrder,
    ProcurementChanged {
        from: Procurement,
        to: Procurement,
    },
    /// One supplier order moved (placed, refused, paid, shipped…).
    SupplierOrderChanged {
        supplier: String,
        status: crate::procurement::SupplierOrderStatus,
        detail: Option<String>,
    },
    /// Purchases were created for these suppliers (to be placed).
    Routed {
        suppliers: Vec<String>,
    },
    /// Some lines could not be routed to a supplier (no mapping, no stock, no shipping).
    RoutingFailed {
        failures: Vec<LineFailure>,
    },
    /// Every line is now routed (after a failure was fixed).
    RoutingSucceeded,
    /// Paying a supplier order failed; it waits in Awaiting Payment.
    PaymentFailed {
        supplier: String,
        detail: String,
    },
    /// A person asked for something (place, pay, refresh); the actor says who.
    ActionRequested {
        action: String,
    },
    /// A supplier reported a parcel. `check` says whether the number fits a courier's format
    /// and check digit (`valid`, `invalid`, `unrecognised`).
    TrackingAdded {
        supplier: String,
        number: String,
        carrier: Option<String>,
        check: String,
    },
    /// A parcel's normalised tracking status changed.
    TrackingChanged {
        number: String,
        status: crate::shipment::ShipmentStatus,
    },
    /// The store now shows the parcel as fulfilled with its tracking.
    FulfilledOnStore {
        number: String,
    },
    /// Writing a parcel back to the store failed for good (a person must act).
    StorePushFailed {
        number: String,
        detail: String,
    },
    /// An SLA check flagged the order for a person (not placed in time, no tracking, a
    /// parcel that stopped moving, a carrier exception).
    NeedsAttention {
        reason: String,
    },
    /// The cause of the flag went away.
    AttentionCleared {
        reason: String,
    },
    /// The warehouse leg: a stage change, the fee asked, the dispatch deadline, lateness.
    Warehouse {
        event: crate::warehouse::stage::WarehouseEvent,
    },
    /// Something the warehouse did or learned that moves no stage by itself (a domestic
    /// parcel reported, an item received or inspected, the merchant's choice).
    WarehouseNote {
        topic: String,
        detail: String,
    },
    /// The store changed the order's lines or shipping address after we took it; the
    /// `order.reconcile_edit` job compares it with what was bought.
    OrderEdited {
        lines: bool,
        address: bool,
    },
    /// Something changed after a purchase that a person must decide on (a quantity changed
    /// after hand-over, an order cancelled after it shipped, a placement to link by hand).
    FlagRaised {
        flag: String,
        detail: String,
        /// The purchase it is about (`manual:vendor-a`), when it is about one: a vendor is
        /// told.
        #[serde(default)]
        supplier: Option<String>,
    },
    /// A flag was settled (accepted, linked, bought again…); the actor says who.
    FlagResolved {
        flag: String,
        resolution: String,
    },
    /// An after-sale case of the order moved (`core::after_sale`): opened, a refund, the
    /// return's tracking, a decision, closed…; `step` names it, `detail` says it in words.
    Case {
        case_id: String,
        step: String,
        detail: String,
    },
    /// The store's order lists refunds not seen before (WooCommerce tells refunds only inside
    /// the order): they are read back in full and recorded as cases.
    StoreRefundsListed {
        refund_ids: Vec<String>,
    },
    /// The store told of a payment dispute on the order (a chargeback or an inquiry), or of
    /// its next status: `dispute_id` is the store's, `status` its word (`needs_response`,
    /// `won`…), `detail` the amount, reason and due date in words.
    Chargeback {
        dispute_id: String,
        status: String,
        detail: String,
    },
}

impl OrderEvent {
    /// The tag, for the timeline table's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            OrderEvent::Received { .. } => "received",
            OrderEvent::StoreUpdated { .. } => "store_updated",
            OrderEvent::StaleUpdateIgnored { .. } => "stale_update_ignored",
            OrderEvent::CapturePolicyChanged { .. } => "capture_policy_changed",
            OrderEvent::PaymentChanged { .. } => "payment_changed",
            OrderEvent::HoldPlaced { .. } => "hold_placed",
            OrderEvent::HoldReleased { .. } => "hold_released",
            OrderEvent::Cancelled { .. } => "cancelled",
            OrderEvent::ReadyToOrder => "ready_to_order",
            OrderEvent::ProcurementChanged { .. } => "procurement_changed",
            OrderEvent::Routed { .. } => "routed",
            OrderEvent::SupplierOrderChanged { .. } => "supplier_order_changed",
            OrderEvent::RoutingFailed { .. } => "routing_failed",
            OrderEvent::RoutingSucceeded => "routing_succeeded",
            OrderEvent::PaymentFailed { .. } => "payment_failed",
            OrderEvent::ActionRequested { .. } => "action_requested",
            OrderEvent::TrackingAdded { .. } => "tracking_added",
            OrderEvent::TrackingChanged { .. } => "tracking_changed",
            OrderEvent::FulfilledOnStore { .. } => "fulfilled_on_store",
            OrderEvent::StorePushFailed { .. } => "store_push_failed",
            OrderEvent::NeedsAttention { .. } => "needs_attention",
            OrderEvent::AttentionCleared { .. } => "attention_cleared",
            OrderEvent::Warehouse { .. } => "warehouse",
            OrderEvent::WarehouseNote { .. } => "warehouse_note",
            OrderEvent::OrderEdited { .. } => "order_edited",
            OrderEvent::FlagRaised { .. } => "flag_raised",
            OrderEvent::FlagResolved { .. } => "flag_resolved",
            OrderEvent::Case { .. } => "case",
            OrderEvent::StoreRefundsListed { .. } => "store_refunds_listed",
            OrderEvent::Chargeback { .. } => "chargeback",
        }
    }
}
