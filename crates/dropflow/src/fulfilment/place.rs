//! `supplier_order.place`: buys one supplier order, never twice.
//!
//! Read, decide, write: the purchase and its order are read, [`dropflow_core::placement`]
//! decides (asking for the supplier calls it needs: a lookup by our reference, the purchase),
//! and the decision is written once, in one transaction with the order's transition.
//!
//! Never buy twice: before calling the supplier the attempt is claimed by moving it to
//! *placement unknown* (a compare-and-set, so two runners cannot both claim it) and committed,
//! so a crash or a timeout during the call leaves that mark. A run that finds it first asks
//! the supplier for the order by our attempt id; where the supplier cannot be asked
//! (AliExpress has no such lookup) it places again with the SAME attempt id, which both
//! AliExpress (`out_order_id`) and CJ (`orderNumber`) refuse as a duplicate if the first call
//! went through.
//!
//! Never undo another writer: the outcome is written only if, under the order's lock, the
//! purchase still stands where this run made its decision from
//! ([`placement::expected_at_write`]). The cancel job lets go of a purchase not yet claimed
//! while a run that read the order before the cancellation is still deciding; writing that
//! run's handover or purchase over it would buy for an order nobody wants, unflagged.
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
use super::supplier_order_tx::{self, Move};
use super::wallet::{self, Reserved};
use super::Services;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{orders, settings, Database, Tx};
use crate::suppliers::registry;
use anyhow::Context;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::SupplierOrderId;
use dropflow_core::lifecycle::Command;
use dropflow_core::money::Money;
use dropflow_core::placement::{self, Attempt, Call, Decision, MappedLine, Next, Outcome, Refusal};
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::{PurchaseLine, PurchaseRequest};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::PLACE_SUPPLIER_ORDER;

/// Reads the purchase and its order, lets [`placement`] decide (calling the supplier as it
/// asks), and writes the decision once.
pub async fn place(services: &Services, id: SupplierOrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let so = super::supplier_order(db, id).await?;
    if !placement::open(so.status) {
        return Ok(());
    }
    let order = orders::purchase_view(db, so.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", so.order_id))?;
    let attempt = attempt(&so, &order);
    let (decision, auto_pay, called) = match placement::start(&attempt) {
        Next::Done(decision) => (decision, false, false),
        Next::Call(call) => {
            let (decision, auto_pay) = ask_supplier(services, &so, &order, &attempt, call).await?;
            (decision, auto_pay, true)
        }
    };
    let expected = placement::expected_at_write(so.status, called);
    write(services, &so, expected, decision, auto_pay).await
}

/// Whether a person (a manual vendor) buys and ships this purchase, so there is no one to call.
fn bought_by_hand(so: &SupplierOrder) -> bool {
    registry::capabilities_of(&so.supplier).hands_over_to_person
}

/// What the decision needs to know about the purchase and its order.
fn attempt(so: &SupplierOrder, order: &orders::PurchaseView) -> Attempt {
    Attempt {
        status: so.status,
        attempt_id: so.attempt_id.clone(),
        supplier: so.supplier.clone(),
        label: so.label(),
        lines: so
            .items
            .iter()
            .map(|i| MappedLine {
                supplier_sku_id: i.supplier_sku_id.clone(),
                unit_cost_minor: i.unit_cost_minor,
                currency: i.currency.clone(),
            })
            .collect(),
        unchanged_for: Utc::now() - so.updated_at,
        order_stopped: order.state.stopped(),
        order_held: !order.state.holds.is_empty(),
        by_hand: bought_by_hand(so),
    }
}

/// Makes the calls the decision asks for, starting with `call`, until it is made. Also
/// returns the store's auto-pay setting, for a purchase bought now.
async fn ask_supplier(
    services: &Services,
    so: &SupplierOrder,
    order: &orders::PurchaseView,
    attempt: &Attempt,
    call: Call,
) -> anyhow::Result<(Decision, bool)> {
    let supplier = services.suppliers.required(&so.supplier)?;
    let store_settings = settings::get(&services.db, so.store_id).await?;
    let guard = if order.state.price_accepted {
        None
    } else {
        store_settings.price_guard_percent
    };
    let request = request_for(order, so, guard)?;
    let mut call = call;
    loop {
        let next = match call {
            Call::Lookup(lookup) => {
                let answer = supplier.find_by_reference(&so.attempt_id).await;
                placement::looked_up(attempt, lookup, answer)
            }
            Call::Place => {
                if so.status == SupplierOrderStatus::AwaitingPlacement
                    && !claim(&services.db, so).await?
                {
                    return Ok((Decision::Nothing, false));
                }
                placement::placed(attempt, supplier.place(&request).await)
            }
        };
        match next {
            Next::Call(next) => call = next,
            Next::Done(decision) => return Ok((decision, store_settings.auto_pay)),
        }
    }
}

/// Writes what was decided, each in one transaction with the order's transition, provided
/// the purchase still stands where the decision was made from (`expected`).
async fn write(
    services: &Services,
    so: &SupplierOrder,
    expected: SupplierOrderStatus,
    decision: Decision,
    auto_pay: bool,
) -> anyhow::Result<()> {
    match decision {
        Decision::Nothing => Ok(()),
        Decision::Record(outcome) => record(services, so, expected, outcome, auto_pay).await,
        Decision::FlagForLink { detail, give_up } => {
            flag_for_link(services, so, &detail).await?;
            if give_up {
                return Err(crate::jobs::GiveUp(detail).into());
            }
            Ok(())
        }
        Decision::Refused(refusal) => refused(&services.db, so, expected, refusal).await,
        // Unanswered or refused to talk: the attempt stays *placement unknown* and the job is
        // retried with backoff; the retry reconciles before buying.
        Decision::Failed(error) => Err(super::supplier_failure(error)),
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
    raise_flag(
        &mut tx,
        so,
        crate::storage::flags::kind::LINK_BY_HAND,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Raises a flag of `kind` about the purchase, for a person to settle.
async fn raise_flag(
    tx: &mut Tx<'_>,
    so: &SupplierOrder,
    kind: &str,
    detail: &str,
) -> anyhow::Result<bool> {
    let label = so.label();
    let about = super::flags::About {
        id: so.id,
        label: &label,
    };
    super::flags::raise(tx, so.order_id, Some(about), kind, detail, placer()).await
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

fn placer() -> Actor {
    Actor::System("placer".into())
}

/// The purchase's status when another writer moved it away from `expected` since this run
/// read it (under the order's lock, which every writer of a purchase takes first).
async fn moved_since(
    tx: &mut Tx<'_>,
    so: &SupplierOrder,
    expected: SupplierOrderStatus,
) -> anyhow::Result<Option<SupplierOrderStatus>> {
    let (now, _) = supplier_orders::status_in(tx, so.id).await?;
    if now == expected {
        return Ok(None);
    }
    tracing::info!(supplier_order.id = %so.id, now = now.as_str(), expected = expected.as_str(),
        "the purchase moved while it was being placed: this run's decision is not written");
    Ok(Some(now))
}

/// The supplier said no: nothing bought, the reserve released, and the refusal's way out.
async fn refused(
    db: &Database,
    so: &SupplierOrder,
    expected: SupplierOrderStatus,
    refusal: Refusal,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    if moved_since(&mut tx, so, expected).await?.is_some() {
        return Ok(());
    }
    wallet::release(&mut tx, db.engine, so).await?;
    match refusal {
        Refusal::PriceIncreased { detail } => {
            supplier_orders::set_status(
                &mut tx,
                so.id,
                SupplierOrderStatus::AwaitingPlacement,
                None,
                None,
                Some(&detail),
            )
            .await?;
            let hold = Command::HoldForPrice { detail };
            order_tx::apply(&mut tx, so.order_id, hold, placer()).await?;
        }
        Refusal::OutOfStock { detail } if so.case_id.is_some() => {
            // A case's replacement: the case buys it again, not the order's route.
            let cancelled = Move::of(so, SupplierOrderStatus::Cancelled).noted(&detail);
            supplier_order_tx::apply(&mut tx, cancelled, placer()).await?;
            super::after_sale::replacement::refused(&mut tx, so, &detail).await?;
        }
        Refusal::OutOfStock { detail } => {
            // Our figure was wrong: its offers are read again at once.
            for item in &so.items {
                let key = (so.supplier.clone(), item.supplier_sku_id.clone());
                crate::storage::offer_readings::refused_for_stock(
                    &mut tx,
                    &key,
                    crate::storage::now_ms(),
                )
                .await?;
            }
            let cancelled = Move::of(so, SupplierOrderStatus::Cancelled).noted(&detail);
            supplier_order_tx::apply(&mut tx, cancelled, placer()).await?;
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
        Refusal::Rejected { detail } => {
            let rejected = Move::of(so, SupplierOrderStatus::Rejected).noted(&detail);
            supplier_order_tx::apply(&mut tx, rejected, placer()).await?;
            if let Some(case_id) = so.case_id.as_deref() {
                // A case's replacement refused outright: a person decides what now.
                let words = format!(
                    "{} rejected the replacement ({detail}): buy it by hand, or decide \
                     otherwise on the case",
                    so.label()
                );
                let kind = crate::storage::flags::kind::CASE_REPLACEMENT_FAILED;
                super::after_sale::case_tx::flag(
                    &mut tx,
                    so.order_id,
                    case_id,
                    kind,
                    &words,
                    placer(),
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    tracing::info!(supplier_order.id = %so.id, "supplier refused the purchase");
    Ok(())
}

/// Writes the purchase's new standing, settled against where the order stands now, with the
/// wallet movement, the follow-ups and the order's transition, in one transaction.
async fn record(
    services: &Services,
    so: &SupplierOrder,
    expected: SupplierOrderStatus,
    outcome: Outcome,
    auto_pay: bool,
) -> anyhow::Result<()> {
    let db = &services.db;
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    // Stale (let go, or recorded by another run, meanwhile): a handover or a cancellation
    // written now would undo that; only money taken meanwhile is still news.
    if let Some(now) = moved_since(&mut tx, so, expected).await? {
        if let Some(words) = placement::stale_but_charged(&outcome, now, &so.label()) {
            let kind = crate::storage::flags::kind::CANCEL_WITH_SUPPLIER;
            raise_flag(&mut tx, so, kind, &words).await?;
            tx.commit().await?;
        }
        return Ok(());
    }
    let order_stopped = orders::load_for_update(&mut tx, so.order_id)
        .await?
        .is_some_and(|o| o.state.stopped());
    let charges_by_itself = super::cancel::charges_by_itself(&so.supplier);
    let settlement = placement::settle(outcome, order_stopped, charges_by_itself);
    let outcome = &settlement.outcome;
    let mut so = so.clone();
    if let Some(cost) = outcome.cost {
        so.cost_minor = Some(cost.minor);
        so.currency = Some(cost.currency.code().to_string());
    }
    // Bought: the cost is known now, so this is when the wallet sets it aside.
    let shortfall = match settlement.reserve {
        true => match wallet::reserve(&mut tx, db.engine, &so, None).await? {
            Reserved::Yes | Reserved::NoCost => None,
            Reserved::InsufficientFunds(why) => Some(why),
        },
        false => None,
    };
    let written = settlement.written(shortfall.as_deref(), auto_pay);
    if let (true, Some(cost)) = (written.capture, so.cost()) {
        wallet::capture(&mut tx, db.engine, &so, cost).await?;
    }
    if written.pay {
        let pay = dropflow_core::jobs::PAY_SUPPLIER_ORDER;
        supplier_orders::enqueue_job(&mut tx, pay, so.id, so.order_id).await?;
    }
    let now = Utc::now();
    let next = services
        .cadence
        .next_supplier_sync(outcome.status, Some(now), now)
        .filter(|_| !bought_by_hand(&so));
    supplier_orders::schedule_sync(&mut tx, so.id, next, false).await?;
    let moved = Move {
        external_id: outcome.external_id.as_deref(),
        cost_minor: so.cost_minor,
        last_error: written.last_error.as_deref(),
        detail: written.note.clone(),
        ..Move::of(&so, outcome.status)
    };
    supplier_order_tx::apply(&mut tx, moved, placer()).await?;
    if let Some(detail) = written.payment_failed {
        let failed = OrderEvent::PaymentFailed {
            supplier: so.label(),
            detail,
        };
        order_tx::apply(
            &mut tx,
            so.order_id,
            Command::Record(vec![failed]),
            placer(),
        )
        .await?;
    }
    if settlement.charged_after_cancel {
        let reference = outcome.external_id.as_deref().unwrap_or("unknown");
        let detail = format!(
            "{} took payment with order {reference} while the order was being cancelled in \
             the store: ask them to cancel it before it ships",
            so.label()
        );
        let kind = crate::storage::flags::kind::CANCEL_WITH_SUPPLIER;
        raise_flag(&mut tx, &so, kind, &detail).await?;
    }
    if settlement.unpaid_after_cancel {
        let label = so.label();
        let reference = outcome.external_id.as_deref().unwrap_or("unknown");
        let detail = format!(
            "{label} placed order {reference} while the order was being cancelled in the \
             store, and {label} takes payment by itself: cancel it in {label}'s buyer centre \
             before it is paid. dropflow follows the order and settles this when {label} \
             reports it cancelled"
        );
        let kind = crate::storage::flags::kind::CANCEL_WITH_SUPPLIER;
        raise_flag(&mut tx, &so, kind, &detail).await?;
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
