//! `POST /orders/{id}/flags/{flag}/replace-difference`: a line's quantity went up after its
//! purchase ("changed after purchase: quantity 1 → 4"), and the person chooses to buy the
//! extra units: a new supplier order for the same offer, for the extra only, with its own
//! attempt id, placed through the usual place and pay jobs. What was bought is never bought
//! again (`edits::difference` computes the extra from the quantity the purchase was made
//! for). The flag is resolved with who did it; the dashboard's button calls the same
//! function.

use super::flags::{open_flag, settle};
use super::MERCHANTS;
use crate::fulfilment::order_tx;
use crate::services::ActionError;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::flags::{self, kind};
use crate::storage::{orders, supplier_orders, StorageError};
use dropflow_core::catalog::SupplierRef;
use dropflow_core::edits::{self, BoughtUnit};
use dropflow_core::event::Actor;
use dropflow_core::lifecycle::Command;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::currency::Currency;
use dropflow_core::routing::PlannedPurchase;
use dropflow_core::supplier::SupplierKind;

/// The purchase made for the difference.
#[derive(Debug)]
pub struct Replaced {
    pub order_id: String,
    /// The new supplier order, queued for placement.
    pub supplier_order_id: String,
    /// Extra units of the line it buys.
    pub quantity: u32,
    /// The flag, now resolved.
    pub flag: flags::Flag,
}

/// Buys the difference for the open quantity flag `flag_id` of the order `id` (API and
/// dashboard), in one transaction: the new purchase and its placement job, the old
/// purchase's line taken as accounted for, the flag resolved, the timeline.
pub async fn replace_difference(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    flag_id: &str,
) -> Result<Replaced, ActionError> {
    caller.require(MERCHANTS, "buy the difference")?;
    let (mut tx, order_id, flag) = open_flag(ctx, caller, id, flag_id).await?;
    let not_found = || ActionError::NotFound(format!("flag {flag_id:?} not found"));
    if flag.kind != kind::QUANTITY_CHANGED {
        return Err(ActionError::Unprocessable(format!(
            "flag: {flag_id} is {}, not a quantity changed after purchase: only that can be \
             re-placed",
            flag.kind
        )));
    }
    let (Some(so_id), Some(line)) = (
        flags::supplier_order_of(&flag)?,
        flag.line_position.and_then(|l| u32::try_from(l).ok()),
    ) else {
        return Err(ActionError::Conflict(
            "this flag does not say which line it is about (raised before lines were \
             recorded): accept it and buy the difference by hand"
                .into(),
        ));
    };
    let current = orders::load_for_update(&mut tx, order_id)
        .await?
        .ok_or_else(not_found)?;
    if current.state.cancel_reason.is_some() || current.state.payment.is_reversed() {
        return Err(ActionError::Conflict(
            "the order was cancelled or refunded in the store: nothing more is bought".into(),
        ));
    }
    let so = supplier_orders::load(&ctx.db, so_id)
        .await?
        .ok_or_else(not_found)?;
    if matches!(
        so.status,
        SupplierOrderStatus::Cancelled | SupplierOrderStatus::Rejected
    ) {
        return Err(ActionError::Conflict(format!(
            "supplier order {so_id} was let go ({}): route the order again instead",
            so.status.as_str().replace('_', " ")
        )));
    }
    let kind_of = SupplierKind::parse(&so.supplier).ok_or_else(|| {
        ActionError::Internal(format!(
            "supplier order {so_id} has supplier {:?}",
            so.supplier
        ))
    })?;
    let now = orders::current_lines_in(&mut tx, order_id)
        .await?
        .into_iter()
        .find(|l| l.position == line)
        .map_or(0, |l| l.quantity);
    let bought = so
        .items
        .iter()
        .map(|i| {
            Ok(BoughtUnit {
                line_position: u32::try_from(i.line_position).unwrap_or(u32::MAX),
                supplier_product_id: i.supplier_product_id.clone(),
                supplier_sku_id: i.supplier_sku_id.clone(),
                quantity: u32::try_from(i.quantity).unwrap_or(0),
                line_quantity: i.line_quantity.and_then(|q| u32::try_from(q).ok()),
                unit_cost: Money::new(
                    i.unit_cost_minor,
                    Currency::from_code(&i.currency).map_err(|e| {
                        ActionError::Internal(format!("stored currency {:?}: {e}", i.currency))
                    })?,
                ),
                product_url: i.product_url.clone(),
            })
        })
        .collect::<Result<Vec<_>, ActionError>>()?;
    let (extra, items) = edits::difference(&bought, line, now)
        .map_err(|why| ActionError::Conflict(format!("nothing to re-place: {why}")))?;
    let plan = PlannedPurchase {
        supplier: SupplierRef {
            kind: kind_of,
            account: so.supplier_account.clone(),
        },
        items,
    };
    let label = plan.supplier.label();
    // Placed now: a person asked for it (the store's auto-order is about new orders).
    let created = supplier_orders::create_from_plan(&mut tx, order_id, &[plan], true).await?;
    let new_id = created
        .first()
        .ok_or_else(|| ActionError::Internal("no supplier order was created".into()))?
        .to_string();
    supplier_orders::accept_line(&mut tx, so.id, line).await?;
    let resolution =
        format!("re-placed the difference: {label} buys {extra} more (supplier order {new_id})");
    order_tx::apply(
        &mut tx,
        order_id,
        Command::RecordRouting {
            routed_to: vec![label],
            failures: current.state.routing_failures.clone(),
        },
        Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(|e| ActionError::Internal(e.to_string()))?;
    let resolved = settle(&mut tx, order_id, &flag, resolution, caller).await?;
    tx.commit().await.map_err(StorageError::from)?;
    ctx.db.jobs_queued.notify_one();
    tracing::info!(order.id = %order_id, "difference re-placed");
    Ok(Replaced {
        order_id: order_id.to_string(),
        supplier_order_id: new_id,
        quantity: extra,
        flag: resolved,
    })
}
