//! `supplier_order.pay`: pays a placed supplier order from the merchant's wallet.
//!
//! The wallet must cover it first (the reserve made at placing, or made now); then the
//! supplier is asked to take the payment; its yes captures the reserve in the same transaction
//! that moves the supplier order to awaiting shipment. Too little in the wallet leaves the
//! order in Awaiting Payment with "payment failed: insufficient balance …" — a top-up queues
//! this job again. A supplier that says no (its own balance, a payment only a person can make)
//! is recorded the same way, with its reason.

use super::order_tx;
use super::wallet::{self, Reserved};
use super::Services;
use crate::storage::orders;
use crate::storage::supplier_orders::{self, SupplierOrder};
use anyhow::Context;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::SupplierOrderId;
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::supplier::{PaymentResult, SupplierKind};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::PAY_SUPPLIER_ORDER;

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    pay(services, super::supplier_order_id(payload)?).await
}

pub async fn pay(services: &Services, id: SupplierOrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let so = supplier_orders::load(db, id)
        .await?
        .with_context(|| format!("supplier order {id} does not exist"))?;
    if so.status != SupplierOrderStatus::AwaitingPayment {
        return Ok(());
    }
    let order = crate::storage::orders::purchase_view(db, so.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", so.order_id))?;
    if order.state.cancel_reason.is_some() {
        // Cancelled since it was placed: never pay; the cancel job settles it.
        return super::cancel::cancel(services, so.order_id).await;
    }
    let external_id = so
        .external_id
        .clone()
        .context("the supplier order has no supplier id to pay")?;
    let kind = SupplierKind::parse(&so.supplier)
        .with_context(|| format!("unknown supplier {:?}", so.supplier))?;
    let supplier = services.suppliers.get(&kind).cloned().with_context(|| {
        format!(
            "{} is not configured in this process: add its [suppliers] settings",
            kind.as_str()
        )
    })?;

    // The money first: nothing is paid that the wallet cannot cover.
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    let reserved = wallet::reserve(&mut tx, db.engine, &so, None).await?;
    if let Reserved::InsufficientFunds(why) = reserved {
        failed(&mut tx, &so, &format!("payment failed: {why}")).await?;
        tx.commit().await?;
        return Ok(());
    }
    tx.commit().await?;

    match supplier
        .pay(&external_id)
        .await
        .map_err(super::supplier_failure)?
    {
        PaymentResult::Paid => {
            let mut tx = db.begin().await?;
            orders::lock(&mut tx, so.order_id).await?;
            if let Some(cost) = so.cost() {
                wallet::capture(&mut tx, db.engine, &so, cost).await?;
            }
            let statuses = supplier_orders::set_status(
                &mut tx,
                so.id,
                SupplierOrderStatus::AwaitingShipment,
                None,
                None,
                None,
            )
            .await?;
            let now = Utc::now();
            let next = services.cadence.next_supplier_sync(
                SupplierOrderStatus::AwaitingShipment,
                Some(now),
                now,
            );
            supplier_orders::schedule_sync(&mut tx, so.id, next, false).await?;
            let transition = order_tx::apply(
                &mut tx,
                so.order_id,
                Command::SupplierOrderChanged {
                    supplier: so.label(),
                    status: SupplierOrderStatus::AwaitingShipment,
                    detail: Some("paid from the wallet".into()),
                    procurement: Procurement::summarize(&statuses),
                },
                Actor::System("payer".into()),
            )
            .await?;
            // Cancelled in the store while the supplier was being paid: the purchase is paid
            // now, so it is settled again as a paid one (asked back, or flagged).
            if transition.state.cancel_reason.is_some() || transition.state.payment.is_reversed() {
                crate::storage::jobs::enqueue(
                    &mut tx,
                    super::cancel::JOB,
                    &serde_json::json!({ "order_id": so.order_id.to_string() }),
                    Some(so.order_id),
                    crate::storage::now_ms(),
                )
                .await?;
            }
            tx.commit().await?;
            tracing::info!(supplier_order.id = %so.id, "supplier order paid");
            Ok(())
        }
        PaymentResult::InsufficientBalance => {
            let mut tx = db.begin().await?;
            failed(
                &mut tx,
                &so,
                "payment failed: insufficient balance with the supplier (top up the supplier \
                 account, then Pay)",
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        PaymentResult::Refused { detail } => {
            let mut tx = db.begin().await?;
            failed(&mut tx, &so, &format!("payment failed: {detail}")).await?;
            tx.commit().await?;
            Ok(())
        }
    }
}

/// Records a failed payment: the supplier order stays awaiting payment with the reason.
async fn failed(
    tx: &mut crate::storage::Tx<'_>,
    so: &SupplierOrder,
    reason: &str,
) -> anyhow::Result<()> {
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
