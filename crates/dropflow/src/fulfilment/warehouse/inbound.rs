//! A marketplace supplier order's news, as the warehouse sees it: paid means purchased; a
//! parcel the seller reports is the DOMESTIC leg to the warehouse, recorded as inbound (never
//! a parcel of the customer's: not written back to the store, not followed as the customer's).

use super::{note, Leg};
use crate::storage::supplier_orders::SupplierOrder;
use crate::storage::warehouse as store;
use crate::storage::Tx;
use chrono::{DateTime, Duration, Utc};
use dropflow_core::event::Actor;
use dropflow_core::supplier::Tracking;
use dropflow_core::tracking;
use dropflow_core::warehouse::consolidation::ItemState;
use dropflow_core::warehouse::stage::{WarehouseCommand, WarehouseLeg, WarehouseStage as S};

/// Days from the seller's shipment to the warehouse, for the merchant's expected arrival
/// (domestic express in China is one to three days; the pessimistic end).
const DOMESTIC_DAYS: i64 = 3;

/// Applies a marketplace supplier order's state in the caller's transaction: starts the leg,
/// records the purchase once paid, and records each new domestic parcel.
pub async fn apply(
    tx: &mut Tx<'_>,
    so: &SupplierOrder,
    paid: bool,
    parcels: &[Tracking],
    now: DateTime<Utc>,
    actor: &Actor,
) -> anyhow::Result<()> {
    store::ensure_items(tx, so.order_id, so.id).await?;
    let existing = store::leg(tx, so.order_id).await?;
    let started = existing.is_some();
    let (leg, swih) = existing.unwrap_or((WarehouseLeg::default(), false));
    let mut leg = Leg {
        order_id: so.order_id,
        store_id: so.store_id,
        leg,
        ship_what_is_here: swih,
    };
    let mut notes = Vec::new();
    let mut shipped = false;
    for parcel in parcels {
        let number = tracking::normalise(&parcel.number);
        if number.is_empty() {
            continue;
        }
        let expected = now + Duration::days(DOMESTIC_DAYS);
        let new = store::NewInbound {
            order_id: so.order_id,
            supplier_order_id: so.id,
            supplier_ref: so.external_id.as_deref(),
            carrier: parcel.carrier.as_deref(),
            tracking_number: &number,
            expected_arrival: expected,
        };
        if store::insert_inbound(tx, &new).await?.is_some() {
            shipped = true;
            for item in store::items(tx, so.order_id).await? {
                if item.supplier_order_id == so.id.to_string() && item.state == ItemState::Expected
                {
                    store::set_item_state(tx, &item.id, ItemState::InTransit).await?;
                }
            }
            notes.push(note(
                "shipped_to_warehouse",
                format!(
                    "{} {number} to the warehouse, expected by {}",
                    parcel.carrier.as_deref().unwrap_or("domestic courier"),
                    expected.format("%Y-%m-%d")
                ),
            ));
        }
    }
    let mut saved = false;
    if paid && leg.leg.stage == S::AwaitingPurchase {
        leg.step(tx, WarehouseCommand::Purchase, Vec::new(), actor)
            .await
            .map_err(anyhow::Error::from)?;
        saved = true;
    }
    if shipped && leg.leg.stage == S::Purchased {
        leg.step(tx, WarehouseCommand::SellerShipped, notes, actor)
            .await
            .map_err(anyhow::Error::from)?;
    } else if !notes.is_empty() || (!started && !saved) {
        leg.save(tx, notes, actor)
            .await
            .map_err(anyhow::Error::from)?;
    }
    Ok(())
}
