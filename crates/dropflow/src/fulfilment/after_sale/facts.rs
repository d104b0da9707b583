//! What a case is checked against, read under the order's lock: the order's lines, what
//! shipped of each and what the order's other cases already hold.

use super::CaseError;
use crate::storage::cases::{self as store, StoredCase};
use crate::storage::{orders, Tx};
use dropflow_core::after_sale::{
    self as core, CaseLine, CaseRequest, OrderFacts, OrderLineFacts, Resolution,
};
use dropflow_core::ids::OrderId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use std::collections::BTreeMap;

/// The order line positions of case lines named by store line id.
pub fn positions(detail: &orders::OrderDetail, lines: &[CaseLine]) -> Vec<(i64, u32)> {
    lines
        .iter()
        .filter_map(|line| {
            detail
                .lines
                .iter()
                .find(|l| l.external_id == line.line_id)
                .map(|l| (l.position, line.quantity))
        })
        .collect()
}

/// Reads, under the order's lock, the order and what a case is checked against: what shipped
/// per line and what its other cases (all but `besides`) already claim or refund.
pub async fn read_facts(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    besides: Option<&str>,
) -> Result<(orders::OrderDetail, OrderFacts), CaseError> {
    let detail = orders::get_in(tx, order_id)
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("order {order_id} not found")))?;
    let currency = Currency::from_code(&detail.summary.currency)
        .map_err(|e| CaseError::Internal(format!("order currency: {e}")))?;
    let others: Vec<StoredCase> = store::for_order_in(tx, order_id)
        .await?
        .into_iter()
        .filter(|other| Some(other.id.as_str()) != besides)
        .collect();
    let shipped = store::shipped_per_line(tx, order_id).await?;
    let facts = order_facts(&detail, currency, &shipped, &others);
    Ok((detail, facts))
}

/// The order as a case sees it: each line's price, what shipped and what the other cases
/// already claim or refund.
fn order_facts(
    detail: &orders::OrderDetail,
    currency: Currency,
    shipped: &BTreeMap<i64, u32>,
    others: &[StoredCase],
) -> OrderFacts {
    let other_lines: Vec<Vec<CaseLine>> = others.iter().map(StoredCase::core_lines).collect();
    let held = core::claimed(
        others
            .iter()
            .zip(&other_lines)
            .map(|(case, lines)| (&case.state, lines.as_slice())),
    );
    OrderFacts {
        currency,
        lines: detail
            .lines
            .iter()
            .map(|line| OrderLineFacts {
                line_id: line.external_id.clone(),
                title: line.title.clone(),
                unit_price: Money::new(line.unit_price_minor, currency),
                shipped: shipped.get(&line.position).copied().unwrap_or(0),
                claimed: held.units.get(&line.external_id).copied().unwrap_or(0),
            })
            .collect(),
        shipping_charged: Money::new(detail.amounts.shipping_minor, currency),
        refunded_goods: Money::new(held.goods_minor, currency),
        refunded_shipping: Money::new(held.shipping_minor, currency),
    }
}

/// A decision checked against the order like an opening of the same lines, with this case's
/// own claim set aside.
pub async fn check_decision(
    tx: &mut Tx<'_>,
    case: &StoredCase,
    resolution: &Resolution,
) -> Result<(), CaseError> {
    let (_, facts) = read_facts(tx, case.order_id, Some(&case.id)).await?;
    let request = CaseRequest {
        reason: case.state.reason,
        lines: case.core_lines(),
        resolution: resolution.clone(),
    };
    core::open(&facts, &request)
        .map(|_| ())
        .map_err(|e| CaseError::Unprocessable(e.to_string()))
}
