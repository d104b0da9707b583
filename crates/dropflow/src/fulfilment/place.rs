//! `supplier_order.place`: buys one supplier order.
//!
//! Never buy twice: before calling the supplier the attempt is claimed by moving it to
//! *placement unknown* (a compare-and-set, so two runners cannot both claim it) and committed,
//! so a crash or a timeout during the call leaves that mark. A run that finds it first asks
//! the supplier for the order by our attempt id; where the supplier cannot be asked
//! (AliExpress has no such lookup) it places again with the SAME attempt id, which both
//! AliExpress (`out_order_id`) and CJ (`orderNumber`) refuse as a duplicate if the first call
//! went through.
//!
//! What the answer leads to, in one transaction with the order's transition:
//! - placed: the wallet reserves the cost; with auto-pay on, paying is queued; the supplier
//!   order is followed from now on;
//! - price above the store's guard: nothing bought, the order held (`price_increased`) until
//!   the merchant accepts the new price by releasing the hold;
//! - out of stock: routing runs again without that offer for this order, so a backup offer
//!   takes over (or the line goes to Failed with the reason when there is none);
//! - any other refusal: Rejected with the supplier's reason (Failed tab).

use super::order_tx;
use super::wallet::{self, Reserved};
use super::Services;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{orders, settings, Database};
use anyhow::Context;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::lifecycle::Command;
use dropflow_core::money::Money;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::{
    Placement, PurchaseLine, PurchaseRequest, RejectReason, RemoteOrder, SupplierError,
    SupplierKind,
};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::PLACE_SUPPLIER_ORDER;

/// Places the supplier order named in the payload (`{"supplier_order_id": …}`).
pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    place(services, super::supplier_order_id(payload)?).await
}

pub async fn place(
    services: &Services,
    id: dropflow_core::ids::SupplierOrderId,
) -> anyhow::Result<()> {
    let db = &services.db;
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
    let detail = orders::purchase_view(db, so.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", so.order_id))?;
    let cancelled = detail.state.cancel_reason.is_some();
    if cancelled && so.status == SupplierOrderStatus::AwaitingPlacement {
        return record(services, &so, outcome(SupplierOrderStatus::Cancelled), None).await;
    }
    if !detail.state.holds.is_empty() && so.status == SupplierOrderStatus::AwaitingPlacement {
        // Held since it was routed: releasing the hold routes (and so places) it again.
        return Ok(());
    }
    let kind = SupplierKind::parse(&so.supplier)
        .with_context(|| format!("unknown supplier {:?}", so.supplier))?;
    if kind == SupplierKind::Manual {
        // A manual vendor buys and ships by hand: the order is now theirs to fulfil.
        let mut handed = outcome(SupplierOrderStatus::AwaitingShipment);
        handed.detail = Some("handed to the vendor".into());
        return record(services, &so, handed, None).await;
    }
    let supplier = services.suppliers.get(&kind).cloned().with_context(|| {
        format!(
            "{} is not configured in this process: add its [suppliers] settings",
            kind.as_str()
        )
    })?;
    let store_settings = settings::get(db, so.store_id).await?;
    let guard = if detail.state.price_accepted {
        None
    } else {
        store_settings.price_guard_percent
    };
    let request = request_for(&detail, &so, guard)?;

    if so.status == SupplierOrderStatus::PlacementUnknown && cancelled {
        // The order was cancelled while a placement was unanswered: settle the doubt, never
        // buy. Found unpaid, it lapses at the supplier; not askable, a person must look.
        let mut settled = match supplier.find_by_reference(&so.attempt_id).await {
            Ok(Some(remote)) => {
                let mut found = outcome(SupplierOrderStatus::Cancelled);
                found.external_id = Some(remote.supplier_order_id);
                found.detail = Some(
                    "placed by an unanswered attempt after the order was cancelled; left \
                     unpaid to lapse at the supplier"
                        .into(),
                );
                found
            }
            Ok(None) => outcome(SupplierOrderStatus::Cancelled),
            Err(SupplierError::NotOffered(_)) => {
                let mut flagged = outcome(SupplierOrderStatus::Rejected);
                flagged.detail = Some(format!(
                    "the order was cancelled while attempt {} was unanswered and {} cannot be \
                     asked about it: check the supplier's orders and cancel it there",
                    so.attempt_id,
                    kind.as_str()
                ));
                flagged
            }
            Err(error) => return Err(super::supplier_failure(error)),
        };
        if settled.detail.is_none() {
            settled.detail = Some("the order was cancelled".into());
        }
        return record(services, &so, settled, None).await;
    }

    if so.status == SupplierOrderStatus::PlacementUnknown {
        match supplier.find_by_reference(&so.attempt_id).await {
            Ok(Some(remote)) => {
                let mut found = placed(remote);
                found.detail = Some("found by our reference after an unanswered attempt".into());
                return record(services, &so, found, Some(store_settings.auto_pay)).await;
            }
            // Not there: placing is safe.
            Ok(None) => {}
            // Cannot be asked: placing again with the same reference is safe while the
            // supplier still refuses a repeat (AliExpress: 24 h); past half of that, a person
            // must look.
            Err(SupplierError::NotOffered(_)) => {
                if Utc::now() - so.updated_at > chrono::Duration::hours(12) {
                    let detail = format!(
                        "attempt {} went unanswered over 12 hours ago and {} cannot be asked \
                         about it: check the supplier's orders and link it by hand",
                        so.attempt_id,
                        kind.as_str()
                    );
                    flag_for_link(services, &so, &detail).await?;
                    return Err(crate::jobs::GiveUp(detail).into());
                }
            }
            Err(error) => return Err(super::supplier_failure(error)),
        }
    } else if !claim(db, &so).await? {
        return Ok(());
    }

    match supplier.place(&request).await {
        Ok(Placement::Placed(remote)) => {
            record(services, &so, placed(remote), Some(store_settings.auto_pay)).await
        }
        Ok(Placement::Rejected(RejectReason::DuplicateReference)) => {
            // An earlier attempt went through; find it to link it.
            match supplier.find_by_reference(&so.attempt_id).await {
                Ok(Some(remote)) => {
                    let mut found = placed(remote);
                    found.detail = Some("an earlier attempt had gone through".into());
                    record(services, &so, found, Some(store_settings.auto_pay)).await
                }
                Ok(None) | Err(SupplierError::NotOffered(_)) => {
                    // Bought, but the supplier cannot tell us which order it is: it stays a
                    // live attempt (so no retry or re-route buys its lines again) and a flag
                    // asks a person to link it (or, knowingly, buy again).
                    let detail = format!(
                        "placed by an attempt that went unanswered, and {} cannot be asked \
                         which order it made: find reference {} in the supplier's orders and \
                         link it by hand",
                        kind.as_str(),
                        so.attempt_id
                    );
                    flag_for_link(services, &so, &detail).await
                }
                Err(error) => Err(super::supplier_failure(error)),
            }
        }
        Ok(Placement::Rejected(reason)) => refused(db, &so, reason).await,
        // Unanswered or refused to talk: the attempt stays *placement unknown* and the job is
        // retried with backoff; the retry reconciles before buying.
        Err(error) => Err(super::supplier_failure(error)),
    }
}

/// Leaves the attempt *placement unknown* (live: its lines count as bought) and opens a
/// `link_by_hand` flag: the order goes to Needs Attention with Link and Buy again offered.
async fn flag_for_link(
    services: &Services,
    so: &SupplierOrder,
    detail: &str,
) -> anyhow::Result<()> {
    let mut tx = services.db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    supplier_orders::set_last_error(&mut tx, so.id, Some(detail)).await?;
    let label = so.label();
    super::flags::raise(
        &mut tx,
        so.order_id,
        Some(super::flags::About {
            id: so.id,
            label: &label,
        }),
        crate::storage::flags::kind::LINK_BY_HAND,
        detail,
        Actor::System("placer".into()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Claims the attempt: awaiting placement → placement unknown, committed before the call.
/// `false` when another runner got there first.
async fn claim(db: &Database, so: &SupplierOrder) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let claimed = supplier_orders::compare_and_set_status(
        &mut tx,
        so.id,
        SupplierOrderStatus::AwaitingPlacement,
        SupplierOrderStatus::PlacementUnknown,
    )
    .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// A supplier order's new standing, as recorded.
struct Outcome {
    status: SupplierOrderStatus,
    external_id: Option<String>,
    cost: Option<Money>,
    detail: Option<String>,
}

fn outcome(status: SupplierOrderStatus) -> Outcome {
    Outcome {
        status,
        external_id: None,
        cost: None,
        detail: None,
    }
}

fn placed(remote: RemoteOrder) -> Outcome {
    Outcome {
        status: remote.status,
        external_id: Some(remote.supplier_order_id),
        cost: remote.total_cost,
        detail: None,
    }
}

/// The supplier said no. Price and stock have their own way out (hold; backup offer).
async fn refused(db: &Database, so: &SupplierOrder, reason: RejectReason) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    wallet::release(&mut tx, db.engine, so).await?;
    match &reason {
        RejectReason::PriceChanged {
            supplier_sku_id,
            unit_cost,
        } => {
            let detail = format!(
                "price increased: {} {} now costs {} (mapped at {}); release the hold to buy \
                 at the new price",
                so.supplier,
                supplier_sku_id,
                unit_cost,
                so.items
                    .iter()
                    .find(|i| &i.supplier_sku_id == supplier_sku_id)
                    .map(|i| format!("{} {}", i.unit_cost_minor, i.currency))
                    .unwrap_or_default()
            );
            supplier_orders::set_status(
                &mut tx,
                so.id,
                SupplierOrderStatus::AwaitingPlacement,
                None,
                None,
                Some(&detail),
            )
            .await?;
            order_tx::apply(
                &mut tx,
                so.order_id,
                Command::HoldForPrice { detail },
                Actor::System("placer".into()),
            )
            .await?;
        }
        RejectReason::OutOfStock { supplier_sku_id } => {
            let detail = format!(
                "out of stock at {}: {supplier_sku_id}; routing again to a backup offer",
                so.label()
            );
            // Cancelled, not Rejected: routing replaces it, and the line fails with its
            // reason if no other offer has stock.
            let statuses = supplier_orders::set_status(
                &mut tx,
                so.id,
                SupplierOrderStatus::Cancelled,
                None,
                None,
                Some(&detail),
            )
            .await?;
            order_tx::apply(
                &mut tx,
                so.order_id,
                Command::SupplierOrderChanged {
                    supplier: so.label(),
                    status: SupplierOrderStatus::Cancelled,
                    detail: Some(detail),
                    procurement: Procurement::summarize(&statuses),
                },
                Actor::System("placer".into()),
            )
            .await?;
            let payload = serde_json::json!({ "order_id": so.order_id.to_string() });
            crate::storage::jobs::enqueue(
                &mut tx,
                super::route::JOB,
                &payload,
                Some(so.order_id),
                Utc::now().timestamp_millis(),
            )
            .await?;
        }
        other => {
            let detail = serde_json::to_string(other).unwrap_or_default();
            let statuses = supplier_orders::set_status(
                &mut tx,
                so.id,
                SupplierOrderStatus::Rejected,
                None,
                None,
                Some(&detail),
            )
            .await?;
            order_tx::apply(
                &mut tx,
                so.order_id,
                Command::SupplierOrderChanged {
                    supplier: so.label(),
                    status: SupplierOrderStatus::Rejected,
                    detail: Some(detail),
                    procurement: Procurement::summarize(&statuses),
                },
                Actor::System("placer".into()),
            )
            .await?;
        }
    }
    tx.commit().await?;
    tracing::info!(supplier_order.id = %so.id, "supplier refused the purchase");
    Ok(())
}

/// Writes the supplier order's new status, the wallet movement and the order's transition in
/// one transaction. `auto_pay` is `Some` when the purchase was just placed.
async fn record(
    services: &Services,
    so: &SupplierOrder,
    outcome: Outcome,
    auto_pay: Option<bool>,
) -> anyhow::Result<()> {
    let db = &services.db;
    let mut outcome = outcome;
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    // Cancelled or refunded in the store while the supplier was answering (the cancel job
    // left this attempt alone while it was in flight): an unpaid order is let go to lapse at
    // the supplier; one the supplier charged at once is flagged for a person to cancel.
    let stopped = orders::load_for_update(&mut tx, so.order_id)
        .await?
        .map(|o| o.state.cancel_reason.is_some() || o.state.payment.is_reversed())
        .unwrap_or(false);
    let mut charged_after_cancel = false;
    if stopped && auto_pay.is_some() {
        match outcome.status {
            SupplierOrderStatus::AwaitingPayment => {
                outcome.status = SupplierOrderStatus::Cancelled;
                outcome.detail = Some(
                    "placed while the order was being cancelled in the store; left unpaid to \
                     lapse at the supplier"
                        .into(),
                );
            }
            SupplierOrderStatus::AwaitingShipment => charged_after_cancel = true,
            _ => {}
        }
    }
    let auto_pay = if outcome.status == SupplierOrderStatus::Cancelled {
        None
    } else {
        auto_pay
    };
    let mut so = so.clone();
    if let Some(cost) = outcome.cost {
        so.cost_minor = Some(cost.minor);
        so.currency = Some(cost.currency.code().to_string());
    }
    let mut note = outcome.detail.clone();
    if auto_pay.is_some() {
        // Placed: the cost is known now, so this is when the wallet sets it aside.
        match wallet::reserve(&mut tx, db.engine, &so, None).await? {
            Reserved::Yes | Reserved::NoCost => {}
            Reserved::InsufficientFunds(why) => {
                note = Some(format!("payment failed: {why}"));
            }
        }
        if outcome.status == SupplierOrderStatus::AwaitingShipment {
            // The supplier took payment with the order (AliExpress `try_to_pay`).
            if let (Some(cost), None) = (so.cost(), &note) {
                wallet::capture(&mut tx, db.engine, &so, cost).await?;
            }
        }
    }
    let last_error = match outcome.status {
        SupplierOrderStatus::Rejected | SupplierOrderStatus::Cancelled => outcome.detail.as_deref(),
        _ => note.as_deref().filter(|n| n.starts_with("payment failed")),
    };
    let statuses = supplier_orders::set_status(
        &mut tx,
        so.id,
        outcome.status,
        outcome.external_id.as_deref(),
        so.cost_minor,
        last_error,
    )
    .await?;
    if outcome.status == SupplierOrderStatus::AwaitingPayment
        && auto_pay == Some(true)
        && last_error.is_none()
    {
        supplier_orders::enqueue_job(
            &mut tx,
            dropflow_core::jobs::PAY_SUPPLIER_ORDER,
            so.id,
            so.order_id,
        )
        .await?;
    }
    let now = Utc::now();
    let next = services
        .cadence
        .next_supplier_sync(outcome.status, Some(now), now)
        .filter(|_| SupplierKind::parse(&so.supplier) != Some(SupplierKind::Manual));
    supplier_orders::schedule_sync(&mut tx, so.id, next, false).await?;
    let payment_failed = last_error
        .filter(|e| e.starts_with("payment failed"))
        .map(|detail| OrderEvent::PaymentFailed {
            supplier: so.label(),
            detail: detail.to_string(),
        });
    order_tx::apply(
        &mut tx,
        so.order_id,
        Command::SupplierOrderChanged {
            supplier: so.label(),
            status: outcome.status,
            detail: note.clone(),
            procurement: Procurement::summarize(&statuses),
        },
        Actor::System("placer".into()),
    )
    .await?;
    if let Some(event) = payment_failed {
        order_tx::apply(
            &mut tx,
            so.order_id,
            Command::Record(vec![event]),
            Actor::System("placer".into()),
        )
        .await?;
    }
    if charged_after_cancel {
        let label = so.label();
        let reference = outcome.external_id.as_deref().unwrap_or("unknown");
        super::flags::raise(
            &mut tx,
            so.order_id,
            Some(super::flags::About {
                id: so.id,
                label: &label,
            }),
            crate::storage::flags::kind::CANCEL_WITH_SUPPLIER,
            &format!(
                "{label} took payment with order {reference} while the order was being \
                 cancelled in the store: ask them to cancel it before it ships"
            ),
            Actor::System("placer".into()),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(supplier_order.id = %so.id, status = outcome.status.as_str(), "supplier order updated");
    Ok(())
}

fn request_for(
    detail: &orders::PurchaseView,
    so: &SupplierOrder,
    price_guard_percent: Option<u32>,
) -> anyhow::Result<PurchaseRequest> {
    let ship_to = detail
        .shipping_address
        .clone()
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
        email: detail.customer.as_ref().and_then(|c| c.email.clone()),
        shipping_method: None,
        price_guard_percent,
    })
}
