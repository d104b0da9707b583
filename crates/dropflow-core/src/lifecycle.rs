//! The order's state across its axes and the one pure function that moves it.
//!
//! `transition(state, command)` returns the new state, the timeline events to append and the
//! follow-up jobs to enqueue; the storage layer writes all three in one transaction. Nothing
//! here reads a clock or a database, so every rule is testable in isolation (see the property
//! tests at the bottom).

use crate::event::OrderEvent;
use crate::hold::{Hold, HoldOrigin, HoldReason};
use crate::payment::{CapturePolicy, PaymentStatus};
use crate::procurement::Procurement;
use crate::reference::address::AddressProblem;
use crate::routing::LineFailure;
use crate::tab::Tab;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything that decides where an order stands. Each field is one axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub payment: PaymentStatus,
    /// Active holds, at most one per reason, sorted by reason.
    pub holds: Vec<Hold>,
    /// Set once the order is cancelled (by the store or a merchant). Final: see `apply_snapshot`.
    pub cancel_reason: Option<String>,
    pub procurement: Procurement,
    /// The merchant released an awaiting-payment hold (e.g. cash on delivery): do not re-hold.
    pub payment_waived: bool,
    /// Fingerprint of a shipping address the merchant accepted despite its problems; the hold
    /// comes back only if the store sends a different address.
    pub accepted_address: Option<String>,
    /// Fingerprint of the shipping address in the last snapshot applied.
    pub address_fingerprint: Option<String>,
    /// The store's `updated_at` of the last snapshot applied, to ignore late deliveries.
    pub store_updated_at: Option<DateTime<Utc>>,
    /// Fingerprint of the lines (id, quantity, variant) last applied: a snapshot with other
    /// lines (or another address) is an edit, which must reach the supplier orders.
    #[serde(default)]
    pub lines_fingerprint: Option<String>,
    /// Lines routing could not place with any supplier, with the reason; empty when every
    /// line is routed. Non-empty puts the order in the Failed tab until a retry routes them.
    #[serde(default)]
    pub routing_failures: Vec<LineFailure>,
    /// The merchant released a price-increased hold: buy at the supplier's new price.
    #[serde(default)]
    pub price_accepted: bool,
    /// The merchant released an implausible-order hold: do not re-hold the same order.
    #[serde(default)]
    pub implausible_accepted: bool,
    /// The warehouse leg's stage, for orders bought at the marketplace and shipped through
    /// dropflow's warehouse (the leg itself lives in `warehouse_legs`); `None` otherwise.
    #[serde(default)]
    pub warehouse: Option<crate::warehouse::stage::WarehouseStage>,
    /// The store's capture policy as of the last snapshot (or setting change): whether an
    /// authorized payment is enough to buy. Orders stored before it existed read the default
    /// (buy when paid).
    #[serde(default)]
    pub capture_policy: CapturePolicy,
    /// The store refund ids the order's snapshots listed so far (sorted): a new one is read
    /// back and recorded once.
    #[serde(default)]
    pub store_refunds: Vec<String>,
}

/// What the store says about the order now, reduced to what the lifecycle needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSnapshot {
    /// The webhook topic that carried it (`orders/paid`, `order.updated`, …), for the timeline.
    pub topic: String,
    pub payment: PaymentStatus,
    /// `Some(reason)` when the store has cancelled the order.
    pub cancellation: Option<String>,
    /// What is wrong with the shipping address; empty when it is fine or nothing ships.
    pub address_problems: Vec<AddressProblem>,
    /// Identifies the address (a hash), so an accepted address is not re-held.
    pub address_fingerprint: Option<String>,
    /// Identifies the lines (a hash of id, quantity, variant, SKU): a change is an edit.
    pub lines_fingerprint: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The store's capture policy when the snapshot was taken (from its settings).
    pub capture_policy: CapturePolicy,
    /// Why the order is implausible (quantities or total above the intake limits), for a
    /// person to look at before anything is bought; `None` when it is plausible.
    pub implausible: Option<String>,
    /// The refund ids the store's order lists ([`crate::intake::StoreOrder::refund_ids`]).
    pub refund_ids: Vec<String>,
}

/// Something that should happen to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    ApplyStoreSnapshot(StoreSnapshot),
    PlaceHold {
        reason: HoldReason,
        detail: String,
    },
    ReleaseHold {
        reason: HoldReason,
    },
    Cancel {
        reason: String,
    },
    SetProcurement(Procurement),
    /// The outcome of a routing run: the suppliers purchases were created for (labels such
    /// as `aliexpress:default`), and the lines that could not be routed (empty: all were).
    RecordRouting {
        routed_to: Vec<String>,
        failures: Vec<LineFailure>,
    },
    /// The merchant changed the store's capture policy: re-judge the payment hold of an order
    /// still waiting (an authorized order is released or held accordingly).
    SetCapturePolicy(CapturePolicy),
    /// Something happened that the timeline must show but that moves no axis (a payment
    /// attempt failed, a parcel was reported, a person clicked Pay).
    Record(Vec<OrderEvent>),
    /// A supplier's price rose past the store's guard: hold the order (system hold, so a
    /// merchant's release is remembered as accepting the price).
    HoldForPrice {
        detail: String,
    },
    /// A supplier order moved (placed, refused, paid, shipped…); `procurement` is the new
    /// summary over all of the order's supplier orders.
    SupplierOrderChanged {
        supplier: String,
        status: crate::procurement::SupplierOrderStatus,
        detail: Option<String>,
        procurement: Procurement,
    },
    /// The warehouse leg moved (`warehouse::stage::transition` decided it): record its stage
    /// on the order, for the tab, with what happened.
    Warehouse {
        stage: crate::warehouse::stage::WarehouseStage,
        events: Vec<OrderEvent>,
    },
}

/// Work that must follow a transition, enqueued in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// Split the order into supplier orders and place them.
    RouteOrder,
    /// The order was cancelled after purchasing started: cancel with the suppliers.
    CancelSupplierOrders,
    /// The store edited lines or address: re-derive what is not bought yet, flag the rest.
    ReconcileEdit,
    /// The store's order lists refunds not seen before: read them back, record them as cases.
    ReadStoreRefunds,
}

impl FollowUp {
    /// The job-queue kind that carries this follow-up.
    pub fn job_kind(self) -> &'static str {
        match self {
            FollowUp::RouteOrder => crate::jobs::ROUTE_ORDER,
            FollowUp::CancelSupplierOrders => crate::jobs::CANCEL_SUPPLIER_ORDERS,
            FollowUp::ReconcileEdit => crate::jobs::RECONCILE_EDIT,
            FollowUp::ReadStoreRefunds => crate::jobs::READ_STORE_REFUNDS,
        }
    }
}

/// The result of a transition: the state to store, what to append, what to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: OrderState,
    pub events: Vec<OrderEvent>,
    pub follow_ups: Vec<FollowUp>,
}

impl Transition {
    pub fn changed(&self) -> bool {
        !self.events.is_empty()
    }
}

/// Why a command does not apply to the order as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("the order has no {0} hold")]
    NoSuchHold(&'static str),
    #[error("the order already has a {0} hold")]
    AlreadyHeld(&'static str),
    #[error("the order is cancelled")]
    Cancelled,
}

impl OrderState {
    /// Whether the order was stopped in the store (cancelled, or its payment reversed): a
    /// purchase bought or paid meanwhile is settled again.
    pub fn stopped(&self) -> bool {
        self.cancel_reason.is_some() || self.payment.is_reversed()
    }

    /// Whether nothing stands between the order and buying it.
    pub fn is_ready_to_order(&self) -> bool {
        self.cancel_reason.is_none()
            && self.holds.is_empty()
            && self.payment_accepted()
            && self.procurement == Procurement::NotStarted
    }

    /// The store holds the customer's money, or the merchant chose to go ahead without it
    /// (cash on delivery, an invoice): either way buying is allowed, unless it was reversed.
    pub fn payment_accepted(&self) -> bool {
        self.payment.covers_purchase(self.capture_policy)
            || (self.payment_waived && !self.payment.is_reversed())
    }

    pub fn tab(&self) -> Tab {
        Tab::of(self)
    }

    pub fn hold(&self, reason: HoldReason) -> Option<&Hold> {
        self.holds.iter().find(|h| h.reason == reason)
    }
}

/// The first snapshot of an order we have not seen before.
pub fn receive(snapshot: StoreSnapshot) -> Transition {
    let initial = OrderState {
        payment: snapshot.payment,
        holds: Vec::new(),
        cancel_reason: None,
        procurement: Procurement::NotStarted,
        payment_waived: false,
        accepted_address: None,
        address_fingerprint: None,
        store_updated_at: None,
        lines_fingerprint: None,
        routing_failures: Vec::new(),
        price_accepted: false,
        implausible_accepted: false,
        warehouse: None,
        capture_policy: snapshot.capture_policy,
        store_refunds: Vec::new(),
    };
    let mut builder = Builder::new(initial);
    builder.events.push(OrderEvent::Received {
        topic: snapshot.topic.clone(),
    });
    // Readiness is judged against "not ready" so a first snapshot that is ready routes at once.
    builder.apply_snapshot_body(&snapshot);
    builder.finish(false)
}

/// Moves an existing order. Pure: same inputs, same output.
pub fn transition(state: &OrderState, command: Command) -> Result<Transition, Rejected> {
    let was_ready = state.is_ready_to_order();
    let mut builder = Builder::new(state.clone());
    match command {
        Command::ApplyStoreSnapshot(snapshot) => {
            let stale = match (state.store_updated_at, snapshot.updated_at) {
                (Some(applied), Some(incoming)) => incoming < applied,
                (None, _) | (_, None) => false,
            };
            if stale {
                builder.events.push(OrderEvent::StaleUpdateIgnored {
                    topic: snapshot.topic,
                });
                return Ok(builder.finish(was_ready));
            }
            builder.events.push(OrderEvent::StoreUpdated {
                topic: snapshot.topic.clone(),
            });
            builder.apply_snapshot_body(&snapshot);
        }
        Command::PlaceHold { reason, detail } => {
            if builder.state.cancel_reason.is_some() {
                return Err(Rejected::Cancelled);
            }
            if builder.state.hold(reason).is_some() {
                return Err(Rejected::AlreadyHeld(reason.as_str()));
            }
            builder.place_hold(reason, detail, HoldOrigin::Merchant);
        }
        Command::ReleaseHold { reason } => {
            if builder.state.hold(reason).is_none() {
                return Err(Rejected::NoSuchHold(reason.as_str()));
            }
            // A merchant lifting a system hold is an override: remember it, so the next store
            // snapshot does not put the same hold straight back.
            match reason {
                HoldReason::AwaitingPayment => builder.state.payment_waived = true,
                HoldReason::IncorrectAddress => {
                    builder.state.accepted_address = builder.state.address_fingerprint.clone()
                }
                HoldReason::PriceIncreased => builder.state.price_accepted = true,
                HoldReason::ImplausibleOrder => builder.state.implausible_accepted = true,
                HoldReason::HighRiskOfFraud
                | HoldReason::InventoryOutOfStock
                | HoldReason::Other => {}
            }
            builder.release_hold(reason);
        }
        Command::Cancel { reason } => {
            if builder.state.cancel_reason.is_some() {
                return Err(Rejected::Cancelled);
            }
            builder.cancel(reason);
        }
        Command::RecordRouting {
            routed_to,
            failures,
        } => {
            if !routed_to.is_empty() {
                builder.events.push(OrderEvent::Routed {
                    suppliers: routed_to,
                });
            }
            // No offer has the stock: held instead of bought in part or failed outright, and
            // lifted by itself when a stock update says an offer has it again
            // (`fulfilment::restock`).
            let short = crate::routing::out_of_stock_words(&failures);
            if let Some(short) = short.filter(|_| {
                builder.state.cancel_reason.is_none()
                    && builder
                        .state
                        .hold(HoldReason::InventoryOutOfStock)
                        .is_none()
            }) {
                builder.place_hold(
                    HoldReason::InventoryOutOfStock,
                    format!("{short}; held until a supplier has it again (lifts by itself)"),
                    HoldOrigin::System,
                );
            }
            if builder.state.routing_failures != failures {
                builder.events.push(if failures.is_empty() {
                    OrderEvent::RoutingSucceeded
                } else {
                    OrderEvent::RoutingFailed {
                        failures: failures.clone(),
                    }
                });
                builder.state.routing_failures = failures;
            }
        }
        Command::SupplierOrderChanged {
            supplier,
            status,
            detail,
            procurement,
        } => {
            builder.events.push(OrderEvent::SupplierOrderChanged {
                supplier,
                status,
                detail,
            });
            let from = builder.state.procurement;
            if from != procurement {
                builder.state.procurement = procurement;
                builder.events.push(OrderEvent::ProcurementChanged {
                    from,
                    to: procurement,
                });
            }
        }
        Command::SetCapturePolicy(policy) => {
            if builder.state.capture_policy != policy {
                builder
                    .events
                    .push(OrderEvent::CapturePolicyChanged { policy });
            }
            builder.state.capture_policy = policy;
            // Only the wait is re-judged: an order already bought stays bought, and a
            // cancelled one stays cancelled.
            if builder.state.cancel_reason.is_none()
                && builder.state.procurement == Procurement::NotStarted
            {
                builder.reconcile_payment_hold();
            }
        }
        Command::Record(events) => builder.events.extend(events),
        Command::Warehouse { stage, events } => {
            builder.state.warehouse = Some(stage);
            builder.events.extend(events);
        }
        Command::HoldForPrice { detail } => {
            if builder.state.cancel_reason.is_some() {
                return Err(Rejected::Cancelled);
            }
            if builder.state.hold(HoldReason::PriceIncreased).is_none() {
                builder.state.price_accepted = false;
                builder.place_hold(HoldReason::PriceIncreased, detail, HoldOrigin::System);
            }
        }
        Command::SetProcurement(to) => {
            let from = builder.state.procurement;
            if from != to {
                builder.state.procurement = to;
                builder
                    .events
                    .push(OrderEvent::ProcurementChanged { from, to });
            }
        }
    }
    Ok(builder.finish(was_ready))
}

/// Accumulates one transition.
struct Builder {
    state: OrderState,
    events: Vec<OrderEvent>,
    follow_ups: Vec<FollowUp>,
}

impl Builder {
    fn new(state: OrderState) -> Self {
        Builder {
            state,
            events: Vec::new(),
            follow_ups: Vec::new(),
        }
    }

    fn apply_snapshot_body(&mut self, snapshot: &StoreSnapshot) {
        self.state.store_updated_at = snapshot.updated_at.or(self.state.store_updated_at);
        self.state.capture_policy = snapshot.capture_policy;

        // An authorization that lapsed uncaptured (Shopify's `expired`, read as pending) after
        // purchasing may have started on it (`buy_when_authorized`): let go of what is bought,
        // by the order-cancelled path (it finds nothing to do when nothing was routed). A
        // voided one is a reversed payment, stopped below like a refund.
        let authorization_lapsed = self.state.payment == PaymentStatus::Authorized
            && snapshot.payment == PaymentStatus::Pending;
        if authorization_lapsed
            && self.state.cancel_reason.is_none()
            && snapshot.cancellation.is_none()
        {
            self.follow_ups.push(FollowUp::CancelSupplierOrders);
        }

        if snapshot.payment != self.state.payment {
            self.events.push(OrderEvent::PaymentChanged {
                from: self.state.payment,
                to: snapshot.payment,
            });
            // The money went back (a full refund, a voided authorisation) on an order that is
            // not cancelled: whatever was bought for it must be stopped like a cancellation.
            if snapshot.payment.is_reversed()
                && !self.state.payment.is_reversed()
                && self.state.cancel_reason.is_none()
                && snapshot.cancellation.is_none()
            {
                self.follow_ups.push(FollowUp::CancelSupplierOrders);
            }
            self.state.payment = snapshot.payment;
        }

        // An edit: lines or address differ from the last snapshot applied (the first snapshot
        // of an order, or one written before fingerprints existed, is no edit).
        let lines = matches!(
            (&self.state.lines_fingerprint, &snapshot.lines_fingerprint),
            (Some(before), Some(now)) if before != now
        );
        let address = matches!(
            (&self.state.address_fingerprint, &snapshot.address_fingerprint),
            (Some(before), Some(now)) if before != now
        );
        if (lines || address)
            && snapshot.cancellation.is_none()
            && self.state.cancel_reason.is_none()
        {
            self.events.push(OrderEvent::OrderEdited { lines, address });
            self.follow_ups.push(FollowUp::ReconcileEdit);
        }
        if snapshot.lines_fingerprint.is_some() {
            self.state.lines_fingerprint = snapshot.lines_fingerprint.clone();
        }

        // Refunds the store lists inside the order, new ones read back once (a later
        // snapshot listing the same refunds asks nothing again).
        let mut new_refunds: Vec<String> = snapshot
            .refund_ids
            .iter()
            .filter(|id| self.state.store_refunds.binary_search(id).is_err())
            .cloned()
            .collect();
        if !new_refunds.is_empty() {
            new_refunds.sort();
            new_refunds.dedup();
            self.state.store_refunds.extend(new_refunds.iter().cloned());
            self.state.store_refunds.sort();
            self.events.push(OrderEvent::StoreRefundsListed {
                refund_ids: new_refunds,
            });
            self.follow_ups.push(FollowUp::ReadStoreRefunds);
        }

        // Cancellation is final here: WooCommerce lets a merchant move a cancelled order back
        // to processing, but by then suppliers may have been told to cancel; reopening is a
        // deliberate merchant action, not something a webhook does behind their back.
        if let Some(reason) = &snapshot.cancellation {
            if self.state.cancel_reason.is_none() {
                self.cancel(reason.clone());
            }
        }
        if self.state.cancel_reason.is_some() {
            return;
        }

        self.reconcile_payment_hold();

        let address_accepted = snapshot.address_fingerprint.is_some()
            && snapshot.address_fingerprint == self.state.accepted_address;
        let wants_address_hold = !snapshot.address_problems.is_empty() && !address_accepted;
        self.state.address_fingerprint = snapshot.address_fingerprint.clone();
        self.reconcile_system_hold(HoldReason::IncorrectAddress, wants_address_hold, || {
            describe_address_problems(&snapshot.address_problems)
        });

        let wants_review = snapshot.implausible.is_some() && !self.state.implausible_accepted;
        self.reconcile_system_hold(HoldReason::ImplausibleOrder, wants_review, || {
            snapshot.implausible.clone().unwrap_or_default()
        });
    }

    /// Holds an order whose payment does not allow buying yet (under the store's capture
    /// policy), lifts the hold when it does or when the payment was reversed.
    fn reconcile_payment_hold(&mut self) {
        let payment = self.state.payment;
        let wants_payment_hold = !payment.covers_purchase(self.state.capture_policy)
            && !payment.is_reversed()
            && !self.state.payment_waived;
        self.reconcile_system_hold(
            HoldReason::AwaitingPayment,
            wants_payment_hold,
            || match payment {
                PaymentStatus::Authorized => "the customer's payment is authorized; \
                    waiting for the store to capture it"
                    .to_string(),
                other => format!(
                    "the customer's payment is {}",
                    other.as_str().replace('_', " ")
                ),
            },
        );
    }

    /// Places a system hold that should be there, lifts a system hold whose cause is gone.
    /// A merchant's hold of the same reason is never lifted by the system.
    fn reconcile_system_hold(
        &mut self,
        reason: HoldReason,
        wanted: bool,
        detail: impl FnOnce() -> String,
    ) {
        match (self.state.hold(reason).map(|h| h.origin), wanted) {
            (None, true) => self.place_hold(reason, detail(), HoldOrigin::System),
            (Some(HoldOrigin::System), false) => self.release_hold(reason),
            (Some(HoldOrigin::System), true) => {
                let detail = detail();
                let changed = self.state.hold(reason).is_some_and(|h| h.detail != detail);
                if changed {
                    self.release_hold(reason);
                    self.place_hold(reason, detail, HoldOrigin::System);
                }
            }
            (Some(HoldOrigin::Merchant), _) | (None, false) => {}
        }
    }

    fn place_hold(&mut self, reason: HoldReason, detail: String, origin: HoldOrigin) {
        self.events.push(OrderEvent::HoldPlaced {
            reason,
            detail: detail.clone(),
            origin,
        });
        self.state.holds.push(Hold {
            reason,
            detail,
            origin,
        });
        self.state.holds.sort_by_key(|h| h.reason);
    }

    fn release_hold(&mut self, reason: HoldReason) {
        self.state.holds.retain(|h| h.reason != reason);
        self.events.push(OrderEvent::HoldReleased { reason });
    }

    fn cancel(&mut self, reason: String) {
        self.state.cancel_reason = Some(reason.clone());
        self.events.push(OrderEvent::Cancelled { reason });
        // Always: the procurement summary counts purchases still waiting to be placed (auto-
        // order off, a price hold) as not started, and those must be let go of too. The job
        // finds nothing to do for an order never routed.
        self.follow_ups.push(FollowUp::CancelSupplierOrders);
    }

    fn finish(mut self, was_ready: bool) -> Transition {
        if !was_ready && self.state.is_ready_to_order() {
            self.events.push(OrderEvent::ReadyToOrder);
            self.follow_ups.push(FollowUp::RouteOrder);
        }
        Transition {
            state: self.state,
            events: self.events,
            follow_ups: self.follow_ups,
        }
    }
}

/// The hold detail a merchant reads: every problem, field first.
fn describe_address_problems(problems: &[AddressProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            let field = serde_json::to_value(p.field)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("{field}: {}", p.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
