//! `supplier_order.place`: buys one supplier order.
//!
//! Never buy twice: before calling the supplier the attempt is marked *placement unknown*
//! and committed, so a crash or a timeout during the call leaves that mark. A run that finds
//! it first asks the supplier for the order by our attempt id; where the supplier cannot be
//! asked (AliExpress has no such lookup) it places again with the SAME attempt id, which both
//! AliExpress (`out_order_id`) and CJ (`orderNumber`) refuse as a duplicate if the first call
//! went through. The supplier call itself runs outside any database transaction: SQLite has
//! one writer, and a slow supplier must not hold it.

use crate::storage::orders::{self, Cause};
use crate::storage::supplier_orders::{self, ToPlace};
use crate::storage::write_set::WriteSet;
use crate::storage::Database;
use crate::suppliers::Supplier;
use anyhow::Context;
use dropflow_core::event::Actor;
use dropflow_core::ids::SupplierOrderId;
use dropflow_core::lifecycle::{self, Command};
use dropflow_core::money::Money;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::{
    Placement, PurchaseLine, PurchaseRequest, RejectReason, SupplierKind,
};
use std::collections::HashMap;
use std::sync::Arc;

/// The job kind.
pub const JOB: &str = supplier_orders::PLACE_JOB;

/// The connectors this process can buy through, by supplier kind.
pub type Suppliers = Arc<HashMap<SupplierKind, Arc<dyn Supplier>>>;

/// Places the supplier order named in the payload (`{"supplier_order_id": …}`).
pub async fn run(
    db: &Database,
    suppliers: &Suppliers,
    payload: &serde_json::Value,
) -> anyhow::Result<()> {
    let id: SupplierOrderId = payload
        .get("supplier_order_id")
        .and_then(|v| v.as_str())
        .context("the job payload has no supplier_order_id")?
        .parse()
        .context("the job payload's supplier_order_id is not an id")?;
    place(db, suppliers, id).await
}

pub async fn place(
    db: &Database,
    suppliers: &Suppliers,
    id: SupplierOrderId,
) -> anyhow::Result<()> {
    let so = supplier_orders::load(db, id)
        .await?
        .with_context(|| format!("supplier order {id} does not exist"))?;
    match so.status {
        SupplierOrderStatus::AwaitingPlacement | SupplierOrderStatus::PlacementUnknown => {}
        // Already placed, refused or cancelled: a repeated job has nothing to do.
        SupplierOrderStatus::AwaitingPayment
        | SupplierOrderStatus::AwaitingShipment
        | SupplierOrderStatus::Shipped
        | SupplierOrderStatus::Delivered
        | SupplierOrderStatus::Rejected
        | SupplierOrderStatus::Cancelled => return Ok(()),
    }
    let kind = SupplierKind::parse(&so.supplier)
        .with_context(|| format!("unknown supplier {:?}", so.supplier))?;
    if kind == SupplierKind::Manual {
        // A manual vendor buys and ships by hand: the order is now theirs to fulfil.
        return record(
            db,
            &so,
            SupplierOrderStatus::AwaitingShipment,
            None,
            None,
            Some("handed to the vendor"),
        )
        .await;
    }
    let supplier = suppliers.get(&kind).cloned().with_context(|| {
        format!(
            "{} is not configured in this process: add its [suppliers] settings",
            kind.as_str()
        )
    })?;
    let request = request_for(db, &so).await?;

    if so.status == SupplierOrderStatus::PlacementUnknown {
        match supplier.find_by_reference(&so.attempt_id).await {
            Ok(Some(remote)) => {
                let cost = remote.total_cost.map(|m| m.minor);
                return record(
                    db,
                    &so,
                    remote.status,
                    Some(&remote.supplier_order_id),
                    cost,
                    Some("found by our reference after an unanswered attempt"),
                )
                .await;
            }
            // Not there: placing is safe. Cannot be asked: placing again with the same
            // reference is safe too, the supplier refuses a duplicate.
            Ok(None) | Err(dropflow_core::supplier::SupplierError::Protocol(_)) => {}
            Err(error) => return Err(error.into()),
        }
    } else {
        mark_unknown(db, &so).await?;
    }

    match supplier.place(&request).await {
        Ok(Placement::Placed(remote)) => {
            let cost = remote.total_cost.map(|m| m.minor);
            record(
                db,
                &so,
                remote.status,
                Some(&remote.supplier_order_id),
                cost,
                None,
            )
            .await
        }
        Ok(Placement::Rejected(RejectReason::DuplicateReference)) => {
            // An earlier attempt went through; find it to link it.
            match supplier.find_by_reference(&so.attempt_id).await {
                Ok(Some(remote)) => {
                    let cost = remote.total_cost.map(|m| m.minor);
                    record(
                        db,
                        &so,
                        remote.status,
                        Some(&remote.supplier_order_id),
                        cost,
                        Some("an earlier attempt had gone through"),
                    )
                    .await
                }
                _ => anyhow::bail!(
                    "the supplier already has an order with reference {}: link it by hand",
                    so.attempt_id
                ),
            }
        }
        Ok(Placement::Rejected(reason)) => {
            let detail = serde_json::to_string(&reason).unwrap_or_default();
            record(
                db,
                &so,
                SupplierOrderStatus::Rejected,
                None,
                None,
                Some(&detail),
            )
            .await
        }
        // Unanswered or refused to talk: the attempt stays *placement unknown* and the job is
        // retried with backoff; the retry reconciles before buying.
        Err(error) => Err(error.into()),
    }
}

async fn mark_unknown(db: &Database, so: &ToPlace) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    supplier_orders::set_status(
        &mut tx,
        so.id,
        SupplierOrderStatus::PlacementUnknown,
        None,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the supplier order's new status and the order's transition in one transaction.
async fn record(
    db: &Database,
    so: &ToPlace,
    status: SupplierOrderStatus,
    external_id: Option<&str>,
    cost_minor: Option<i64>,
    detail: Option<&str>,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    let error = (status == SupplierOrderStatus::Rejected)
        .then_some(detail)
        .flatten();
    let statuses =
        supplier_orders::set_status(&mut tx, so.id, status, external_id, cost_minor, error).await?;
    let current = orders::load_for_update(&mut tx, so.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", so.order_id))?;
    let command = Command::SupplierOrderChanged {
        supplier: format!("{}:{}", so.supplier, so.supplier_account),
        status,
        detail: detail.map(str::to_string),
        procurement: Procurement::summarize(&statuses),
    };
    let transition = lifecycle::transition(&current.state, command)?;
    let cause = Cause {
        actor: Actor::System("placer".into()),
        receipt: None,
    };
    let mut writes = WriteSet::new();
    writes.update(&current, None, &transition, &cause)?;
    writes.flush(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(supplier_order.id = %so.id, status = status.as_str(), "supplier order updated");
    Ok(())
}

async fn request_for(db: &Database, so: &ToPlace) -> anyhow::Result<PurchaseRequest> {
    let detail = orders::get(db, so.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", so.order_id))?;
    let ship_to = detail
        .shipping_address
        .context("the order has no shipping address")?;
    let lines = so
        .items
        .iter()
        .map(|i| {
            let currency = Currency::from_code(&i.currency)?;
            Ok(PurchaseLine {
                supplier_product_id: i.supplier_product_id.clone(),
                supplier_sku_id: i.supplier_sku_id.clone(),
                quantity: u32::try_from(i.quantity).unwrap_or(0),
                expected_unit_cost: Money::new(i.unit_cost_minor, currency),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(PurchaseRequest {
        attempt_id: so.attempt_id.clone(),
        lines,
        ship_to,
        email: detail.customer.and_then(|c| c.email),
        shipping_method: None,
    })
}
