//! `case.order_replacement`: a reship or an exchange is bought again through the normal
//! route → place → pay path: the case's units are routed like order lines (an exchange under
//! the variant the customer chose instead), the purchases are created in the same
//! transaction as the case's step, marked as the case's (`supplier_orders.case_id`), and
//! placed and paid by the usual jobs. Their parcel settles the case's replacement
//! ([`shipped`]) instead of being written back to the store, whose order is fulfilled
//! already; the customer hears of it by mail.
//!
//! A replacement that cannot be routed (no mapping for the exchanged variant, out of stock)
//! is flagged for a person, who maps it and retries the job.

use super::case_tx::{self, Entry};
use crate::fulfilment::{route, Services};
use crate::jobs::GiveUp;
use crate::storage::cases as store;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{flags::kind, orders, settings, Tx};
use anyhow::Context;
use dropflow_core::after_sale::{
    apply, next_steps, Applied, CaseEvent, CustomerSide, Resolution, Step,
};
use dropflow_core::event::Actor;
use dropflow_core::money::Money;
use dropflow_core::routing::LineToRoute;

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::ORDER_REPLACEMENT;

fn buyer() -> Actor {
    Actor::System("router".into())
}

/// Buys case `id`'s replacement, if the case still calls for it.
pub async fn order(services: &Services, id: &str) -> anyhow::Result<()> {
    let db = &services.db;
    let Some(seen) = store::load(db, id).await? else {
        anyhow::bail!("case {id} does not exist");
    };
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, seen.order_id).await?;
    let case = store::get_in(&mut tx, id)
        .await?
        .with_context(|| format!("case {id} does not exist"))?;
    if !next_steps(&case.state).contains(&Step::OrderReplacement) {
        return Ok(());
    }
    let input = orders::routing_input(&mut tx, case.order_id)
        .await?
        .context("the order has no routing input")?;
    let exchange_for = match &case.state.resolution {
        Resolution::Exchange { variant_id, sku } => Some((variant_id.clone(), sku.clone())),
        _ => None,
    };
    let lines: Vec<LineToRoute> = case
        .lines
        .iter()
        .filter_map(|claimed| {
            let line = input
                .lines
                .iter()
                .find(|l| i64::from(l.position) == claimed.line_position)?;
            Some(LineToRoute {
                position: line.position,
                // An exchange is bought under the chosen variant and its SKU, if given (the
                // line's SKU is the old variant's); a reship as the line was.
                variant_id: match &exchange_for {
                    Some((variant, _)) => Some(variant.clone()),
                    None => line.variant_id.clone(),
                },
                sku: match &exchange_for {
                    Some((_, sku)) => sku.clone(),
                    None => line.sku.clone(),
                },
                quantity: claimed.quantity,
                requires_shipping: true,
            })
        })
        .collect();
    let plan = route::plan(
        &mut tx,
        case.order_id,
        input.store_id,
        input.country,
        &lines,
    )
    .await?;
    if !plan.failures.is_empty() || plan.purchases.is_empty() {
        let why: Vec<String> = plan.failures.iter().map(|f| f.reason.describe()).collect();
        let words = format!(
            "the replacement could not be bought: {}; fix it, then retry the job",
            if why.is_empty() {
                "nothing to buy".to_string()
            } else {
                why.join("; ")
            }
        );
        case_tx::flag(
            &mut tx,
            case.order_id,
            &case.id,
            kind::CASE_REPLACEMENT_FAILED,
            &words,
            buyer(),
        )
        .await?;
        tx.commit().await?;
        return Err(GiveUp(words).into());
    }
    let auto_order = settings::get_in(&mut tx, input.store_id).await?.auto_order;
    let ids =
        supplier_orders::create_from_plan(&mut tx, case.order_id, &plan.purchases, auto_order)
            .await?;
    supplier_orders::mark_replacement(&mut tx, &ids, &case.id).await?;
    let first = plan.purchases[0]
        .items
        .first()
        .map(|i| i.unit_cost.currency)
        .unwrap_or(case.state.currency);
    let cost_minor: i64 = plan
        .purchases
        .iter()
        .flat_map(|p| &p.items)
        .filter(|i| i.unit_cost.currency == first)
        .map(dropflow_core::routing::PlannedItem::cost_minor)
        .sum();
    let cost = Money::new(cost_minor, first);
    let event = CaseEvent::ReplacementOrdered {
        supplier_order_id: ids[0].to_string(),
        cost,
    };
    if let Applied::Changed(next) = apply(&case.state, event)? {
        let labels: Vec<String> = plan.purchases.iter().map(|p| p.supplier.label()).collect();
        let entry = Entry {
            step: "replacement_ordered",
            detail: format!(
                "bought again from {} for {} {}",
                labels.join(", "),
                cost.to_decimal_string(),
                cost.currency.code()
            ),
            actor: buyer(),
        };
        case_tx::save(&mut tx, &case, &next, entry).await?;
    }
    tx.commit().await?;
    db.jobs_queued.notify_one();
    tracing::info!(case.id = %case.id, order.id = %case.order_id, "replacement bought");
    Ok(())
}

/// A parcel of a replacement purchase was recorded (caller's transaction, under the order's
/// lock): the case's replacement is on its way. Nothing for a purchase of no case.
pub async fn shipped(
    tx: &mut Tx<'_>,
    purchase: &SupplierOrder,
    number: &str,
) -> anyhow::Result<()> {
    let Some(case_id) = &purchase.case_id else {
        return Ok(());
    };
    let Some(case) = store::get_in(tx, case_id).await? else {
        return Ok(());
    };
    if !matches!(
        &case.state.customer,
        CustomerSide::ReplacementOrdered { supplier_order_id } if *supplier_order_id == purchase.id.to_string()
    ) {
        return Ok(());
    }
    if let Applied::Changed(next) = apply(&case.state, CaseEvent::ReplacementShipped)? {
        let entry = Entry {
            step: "replacement_shipped",
            detail: format!("the replacement is on its way: {number}"),
            actor: Actor::System(purchase.label()),
        };
        case_tx::save(tx, &case, &next, entry).await?;
    }
    Ok(())
}

/// The supplier refused a case's replacement purchase for stock (caller's transaction, under
/// the order's lock): the case waits for its replacement again, which queues it to be
/// bought anew; the route then counts the refusing offer as out of stock for this order, so
/// the next offer is tried, and a flag is raised once none is left.
pub async fn refused(
    tx: &mut Tx<'_>,
    purchase: &SupplierOrder,
    detail: &str,
) -> anyhow::Result<()> {
    let Some(case_id) = purchase.case_id.as_deref() else {
        return Ok(());
    };
    let Some(case) = store::get_in(tx, case_id).await? else {
        return Ok(());
    };
    let event = CaseEvent::ReplacementRefused {
        supplier_order_id: purchase.id.to_string(),
    };
    if let Applied::Changed(next) = apply(&case.state, event)? {
        let entry = Entry {
            step: "replacement_refused",
            detail: format!(
                "{} refused the replacement ({detail}): buying it again",
                purchase.label()
            ),
            actor: Actor::System(purchase.label()),
        };
        case_tx::save(tx, &case, &next, entry).await?;
    }
    Ok(())
}
