//! `order.cancel_supplier_orders`: the order was cancelled after purchasing started. What is
//! not bought yet is cancelled here and its wallet reserve released; what the supplier holds
//! unpaid is cancelled on our side (unpaid supplier orders lapse at AliExpress and CJ); what
//! is paid or shipped stays as it is, for the merchant to settle with the supplier (the order
//! page shows it) — except at the warehouse, where what was bought is refunded by the refund
//! rules for the stage it reached and the leg stops (`warehouse::cancelled`).

use super::order_tx;
use super::wallet;
use super::Services;
use crate::storage::{orders, supplier_orders};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};

/// The job kind (the lifecycle's `FollowUp::CancelSupplierOrders`).
pub const JOB: &str = "order.cancel_supplier_orders";

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let order_id = super::order_id(payload)?;
    cancel(services, order_id).await
}

pub async fn cancel(services: &Services, order_id: OrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let ids = supplier_orders::ids_for_order(
        db,
        order_id,
        &[
            SupplierOrderStatus::AwaitingPlacement,
            SupplierOrderStatus::AwaitingPayment,
        ],
    )
    .await?;
    for id in ids {
        let Some(so) = supplier_orders::load(db, id).await? else {
            continue;
        };
        let mut tx = db.begin().await?;
        orders::lock(&mut tx, order_id).await?;
        // Claim it from its current status, so a placement or payment racing us wins or
        // loses cleanly.
        if !supplier_orders::compare_and_set_status(
            &mut tx,
            so.id,
            so.status,
            SupplierOrderStatus::Cancelled,
        )
        .await?
        {
            continue;
        }
        wallet::release(&mut tx, db.engine, &so).await?;
        supplier_orders::schedule_sync(&mut tx, so.id, None, false).await?;
        let statuses = supplier_orders::set_status(
            &mut tx,
            so.id,
            SupplierOrderStatus::Cancelled,
            None,
            None,
            Some("the order was cancelled"),
        )
        .await?;
        order_tx::apply(
            &mut tx,
            order_id,
            Command::SupplierOrderChanged {
                supplier: so.label(),
                status: SupplierOrderStatus::Cancelled,
                detail: Some("the order was cancelled".into()),
                procurement: Procurement::summarize(&statuses),
            },
            Actor::System("canceller".into()),
        )
        .await?;
        tx.commit().await?;
    }
    super::warehouse::cancelled::order_cancelled(db, order_id).await?;
    Ok(())
}
