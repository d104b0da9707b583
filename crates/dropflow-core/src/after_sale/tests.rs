#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn usd() -> Currency {
    Currency::from_code("USD").unwrap()
}

fn usd_amount(minor: i64) -> Money {
    Money::new(minor, usd())
}

/// Two lines: 3 mugs at 12.50 (all shipped, 1 already in another case) and 2 caps at 8.00
/// (1 shipped); 5.00 shipping charged, nothing refunded yet.
fn order() -> OrderFacts {
    OrderFacts {
        currency: usd(),
        lines: vec![
            OrderLineFacts {
                line_id: "L1".into(),
                title: "Mug".into(),
                unit_price: usd_amount(1250),
                shipped: 3,
                claimed: 1,
            },
            OrderLineFacts {
                line_id: "L2".into(),
                title: "Cap".into(),
                unit_price: usd_amount(800),
                shipped: 1,
                claimed: 0,
            },
        ],
        shipping_charged: usd_amount(500),
        refunded_goods: usd_amount(0),
        refunded_shipping: usd_amount(0),
    }
}

/// `(line id, units)` pairs as the case's lines.
fn case_lines(lines: &[(&str, u32)]) -> Vec<CaseLine> {
    lines
        .iter()
        .map(|(id, q)| CaseLine {
            line_id: (*id).into(),
            quantity: *q,
        })
        .collect()
}

fn request(lines: &[(&str, u32)], resolution: Resolution) -> CaseRequest {
    CaseRequest {
        reason: CaseReason::Damaged,
        lines: case_lines(lines),
        resolution,
    }
}

fn refund(goods: i64, shipping: i64, with_return: bool) -> Resolution {
    Resolution::Refund {
        goods: usd_amount(goods),
        shipping: usd_amount(shipping),
        with_return,
    }
}

/// `event` is refused in `state` as not possible now.
fn refused_now(state: &CaseState, event: CaseEvent) {
    assert!(matches!(apply(state, event), Err(CaseConflict::NotNow(_))));
}

fn step(state: &CaseState, event: CaseEvent) -> CaseState {
    match apply(state, event).expect("event fits") {
        Applied::Changed(next) => *next,
        Applied::Unchanged => state.clone(),
    }
}

#[test]
fn a_case_names_the_line_that_does_not_fit() {
    let cases = [
        (request(&[], Resolution::Reship), CaseProblem::NoLines),
        (
            request(&[("L9", 1)], Resolution::Reship),
            CaseProblem::UnknownLine("L9".into()),
        ),
        (
            request(&[("L1", 1), ("L1", 1)], Resolution::Reship),
            CaseProblem::DuplicateLine("L1".into()),
        ),
        (
            request(&[("L2", 0)], Resolution::Reship),
            CaseProblem::ZeroQuantity {
                line_id: "L2".into(),
            },
        ),
        // 3 shipped, 1 already claimed by another case: 2 are open.
        (
            request(&[("L1", 3)], Resolution::Reship),
            CaseProblem::MoreThanShipped {
                line_id: "L1".into(),
                asked: 3,
                open: 2,
                shipped: 3,
                claimed: 1,
            },
        ),
    ];
    for (asked, problem) in cases {
        assert_eq!(open(&order(), &asked), Err(problem.clone()), "{problem}");
    }
    let message = open(&order(), &request(&[("L1", 3)], Resolution::Reship))
        .unwrap_err()
        .to_string();
    assert!(message.starts_with("line L1:"), "{message}");
}

#[test]
fn a_refund_is_bounded_by_the_claimed_lines_and_what_is_left_to_refund() {
    // Two mugs are worth 25.00.
    let ok = open(&order(), &request(&[("L1", 2)], refund(2500, 500, false))).unwrap();
    assert_eq!(ok.lines_value, usd_amount(2500));
    assert_eq!(ok.state.ret, ReturnLeg::NotNeeded);
    assert_eq!(
        open(&order(), &request(&[("L1", 2)], refund(2501, 0, false))),
        Err(CaseProblem::MoreThanPaid {
            field: "refund.goods",
            asked: "25.01".into(),
            left: "25.00".into(),
        })
    );
    assert_eq!(
        open(&order(), &request(&[("L1", 1)], refund(100, 501, false))),
        Err(CaseProblem::MoreThanPaid {
            field: "refund.shipping",
            asked: "5.01".into(),
            left: "5.00".into(),
        })
    );
    // What the store already refunded counts against what is left.
    let mut refunded = order();
    refunded.refunded_goods = usd_amount(4000);
    refunded.refunded_shipping = usd_amount(500);
    assert!(matches!(
        open(&refunded, &request(&[("L1", 2)], refund(1000, 0, false))),
        Err(CaseProblem::MoreThanPaid {
            field: "refund.goods",
            ..
        })
    ));
    assert!(matches!(
        open(&refunded, &request(&[("L1", 1)], refund(100, 1, false))),
        Err(CaseProblem::MoreThanPaid {
            field: "refund.shipping",
            ..
        })
    ));
    assert_eq!(
        open(&order(), &request(&[("L1", 1)], refund(0, 0, false))),
        Err(CaseProblem::EmptyRefund)
    );
    assert_eq!(
        open(&order(), &request(&[("L1", 1)], refund(-1, 0, false))),
        Err(CaseProblem::Negative {
            field: "refund.goods"
        })
    );
    let eur = Currency::from_code("EUR").unwrap();
    let in_euros = Resolution::Refund {
        goods: Money::new(100, eur),
        shipping: usd_amount(0),
        with_return: false,
    };
    assert!(matches!(
        open(&order(), &request(&[("L1", 1)], in_euros)),
        Err(CaseProblem::WrongCurrency { .. })
    ));
    assert_eq!(
        open(
            &order(),
            &request(
                &[("L2", 1)],
                Resolution::Exchange {
                    variant_id: " ".into(),
                    sku: None,
                }
            )
        ),
        Err(CaseProblem::NoVariant)
    );
}

#[test]
fn minor_units_follow_the_currency() {
    // JPY has no minor unit, KWD three: the bounds are exact in each.
    for (code, unit, shipped_value) in [("JPY", 1500, "1500"), ("KWD", 1250, "1.250")] {
        let currency = Currency::from_code(code).unwrap();
        let facts = OrderFacts {
            currency,
            lines: vec![OrderLineFacts {
                line_id: "L1".into(),
                title: "Mug".into(),
                unit_price: Money::new(unit, currency),
                shipped: 1,
                claimed: 0,
            }],
            shipping_charged: Money::zero(currency),
            refunded_goods: Money::zero(currency),
            refunded_shipping: Money::zero(currency),
        };
        let too_much = Resolution::Refund {
            goods: Money::new(unit + 1, currency),
            shipping: Money::zero(currency),
            with_return: false,
        };
        match open(&facts, &request(&[("L1", 1)], too_much)) {
            Err(CaseProblem::MoreThanPaid { left, .. }) => assert_eq!(left, shipped_value),
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[test]
fn a_refund_with_return_waits_for_the_goods_then_refunds_and_asks_the_supplier() {
    let opened = open(&order(), &request(&[("L1", 2)], refund(2500, 0, true)))
        .unwrap()
        .state;
    assert_eq!(
        next_steps(&opened),
        vec![Step::AwaitReturn, Step::AskSupplier]
    );
    let shipped = step(
        &opened,
        CaseEvent::ReturnShipped {
            tracking_number: "LX123456789CN".into(),
        },
    );
    let back = step(&shipped, CaseEvent::ReturnDelivered);
    assert_eq!(
        back.ret,
        ReturnLeg::Delivered {
            tracking_number: Some("LX123456789CN".into())
        }
    );
    assert_eq!(
        next_steps(&back),
        vec![Step::SettleReturn, Step::RefundCustomer, Step::AskSupplier]
    );
    let refunded = step(
        &back,
        CaseEvent::CustomerRefunded {
            refund_id: "r1".into(),
            amount: usd_amount(2500),
        },
    );
    let asked = step(
        &refunded,
        CaseEvent::SupplierAsked {
            by_api: true,
            due_ms: 10,
            purchase: None,
            request_id: Some("cj-dispute-9".into()),
        },
    );
    let credited = step(
        &asked,
        CaseEvent::SupplierCredited {
            reference: "cj-dispute-9".into(),
            amount: usd_amount(1800),
        },
    );
    let restocked = step(&credited, CaseEvent::ReturnSettled { restocked: true });
    assert!(next_steps(&restocked).is_empty());
    assert!(complete(&restocked));
    let money = CaseMoney::of(&restocked);
    assert_eq!(money.refunded, usd_amount(2500));
    assert_eq!(money.recovered, usd_amount(1800));
    assert_eq!(money.net_loss, usd_amount(700));
    let closed = step(
        &restocked,
        CaseEvent::Close {
            at_ms: 99,
            note: None,
        },
    );
    // A retried refund or credit on the closed case is the same fact: nothing changes.
    for retry in [
        CaseEvent::CustomerRefunded {
            refund_id: "r1".into(),
            amount: usd_amount(2500),
        },
        CaseEvent::SupplierCredited {
            reference: "cj-dispute-9".into(),
            amount: usd_amount(1800),
        },
    ] {
        assert_eq!(apply(&closed, retry), Ok(Applied::Unchanged));
    }
    assert_eq!(
        apply(
            &closed,
            CaseEvent::CustomerRefunded {
                refund_id: "r2".into(),
                amount: usd_amount(1)
            }
        ),
        Err(CaseConflict::Closed)
    );
}

#[test]
fn a_return_first_case_is_decided_only_once_the_goods_are_back() {
    let opened = open(&order(), &request(&[("L2", 1)], Resolution::ReturnFirst))
        .unwrap()
        .state;
    refused_now(
        &opened,
        CaseEvent::Decided {
            resolution: Resolution::Reship,
        },
    );
    let back = step(&opened, CaseEvent::ReturnDelivered);
    assert!(next_steps(&back).contains(&Step::Decide));
    let decided = step(
        &back,
        CaseEvent::Decided {
            resolution: Resolution::Exchange {
                variant_id: "cap-blue".into(),
                sku: Some("CAP-BLUE".into()),
            },
        },
    );
    assert!(next_steps(&decided).contains(&Step::OrderReplacement));
    refused_now(
        &decided,
        CaseEvent::Decided {
            resolution: Resolution::Reship,
        },
    );
}

#[test]
fn a_reship_is_one_replacement_and_its_cost_counts_as_loss() {
    let mut asked = request(&[("L2", 1)], Resolution::Reship);
    asked.reason = CaseReason::ChangedMind;
    let opened = open(&order(), &asked).unwrap().state;
    // The customer changed their mind: nothing to ask of the supplier.
    assert_eq!(opened.supplier, SupplierSide::NotNeeded);
    assert_eq!(next_steps(&opened), vec![Step::OrderReplacement]);
    let ordered_event = CaseEvent::ReplacementOrdered {
        supplier_order_id: "so-7".into(),
        cost: usd_amount(450),
    };
    let ordered = step(&opened, ordered_event.clone());
    assert_eq!(apply(&ordered, ordered_event), Ok(Applied::Unchanged));
    refused_now(
        &ordered,
        CaseEvent::ReplacementOrdered {
            supplier_order_id: "so-8".into(),
            cost: usd_amount(450),
        },
    );
    assert!(!complete(&ordered));
    // Refused by its supplier for stock: waiting again, bought anew, the cost not spent; a
    // refusal of another purchase changes nothing.
    let other = CaseEvent::ReplacementRefused {
        supplier_order_id: "so-9".into(),
    };
    assert_eq!(apply(&ordered, other), Ok(Applied::Unchanged));
    let refused = step(
        &ordered,
        CaseEvent::ReplacementRefused {
            supplier_order_id: "so-7".into(),
        },
    );
    assert_eq!(refused.customer, CustomerSide::Pending);
    assert_eq!(refused.replacement_cost, None);
    assert_eq!(next_steps(&refused), vec![Step::OrderReplacement]);
    let shipped = step(&ordered, CaseEvent::ReplacementShipped);
    assert!(complete(&shipped));
    assert_eq!(CaseMoney::of(&shipped).net_loss, usd_amount(450));
}

#[test]
fn closing_with_work_left_needs_a_note() {
    let opened = open(&order(), &request(&[("L1", 1)], refund(1250, 0, false)))
        .unwrap()
        .state;
    let refused = apply(
        &opened,
        CaseEvent::Close {
            at_ms: 1,
            note: None,
        },
    );
    match refused {
        Err(CaseConflict::NotNow(message)) => {
            assert!(message.contains("refund_customer"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let closed = step(
        &opened,
        CaseEvent::Close {
            at_ms: 1,
            note: Some("settled with the customer by phone".into()),
        },
    );
    assert!(closed.closed.is_some());
    assert!(next_steps(&closed).is_empty());
}

#[test]
fn the_supplier_deadline_counts_from_delivery_where_its_window_does() {
    let day = 86_400_000;
    assert_eq!(supplier_due_ms(10 * day, Some(2 * day), 15, true), 17 * day);
    assert_eq!(supplier_due_ms(10 * day, Some(2 * day), 7, false), 17 * day);
    // A window already closed is due now, not in the past.
    assert_eq!(supplier_due_ms(30 * day, Some(2 * day), 15, true), 30 * day);
}

fn any_event() -> impl Strategy<Value = CaseEvent> {
    let reference = "[a-c]";
    let amount = 1i64..5_000;
    prop_oneof![
        (reference, amount.clone()).prop_map(|(refund_id, minor)| CaseEvent::CustomerRefunded {
            refund_id,
            amount: usd_amount(minor)
        }),
        Just(CaseEvent::ReturnShipped {
            tracking_number: "LX1".into()
        }),
        Just(CaseEvent::ReturnDelivered),
        any::<bool>().prop_map(|restocked| CaseEvent::ReturnSettled { restocked }),
        Just(CaseEvent::Decided {
            resolution: Resolution::Reship
        }),
        Just(CaseEvent::SupplierAsked {
            by_api: true,
            due_ms: 5,
            purchase: None,
            request_id: None,
        }),
        (reference, amount.clone()).prop_map(|(reference, minor)| CaseEvent::SupplierCredited {
            reference,
            amount: usd_amount(minor)
        }),
        Just(CaseEvent::SupplierRefused { note: "no".into() }),
        Just(CaseEvent::SupplierExpired),
        (reference, amount).prop_map(|(id, minor)| CaseEvent::ReplacementOrdered {
            supplier_order_id: id,
            cost: usd_amount(minor)
        }),
        Just(CaseEvent::ReplacementShipped),
        reference.prop_map(|id| CaseEvent::ReplacementRefused {
            supplier_order_id: id
        }),
        Just(CaseEvent::Declined { note: "no".into() }),
        proptest::option::of(Just("why".to_string()))
            .prop_map(|note| CaseEvent::Close { at_ms: 1, note }),
    ]
}

fn any_resolution() -> impl Strategy<Value = Resolution> {
    prop_oneof![
        any::<bool>().prop_map(|with_return| refund(1000, 0, with_return)),
        Just(Resolution::Reship),
        Just(Resolution::Exchange {
            variant_id: "v".into(),
            sku: None,
        }),
        Just(Resolution::ReturnFirst),
    ]
}

proptest! {
    /// Whatever arrives in whatever order (retries included): each store refund id and each
    /// supplier reference counts once, the money adds up, and a closed case stays closed.
    #[test]
    fn every_reference_counts_once_and_the_money_adds_up(
        resolution in any_resolution(),
        events in proptest::collection::vec(any_event(), 0..40),
    ) {
        let mut state = open(&order(), &request(&[("L1", 1)], resolution)).unwrap().state;
        let mut refunded = std::collections::BTreeMap::new();
        let mut credited = std::collections::BTreeMap::new();
        for event in events {
            let was_closed = state.closed.is_some();
            let before = state.clone();
            match (apply(&state, event.clone()), event) {
                (Ok(Applied::Changed(next)), event) => {
                    prop_assert!(!was_closed, "a closed case changed");
                    match event {
                        CaseEvent::CustomerRefunded { refund_id, amount } => {
                            prop_assert!(refunded.insert(refund_id, amount.minor).is_none());
                        }
                        CaseEvent::SupplierCredited { reference, amount } => {
                            prop_assert!(credited.insert(reference, amount.minor).is_none());
                        }
                        _ => {}
                    }
                    state = *next;
                }
                (Ok(Applied::Unchanged), _) | (Err(_), _) => prop_assert_eq!(&state, &before),
            }
            let money = CaseMoney::of(&state);
            prop_assert_eq!(money.refunded.minor, refunded.values().sum::<i64>());
            prop_assert_eq!(money.recovered.minor, credited.values().sum::<i64>());
            prop_assert_eq!(
                money.net_loss.minor,
                money.refunded.minor + money.replacement.minor - money.recovered.minor
            );
        }
    }

    /// No request is accepted for more units than were shipped and not yet claimed.
    #[test]
    fn never_more_than_shipped(shipped in 0u32..6, claimed in 0u32..6, asked in 0u32..8) {
        let mut facts = order();
        facts.lines[0].shipped = shipped;
        facts.lines[0].claimed = claimed;
        let accepted = open(&facts, &request(&[("L1", asked)], Resolution::Reship)).is_ok();
        prop_assert_eq!(accepted, asked >= 1 && asked <= shipped.saturating_sub(claimed));
    }
}

#[test]
fn other_cases_hold_their_units_and_refunds_until_declined() {
    let lines = vec![CaseLine {
        line_id: "L1".into(),
        quantity: 2,
    }];
    let refunding = open(&order(), &request(&[("L1", 2)], refund(1_000, 200, false)))
        .unwrap()
        .state;
    let reship = open(&order(), &request(&[("L1", 1)], Resolution::Reship))
        .unwrap()
        .state;
    let one = vec![CaseLine {
        line_id: "L1".into(),
        quantity: 1,
    }];
    let held = claimed([(&refunding, lines.as_slice()), (&reship, one.as_slice())]);
    assert_eq!(held.units.get("L1"), Some(&3));
    assert_eq!((held.goods_minor, held.shipping_minor), (1_000, 200));

    let declined = step(
        &reship,
        CaseEvent::Declined {
            note: "photos show no damage".into(),
        },
    );
    let held = claimed([(&refunding, lines.as_slice()), (&declined, one.as_slice())]);
    assert_eq!(held.units.get("L1"), Some(&2));

    // A store refund larger than the case planned counts as made.
    let overpaid = step(
        &refunding,
        CaseEvent::CustomerRefunded {
            refund_id: "r1".into(),
            amount: usd_amount(1_500),
        },
    );
    let held = claimed([(&overpaid, lines.as_slice())]);
    assert_eq!((held.goods_minor, held.shipping_minor), (1_300, 200));
}

#[test]
fn a_case_closed_before_anything_was_done_frees_its_units_but_not_one_refunded() {
    let one = vec![CaseLine {
        line_id: "L1".into(),
        quantity: 1,
    }];
    let waiting = open(&order(), &request(&[("L1", 1)], Resolution::ReturnFirst))
        .unwrap()
        .state;
    let close = |state: &CaseState| {
        step(
            state,
            CaseEvent::Close {
                at_ms: 5,
                note: Some("return cancelled in the store".into()),
            },
        )
    };
    let held = claimed([(&waiting, one.as_slice())]);
    assert_eq!(held.units.get("L1"), Some(&1));
    let withdrawn = close(&waiting);
    assert_eq!(
        claimed([(&withdrawn, one.as_slice())]).units.get("L1"),
        None
    );

    // Money moved, or the goods came back: the units stay with that case.
    let refunded = step(
        &waiting,
        CaseEvent::CustomerRefunded {
            refund_id: "r1".into(),
            amount: usd_amount(300),
        },
    );
    let held = claimed([(&close(&refunded), one.as_slice())]);
    assert_eq!(held.units.get("L1"), Some(&1));
    assert_eq!(held.goods_minor, 300);
    let back = step(&waiting, CaseEvent::ReturnDelivered);
    let held = claimed([(&close(&back), one.as_slice())]);
    assert_eq!(held.units.get("L1"), Some(&1));
}

#[test]
fn a_declined_claim_asks_the_supplier_nothing() {
    let opened = open(&order(), &request(&[("L1", 1)], Resolution::Reship))
        .unwrap()
        .state;
    assert_eq!(opened.supplier, SupplierSide::NotAsked);
    let declined = step(
        &opened,
        CaseEvent::Declined {
            note: "delivered per the carrier".into(),
        },
    );
    assert_eq!(declined.supplier, SupplierSide::NotNeeded);
    assert!(next_steps(&declined).is_empty());
}

fn store_refund(lines: &[(&str, u32)], total: i64, shipping: i64) -> StoreRefund {
    StoreRefund {
        refund_id: "929361472".into(),
        order_external_id: "450789469".into(),
        lines: case_lines(lines),
        currency: Some(usd()),
        total_minor: total,
        shipping_minor: shipping,
        return_id: None,
        note: None,
    }
}

#[test]
fn a_store_refund_claims_only_shipped_open_units_and_is_refunded_already() {
    // L1: 3 shipped, 1 claimed elsewhere → 2 open; L2: 1 shipped.
    let (lines, state) =
        from_store_refund(&order(), &store_refund(&[("L1", 3), ("L2", 1)], 3_500, 500))
            .unwrap()
            .unwrap();
    assert_eq!(
        lines,
        vec![
            CaseLine {
                line_id: "L1".into(),
                quantity: 2
            },
            CaseLine {
                line_id: "L2".into(),
                quantity: 1
            }
        ]
    );
    assert_eq!(state.customer, CustomerSide::Refunded);
    assert_eq!(state.supplier, SupplierSide::NotAsked);
    assert_eq!(
        state.resolution,
        Resolution::Refund {
            goods: usd_amount(3_000),
            shipping: usd_amount(500),
            with_return: false
        }
    );
    assert_eq!(CaseMoney::of(&state).refunded, usd_amount(3_500));
    // The same refund delivered again is the same fact.
    assert_eq!(
        apply(
            &state,
            CaseEvent::CustomerRefunded {
                refund_id: "929361472".into(),
                amount: usd_amount(3_500)
            }
        ),
        Ok(Applied::Unchanged)
    );
    // Unshipped units and unknown lines are not a case.
    let mut unshipped = order();
    unshipped.lines[1].shipped = 0;
    assert_eq!(
        from_store_refund(&unshipped, &store_refund(&[("L2", 1), ("L9", 1)], 800, 0)),
        Ok(None)
    );
    let mut in_euros = store_refund(&[("L1", 1)], 100, 0);
    in_euros.currency = Currency::from_code("EUR").ok();
    assert!(matches!(
        from_store_refund(&order(), &in_euros),
        Err(CaseProblem::WrongCurrency { .. })
    ));
    // A refund settling a store return waits for the goods.
    let mut returned = store_refund(&[("L1", 1)], 1_250, 0);
    returned.return_id = Some("6701154584".into());
    let (_, state) = from_store_refund(&order(), &returned).unwrap().unwrap();
    assert_eq!(state.ret, ReturnLeg::Awaited);
    assert_eq!(
        next_steps(&state),
        vec![Step::AwaitReturn, Step::AskSupplier]
    );
}
