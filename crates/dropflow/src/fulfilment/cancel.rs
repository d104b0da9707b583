//! `order.cancel_supplier_orders`: the order was cancelled (or its money refunded or voided)
//! in the store after purchasing started. By the stage each purchase reached:
//! - not bought yet → cancelled here, its wallet reserve released;
//! - placed, unpaid → cancelled on our side (unpaid orders lapse at AliExpress and CJ);
//! - handed to a manual vendor, not shipped → cancelled, so the vendor can no longer ship it
//!   (409), the vendor told by mail, and a flag asks the merchant to confirm with them;
//! - paid to a supplier, not shipped → a flag: ask the supplier to cancel before it ships;
//! - shipped → a flag: decide on a return or a refund (the after-sale work builds on it);
//! - at the warehouse → refunded by the refund rules for the stage reached
//!   (`warehouse::cancelled`).

use super::flags::{self as flagging, About};
use super::order_tx;
use super::wallet;
use super::Services;
use crate::storage::flags::kind;
use crate::storage::{orders, supplier_orders};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::supplier::SupplierKind;

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
    settle_bought(db, order_id).await?;
    super::warehouse::cancelled::order_cancelled(db, order_id).await?;
    Ok(())
}

/// What was paid, handed over or shipped when the store cancelled or refunded the order.
async fn settle_bought(db: &crate::storage::Database, order_id: OrderId) -> anyhow::Result<()> {
    let ids = supplier_orders::ids_for_order(
        db,
        order_id,
        &[
            SupplierOrderStatus::AwaitingShipment,
            SupplierOrderStatus::Shipped,
            SupplierOrderStatus::Delivered,
        ],
    )
    .await?;
    let actor = Actor::System("canceller".into());
    for id in ids {
        let Some(so) = supplier_orders::load(db, id).await? else {
            continue;
        };
        let kind_of = SupplierKind::parse(&so.supplier);
        // The warehouse settles its own purchases by its refund rules.
        if kind_of == Some(SupplierKind::Marketplace) {
            continue;
        }
        let mut tx = db.begin().await?;
        orders::lock(&mut tx, order_id).await?;
        let Some(detail) = orders::load_for_update(&mut tx, order_id).await? else {
            continue;
        };
        let why = match &detail.state.cancel_reason {
            Some(_) => "cancelled in the store",
            None => "refunded in the store",
        };
        let label = so.label();
        let reference = so
            .external_id
            .as_deref()
            .map(|e| format!(" (their order {e})"))
            .unwrap_or_default();
        let (flag, words) = match (so.status, kind_of) {
            (SupplierOrderStatus::AwaitingShipment, Some(SupplierKind::Manual)) => {
                let stop = format!("the order was {why}: the vendor was told not to ship it");
                if !supplier_orders::compare_and_set_status(
                    &mut tx,
                    so.id,
                    SupplierOrderStatus::AwaitingShipment,
                    SupplierOrderStatus::Cancelled,
                )
                .await?
                {
                    // The vendor shipped meanwhile: the next run flags it as shipped.
                    continue;
                }
                let statuses = supplier_orders::set_status(
                    &mut tx,
                    so.id,
                    SupplierOrderStatus::Cancelled,
                    None,
                    None,
                    Some(&stop),
                )
                .await?;
                order_tx::apply(
                    &mut tx,
                    order_id,
                    Command::SupplierOrderChanged {
                        supplier: label.clone(),
                        status: SupplierOrderStatus::Cancelled,
                        detail: Some(stop),
                        procurement: Procurement::summarize(&statuses),
                    },
                    actor.clone(),
                )
                .await?;
                (
                    kind::CANCELLED_AFTER_HANDOVER,
                    format!(
                        "{why} after it was handed to {label}: they were told not to ship it;                          confirm they have not"
                    ),
                )
            }
            (SupplierOrderStatus::AwaitingShipment, _) => (
                kind::CANCEL_WITH_SUPPLIER,
                format!(
                    "{why} after {label} was paid{reference}: ask them to cancel it before it                      ships (buyers can cancel only until shipment), then record the refund"
                ),
            ),
            _ => (
                kind::CANCELLED_AFTER_SHIPMENT,
                format!(
                    "{why} after {label} shipped it{reference}: decide on a return or a refund"
                ),
            ),
        };
        flagging::raise(
            &mut tx,
            order_id,
            Some(About {
                id: so.id,
                label: &label,
            }),
            flag,
            &words,
            actor.clone(),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
