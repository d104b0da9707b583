//! `shipment.push`: writes one parcel's tracking back to the store, marking the lines it
//! carries fulfilled (Shopify: a fulfillment on the fulfillment order, with `notify_customer`
//! as the store's settings say; WooCommerce: a note, and `completed` with the order's last
//! parcel). A repeat is recognised by the store connector and answered `AlreadyFulfilled`.
//!
//! Transient failures (429 after the connector's own Retry-After waits, 5xx, timeouts) fail
//! the job so the queue retries with backoff. A refusal that retrying cannot fix (no Admin API
//! access, credentials refused, order gone) is put on the order's timeline for a person.

use super::order_tx;
use super::Services;
use crate::jobs::{waits, GiveUp, RetryAfter, WaitsFor};
use crate::platforms::admin::{FulfilmentPush, PushLine, PushOutcome, StoreAdmin, StoreApiError};
use crate::storage::{orders, parcels, settings};
use anyhow::Context;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::lifecycle::Command;

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::PUSH_SHIPMENT;
/// Tries before a write-back is left failed for a person: with the production backoff
/// (doubling up to an hour) about a day of a store being down.
pub const TRIES: i64 = 30;

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let id = payload
        .get("shipment_id")
        .and_then(|v| v.as_str())
        .context("the job payload has no shipment_id")?;
    push(services, id).await
}

pub async fn push(services: &Services, id: &str) -> anyhow::Result<()> {
    let db = &services.db;
    let parcel = parcels::to_push(db, id)
        .await?
        .with_context(|| format!("shipment {id} does not exist"))?;
    if parcel.pushed || parcel.number_check == "invalid" {
        return Ok(());
    }
    let access = settings::admin_access(db, parcel.store_id)
        .await?
        .ok_or_else(|| no_admin_access(parcel.store_id))?;
    let admin = (services.admin)(parcel.platform, &access).with_context(|| {
        format!(
            "no Admin API connector for {} stores in this build",
            parcel.platform.as_str()
        )
    })?;
    // A warehouse parcel carries the lines packed in it, whichever sellers they came from.
    // So does a vendor's parcel shipped line by line (each is its own fulfilment).
    let mut packed = crate::storage::warehouse::package_lines(db, &parcel.id).await?;
    if packed.is_empty() {
        packed = parcels::parcel_lines(db, &parcel.id).await?;
    }
    // A seller's split parcels share one fulfilment; warehouse packages each carry their
    // own lines (the rest of an order follows in another package), so each is pushed.
    let warehouse_parcel = !packed.is_empty();
    if !warehouse_parcel {
        if let parcels::Siblings::Pushed(shared) = siblings(db, &parcel).await? {
            return record_shared(db, &parcel, shared).await;
        }
    }
    let store_settings = settings::get(db, parcel.store_id).await?;
    let lines = match parcel.supplier_order_id {
        _ if !packed.is_empty() => packed,
        Some(so) => parcels::store_lines(db, so).await?,
        None => Vec::new(),
    };
    // Lines the store removed after purchase have nothing left to fulfil there. A parcel that
    // holds only such lines is not pushed: with no lines, a fulfilment would close the rest
    // of the order (other suppliers' lines) under this parcel's number.
    let named_lines = !lines.is_empty();
    let lines: Vec<(String, u32)> = lines.into_iter().filter(|(_, q)| *q > 0).collect();
    if named_lines && lines.is_empty() {
        return Err(crate::jobs::GiveUp(format!(
            "parcel {} holds only lines removed from the store's order after purchase: \
             nothing to fulfil on the store (the order's flags say what changed)",
            parcel.tracking_number
        ))
        .into());
    }
    // The store is told the carrier by the name it links (Shopify's list) and always gets a
    // page the customer can open, whatever the supplier called the carrier.
    let carrier = dropflow_core::tracking::store_carrier::for_store(
        parcel.carrier.as_deref(),
        &parcel.tracking_number,
        parcel.tracking_url.as_deref(),
    );
    let request = FulfilmentPush {
        store_order_id: parcel.store_order_id.clone(),
        reference: parcel.id.clone(),
        tracking_number: parcel.tracking_number.clone(),
        carrier: carrier.company,
        tracking_url: Some(carrier.url),
        lines: lines
            .into_iter()
            .map(|(store_line_id, quantity)| PushLine {
                store_line_id,
                quantity,
            })
            .collect(),
        notify_customer: store_settings.notify_customer,
        // Items still at (or on their way to) the warehouse follow in another package.
        completes_order: parcels::completes_order(db, parcel.order_id, &parcel.id).await?
            && crate::storage::warehouse::items_to_send(db, parcel.order_id).await? == 0,
    };
    match admin.push_fulfilment(&request).await {
        Ok(outcome) => {
            let store_id = match &outcome {
                PushOutcome::Fulfilled {
                    store_fulfilment_id,
                } => Some(store_fulfilment_id.clone()),
                PushOutcome::AlreadyFulfilled {
                    store_fulfilment_id,
                } => store_fulfilment_id.clone(),
            };
            let mut tx = db.begin().await?;
            orders::lock(&mut tx, parcel.order_id).await?;
            parcels::mark_pushed(&mut tx, &parcel.id, store_id.as_deref()).await?;
            order_tx::apply(
                &mut tx,
                parcel.order_id,
                Command::Record(vec![OrderEvent::FulfilledOnStore {
                    number: parcel.tracking_number.clone(),
                }]),
                Actor::System("store-writer".into()),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(shipment.id = %parcel.id, "tracking written back to the store");
            if !request.completes_order {
                complete_if_last(db, admin.as_ref(), &parcel, request).await;
            }
            Ok(())
        }
        Err(StoreApiError::RateLimited {
            retry_after: Some(after),
        }) => Err(RetryAfter {
            after,
            message: "the store is rate limiting us".into(),
        }
        .into()),
        Err(error) if error.is_transient() => Err(error.into()),
        Err(error) => {
            // A sibling package may have taken the lines (Shopify: nothing left): if it is
            // written back, share its fulfilment; if it is still on its way, ask again.
            // One read decides, so a sibling landing between two checks cannot slip by.
            let siblings = if warehouse_parcel {
                parcels::Siblings::None
            } else {
                siblings(db, &parcel).await?
            };
            match siblings {
                parcels::Siblings::Pushed(shared) => {
                    return record_shared(db, &parcel, shared).await
                }
                parcels::Siblings::InFlight => {
                    return Err(RetryAfter {
                        after: std::time::Duration::from_secs(2),
                        message: format!("{error}; a sibling package is being written back"),
                    }
                    .into())
                }
                parcels::Siblings::None => {}
            }
            let mut tx = db.begin().await?;
            order_tx::apply(
                &mut tx,
                parcel.order_id,
                Command::Record(vec![OrderEvent::StorePushFailed {
                    number: parcel.tracking_number.clone(),
                    detail: error.to_string(),
                }]),
                Actor::System("store-writer".into()),
            )
            .await?;
            tx.commit().await?;
            let message = format!("the store refused the fulfilment: {error}");
            // Credentials the store refuses fail every write-back alike: this one waits for
            // new access, which queues it again. Any other refusal is this parcel's own:
            // failed at once, listed and retryable once the cause is fixed.
            if let StoreApiError::Unauthorized(_) = error {
                return Err(WaitsFor {
                    fix: waits::store_admin(parcel.store_id),
                    message,
                }
                .into());
            }
            Err(GiveUp(message).into())
        }
    }
}

/// A store with no Admin API access cannot be written to until a person sets it, which queues
/// every job waiting for it again (`services::settings::put_admin`).
pub(crate) fn no_admin_access(store_id: dropflow_core::ids::StoreId) -> anyhow::Error {
    WaitsFor {
        fix: waits::store_admin(store_id),
        message: format!(
            "store {store_id} has no Admin API access: set it \
             (PUT /api/v1/stores/{store_id}/admin) and the job runs again"
        ),
    }
    .into()
}

/// Sibling parcels of one order are pushed by jobs that may run at the same time: each saw
/// the others unpushed when it asked, so none completed the order. Whichever finds, after its
/// own commit, that every parcel is now pushed completes it: the push is asked again with
/// `completes_order`, which the store's connector does once (a note already there is not
/// written twice; an order already completed is left alone). A failure here is left for a
/// person: the tracking is on the store, only the order's status lags.
async fn complete_if_last(
    db: &crate::storage::Database,
    admin: &dyn StoreAdmin,
    parcel: &parcels::ToPush,
    request: FulfilmentPush,
) {
    let now_complete = async {
        anyhow::Ok(
            parcels::completes_order(db, parcel.order_id, &parcel.id).await?
                && crate::storage::warehouse::items_to_send(db, parcel.order_id).await? == 0,
        )
    };
    match now_complete.await {
        Ok(true) => {
            let request = FulfilmentPush {
                completes_order: true,
                ..request
            };
            if let Err(error) = admin.push_fulfilment(&request).await {
                tracing::warn!(shipment.id = %parcel.id, %error,
                    "the order's last parcel is on the store but completing the order failed");
            }
        }
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(shipment.id = %parcel.id, %error, "could not check for completion")
        }
    }
}

/// On a platform whose fulfilment carries one number and fulfils its lines once (Shopify),
/// a purchase AliExpress splits into several packages is fulfilled by its first package's push
/// and the others are recorded against that fulfilment (all numbers stay on dropflow's order
/// page). Elsewhere (WooCommerce, a note per package) each package is pushed.
async fn siblings(
    db: &crate::storage::Database,
    parcel: &parcels::ToPush,
) -> anyhow::Result<parcels::Siblings> {
    let platform = crate::platforms::registry::store_platform(parcel.platform);
    match parcel.supplier_order_id {
        Some(so) if platform.one_fulfilment_per_purchase() => {
            Ok(parcels::sibling_state(db, so, &parcel.id).await?)
        }
        _ => Ok(parcels::Siblings::None),
    }
}

async fn record_shared(
    db: &crate::storage::Database,
    parcel: &parcels::ToPush,
    shared: Option<String>,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, parcel.order_id).await?;
    parcels::mark_pushed(&mut tx, &parcel.id, shared.as_deref()).await?;
    tx.commit().await?;
    tracing::info!(shipment.id = %parcel.id, "package recorded against its sibling's fulfilment");
    Ok(())
}
