//! The goods coming back: the return parcel a merchant records on a case
//! (`return_shipped`) is followed with the carrier like any parcel (leg `customer_return`),
//! and its delivery moves the case on by itself.

use super::case_tx::{self, Entry};
use crate::fulfilment::parcels::check_number;
use crate::storage::cases as store;
use crate::storage::{parcels, Tx};
use chrono::Utc;
use dropflow_core::after_sale::{apply, Applied, CaseEvent, ReturnLeg};
use dropflow_core::event::Actor;
use dropflow_core::follow::Cadence;
use dropflow_core::ids::OrderId;
use dropflow_core::shipment::ShipmentStatus;

/// Starts following the return parcel `number` of an order (caller's transaction).
pub async fn follow(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    number: &str,
    cadence: &Cadence,
) -> anyhow::Result<()> {
    let (check, courier, url) = check_number(number);
    let next = cadence.next_parcel_sync(ShipmentStatus::InfoReceived, Utc::now());
    parcels::insert_return(tx, order_id, number, courier, url.as_deref(), check, next).await?;
    Ok(())
}

/// The carrier says parcel `number` of the order was delivered: a case waiting for it as its
/// return has its goods back (caller's transaction, under the order's lock). A return the
/// agent warehouse scanned in first is no longer in transit: nothing happens twice
/// (`warehouse::case_returns`).
pub async fn delivered(tx: &mut Tx<'_>, order_id: OrderId, number: &str) -> anyhow::Result<()> {
    for case in store::for_order_in(tx, order_id).await? {
        let waiting = matches!(
            &case.state.ret,
            ReturnLeg::InTransit { tracking_number } if tracking_number == number
        );
        if !waiting || case.state.closed.is_some() {
            continue;
        }
        if let Applied::Changed(next) = apply(&case.state, CaseEvent::ReturnDelivered)? {
            let entry = Entry {
                step: "return_delivered",
                detail: format!("the carrier delivered the returned goods ({number})"),
                actor: Actor::System("tracker".into()),
            };
            case_tx::save(tx, &case, &next, entry).await?;
        }
    }
    Ok(())
}
