#![allow(clippy::unwrap_used)]

use super::*;
use crate::fx::history::RateChange;
use crate::fx::{FxRate, Rate};
use proptest::prelude::*;

fn c(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, c("USD"))
}

fn cost(kind: CostKind, amount: Money, at: i64) -> Item {
    Item::Known(Cost {
        kind,
        amount,
        incurred_at_ms: at,
        what: format!("{} thing", kind.as_str()),
    })
}

fn eur_usd(at_ms: i64, rate: &str) -> RateChange {
    RateChange {
        at_ms,
        base: c("EUR"),
        quote: c("USD"),
        rate: Some(FxRate {
            base: c("EUR"),
            quote: c("USD"),
            rate: Rate::parse(rate).unwrap(),
            source: "operator".into(),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        }),
    }
}

fn revenue() -> Revenue {
    // 2 × 25.00 − 5.00 + 4.90 shipping, 3.00 tax on top: 52.90 charged, 49.90 revenue.
    Revenue {
        total: 5290,
        discounts: 500,
        shipping: 490,
        taxes: 300,
        taxes_included: false,
    }
}

#[test]
fn revenue_keeps_taxes_apart_whether_included_or_on_top() {
    assert_eq!(revenue().charged(), 5290);
    assert_eq!(revenue().net(), 4990);
    assert_eq!(revenue().lines(), 5000);
    // The same lines with the taxes inside the prices: the total holds them, once.
    let included = Revenue {
        total: 4990,
        taxes_included: true,
        ..revenue()
    };
    assert_eq!(included.net(), 4690);
    assert_eq!(included.lines(), 5000);
}

#[test]
fn known_costs_give_the_exact_figure_per_kind() {
    let items = [
        cost(CostKind::Supplier, usd(2100), 1),
        cost(CostKind::Supplier, usd(-300), 2),
        cost(CostKind::PaymentFee, usd(183), 1),
        cost(CostKind::Refund, usd(1000), 3),
    ];
    let OrderProfit::Complete(p) = compute(c("USD"), &revenue(), &items, &RateHistory::default())
    else {
        panic!("complete")
    };
    assert_eq!(p.revenue, 4990);
    assert_eq!(p.taxes, 300);
    assert_eq!(p.costs[&CostKind::Supplier], 1800);
    assert_eq!(p.costs[&CostKind::Warehouse], 0);
    assert_eq!(p.cost_total, 2983);
    assert_eq!(p.profit, 2007);
}

#[test]
fn a_cost_in_another_currency_is_converted_at_the_rate_recorded_when_incurred() {
    let history = RateHistory::new(vec![eur_usd(100, "1.10"), eur_usd(200, "1.50")]);
    let items = [cost(CostKind::Supplier, Money::new(1000, c("EUR")), 150)];
    let OrderProfit::Complete(p) = compute(c("USD"), &revenue(), &items, &history) else {
        panic!("complete")
    };
    // 10.00 EUR at 1.10 (the rate at 150), not at the 1.50 set later.
    assert_eq!(p.costs[&CostKind::Supplier], 1100);
}

#[test]
fn a_cost_incurred_before_any_rate_or_after_its_removal_is_named_not_guessed() {
    let removed = RateChange {
        rate: None,
        ..eur_usd(300, "1")
    };
    let history = RateHistory::new(vec![eur_usd(100, "1.10"), removed]);
    for at in [50, 400] {
        let items = [cost(CostKind::Warehouse, Money::new(1000, c("EUR")), at)];
        let OrderProfit::Incomplete { missing } = compute(c("USD"), &revenue(), &items, &history)
        else {
            panic!("incomplete at {at}")
        };
        assert_eq!(
            missing,
            vec![Missing::NoRate {
                kind: CostKind::Warehouse,
                what: "warehouse thing".into(),
                from: "EUR".into(),
                to: "USD".into(),
            }]
        );
    }
}

#[test]
fn a_purchase_not_priced_is_missing_and_the_order_has_no_figure() {
    let p = Purchase {
        what: "supplier order so_1".into(),
        status: SupplierOrderStatus::AwaitingPlacement,
        priced: None,
        created_at_ms: 1,
        spent: vec![],
        vendor: None,
    };
    let items = purchase_costs(&p);
    let OrderProfit::Incomplete { missing } =
        compute(c("USD"), &revenue(), &items, &RateHistory::default())
    else {
        panic!("incomplete")
    };
    assert_eq!(
        missing[0].to_string(),
        "supplier order so_1: not priced yet"
    );
}

#[test]
fn a_purchase_costs_what_the_wallet_paid_else_its_price_else_nothing_once_dropped() {
    let base = Purchase {
        what: "so".into(),
        status: SupplierOrderStatus::AwaitingPayment,
        priced: Some(usd(900)),
        created_at_ms: 5,
        spent: vec![],
        vendor: None,
    };
    assert_eq!(
        purchase_costs(&base),
        vec![cost_named(CostKind::Supplier, usd(900), 5)]
    );
    let paid = Purchase {
        spent: vec![
            Movement {
                amount: usd(950),
                at_ms: 7,
            },
            Movement {
                amount: usd(-200),
                at_ms: 9,
            },
        ],
        ..base.clone()
    };
    assert_eq!(purchase_costs(&paid).len(), 2);
    let cancelled = Purchase {
        status: SupplierOrderStatus::Cancelled,
        priced: None,
        ..base.clone()
    };
    assert!(purchase_costs(&cancelled).is_empty());
    let vendor = Purchase {
        vendor: Some(VendorSide {
            earning: Some(Movement {
                amount: usd(800),
                at_ms: 10,
            }),
            charges: vec![Movement {
                amount: usd(300),
                at_ms: 11,
            }],
        }),
        ..base
    };
    let items = purchase_costs(&vendor);
    let OrderProfit::Complete(p) = compute(c("USD"), &revenue(), &items, &RateHistory::default())
    else {
        panic!()
    };
    assert_eq!(p.costs[&CostKind::Vendor], 500);
    assert_eq!(p.costs[&CostKind::Supplier], 0);
}

fn cost_named(kind: CostKind, amount: Money, at: i64) -> Item {
    Item::Known(Cost {
        kind,
        amount,
        incurred_at_ms: at,
        what: "so".into(),
    })
}

#[test]
fn a_chargeback_costs_once_lost_nothing_once_won_and_is_undecided_while_open() {
    let amount = usd(5290);
    let lost = chargeback_cost("chargeback cb", true, &DisputeStatus::Lost, amount, 9);
    assert!(matches!(
        lost,
        Some(Item::Known(Cost {
            kind: CostKind::Chargeback,
            ..
        }))
    ));
    assert_eq!(
        chargeback_cost("chargeback cb", true, &DisputeStatus::Won, amount, 9),
        None
    );
    assert_eq!(
        chargeback_cost("inquiry", false, &DisputeStatus::Lost, amount, 9),
        None
    );
    let open = chargeback_cost(
        "chargeback cb",
        true,
        &DisputeStatus::UnderReview,
        amount,
        9,
    );
    assert_eq!(
        open.map(|i| match i {
            Item::Missing(m) => m.to_string(),
            Item::Known(_) => String::new(),
        }),
        Some("chargeback cb: not decided yet".to_string())
    );
}

#[test]
fn the_fee_rule_takes_its_percent_rounded_half_away_plus_the_fixed_part() {
    let rule = FeeRule::new(290, usd(30)).unwrap();
    // 2.9 % of 52.90 = 1.5341 → 1.53, plus 0.30.
    let fees = rule.costs(usd(5290), 1);
    let total: i64 = fees.iter().map(|f| f.amount.minor).sum();
    assert_eq!(total, 183);
    // 2.9 % of 0.50 = 0.0145 → 0.01; of 1.50 = 0.0435 → 0.04.
    assert_eq!(rule.costs(usd(50), 1)[0].amount.minor, 1);
    assert_eq!(FeeRule::new(10_001, usd(0)), Err(FeeRuleError::Percent));
    assert_eq!(FeeRule::new(0, usd(-1)), Err(FeeRuleError::Fixed));
    assert!(FeeRule::new(0, usd(0))
        .unwrap()
        .costs(usd(100), 1)
        .is_empty());
}

#[test]
fn share_gives_exact_parts_by_weight() {
    assert_eq!(share(100, &[1, 1, 1]), vec![34, 33, 33]);
    assert_eq!(share(-100, &[1, 1, 1]), vec![-34, -33, -33]);
    assert_eq!(share(10, &[0, 0]), vec![5, 5]);
    assert_eq!(share(7, &[3, 0, 1]), vec![5, 0, 2]);
    assert!(share(7, &[]).is_empty());
}

fn any_kind() -> impl Strategy<Value = CostKind> {
    proptest::sample::select(CostKind::ALL.to_vec())
}

proptest! {
    /// Same-currency costs: profit = revenue − Σ costs, exactly, and every kind's figure is
    /// the sum of its costs.
    #[test]
    fn profit_is_revenue_less_the_sum_of_costs(
        total in 0i64..10_000_000,
        discounts in 0i64..1_000_000,
        shipping in 0i64..1_000_000,
        taxes in 0i64..1_000_000,
        included in any::<bool>(),
        costs in proptest::collection::vec((any_kind(), -1_000_000i64..10_000_000, 0i64..1000), 0..12),
    ) {
        let revenue = Revenue { total, discounts, shipping, taxes, taxes_included: included };
        let items: Vec<Item> = costs.iter().map(|(k, m, at)| cost(*k, usd(*m), *at)).collect();
        let OrderProfit::Complete(p) = compute(c("USD"), &revenue, &items, &RateHistory::default())
        else { panic!("complete") };
        let sum: i64 = costs.iter().map(|(_, m, _)| m).sum();
        prop_assert_eq!(p.cost_total, sum);
        prop_assert_eq!(p.profit, revenue.net() - sum);
        prop_assert_eq!(p.revenue + p.taxes, revenue.charged());
        for kind in CostKind::ALL {
            let of_kind: i64 = costs.iter().filter(|(k, _, _)| *k == kind).map(|(_, m, _)| m).sum();
            prop_assert_eq!(p.costs[&kind], of_kind);
        }
    }

    /// Split parts add up to the whole in every figure.
    #[test]
    fn a_split_adds_up_to_the_whole(
        revenue in -10_000_000i64..10_000_000,
        supplier in -10_000_000i64..10_000_000,
        weights in proptest::collection::vec(0i64..100_000, 1..8),
    ) {
        let whole = Profit {
            currency: c("USD"),
            revenue,
            taxes: 0,
            costs: CostKind::ALL.iter().map(|k| (*k, if *k == CostKind::Supplier { supplier } else { 0 })).collect(),
            cost_total: supplier,
            profit: revenue - supplier,
        };
        let parts = whole.split(&weights);
        prop_assert_eq!(parts.iter().map(|p| p.revenue).sum::<i64>(), revenue);
        prop_assert_eq!(parts.iter().map(|p| p.profit).sum::<i64>(), whole.profit);
        prop_assert_eq!(parts.iter().map(|p| p.cost_total).sum::<i64>(), supplier);
    }
}
