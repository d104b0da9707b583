//! What to ask the store when a case's next step is refunding the customer: which units, how
//! the goods refund is spread over the lines (stores record a refund per line), the shipping,
//! and whether the units go back into the store's stock.

use super::{next_steps, CaseLine, CaseState, Resolution, ReturnLeg, Step};

/// One refund through the store's API, in minor units of the case's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPlan {
    /// Per case line: its units and the part of the goods refund they carry.
    pub lines: Vec<PlannedLine>,
    pub goods_minor: i64,
    pub shipping_minor: i64,
    /// The goods came back and were restocked by the merchant: the store's stock follows.
    pub restock: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub line_id: String,
    pub quantity: u32,
    pub amount_minor: i64,
}

/// The refund a case calls for now, or `None` when refunding the customer is not its next
/// step (not a refund case, the goods are still to come back, already refunded, closed).
/// `unit_price_minor` gives what the customer paid per unit of each case line, so the goods
/// refund is spread over the lines in proportion to what they were paid (the last line takes
/// the rounding); a refund of lines paid nothing lands on the first line.
pub fn plan(
    state: &CaseState,
    lines: &[CaseLine],
    unit_price_minor: impl Fn(&str) -> i64,
) -> Option<RefundPlan> {
    if !next_steps(state).contains(&Step::RefundCustomer) {
        return None;
    }
    let Resolution::Refund {
        goods, shipping, ..
    } = &state.resolution
    else {
        return None;
    };
    let values: Vec<i64> = lines
        .iter()
        .map(|l| unit_price_minor(&l.line_id).saturating_mul(l.quantity.into()))
        .collect();
    let paid: i64 = values.iter().sum();
    let mut left = goods.minor;
    let planned = lines
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(index, (line, value))| {
            let amount = if index + 1 == lines.len() {
                left
            } else if paid > 0 {
                // i128: a large refund times a large line value must not overflow.
                (i128::from(goods.minor) * i128::from(*value) / i128::from(paid)) as i64
            } else if index == 0 {
                goods.minor
            } else {
                0
            };
            left -= amount;
            PlannedLine {
                line_id: line.line_id.clone(),
                quantity: line.quantity,
                amount_minor: amount,
            }
        })
        .collect();
    Some(RefundPlan {
        lines: planned,
        goods_minor: goods.minor,
        shipping_minor: shipping.minor,
        restock: matches!(state.ret, ReturnLeg::Restocked),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::{apply, Applied, CaseEvent, CaseReason, CustomerSide, SupplierSide};
    use super::*;
    use crate::money::Money;
    use crate::reference::currency::Currency;
    use proptest::prelude::*;

    fn case(goods: i64, shipping: i64, with_return: bool) -> CaseState {
        let usd = Currency::from_code("USD").unwrap();
        CaseState {
            currency: usd,
            reason: CaseReason::Damaged,
            resolution: Resolution::Refund {
                goods: Money::new(goods, usd),
                shipping: Money::new(shipping, usd),
                with_return,
            },
            customer: CustomerSide::Pending,
            ret: if with_return {
                ReturnLeg::Awaited
            } else {
                ReturnLeg::NotNeeded
            },
            supplier: SupplierSide::NotAsked,
            refunds: Vec::new(),
            credits: Vec::new(),
            replacement_cost: None,
            closed: None,
        }
    }

    fn lines(spec: &[(&str, u32)]) -> Vec<CaseLine> {
        spec.iter()
            .map(|(id, quantity)| CaseLine {
                line_id: (*id).to_string(),
                quantity: *quantity,
            })
            .collect()
    }

    fn price(line_id: &str) -> i64 {
        match line_id {
            "mug" => 1250,
            "cap" => 800,
            _ => 0,
        }
    }

    fn after(state: &CaseState, event: CaseEvent) -> CaseState {
        match apply(state, event).unwrap() {
            Applied::Changed(next) => *next,
            Applied::Unchanged => state.clone(),
        }
    }

    #[test]
    fn a_partial_refund_is_spread_over_the_lines_by_what_they_were_paid() {
        // 2 mugs (25.00) and 1 cap (8.00) paid 33.00; 16.50 back, half of each line.
        let plan = plan(
            &case(1650, 300, false),
            &lines(&[("mug", 2), ("cap", 1)]),
            price,
        )
        .unwrap();
        let amounts: Vec<i64> = plan.lines.iter().map(|l| l.amount_minor).collect();
        assert_eq!(amounts, [1250, 400]);
        assert_eq!((plan.goods_minor, plan.shipping_minor), (1650, 300));
        assert!(!plan.restock);
        // 10.01 over 3 equal lines: the rounding goes to the last one, nothing is lost.
        let plan = plan_of(1001, &[("mug", 1), ("mug2", 1), ("mug3", 1)], |_| 500);
        let amounts: Vec<i64> = plan.lines.iter().map(|l| l.amount_minor).collect();
        assert_eq!(amounts, [333, 333, 335]);
    }

    fn plan_of(goods: i64, spec: &[(&str, u32)], price: impl Fn(&str) -> i64) -> RefundPlan {
        plan(&case(goods, 0, false), &lines(spec), price).unwrap()
    }

    #[test]
    fn lines_paid_nothing_put_the_refund_on_the_first_line() {
        let plan = plan_of(700, &[("gift", 1), ("gift2", 2)], |_| 0);
        let amounts: Vec<i64> = plan.lines.iter().map(|l| l.amount_minor).collect();
        assert_eq!(amounts, [700, 0]);
    }

    #[test]
    fn the_refund_waits_for_the_goods_and_is_asked_once() {
        let waiting = case(1250, 0, true);
        let mug = lines(&[("mug", 1)]);
        assert_eq!(plan(&waiting, &mug, price), None, "goods not back yet");
        let back = after(&waiting, CaseEvent::ReturnDelivered);
        let planned = plan(&back, &mug, price).unwrap();
        assert!(!planned.restock, "delivered back, not restocked yet");
        let restocked = after(&back, CaseEvent::ReturnSettled { restocked: true });
        assert!(plan(&restocked, &mug, price).unwrap().restock);
        let refunded = after(
            &restocked,
            CaseEvent::CustomerRefunded {
                refund_id: "r1".into(),
                amount: Money::new(1250, restocked.currency),
            },
        );
        assert_eq!(plan(&refunded, &mug, price), None, "refunded already");
        let mut reship = case(0, 0, false);
        reship.resolution = Resolution::Reship;
        assert_eq!(plan(&reship, &mug, price), None, "not a refund case");
    }

    proptest! {
        #[test]
        fn the_lines_always_add_up_to_the_goods_refund(
            goods in 0i64..10_000_000,
            spec in proptest::collection::vec((0i64..100_000, 1u32..50), 1..6),
        ) {
            let case_lines: Vec<CaseLine> = spec
                .iter()
                .enumerate()
                .map(|(i, (_, q))| CaseLine { line_id: i.to_string(), quantity: *q })
                .collect();
            let prices: Vec<i64> = spec.iter().map(|(p, _)| *p).collect();
            let planned = plan(&case(goods, 0, false), &case_lines, |id| {
                prices[id.parse::<usize>().unwrap()]
            })
            .unwrap();
            let sum: i64 = planned.lines.iter().map(|l| l.amount_minor).sum();
            prop_assert_eq!(sum, goods);
            prop_assert!(planned.lines.iter().all(|l| l.amount_minor >= 0));
        }
    }
}
