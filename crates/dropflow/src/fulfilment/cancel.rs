//! Letting go of purchases, at the supplier where its API can:
//! - `order.cancel_supplier_orders`: the order was cancelled (or its money refunded or
//!   voided) in the store after purchasing started: every purchase of it;
//! - `supplier_order.cancel`: one purchase whose lines were all removed from the order (an
//!   edit, or a refund of those lines), the others untouched.
//!
//! Each purchase is read, [`cancellation::plan`] says whether its supplier is asked, the
//! connector asks (`Supplier::cancel`: CJ deletes an unconfirmed order, 1688 cancels an
//! unpaid one or takes a refund request before the seller ships, AliExpress has no such
//! call), [`cancellation::settle`] says what the answer means, and that is written in one
//! transaction: cancelled with its reserve released or its payment refunded, or left as it
//! is with a flag naming the supplier's answer and what a person does next. Purchases of the
//! warehouse leg are refunded to the wallet by the refund rules for the stage reached
//! (`warehouse::cancelled`).

use super::flags::{self as flagging, About};
use super::supplier_order_tx::{self, Move};
use super::wallet;
use super::Services;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{orders, Tx};
use anyhow::Context;
use dropflow_core::cancellation::{self, Money, Plan, Settlement};
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::supplier::{CancelAnswer, CancelRequest, SupplierKind};

/// The job kind (the lifecycle's `FollowUp::CancelSupplierOrders`).
pub const JOB: &str = dropflow_core::jobs::CANCEL_SUPPLIER_ORDERS;

/// The job that lets go of one purchase: `{"supplier_order_id": …, "why": …}`.
pub const PURCHASE_JOB: &str = dropflow_core::jobs::CANCEL_SUPPLIER_ORDER;

/// Why a purchase whose lines were all removed is let go.
pub const LINES_REMOVED: &str = "changed in the store (the lines it buys were removed)";

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let order_id = super::order_id(payload)?;
    cancel(services, order_id).await
}

pub async fn run_purchase(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let id = super::supplier_order_id(payload)?;
    let why = payload
        .get("why")
        .and_then(|v| v.as_str())
        .unwrap_or(LINES_REMOVED);
    match let_go(services, id, why).await? {
        Written::Done => Ok(()),
        Written::Moved => anyhow::bail!("supplier order {id} changed while it was let go"),
    }
}

/// Queues letting go of one purchase, in the caller's transaction.
pub async fn enqueue_purchase(
    tx: &mut Tx<'_>,
    id: SupplierOrderId,
    order_id: OrderId,
    why: &str,
) -> anyhow::Result<()> {
    let payload = serde_json::json!({ "supplier_order_id": id.to_string(), "why": why });
    crate::storage::jobs::enqueue(
        tx,
        PURCHASE_JOB,
        &payload,
        Some(order_id),
        crate::storage::now_ms(),
    )
    .await?;
    Ok(())
}

/// Lets go of every purchase of a cancelled (or refunded) order, then refunds the warehouse
/// leg by its rules. A purchase that moved while it was being settled (a payment or a
/// vendor's shipment racing us) makes the job fail and run again, so it is settled from where
/// it now stands.
pub async fn cancel(services: &Services, order_id: OrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let order = orders::purchase_view(db, order_id)
        .await?
        .with_context(|| format!("order {order_id} does not exist"))?;
    let why = match order.state.cancel_reason {
        Some(_) => "cancelled in the store",
        None => "refunded in the store",
    };
    let all = [
        SupplierOrderStatus::AwaitingPlacement,
        SupplierOrderStatus::AwaitingPayment,
        SupplierOrderStatus::AwaitingShipment,
        SupplierOrderStatus::Shipped,
        SupplierOrderStatus::Delivered,
    ];
    let mut moved = Vec::new();
    for id in supplier_orders::ids_for_order(db, order_id, &all).await? {
        if let Written::Moved = let_go(services, id, why).await? {
            moved.push(id.to_string());
        }
    }
    super::warehouse::cancelled::order_cancelled(db, order_id).await?;
    if !moved.is_empty() {
        anyhow::bail!(
            "supplier orders {} changed while they were let go: settling them again",
            moved.join(", ")
        );
    }
    Ok(())
}

/// Whether `supplier` takes payment for a placed order without our pay call (no API pay,
/// and not a person handed the order): AliExpress.
pub(crate) fn charges_by_itself(supplier: &str) -> bool {
    let can = crate::suppliers::registry::capabilities_of(supplier);
    !can.pay && !can.hands_over_to_person && !can.buys_for_warehouse
}

/// What writing a settlement came to.
enum Written {
    Done,
    /// The purchase is no longer where it was read: nothing written.
    Moved,
}

/// Reads one purchase, asks its supplier when the plan says so, and writes the outcome.
async fn let_go(services: &Services, id: SupplierOrderId, why: &str) -> anyhow::Result<Written> {
    let Some(so) = supplier_orders::load(&services.db, id).await? else {
        return Ok(Written::Done);
    };
    let kind = SupplierKind::parse(&so.supplier);
    let connector = services.suppliers.for_stored(&so.supplier);
    let purchase = cancellation::Purchase {
        label: so.label(),
        kind,
        status: so.status,
        external_id: so.external_id.clone(),
        connected: connector.is_some(),
        charges_by_itself: charges_by_itself(&so.supplier),
    };
    let settlement = match cancellation::plan(&purchase, why) {
        Plan::Leave => return Ok(Written::Done),
        Plan::Write(settlement) => settlement,
        Plan::AskSupplier => {
            let (Some(connector), Some(external_id)) = (connector, so.external_id.clone()) else {
                return Ok(Written::Done);
            };
            let request = CancelRequest {
                supplier_order_id: external_id,
                reason: format!("the order was {why}"),
            };
            let answer = match connector.cancel(&request).await {
                Ok(answer) => answer,
                // Unanswered: ask again later (the job's backoff).
                Err(error) if error.is_transient() => return Err(super::supplier_failure(error)),
                Err(error) => CancelAnswer::NotOffered {
                    how: format!(
                        "{} could not be asked to cancel it ({error}): ask them yourself before \
                         it ships",
                        purchase.label
                    ),
                },
            };
            tracing::info!(supplier_order.id = %so.id, "supplier answered the cancellation");
            cancellation::settle(&purchase, why, &answer)
        }
    };
    write(services, &so, &settlement).await
}

/// One transaction: the purchase cancelled (from the status it was read in) with its money
/// released or refunded, or left as it is; and the flag a person settles.
async fn write(
    services: &Services,
    so: &SupplierOrder,
    settlement: &Settlement,
) -> anyhow::Result<Written> {
    let db = &services.db;
    let actor = Actor::System("canceller".into());
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    if settlement.cancel {
        // Claimed from the status it was read in: a placement, payment or shipment racing us
        // wins or loses cleanly.
        if !supplier_orders::compare_and_set_status(
            &mut tx,
            so.id,
            so.status,
            SupplierOrderStatus::Cancelled,
        )
        .await?
        {
            return Ok(Written::Moved);
        }
        match settlement.money {
            Money::Release => wallet::release(&mut tx, db.engine, so).await?,
            Money::Refund => {
                wallet::release(&mut tx, db.engine, so).await?;
                wallet::refund(&mut tx, db.engine, so).await?;
            }
            Money::Keep => {}
        }
        supplier_orders::schedule_sync(&mut tx, so.id, None, false).await?;
        supplier_order_tx::apply(
            &mut tx,
            Move::of(so, SupplierOrderStatus::Cancelled).noted(&settlement.note),
            actor.clone(),
        )
        .await?;
    } else {
        let (now, _) = supplier_orders::status_in(&mut tx, so.id).await?;
        if now != so.status {
            return Ok(Written::Moved);
        }
    }
    if let Some((kind, detail)) = &settlement.flag {
        let label = so.label();
        flagging::raise(
            &mut tx,
            so.order_id,
            Some(About {
                id: so.id,
                label: &label,
            }),
            kind.as_str(),
            detail,
            actor,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Written::Done)
}
