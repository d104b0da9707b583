use super::*;
use crate::reference::address::{AddressField, AddressProblem};
use chrono::TimeZone;
use proptest::prelude::*;

fn snapshot(payment: PaymentStatus) -> StoreSnapshot {
    StoreSnapshot {
        topic: "orders/create".into(),
        payment,
        cancellation: None,
        address_problems: Vec::new(),
        address_fingerprint: Some("addr-1".into()),
        lines_fingerprint: Some("lines-1".into()),
        updated_at: None,
        capture_policy: CapturePolicy::BuyWhenPaid,
        implausible: None,
        refund_ids: Vec::new(),
    }
}

fn bad_address() -> Vec<AddressProblem> {
    vec![AddressProblem {
        field: AddressField::PostalCode,
        message: "zip \"9501\" is not valid in US (e.g. 95014)".into(),
    }]
}

fn apply(state: &OrderState, command: Command) -> Transition {
    match transition(state, command) {
        Ok(t) => t,
        Err(e) => panic!("transition rejected: {e}"),
    }
}

#[test]
fn a_paid_order_with_a_good_address_is_ready_and_routes_at_once() {
    let t = receive(snapshot(PaymentStatus::Paid));
    assert_eq!(t.state.tab(), Tab::AwaitingOrder);
    assert_eq!(t.follow_ups, vec![FollowUp::RouteOrder]);
    assert!(t.events.contains(&OrderEvent::ReadyToOrder));
}

#[test]
fn an_unpaid_order_waits_on_hold_until_paid() {
    let t = receive(snapshot(PaymentStatus::Pending));
    assert_eq!(t.state.tab(), Tab::OnHold);
    assert_eq!(t.state.holds[0].reason, HoldReason::AwaitingPayment);
    assert!(t.follow_ups.is_empty());

    let mut paid = snapshot(PaymentStatus::Paid);
    paid.topic = "orders/paid".into();
    let t2 = apply(&t.state, Command::ApplyStoreSnapshot(paid));
    assert!(t2.state.holds.is_empty());
    assert_eq!(t2.state.tab(), Tab::AwaitingOrder);
    assert_eq!(t2.follow_ups, vec![FollowUp::RouteOrder]);
    assert!(t2.events.contains(&OrderEvent::HoldReleased {
        reason: HoldReason::AwaitingPayment
    }));
}

#[test]
fn a_bad_address_holds_the_order_and_names_the_field() {
    let mut s = snapshot(PaymentStatus::Paid);
    s.address_problems = bad_address();
    let t = receive(s);
    let hold = t.state.hold(HoldReason::IncorrectAddress).cloned();
    let Some(hold) = hold else {
        panic!("no address hold")
    };
    assert!(
        hold.detail.starts_with("postal_code: zip"),
        "{}",
        hold.detail
    );
    assert!(t.follow_ups.is_empty());
}

#[test]
fn a_corrected_address_lifts_the_system_hold() {
    let mut s = snapshot(PaymentStatus::Paid);
    s.address_problems = bad_address();
    let t = receive(s);
    let mut fixed = snapshot(PaymentStatus::Paid);
    fixed.address_fingerprint = Some("addr-2".into());
    let t2 = apply(&t.state, Command::ApplyStoreSnapshot(fixed));
    assert!(t2.state.holds.is_empty());
    // The new address is also an edit (nothing bought yet: reconciling finds nothing to do).
    assert_eq!(
        t2.follow_ups,
        vec![FollowUp::ReconcileEdit, FollowUp::RouteOrder]
    );
}

#[test]
fn an_address_the_merchant_accepted_is_not_held_again_unless_it_changes() {
    let mut s = snapshot(PaymentStatus::Paid);
    s.address_problems = bad_address();
    let t = receive(s.clone());
    let released = apply(
        &t.state,
        Command::ReleaseHold {
            reason: HoldReason::IncorrectAddress,
        },
    );
    assert_eq!(released.follow_ups, vec![FollowUp::RouteOrder]);
    let again = apply(&released.state, Command::ApplyStoreSnapshot(s.clone()));
    assert!(again.state.holds.is_empty());

    let mut moved = s;
    moved.address_fingerprint = Some("addr-9".into());
    let changed = apply(&again.state, Command::ApplyStoreSnapshot(moved));
    assert!(changed.state.hold(HoldReason::IncorrectAddress).is_some());
}

#[test]
fn a_store_cancellation_cancels_and_is_final() {
    let t = receive(snapshot(PaymentStatus::Paid));
    let mut c = snapshot(PaymentStatus::Paid);
    c.cancellation = Some("customer".into());
    let t2 = apply(&t.state, Command::ApplyStoreSnapshot(c));
    assert_eq!(t2.state.tab(), Tab::Canceled);
    let t3 = apply(
        &t2.state,
        Command::ApplyStoreSnapshot(snapshot(PaymentStatus::Paid)),
    );
    assert_eq!(t3.state.tab(), Tab::Canceled);
    assert!(t3.follow_ups.is_empty());
}

#[test]
fn cancelling_after_purchase_started_cancels_with_suppliers() {
    let t = receive(snapshot(PaymentStatus::Paid));
    let bought = apply(
        &t.state,
        Command::SetProcurement(Procurement::AwaitingShipment),
    );
    let c = apply(
        &bought.state,
        Command::Cancel {
            reason: "merchant".into(),
        },
    );
    assert_eq!(c.follow_ups, vec![FollowUp::CancelSupplierOrders]);
}

#[test]
fn a_late_older_snapshot_is_ignored() {
    let at = |h| chrono::Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).single();
    let mut newer = snapshot(PaymentStatus::Paid);
    newer.updated_at = at(12);
    let t = receive(newer);
    let mut older = snapshot(PaymentStatus::Pending);
    older.updated_at = at(11);
    let t2 = apply(&t.state, Command::ApplyStoreSnapshot(older));
    assert_eq!(t2.state, t.state);
    assert!(matches!(
        t2.events.as_slice(),
        [OrderEvent::StaleUpdateIgnored { .. }]
    ));
}

#[test]
fn releasing_a_hold_that_is_not_there_is_rejected() {
    let t = receive(snapshot(PaymentStatus::Paid));
    assert_eq!(
        transition(
            &t.state,
            Command::ReleaseHold {
                reason: HoldReason::HighRiskOfFraud
            }
        ),
        Err(Rejected::NoSuchHold("high_risk_of_fraud"))
    );
}

#[test]
fn waiving_the_payment_hold_lets_an_unpaid_order_be_bought() {
    let t = receive(snapshot(PaymentStatus::Pending));
    let waived = apply(
        &t.state,
        Command::ReleaseHold {
            reason: HoldReason::AwaitingPayment,
        },
    );
    assert_eq!(waived.follow_ups, vec![FollowUp::RouteOrder]);
    let again = apply(
        &waived.state,
        Command::ApplyStoreSnapshot(snapshot(PaymentStatus::Pending)),
    );
    assert!(again.state.holds.is_empty());
    assert!(again.follow_ups.is_empty());
}

#[test]
fn a_routing_failure_puts_the_order_in_failed_until_a_retry_routes_it() {
    let t = receive(snapshot(PaymentStatus::Paid));
    let failure = crate::routing::LineFailure {
        line_position: 1,
        reason: crate::routing::RouteFailure::NoMapping {
            variant_id: Some("v9".into()),
            sku: None,
        },
    };
    let failed = apply(
        &t.state,
        Command::RecordRouting {
            routed_to: vec!["cj:default".into()],
            failures: vec![failure],
        },
    );
    assert_eq!(failed.state.tab(), Tab::Failed);
    let fixed = apply(
        &failed.state,
        Command::RecordRouting {
            routed_to: Vec::new(),
            failures: Vec::new(),
        },
    );
    assert_eq!(fixed.state.tab(), Tab::AwaitingOrder);
    assert_eq!(fixed.events, vec![OrderEvent::RoutingSucceeded]);
}

#[test]
fn a_line_no_supplier_has_in_stock_holds_the_order_once_until_the_hold_lifts() {
    let t = receive(snapshot(PaymentStatus::Paid));
    let short = crate::routing::LineFailure {
        line_position: 1,
        reason: crate::routing::RouteFailure::OutOfStock {
            component: 0,
            needed: 3,
        },
    };
    let routing = Command::RecordRouting {
        routed_to: vec!["cj:default".into()],
        failures: vec![short],
    };
    let held = apply(&t.state, routing.clone());
    assert_eq!(held.state.tab(), Tab::OnHold);
    let Some(hold) = held.state.hold(HoldReason::InventoryOutOfStock) else {
        panic!("not held for stock: {:?}", held.state.holds);
    };
    assert_eq!(hold.origin, HoldOrigin::System);
    assert!(
        hold.detail
            .starts_with("line 2: no supplier has 3 in stock"),
        "{}",
        hold.detail
    );
    assert!(hold.detail.contains("lifts by itself"));
    // Routed again while held (a run queued earlier): one hold, not two.
    let again = apply(&held.state, routing);
    assert_eq!(again.state.holds.len(), 1);
    // Stock back: the hold lifts and nothing else stands in the way.
    let lifted = apply(
        &held.state,
        Command::ReleaseHold {
            reason: HoldReason::InventoryOutOfStock,
        },
    );
    assert!(lifted.state.holds.is_empty());
}

#[test]
fn a_refunded_order_is_canceled_and_never_routed() {
    let t = receive(snapshot(PaymentStatus::Refunded));
    assert_eq!(t.state.tab(), Tab::Canceled);
    assert!(t.follow_ups.is_empty());
}

fn any_payment() -> impl Strategy<Value = PaymentStatus> {
    proptest::sample::select(PaymentStatus::ALL.to_vec())
}
fn any_reason() -> impl Strategy<Value = HoldReason> {
    proptest::sample::select(HoldReason::ALL.to_vec())
}
fn any_procurement() -> impl Strategy<Value = Procurement> {
    proptest::sample::select(Procurement::ALL.to_vec())
}

fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        any::<bool>().prop_map(|failed| Command::RecordRouting {
            routed_to: Vec::new(),
            failures: if failed {
                vec![crate::routing::LineFailure {
                    line_position: 0,
                    reason: crate::routing::RouteFailure::NoMapping {
                        variant_id: None,
                        sku: None,
                    },
                }]
            } else {
                Vec::new()
            }
        }),
        (any_payment(), any::<bool>(), any::<bool>(), 0u8..3).prop_map(
            |(payment, cancelled, bad_addr, addr)| {
                Command::ApplyStoreSnapshot(StoreSnapshot {
                    topic: "orders/updated".into(),
                    payment,
                    cancellation: cancelled.then(|| "customer".to_string()),
                    address_problems: if bad_addr { bad_address() } else { Vec::new() },
                    address_fingerprint: Some(format!("addr-{addr}")),
                    lines_fingerprint: Some(format!("lines-{addr}")),
                    updated_at: None,
                    capture_policy: CapturePolicy::BuyWhenPaid,
                    implausible: None,
                    refund_ids: Vec::new(),
                })
            }
        ),
        any::<bool>().prop_map(|on_authorization| Command::SetCapturePolicy(
            CapturePolicy::from_setting(on_authorization)
        )),
        any_reason().prop_map(|reason| Command::PlaceHold {
            reason,
            detail: "merchant".into()
        }),
        any_reason().prop_map(|reason| Command::ReleaseHold { reason }),
        Just(Command::Cancel {
            reason: "merchant".into()
        }),
        any_procurement().prop_map(Command::SetProcurement),
    ]
}

proptest! {
    #[test]
    fn invariants_hold_for_any_sequence_of_commands(
        first in any_payment(),
        commands in proptest::collection::vec(any_command(), 0..40),
    ) {
        let mut t = receive(snapshot(first));
        let mut routed = usize::from(t.follow_ups.contains(&FollowUp::RouteOrder));
        for command in commands {
            let before = t.state.clone();
            let was_cancelled = before.cancel_reason.is_some();
            match transition(&before, command) {
                Ok(next) => t = next,
                Err(_) => continue,
            }
            // At most one hold per reason, kept sorted.
            let mut reasons: Vec<_> = t.state.holds.iter().map(|h| h.reason).collect();
            let sorted = { let mut r = reasons.clone(); r.sort(); r.dedup(); r };
            prop_assert_eq!(&reasons, &sorted);
            reasons.dedup();
            // Cancellation is final.
            if was_cancelled { prop_assert!(t.state.cancel_reason.is_some()); }
            // Routing is asked for exactly when the order becomes ready.
            let asks_route = t.follow_ups.contains(&FollowUp::RouteOrder);
            prop_assert_eq!(asks_route, !before.is_ready_to_order() && t.state.is_ready_to_order());
            if asks_route {
                routed += 1;
                prop_assert!(t.state.cancel_reason.is_none());
                prop_assert!(t.state.holds.is_empty());
                prop_assert!(t.state.payment_accepted());
            }
            // The tab is a function of the state, and never All.
            prop_assert_ne!(t.state.tab(), Tab::All);
            if !t.state.holds.is_empty() && t.state.cancel_reason.is_none() && !t.state.payment.is_reversed() {
                prop_assert_eq!(t.state.tab(), Tab::OnHold);
            }
            // Every change is on the timeline.
            if t.state != before { prop_assert!(!t.events.is_empty()); }
        }
        let _ = routed;
    }
}

#[test]
fn warehouse_orders_sit_at_warehouse_from_the_sellers_shipment_until_dispatch() {
    use crate::warehouse::stage::WarehouseStage as W;
    let mut state = receive(snapshot(PaymentStatus::Paid)).state;
    state.procurement = Procurement::AwaitingShipment;
    let at = |state: &OrderState, stage: W| {
        apply(
            state,
            Command::Warehouse {
                stage,
                events: Vec::new(),
            },
        )
        .state
    };
    // Bought, not shipped by the seller: the supplier axis decides.
    assert_eq!(at(&state, W::Purchased).tab(), Tab::AwaitingShipment);
    // The seller's "shipped" is the domestic leg: not fulfilled for the customer.
    state.procurement = Procurement::Shipped;
    for stage in [
        W::ShippedToWarehouse,
        W::Arrived,
        W::AwaitingShippingFee,
        W::FeePaid,
    ] {
        assert_eq!(at(&state, stage).tab(), Tab::AtWarehouse, "{stage:?}");
    }
    state.procurement = Procurement::Delivered;
    assert_eq!(at(&state, W::Packed).tab(), Tab::AtWarehouse);
    assert_eq!(at(&state, W::Dispatched).tab(), Tab::Fulfilled);
    assert_eq!(at(&state, W::Delivered).tab(), Tab::Delivered);
    // A hold still wins.
    state.holds = vec![crate::hold::Hold {
        reason: HoldReason::Other,
        detail: "check".into(),
        origin: HoldOrigin::Merchant,
    }];
    assert_eq!(at(&state, W::Arrived).tab(), Tab::OnHold);
}

fn authorized(policy: CapturePolicy) -> StoreSnapshot {
    let mut s = snapshot(PaymentStatus::Authorized);
    s.capture_policy = policy;
    s
}

#[test]
fn an_authorized_order_waits_for_capture_under_the_default_policy() {
    let t = receive(authorized(CapturePolicy::BuyWhenPaid));
    assert_eq!(t.state.tab(), Tab::OnHold);
    assert!(t.follow_ups.is_empty(), "{:?}", t.follow_ups);
    let Some(hold) = t.state.hold(HoldReason::AwaitingPayment) else {
        panic!("no payment hold: {:?}", t.state.holds)
    };
    assert_eq!(
        hold.detail,
        "the customer's payment is authorized; waiting for the store to capture it"
    );

    // Captured: the hold lifts and the order is bought.
    let mut paid = snapshot(PaymentStatus::Paid);
    paid.topic = "orders/paid".into();
    let t2 = apply(&t.state, Command::ApplyStoreSnapshot(paid));
    assert!(t2.state.holds.is_empty());
    assert_eq!(t2.follow_ups, vec![FollowUp::RouteOrder]);
}

#[test]
fn a_store_that_buys_on_authorization_routes_an_authorized_order_at_once() {
    let t = receive(authorized(CapturePolicy::BuyWhenAuthorized));
    assert!(t.state.holds.is_empty());
    assert_eq!(t.follow_ups, vec![FollowUp::RouteOrder]);
}

#[test]
fn changing_the_policy_re_judges_a_waiting_order_but_never_an_order_already_bought() {
    let waiting = receive(authorized(CapturePolicy::BuyWhenPaid)).state;
    let t = apply(
        &waiting,
        Command::SetCapturePolicy(CapturePolicy::BuyWhenAuthorized),
    );
    assert!(t.state.holds.is_empty());
    assert_eq!(t.follow_ups, vec![FollowUp::RouteOrder]);
    assert_eq!(t.state.capture_policy, CapturePolicy::BuyWhenAuthorized);

    // Back to the default before it was bought: waits again.
    let back = apply(
        &t.state,
        Command::SetCapturePolicy(CapturePolicy::BuyWhenPaid),
    );
    assert!(back.state.hold(HoldReason::AwaitingPayment).is_some());

    // Already bought: the setting does not put a hold on it.
    let mut bought = t.state.clone();
    bought.procurement = Procurement::AwaitingShipment;
    let t3 = apply(
        &bought,
        Command::SetCapturePolicy(CapturePolicy::BuyWhenPaid),
    );
    assert!(t3.state.holds.is_empty());
    assert!(t3.follow_ups.is_empty());
}

#[test]
fn a_voided_or_lapsed_authorization_never_buys_and_lets_go_of_what_was_bought() {
    // Waiting under the default policy: voided → nothing to wait for, never routed.
    let waiting = receive(authorized(CapturePolicy::BuyWhenPaid)).state;
    let mut voided = snapshot(PaymentStatus::Voided);
    voided.topic = "orders/updated".into();
    let t = apply(&waiting, Command::ApplyStoreSnapshot(voided.clone()));
    assert!(t.state.holds.is_empty());
    assert_eq!(t.state.tab(), Tab::Canceled);
    assert!(!t.follow_ups.contains(&FollowUp::RouteOrder));
    assert!(!t.state.payment_accepted());

    // Bought on the authorization: voided, or lapsed (Shopify's `expired`, read as pending),
    // runs the cancel path.
    let mut bought = receive(authorized(CapturePolicy::BuyWhenAuthorized)).state;
    bought.procurement = Procurement::AwaitingShipment;
    let mut voided_bought = voided;
    voided_bought.capture_policy = CapturePolicy::BuyWhenAuthorized;
    let t = apply(&bought, Command::ApplyStoreSnapshot(voided_bought));
    assert_eq!(t.follow_ups, vec![FollowUp::CancelSupplierOrders]);
    let mut lapsed = snapshot(PaymentStatus::Pending);
    lapsed.capture_policy = CapturePolicy::BuyWhenAuthorized;
    let t = apply(&bought, Command::ApplyStoreSnapshot(lapsed));
    assert_eq!(t.follow_ups, vec![FollowUp::CancelSupplierOrders]);
    assert!(t.state.hold(HoldReason::AwaitingPayment).is_some());
}

#[test]
fn an_edit_of_lines_or_address_queues_reconciliation() {
    let first = receive(snapshot(PaymentStatus::Paid));
    let mut edited = snapshot(PaymentStatus::Paid);
    edited.lines_fingerprint = Some("lines-2".into());
    let t = apply(&first.state, Command::ApplyStoreSnapshot(edited.clone()));
    assert!(t.events.contains(&OrderEvent::OrderEdited {
        lines: true,
        address: false
    }));
    assert!(t.follow_ups.contains(&FollowUp::ReconcileEdit));
    // The same snapshot again is no edit.
    let again = apply(&t.state, Command::ApplyStoreSnapshot(edited));
    assert!(!again.follow_ups.contains(&FollowUp::ReconcileEdit));

    let mut moved = snapshot(PaymentStatus::Paid);
    moved.address_fingerprint = Some("addr-2".into());
    let t = apply(&first.state, Command::ApplyStoreSnapshot(moved));
    assert!(t.events.contains(&OrderEvent::OrderEdited {
        lines: false,
        address: true
    }));
}

#[test]
fn a_cancelling_snapshot_is_no_edit() {
    let first = receive(snapshot(PaymentStatus::Paid));
    let mut cancelled = snapshot(PaymentStatus::Paid);
    cancelled.lines_fingerprint = Some("lines-2".into());
    cancelled.cancellation = Some("customer".into());
    let t = apply(&first.state, Command::ApplyStoreSnapshot(cancelled));
    assert!(!t.follow_ups.contains(&FollowUp::ReconcileEdit));
    assert!(t.follow_ups.contains(&FollowUp::CancelSupplierOrders));
}

#[test]
fn money_going_back_stops_the_purchases_like_a_cancellation() {
    let first = receive(snapshot(PaymentStatus::Paid));
    for reversed in [PaymentStatus::Refunded, PaymentStatus::Voided] {
        let t = apply(
            &first.state,
            Command::ApplyStoreSnapshot(snapshot(reversed)),
        );
        assert!(
            t.follow_ups.contains(&FollowUp::CancelSupplierOrders),
            "{reversed:?}"
        );
    }
    let partial = apply(
        &first.state,
        Command::ApplyStoreSnapshot(snapshot(PaymentStatus::PartiallyRefunded)),
    );
    assert!(!partial.follow_ups.contains(&FollowUp::CancelSupplierOrders));
}

/// Issue 12 item 5: an implausible order (quantity or total above the intake limits) is held
/// for a person with a typed reason, never bought blind; the hold lifts itself when the store
/// corrects the order, and a merchant's release accepts it for good.
#[test]
fn an_implausible_order_is_held_for_a_person() {
    let mut first = snapshot(PaymentStatus::Paid);
    first.implausible = Some("line_items[0].quantity 4000000000 is above 100".into());
    let t = receive(first.clone());
    let hold = t.state.hold(HoldReason::ImplausibleOrder).cloned();
    assert!(hold.is_some_and(|h| h.origin == HoldOrigin::System && h.detail.contains("quantity")));
    assert!(!t.state.is_ready_to_order());
    assert!(t.follow_ups.is_empty());

    // The store corrects the quantity: the hold lifts and the order is ready.
    let corrected = apply(
        &t.state,
        Command::ApplyStoreSnapshot(snapshot(PaymentStatus::Paid)),
    );
    assert!(corrected.state.holds.is_empty());
    assert!(corrected.state.is_ready_to_order());

    // Released by a merchant: the same implausible order is not held again.
    let released = apply(
        &t.state,
        Command::ReleaseHold {
            reason: HoldReason::ImplausibleOrder,
        },
    );
    let again = apply(&released.state, Command::ApplyStoreSnapshot(first));
    assert!(again.state.hold(HoldReason::ImplausibleOrder).is_none());
}

#[test]
fn refunds_the_store_lists_inside_the_order_are_read_back_once_each() {
    let first = receive(snapshot(PaymentStatus::Paid));
    let listed = |ids: &[&str]| {
        let mut s = snapshot(PaymentStatus::PartiallyRefunded);
        s.topic = "order.updated".into();
        s.refund_ids = ids.iter().map(|id| id.to_string()).collect();
        Command::ApplyStoreSnapshot(s)
    };
    let one = apply(&first.state, listed(&["726"]));
    assert!(one.follow_ups.contains(&FollowUp::ReadStoreRefunds));
    assert!(one.events.contains(&OrderEvent::StoreRefundsListed {
        refund_ids: vec!["726".into()]
    }));
    // The same list again (a later update of the order) asks nothing.
    let again = apply(&one.state, listed(&["726"]));
    assert!(!again.follow_ups.contains(&FollowUp::ReadStoreRefunds));
    assert!(!again
        .events
        .iter()
        .any(|e| matches!(e, OrderEvent::StoreRefundsListed { .. })));
    // A second refund: only it is new.
    let two = apply(&again.state, listed(&["724", "726", "724"]));
    assert!(two.events.contains(&OrderEvent::StoreRefundsListed {
        refund_ids: vec!["724".into()]
    }));
    assert_eq!(two.state.store_refunds, ["724", "726"]);
}
