//! `order.reconcile_edit`: the store changed an order's lines or address after we took it.
//! In one transaction: what is not placed yet is cancelled and routed again from the current
//! lines (so it buys exactly what the customer now gets, added lines included); what was
//! bought is flagged for a person, line by line, and a vendor is told; a purchase whose
//! lines were all removed is let go (`supplier_order.cancel`, queued here). `edits::decide`
//! decides, this writes.

use super::{flags, order_tx, route};
use crate::storage::{orders, supplier_orders, Database};
use dropflow_core::edits::{self, Action};
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};

/// The job kind (the lifecycle's `FollowUp::ReconcileEdit`).
pub const JOB: &str = dropflow_core::jobs::RECONCILE_EDIT;

pub async fn run(db: &Database, payload: &serde_json::Value) -> anyhow::Result<()> {
    reconcile(db, super::order_id(payload)?).await
}

/// Why an unplaced purchase was let go.
const REDERIVED: &str = "replaced: the order was edited in the store before it was placed";

pub async fn reconcile(db: &Database, order_id: OrderId) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, order_id).await?;
    let Some(current) = orders::load_for_update(&mut tx, order_id).await? else {
        anyhow::bail!("order {order_id} does not exist");
    };
    // A cancelled order is settled by the cancel job, not edited.
    if current.state.cancel_reason.is_some() {
        return Ok(());
    }
    let lines = orders::current_lines_in(&mut tx, order_id).await?;
    let purchases = supplier_orders::purchases_for_edit(&mut tx, order_id).await?;
    let actions = edits::decide(
        &lines,
        &purchases,
        current.state.address_fingerprint.as_deref(),
    );
    let actor = Actor::System("editor".into());
    for action in &actions {
        match action {
            Action::Rederive { purchase } => {
                let id: SupplierOrderId = purchase.parse()?;
                // Claimed from awaiting placement: a placement that started meanwhile wins,
                // and the next edit (or a person) deals with it as bought.
                if !supplier_orders::compare_and_set_status(
                    &mut tx,
                    id,
                    SupplierOrderStatus::AwaitingPlacement,
                    SupplierOrderStatus::Cancelled,
                )
                .await?
                {
                    continue;
                }
                let statuses = supplier_orders::set_status(
                    &mut tx,
                    id,
                    SupplierOrderStatus::Cancelled,
                    None,
                    None,
                    Some(REDERIVED),
                )
                .await?;
                let label = label_of(&purchases, purchase);
                order_tx::apply(
                    &mut tx,
                    order_id,
                    Command::SupplierOrderChanged {
                        supplier: label,
                        status: SupplierOrderStatus::Cancelled,
                        detail: Some(REDERIVED.into()),
                        procurement: Procurement::summarize(&statuses),
                    },
                    actor.clone(),
                )
                .await?;
            }
            Action::Cancel { purchase } => {
                // Asking the supplier takes a call: its own job, queued with this edit.
                super::cancel::enqueue_purchase(
                    &mut tx,
                    purchase.parse()?,
                    order_id,
                    super::cancel::LINES_REMOVED,
                )
                .await?;
            }
            Action::Flag {
                purchase,
                kind,
                line,
                detail,
            } => {
                let label = label_of(&purchases, purchase);
                flags::raise_on_line(
                    &mut tx,
                    order_id,
                    Some(flags::About {
                        id: purchase.parse()?,
                        label: &label,
                    }),
                    *line,
                    kind.as_str(),
                    detail,
                    actor.clone(),
                )
                .await?;
            }
        }
    }
    // Lines added, or freed by a re-derived purchase, are bought now (routing checks that the
    // order may still be bought).
    route::route_in(&mut tx, order_id).await?;
    tx.commit().await?;
    tracing::info!(order.id = %order_id, actions = actions.len(), "order edit reconciled");
    Ok(())
}

fn label_of(purchases: &[edits::Purchase], id: &str) -> String {
    purchases
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.label.clone())
        .unwrap_or_default()
}
