use crate::storage::orders::{self, Cause};
use crate::storage::write_set::WriteSet;
use crate::storage::{catalog, fx_rates, offer_readings, settings, supplier_orders, Database, Tx};
use anyhow::Context;
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::{self, Command};
use dropflow_core::reference::currency::Currency;
use dropflow_core::routing;
use sqlx::Row;

/// The job kind (the lifecycle's `FollowUp::RouteOrder`).
pub const JOB: &str = dropflow_core::jobs::ROUTE_ORDER;

/// Routes the order named in the job payload (`{"order_id": …}`).
pub async fn run(db: &Database, payload: &serde_json::Value) -> anyhow::Result<()> {
    let order_id = super::order_id(payload)?;
    route(db, order_id).await
}

/// Plans and records the purchases for every line of the order not yet covered by a live
/// supplier order, in one transaction with the order's transition.
pub async fn route(db: &Database, order_id: OrderId) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    route_in(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(())
}

/// [`route`] in the caller's transaction (an edit re-derives and routes in one).
pub async fn route_in(tx: &mut crate::storage::Tx<'_>, order_id: OrderId) -> anyhow::Result<()> {
    // Two routing runs of one order (a hold placed and released queues a second) take turns,
    // so the second sees the lines the first routed and buys nothing twice.
    orders::lock(tx, order_id).await?;
    let Some(current) = orders::load_for_update(tx, order_id).await? else {
        anyhow::bail!("order {order_id} does not exist");
    };
    let state = &current.state;
    // Not ready any more (held, cancelled, payment reversed since the job was queued): the
    // lifecycle queues routing again when it becomes ready.
    if state.cancel_reason.is_some() || !state.holds.is_empty() || !state.payment_accepted() {
        return Ok(());
    }
    let (store_id, mut plan) = plan_unrouted(tx, order_id).await?;
    // A line no offer has the stock for holds the whole order (the lifecycle's
    // `RecordRouting`): nothing of it is bought meanwhile, and once the hold lifts the lines
    // are routed together, one purchase per supplier as usual.
    if routing::out_of_stock_words(&plan.failures).is_some() {
        plan.purchases.clear();
    }
    let settings = settings::get_in(tx, store_id).await?;
    // Supplier orders routed earlier and not placed yet (set back by the price guard, or
    // waiting for a Place click): placing them again is this run's job too.
    let waiting = supplier_orders::awaiting_placement_in(tx, order_id).await?;
    supplier_orders::create_from_plan(tx, order_id, &plan.purchases, settings.auto_order).await?;
    if settings.auto_order {
        for id in waiting {
            supplier_orders::enqueue_job(
                tx,
                dropflow_core::jobs::PLACE_SUPPLIER_ORDER,
                id,
                order_id,
            )
            .await?;
        }
    }
    let command = Command::RecordRouting {
        routed_to: plan.purchases.iter().map(|p| p.supplier.label()).collect(),
        failures: plan.failures,
    };
    let transition = lifecycle::transition(state, command)?;
    let cause = Cause {
        actor: Actor::System("router".into()),
        receipt: None,
    };
    let mut writes = WriteSet::new();
    writes.update(&current, None, &transition, &cause)?;
    writes.flush(tx).await?;
    tracing::info!(order.id = %order_id, purchases = plan.purchases.len(), "order routed");
    Ok(())
}

/// The order's store, and the plan for its shippable lines no live purchase covers yet (what
/// a routing run buys, and what the stock recheck asks about).
pub(crate) async fn plan_unrouted(
    tx: &mut Tx<'_>,
    order_id: OrderId,
) -> anyhow::Result<(dropflow_core::ids::StoreId, routing::RoutePlan)> {
    let input = orders::routing_input(tx, order_id)
        .await?
        .context("the order has no routing input")?;
    let already = supplier_orders::routed_lines(tx, order_id).await?;
    let lines: Vec<routing::LineToRoute> = input
        .lines
        .into_iter()
        .filter(|l| l.requires_shipping && !already.contains(&l.position))
        .collect();
    let plan = plan(tx, order_id, input.store_id, input.country, &lines).await?;
    Ok((input.store_id, plan))
}

/// The purchases that would buy `lines` of the order: each line's mapping (an offer that
/// refused this order as out of stock counted as out of stock), offers compared in the
/// order's currency with the operator's rates read in this transaction (a missing rate fails
/// the line, it is never guessed). Shared with the replacement purchases of after-sale cases.
pub(crate) async fn plan(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    store_id: dropflow_core::ids::StoreId,
    country: Option<dropflow_core::reference::country::CountryCode>,
    lines: &[routing::LineToRoute],
) -> anyhow::Result<routing::RoutePlan> {
    let refused = supplier_orders::out_of_stock_offers(tx, order_id).await?;
    let mut mappings = Vec::with_capacity(lines.len());
    for line in lines {
        let found = catalog::find_stamped(
            tx,
            store_id,
            line.variant_id.as_deref(),
            line.sku.as_deref(),
        )
        .await?;
        let mut mapping = found.as_ref().map(|(m, _)| m.clone());
        let written_at = found.map_or(i64::MIN, |(_, at)| at);
        let keys: Vec<_> = mapping
            .iter()
            .flat_map(|m| m.components.iter())
            .flat_map(|c| c.offers.iter())
            .map(crate::storage::offer_readings::key_of)
            .collect();
        let read = offer_readings::stock_read(tx, &keys).await?;
        for offer in mapping
            .iter_mut()
            .flat_map(|m| m.components.iter_mut())
            .flat_map(|c| c.offers.iter_mut())
        {
            let key = crate::storage::offer_readings::key_of(offer);
            // The newest figure wins: the mapping's own, or the supplier's as last read.
            let mut changed_at = written_at;
            if let Some(found) = read.get(&key).filter(|r| r.read_at > written_at) {
                offer.stock = Some(u32::try_from(found.stock).unwrap_or(0));
                changed_at = changed_at.max(found.changed_at);
            }
            // An offer that refused this order as out of stock is out of stock for it, until
            // its figure changes after the refusal (written again, or read different at the
            // supplier): a supplier that lists stock it will not sell is not asked again and
            // again.
            if refused.get(&key).is_some_and(|at| *at >= changed_at) {
                offer.stock = Some(0);
            }
        }
        mappings.push(mapping);
    }
    // Offer costs are compared in the order's currency, converted with the operator's rates
    // read in this transaction (a missing rate fails the line, it is never guessed).
    let rates = fx_rates::all_in(tx).await?;
    let pricing = routing::Pricing {
        currency: order_currency(tx, order_id).await?,
        rates: &rates,
    };
    let plan = routing::route(lines, country, pricing, |line| {
        lines
            .iter()
            .position(|l| l.position == line.position)
            .and_then(|i| mappings[i].clone())
    });
    Ok(plan)
}

/// The currency the order is priced in (the store's), the one offer costs are compared in.
async fn order_currency(tx: &mut Tx<'_>, order_id: OrderId) -> anyhow::Result<Currency> {
    let row = sqlx::query("SELECT currency FROM orders WHERE id = $1")
        .bind(order_id.to_string())
        .fetch_one(&mut **tx)
        .await?;
    let code: String = row.try_get("currency")?;
    Currency::from_code(&code).with_context(|| format!("order {order_id} currency {code:?}"))
}
