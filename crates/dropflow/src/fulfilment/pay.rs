//! `supplier_order.pay`: pays a placed supplier order from the merchant's wallet.
//!
//! The wallet must cover it first (the reserve made at placing, or made now); then the
//! supplier is asked to take the payment; its yes captures the reserve in the same transaction
//! that moves the supplier order to awaiting shipment. Too little in the wallet leaves the
//! order in Awaiting Payment with "payment failed: insufficient balance …" — a top-up queues
//! this job again. A supplier that says no (its own balance, a payment only a person can make)
//! is recorded the same way, with its reason. What each answer leads to is decided in
//! [`dropflow_core::supplier_payment`].

use super::order_tx;
use super::supplier_order_tx::{self, Move};
use super::wallet::{self, Reserved};
use super::Services;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{orders, Tx};
use anyhow::Context;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::SupplierOrderId;
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::supplier_payment::{self, Paying, Start};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::PAY_SUPPLIER_ORDER;

pub async fn pay(services: &Services, id: SupplierOrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let so = super::supplier_order(db, id).await?;
    let order = crate::storage::orders::purchase_view(db, so.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", so.order_id))?;
    match supplier_payment::start(so.status, order.state.stopped()) {
        Start::Nothing => return Ok(()),
        Start::Cancel => return super::cancel::cancel(services, so.order_id).await,
        Start::Pay => {}
    }
    let external_id = so
        .external_id
        .clone()
        .context("the supplier order has no supplier id to pay")?;
    let supplier = services.suppliers.required(&so.supplier)?;

    // The money first: nothing is paid that the wallet cannot cover.
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    let reserved = wallet::reserve(&mut tx, db.engine, &so, None).await?;
    if let Reserved::InsufficientFunds(why) = reserved {
        failed(&mut tx, &so, &supplier_payment::short_wallet(&why)).await?;
        tx.commit().await?;
        return Ok(());
    }
    tx.commit().await?;

    let answer = supplier
        .pay(&external_id)
        .await
        .map_err(super::supplier_failure)?;
    let mut tx = db.begin().await?;
    match supplier_payment::answered(answer) {
        Paying::Paid => paid(services, &mut tx, &so).await?,
        Paying::Failed { reason } => failed(&mut tx, &so, &reason).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// Records a payment the supplier took: the reserve captured, the purchase awaiting shipment
/// and followed at that pace.
async fn paid(services: &Services, tx: &mut Tx<'_>, so: &SupplierOrder) -> anyhow::Result<()> {
    let db = &services.db;
    orders::lock(tx, so.order_id).await?;
    if let Some(cost) = so.cost() {
        wallet::capture(tx, db.engine, so, cost).await?;
    }
    let now = Utc::now();
    let next =
        services
            .cadence
            .next_supplier_sync(SupplierOrderStatus::AwaitingShipment, Some(now), now);
    supplier_orders::schedule_sync(tx, so.id, next, false).await?;
    let paid = Move {
        detail: Some("paid from the wallet".into()),
        ..Move::of(so, SupplierOrderStatus::AwaitingShipment)
    };
    let transition = supplier_order_tx::apply(tx, paid, Actor::System("payer".into())).await?;
    // Cancelled in the store while the supplier was being paid: the purchase is paid now, so
    // it is settled again as a paid one (asked back, or flagged).
    if transition.state.stopped() {
        crate::storage::jobs::enqueue(
            tx,
            super::cancel::JOB,
            &serde_json::json!({ "order_id": so.order_id.to_string() }),
            Some(so.order_id),
            crate::storage::now_ms(),
        )
        .await?;
    }
    tracing::info!(supplier_order.id = %so.id, "supplier order paid");
    Ok(())
}

/// Records a failed payment: the supplier order stays awaiting payment with the reason.
async fn failed(tx: &mut Tx<'_>, so: &SupplierOrder, reason: &str) -> anyhow::Result<()> {
    supplier_orders::set_last_error(tx, so.id, Some(reason)).await?;
    order_tx::apply(
        tx,
        so.order_id,
        Command::Record(vec![OrderEvent::PaymentFailed {
            supplier: so.label(),
            detail: reason.to_string(),
        }]),
        Actor::System("payer".into()),
    )
    .await?;
    tracing::info!(supplier_order.id = %so.id, "supplier payment failed");
    Ok(())
}
