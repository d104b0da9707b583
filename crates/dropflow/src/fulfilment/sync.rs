//! `supplier_order.sync`: asks the supplier where one of its orders stands and applies the
//! answer. The CJ webhook endpoint applies what CJ pushes through the same [`apply_remote`].
//!
//! The supplier's word only moves a supplier order forward (placed → paid → shipped →
//! delivered): a late or repeated answer cannot undo progress. A supplier-side cancellation
//! after we paid is a refusal the merchant must see (Failed), with the captured money
//! refunded to the wallet — unless the store's order was cancelled or refunded: then it is
//! the cancellation we asked for, recorded as cancelled, and the flag that followed the
//! request is settled. What the answer means is decided in [`dropflow_core::supplier_sync`].

use super::order_tx;
use super::supplier_order_tx::{self, Move};
use super::wallet;
use super::Services;
use crate::storage::orders;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::suppliers::registry;
use anyhow::Context;
use chrono::Utc;
use dropflow_core::event::Actor;
use dropflow_core::ids::SupplierOrderId;
use dropflow_core::ledger::Operation;
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::supplier::{RemoteOrder, SupplierKind};
use dropflow_core::supplier_sync::{self, Refund};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::SYNC_SUPPLIER_ORDER;

pub async fn sync(services: &Services, id: SupplierOrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let so = super::supplier_order(db, id).await?;
    let followed = matches!(
        so.status,
        SupplierOrderStatus::AwaitingPayment
            | SupplierOrderStatus::AwaitingShipment
            | SupplierOrderStatus::Shipped
    );
    let (Some(external_id), Some(supplier), true) = (
        so.external_id.clone(),
        services.suppliers.for_stored(&so.supplier),
        followed,
    ) else {
        // Nothing to ask (a vendor updates by hand, or it is finished): stop following.
        let mut tx = db.begin().await?;
        supplier_orders::schedule_sync(&mut tx, so.id, None, false).await?;
        tx.commit().await?;
        return Ok(());
    };
    match supplier.order(&external_id).await {
        Ok(remote) => apply_remote(services, &so, remote, Actor::System("follower".into())).await,
        Err(error) if error.is_transient() => {
            // Ask again at the usual pace; the job itself succeeded (the next tick retries).
            tracing::warn!(supplier_order.id = %so.id, %error, "supplier did not answer the sync");
            let now = Utc::now();
            let next = services
                .cadence
                .next_supplier_sync(so.status, so.paid_at, now);
            let mut tx = db.begin().await?;
            supplier_orders::schedule_sync(&mut tx, so.id, next, false).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Applies the supplier's view of `so`: status (forward only), payment made at the supplier,
/// new parcels; schedules the next sync. One transaction.
pub async fn apply_remote(
    services: &Services,
    so: &SupplierOrder,
    remote: RemoteOrder,
    actor: Actor,
) -> anyhow::Result<()> {
    let db = &services.db;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    // Re-read under the lock: a payment or a webhook may have moved it since.
    let current = super::supplier_order(db, so.id).await?;
    if dropflow_core::placement::open(current.status) {
        // Still being placed (a CJ notice about an attempt whose answer is in flight): the
        // placer records it, or reconciles it by our reference; a move written here would be
        // overwritten by, or would overwrite, that.
        tracing::info!(supplier_order.id = %current.id, "supplier news about a purchase still being placed: left to the placer");
        return Ok(());
    }
    let mut so = current;
    let order_stopped = orders::load_for_update(&mut tx, so.order_id)
        .await?
        .is_some_and(|o| o.state.stopped());
    let label = so.label();
    let held = supplier_sync::Held {
        status: so.status,
        label: &label,
        order_stopped,
    };
    let news = supplier_sync::News {
        status: remote.status,
        raw_status: &remote.raw_status,
        parcels: !remote.tracking.is_empty(),
    };
    let applied = supplier_sync::apply(&held, &news);
    if let Some(cost) = remote.total_cost {
        if so.cost_minor.is_none() {
            so.cost_minor = Some(cost.minor);
            so.currency = Some(cost.currency.code().to_string());
        }
    }
    if applied.paid_outside() {
        if let (wallet::Reserved::Yes, Some(cost)) = (
            wallet::reserve(&mut tx, db.engine, &so, None).await?,
            so.cost(),
        ) {
            wallet::capture(&mut tx, db.engine, &so, cost).await?;
        }
    }
    let warehouse = registry::capabilities_of(&so.supplier).buys_for_warehouse;
    match applied.refund(warehouse) {
        Some(Refund::CancelledAsAsked) => wallet::refund(&mut tx, db.engine, &so).await?,
        Some(Refund::Rejected) => {
            if let Some(cost) = so.cost() {
                let refund = Operation::Refund {
                    amount: cost,
                    reference: so.attempt_id.clone(),
                };
                if let Err(error) =
                    crate::storage::ledger::post(&mut tx, db.engine, so.store_id, &refund).await
                {
                    tracing::warn!(supplier_order.id = %so.id, %error, "no refund posted");
                }
            }
        }
        None => {}
    }
    let mut events = Vec::new();
    // The one place the warehouse leg branches off: a marketplace seller's parcel goes to our
    // warehouse (inbound), never to the store or the carrier follower as the customer's.
    if warehouse {
        let now_paid = applied.now_paid;
        super::warehouse::inbound::apply(&mut tx, &so, now_paid, &remote.tracking, now, &actor)
            .await?;
    } else {
        for parcel in &remote.tracking {
            let recorded =
                super::parcels::record(&mut tx, &so, parcel, &services.cadence, now).await?;
            events.extend(recorded.event);
        }
    }
    let target = applied.target;
    let paid_at = if applied.now_paid {
        so.paid_at.or(Some(now))
    } else {
        None
    };
    let next = services.cadence.next_supplier_sync(target, paid_at, now);
    supplier_orders::schedule_sync(&mut tx, so.id, next, true).await?;
    if !events.is_empty() {
        order_tx::apply(&mut tx, so.order_id, Command::Record(events), actor.clone()).await?;
    }
    if target != so.status {
        let to = Move {
            cost_minor: so.cost_minor,
            last_error: applied.detail.as_deref(),
            detail: Some(applied.timeline_detail(&news)),
            ..Move::of(&so, target)
        };
        supplier_order_tx::apply(&mut tx, to, actor.clone()).await?;
    }
    // Paid at the supplier after the store's order was cancelled or refunded (by hand in its
    // buyer centre, or a charge that raced the cancel job): money is out for goods nobody
    // wants, so a person is asked to get it back.
    if applied.paid_outside() && order_stopped {
        let about = super::flags::About {
            id: so.id,
            label: &label,
        };
        let detail = format!(
            "{label} reports its order paid after the order was cancelled or refunded in the \
             store: ask them to cancel it before it ships, then record the refund"
        );
        let kind = crate::storage::flags::kind::CANCEL_WITH_SUPPLIER;
        super::flags::raise(
            &mut tx,
            so.order_id,
            Some(about),
            kind,
            &detail,
            actor.clone(),
        )
        .await?;
    }
    if applied.cancelled_as_asked {
        let resolution = applied
            .detail
            .unwrap_or_else(|| "cancelled at the supplier".into());
        let kind = crate::storage::flags::kind::CANCEL_WITH_SUPPLIER;
        if crate::storage::flags::resolve_kind(&mut tx, so.id, kind, &resolution, "dropflow")
            .await?
            > 0
        {
            order_tx::apply(
                &mut tx,
                so.order_id,
                Command::Record(vec![dropflow_core::event::OrderEvent::FlagResolved {
                    flag: kind.to_string(),
                    resolution,
                }]),
                actor,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The job that applies one CJ webhook message (queued by `POST /webhooks/cj`).
pub const CJ_EVENT_JOB: &str = dropflow_core::jobs::CJ_EVENT;

/// Applies a CJ message: an order status change or a parcel update, like a sync would.
pub async fn apply_cj_event(
    services: &Services,
    payload: &serde_json::Value,
) -> anyhow::Result<()> {
    use crate::suppliers::cj::webhook::{self, CjEvent};
    let body = payload
        .get("body")
        .and_then(|v| v.as_str())
        .context("the job payload has no body")?;
    let event = webhook::parse_webhook(body.as_bytes())?;
    let (order, status, raw_status, tracking) = match event {
        CjEvent::OrderStatus {
            order,
            status,
            raw_status,
            tracking,
            ..
        } => (order, status, raw_status, tracking),
        CjEvent::Logistics {
            order, tracking, ..
        } => (
            order,
            SupplierOrderStatus::Shipped,
            "LOGISTIC".to_string(),
            Some(tracking),
        ),
        CjEvent::Ignored { .. } => return Ok(()),
    };
    let Some(id) = supplier_orders::find_by_supplier_ref(
        &services.db,
        SupplierKind::Cj.as_str(),
        order.supplier_order_id.as_deref(),
        order.attempt_id.as_deref(),
    )
    .await?
    else {
        // Not one of ours (another tool on the same CJ account): nothing to do.
        tracing::info!("cj webhook about an order we do not hold");
        return Ok(());
    };
    let so = super::supplier_order(&services.db, id).await?;
    let remote = RemoteOrder {
        supplier_order_id: so.external_id.clone().unwrap_or_default(),
        attempt_id: Some(so.attempt_id.clone()),
        status,
        raw_status,
        total_cost: None,
        tracking: tracking.clone().into_iter().collect(),
        items: Vec::new(),
        ship_to: None,
    };
    apply_remote(services, &so, remote, Actor::Store("cj".into())).await?;
    // The parcel's own status, when CJ says where it is.
    if let Some(parcel) = tracking {
        let update = crate::carriers::TrackingUpdate {
            number: dropflow_core::tracking::normalise(&parcel.number),
            status: parcel.status,
            sub_status: None,
            last_event: None,
            last_event_at: None,
        };
        let next = services.cadence.next_parcel_sync(parcel.status, Utc::now());
        let mut tx = services.db.begin().await?;
        crate::storage::shipments::apply_tracking_updates(&mut tx, &[update], next).await?;
        tx.commit().await?;
    }
    Ok(())
}
