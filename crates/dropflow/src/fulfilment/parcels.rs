//! A parcel a supplier (or a vendor) reports: recorded once per supplier order and number,
//! its courier recognised from the number itself, and its check digit verified before
//! anything is sent to the store. A number that fails its check is flagged on the order and
//! never pushed: a typo would send the customer to someone else's parcel.

use crate::storage::parcels::{self, NewParcel};
use crate::storage::supplier_orders::SupplierOrder;
use crate::storage::Tx;
use chrono::{DateTime, Utc};
use dropflow_core::event::OrderEvent;
use dropflow_core::follow::Cadence;
use dropflow_core::supplier::Tracking;
use dropflow_core::tracking;

/// What recording one reported parcel came to.
pub struct Recorded {
    /// The new parcel's id; `None` when the number was already recorded.
    pub id: Option<String>,
    /// For the timeline.
    pub event: Option<OrderEvent>,
    /// Whether it may be written back to the store.
    pub pushable: bool,
}

pub use dropflow_core::tracking::check_number;

/// Records one parcel of `so` in the caller's transaction, and queues its write-back to the
/// store when its number passes.
pub async fn record(
    tx: &mut Tx<'_>,
    so: &SupplierOrder,
    parcel: &Tracking,
    cadence: &Cadence,
    now: DateTime<Utc>,
) -> anyhow::Result<Recorded> {
    let number = tracking::normalise(&parcel.number);
    if number.is_empty() {
        return Ok(Recorded {
            id: None,
            event: None,
            pushable: false,
        });
    }
    let (check, courier, courier_url) = check_number(&number);
    let url = parcel.url.clone().or(courier_url);
    let id = parcels::insert_once(
        tx,
        &NewParcel {
            order_id: so.order_id,
            supplier_order_id: so.id,
            leg: "supplier_to_customer",
            tracking_number: &number,
            carrier: parcel.carrier.as_deref(),
            tracking_url: url.as_deref(),
            courier_detected: courier,
            number_check: check,
            status: parcel.status,
            next_sync_at: cadence.next_parcel_sync(parcel.status, now),
        },
    )
    .await?;
    let Some(id) = id else {
        return Ok(Recorded {
            id: None,
            event: None,
            pushable: false,
        });
    };
    // A replacement's parcel settles its case; the store's order was fulfilled already.
    let replacement = so.case_id.is_some();
    let pushable = check != "invalid" && !replacement;
    if replacement {
        super::after_sale::replacement::shipped(tx, so, &number).await?;
    } else if pushable {
        let payload = serde_json::json!({ "shipment_id": id });
        crate::storage::jobs::enqueue_with_tries(
            tx,
            super::push::JOB,
            &payload,
            Some(so.order_id),
            now.timestamp_millis(),
            super::push::TRIES,
        )
        .await?;
    } else {
        crate::storage::supplier_orders::set_last_error(
            tx,
            so.id,
            Some(&format!(
                "tracking number {number} fails its check digit ({}): not sent to the store; \
                 ask the supplier for the right number",
                courier.unwrap_or("courier unknown")
            )),
        )
        .await?;
    }
    Ok(Recorded {
        event: Some(OrderEvent::TrackingAdded {
            supplier: so.label(),
            number,
            carrier: parcel.carrier.clone().or(courier.map(str::to_string)),
            check: check.to_string(),
        }),
        id: Some(id),
        pushable,
    })
}
