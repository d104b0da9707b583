//! `shipments.track`: asks the carrier tracking service about a batch of parcels (claimed by
//! the follower when due), applies the answers in one transaction, and moves what follows:
//! the order's timeline, and a supplier order to delivered once all its parcels are.
//!
//! Numbers the service does not know yet are registered, and asked about at the next tick.

use super::order_tx;
use super::supplier_order_tx::{self, Move};
use super::Services;
use crate::jobs::{waits, RetryAfter, WaitsFor};
use crate::storage::{orders, parcels, shipments, supplier_orders};
use anyhow::Context;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::shipment::ShipmentStatus;
use std::collections::{BTreeMap, BTreeSet};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::TRACK_SHIPMENTS;

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let numbers: Vec<String> = payload
        .get("numbers")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .context("the job payload has no numbers")?;
    track(services, &numbers).await
}

/// The tracking service's failure as the job's error: being rate limited with a time to wait
/// waits that long ([`RetryAfter`], the try given back); anything else retries as usual.
fn tracking_failure(error: crate::carriers::TrackingApiError) -> anyhow::Error {
    match error {
        crate::carriers::TrackingApiError::RateLimited {
            retry_after: Some(after),
        } => RetryAfter {
            after,
            message: "the tracking service is rate limiting us".into(),
        }
        .into(),
        error => error.into(),
    }
}

pub async fn track(services: &Services, numbers: &[String]) -> anyhow::Result<()> {
    let provider = services.tracking.clone().ok_or_else(|| WaitsFor {
        fix: waits::CARRIER_TRACKING.into(),
        message: "no carrier tracking service is configured: add the [tracking] \
                      settings and the job runs again when dropflow starts"
            .into(),
    })?;
    let updates = provider.fetch(numbers).await.map_err(tracking_failure)?;
    let known: BTreeSet<&str> = updates.iter().map(|u| u.number.as_str()).collect();
    let unknown: Vec<crate::carriers::TrackRequest> = numbers
        .iter()
        .filter(|n| !known.contains(n.as_str()))
        .map(|n| crate::carriers::TrackRequest {
            number: n.clone(),
            carrier: None,
        })
        .collect();
    if !unknown.is_empty() {
        // A used-up quota waits (the numbers are fine).
        provider
            .register(&unknown)
            .await
            .map_err(tracking_failure)?;
    }
    let registered: Vec<String> = unknown.into_iter().map(|r| r.number).collect();
    let now = Utc::now();
    let next = services
        .cadence
        .next_parcel_sync(ShipmentStatus::InTransit, now);
    let db = &services.db;
    let mut tx = db.begin().await?;
    let changes = shipments::apply_tracking_updates(&mut tx, &updates, next).await?;
    let changed: BTreeSet<&str> = changes.iter().map(|c| c.tracking_number.as_str()).collect();
    let quiet: Vec<String> = updates
        .iter()
        .filter(|u| !changed.contains(u.number.as_str()) && !u.status.is_final())
        .map(|u| u.number.clone())
        .collect();
    parcels::reschedule(&mut tx, &quiet, next).await?;
    // Just registered: ask soon, the service needs a moment to look them up.
    let soon = services
        .cadence
        .next_parcel_sync(ShipmentStatus::OutForDelivery, now);
    parcels::reschedule(&mut tx, &registered, soon).await?;
    let mut by_order: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for change in changes {
        by_order.entry(change.order_id).or_default().push(change);
    }
    for (order_id, changes) in by_order {
        orders::lock(&mut tx, order_id).await?;
        let events = changes
            .iter()
            .map(|c| OrderEvent::TrackingChanged {
                number: c.tracking_number.clone(),
                status: c.new_status,
            })
            .collect();
        order_tx::apply(
            &mut tx,
            order_id,
            Command::Record(events),
            Actor::System("tracker".into()),
        )
        .await?;
        for c in changes
            .iter()
            .filter(|c| c.new_status == ShipmentStatus::Delivered)
        {
            super::warehouse::parcel_delivered(&mut tx, order_id, &c.tracking_number).await?;
            super::after_sale::returns::delivered(&mut tx, order_id, &c.tracking_number).await?;
        }
        let delivered: BTreeSet<_> = changes
            .iter()
            .filter(|c| c.new_status == ShipmentStatus::Delivered)
            .filter_map(|c| c.supplier_order_id)
            .collect();
        for so in delivered {
            if !parcels::all_delivered(&mut tx, so).await? {
                continue;
            }
            supplier_orders::schedule_sync(&mut tx, so, None, true).await?;
            let delivered = Move {
                detail: Some("every parcel delivered".into()),
                ..Move::new(
                    so,
                    order_id,
                    "carrier".into(),
                    SupplierOrderStatus::Delivered,
                )
            };
            supplier_order_tx::apply(&mut tx, delivered, Actor::System("tracker".into())).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
