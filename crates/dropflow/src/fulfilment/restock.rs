//! `order.recheck_stock`: lifts an `inventory_out_of_stock` hold by itself when stock is back.
//!
//! Routing holds an order whose line no offer has the stock for
//! ([`dropflow_core::routing::out_of_stock_words`], in the lifecycle's `RecordRouting`), so
//! nothing is bought blind or in part. Whenever a store's stock figures change (a mapping
//! written by API or CSV import; an offer read at its supplier with more stock) [`recheck_held`] queues
//! this job for each of that store's orders held for stock. The job plans the unrouted lines
//! again, exactly as routing would (`route::plan`), and when every line now has an offer with
//! the stock it releases the hold and queues routing — one transaction. Still short, nothing
//! is written: the hold keeps its words and waits for the next change.

use super::{order_tx, route};
use crate::storage::{orders, Tx};
use dropflow_core::event::Actor;
use dropflow_core::hold::HoldReason;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::lifecycle::{Command, FollowUp};
use dropflow_core::routing;

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::RECHECK_STOCK;

pub async fn run(db: &crate::storage::Database, payload: &serde_json::Value) -> anyhow::Result<()> {
    let order_id = super::order_id(payload)?;
    let mut tx = db.begin().await?;
    if recheck(&mut tx, order_id).await? {
        tx.commit().await?;
        tracing::info!(order.id = %order_id, "stock is back: the inventory hold lifted");
    }
    Ok(())
}

/// Queues a recheck for each order held for stock (of `store`, or of every store), in the
/// caller's transaction (the one that changed the stock figures, so none is missed).
pub async fn recheck_held(
    tx: &mut Tx<'_>,
    store: Option<StoreId>,
) -> crate::storage::Result<usize> {
    let held = orders::held(tx, store, HoldReason::InventoryOutOfStock).await?;
    for order_id in &held {
        let payload = serde_json::json!({ "order_id": order_id.to_string() });
        crate::storage::jobs::enqueue(tx, JOB, &payload, Some(*order_id), crate::storage::now_ms())
            .await?;
    }
    Ok(held.len())
}

/// Lifts the order's stock hold when every unrouted line has an offer with the stock now.
/// Whether anything was written.
async fn recheck(tx: &mut Tx<'_>, order_id: OrderId) -> anyhow::Result<bool> {
    orders::lock(tx, order_id).await?;
    let Some(current) = orders::load_for_update(tx, order_id).await? else {
        return Ok(false);
    };
    let state = &current.state;
    if state.cancel_reason.is_some() || state.hold(HoldReason::InventoryOutOfStock).is_none() {
        return Ok(false);
    }
    let (_, plan) = route::plan_unrouted(tx, order_id).await?;
    if routing::out_of_stock_words(&plan.failures).is_some() {
        return Ok(false);
    }
    let release = Command::ReleaseHold {
        reason: HoldReason::InventoryOutOfStock,
    };
    let transition = order_tx::apply(tx, order_id, release, Actor::System("stock".into())).await?;
    // The lifecycle queues routing only for an order not started yet; a line short after
    // others of the order were bought needs it too.
    if !transition.follow_ups.contains(&FollowUp::RouteOrder) {
        let payload = serde_json::json!({ "order_id": order_id.to_string() });
        crate::storage::jobs::enqueue(
            tx,
            route::JOB,
            &payload,
            Some(order_id),
            crate::storage::now_ms(),
        )
        .await?;
    }
    Ok(true)
}
