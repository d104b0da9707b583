//! What a vendor may read of an order it was handed: its own supplier orders (items, costs),
//! its own parcels, the lines it ships, and the timeline entries about those — never another
//! vendor's or supplier's purchase, cost or parcel (issue 10: a vendor token on an order
//! shared by two vendors saw the other's supplier order with its cost).

use crate::services::ActionError;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Scope;
use crate::storage::orders::OrderDetail;
use crate::storage::parcels::{self, ParcelView};
use crate::storage::supplier_orders::{self, SupplierOrderView};
use crate::suppliers::registry;
use dropflow_core::ids::OrderId;

/// The vendor handle when the caller is a vendor.
pub fn vendor_of(caller: &Caller) -> Option<&str> {
    match &caller.scope {
        Scope::Vendor { vendor, .. } => Some(vendor.as_str()),
        _ => None,
    }
}

fn is_theirs(so: &SupplierOrderView, vendor: &str) -> bool {
    registry::capabilities_of(&so.supplier).hands_over_to_person && so.supplier_account == vendor
}

/// The order's supplier orders the caller may see.
pub async fn supplier_orders_for(
    ctx: &Context,
    caller: &Caller,
    order_id: OrderId,
) -> Result<Vec<SupplierOrderView>, ActionError> {
    let mut sos = supplier_orders::for_order(&ctx.db, order_id).await?;
    if let Some(vendor) = vendor_of(caller) {
        sos.retain(|so| is_theirs(so, vendor));
    }
    Ok(sos)
}

/// The order's parcels the caller may see.
pub async fn parcels_for(
    ctx: &Context,
    caller: &Caller,
    order_id: OrderId,
) -> Result<Vec<ParcelView>, ActionError> {
    let mut all = parcels::for_order(&ctx.db, order_id).await?;
    if vendor_of(caller).is_some() {
        let theirs = supplier_orders_for(ctx, caller, order_id).await?;
        all.retain(|p| {
            p.supplier_order_id
                .as_ref()
                .is_some_and(|so| theirs.iter().any(|s| s.id == *so))
        });
    }
    Ok(all)
}

/// Narrows an order's detail to what a vendor ships: its lines, and timeline entries that
/// name no other purchase.
pub async fn restrict_detail(
    ctx: &Context,
    caller: &Caller,
    detail: &mut OrderDetail,
) -> Result<(), ActionError> {
    let Some(vendor) = vendor_of(caller) else {
        return Ok(());
    };
    let theirs = supplier_orders_for(ctx, caller, detail.summary.id).await?;
    let positions: Vec<i64> = theirs
        .iter()
        .flat_map(|so| so.items.iter().map(|i| i.line_position))
        .collect();
    detail.lines.retain(|l| positions.contains(&l.position));
    let numbers: Vec<String> = parcels_for(ctx, caller, detail.summary.id)
        .await?
        .into_iter()
        .filter_map(|p| p.tracking_number)
        .collect();
    let label = format!("manual:{vendor}");
    detail.timeline.retain(|entry| {
        let supplier = entry.detail.get("supplier").and_then(|s| s.as_str());
        let number = entry.detail.get("number").and_then(|s| s.as_str());
        match (supplier, number) {
            (Some(supplier), _) => supplier == label,
            (None, Some(number)) => numbers.iter().any(|n| n == number),
            // Entries that name a supplier in a list (routing) or carry costs are the
            // merchant's business.
            (None, None) => !matches!(
                entry.kind.as_str(),
                "routed" | "routing_failed" | "payment_failed" | "warehouse" | "warehouse_note"
            ),
        }
    });
    Ok(())
}
