//! The store cancelled an order whose warehouse leg had started. What was not bought yet is
//! let go of by the cancel job (its reserve released: everything back). What was bought goes
//! back by the refund rules for the stage each item reached — bought and still here, or sent
//! abroad — and a shipping fee paid for a parcel that has not left comes back by the same
//! rules. Each refund is posted once (the item's `<attempt>#wrefund-<item>` reference, the
//! same one a return uses, and `wfee-<package>#wcancel`), and the leg stops: nothing is
//! packed or dispatched after. One transaction.

use super::decisions::refund_reference;
use super::{note, Leg, Result, WarehouseError};
use crate::storage::ledger::{self, PostError};
use crate::storage::warehouse::{self as store, ItemRow};
use crate::storage::{Database, Tx};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::ledger::{LedgerError, Operation, PART_SEPARATOR};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::warehouse::consolidation::ItemState;
use dropflow_core::warehouse::inspection::FailureChoice;
use dropflow_core::warehouse::refunds::{RefundBreakdown, RefundRules, RefundStage};
use dropflow_core::warehouse::stage::{WarehouseCommand, WarehouseStage as S};

/// What posting one refund came to.
enum Posted {
    Now,
    /// Posted by an earlier run (or a return): nothing more.
    Before,
    /// The purchase has nothing captured left to refund (never paid: its reserve is released).
    NothingCaptured,
}

/// Refunds what the cancelled order's leg bought, by the rules, and stops the leg. Nothing to
/// do for an order without a leg; a repeat posts nothing more.
pub async fn order_cancelled(db: &Database, order_id: OrderId) -> Result<()> {
    let rules = super::refund_rules(db).await?;
    let mut tx = db.begin().await?;
    let Some(mut leg) = Leg::load(&mut tx, order_id).await? else {
        return Ok(());
    };
    let mut notes = Vec::new();
    for item in store::items(&mut tx, order_id).await? {
        if let Some(line) = refund_item(&mut tx, db, &leg, &item, &rules).await? {
            notes.push(note("cancel_refund", line));
        }
    }
    notes.extend(leave_shared_parcels(&mut tx, &leg).await?);
    for line in refund_fees(&mut tx, db, &leg, &rules).await? {
        notes.push(note("cancel_refund", line));
    }
    let actor = Actor::System("canceller".into());
    if matches!(leg.leg.stage, S::Dispatched | S::Delivered | S::Cancelled) {
        if !notes.is_empty() {
            leg.save(&mut tx, notes, &actor).await?;
        }
    } else {
        notes.push(note(
            "cancelled",
            "the order was cancelled: the warehouse packs and dispatches nothing more",
        ));
        leg.step(&mut tx, WarehouseCommand::Cancel, notes, &actor)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A parcel the order shares with other orders and that has not left goes on without it: the
/// others are not held up by this cancellation, and its fee (paid for them too) stays paid.
/// The other orders' timelines say so, so the operator re-checks the parcel before the label.
async fn leave_shared_parcels(
    tx: &mut Tx<'_>,
    leg: &Leg,
) -> Result<Vec<dropflow_core::event::OrderEvent>> {
    let mut notes = Vec::new();
    let me = leg.order_id.to_string();
    for package in store::packages_in(tx, leg.order_id).await? {
        if package.dispatched_at.is_some() {
            continue;
        }
        let Some(full) = store::package(tx, &package.id).await? else {
            continue;
        };
        let others: Vec<&String> = full.order_ids.iter().filter(|o| **o != me).collect();
        if others.is_empty() {
            continue;
        }
        store::take_out_of_package(tx, &package.id, &me).await?;
        notes.push(note(
            "taken_out",
            format!(
                "taken out of the parcel it shared with {} other order(s); that parcel goes on \
                 without this order's items and its fee stays paid",
                others.len()
            ),
        ));
        for other in others {
            let Ok(other_id) = other.parse::<OrderId>() else {
                continue;
            };
            crate::fulfilment::order_tx::apply(
                tx,
                other_id,
                dropflow_core::lifecycle::Command::Record(vec![note(
                    "combined_order_cancelled",
                    "an order sharing this parcel was cancelled and its items taken out: \
                     re-check the parcel's contents before labelling",
                )]),
                Actor::System("canceller".into()),
            )
            .await?;
        }
    }
    Ok(notes)
}

/// The item's goods refund by the stage it reached; the note line when something was posted.
async fn refund_item(
    tx: &mut Tx<'_>,
    db: &Database,
    leg: &Leg,
    item: &ItemRow,
    rules: &RefundRules,
) -> Result<Option<String>> {
    let returned = ItemState::Failed {
        choice: Some(FailureChoice::ReturnAndRefund),
    };
    if item.state == returned {
        // Refunded when it was returned (same reference: it could not be posted twice).
        return Ok(None);
    }
    let Some((cost, code)) = store::item_cost(tx, item).await? else {
        return Ok(Some(format!(
            "{}: its purchase has no single known goods cost; settle it by hand",
            item.title
        )));
    };
    let currency = currency(&code)?;
    let shipped = item.state == ItemState::Shipped || dispatched(tx, item).await?;
    let stage = RefundStage::reached(true, shipped);
    let breakdown = match rules.refund_goods(stage, Money::new(cost, currency)) {
        Ok(b) => b,
        Err(e) => return Ok(Some(format!("{}: no refund computed: {e}", item.title))),
    };
    let (_, _, attempt_id) = store::item_purchase(tx, item).await?;
    let reference = refund_reference(&attempt_id, &item.id);
    Ok(match post(tx, db, leg, breakdown.total, reference).await? {
        Posted::Now => Some(describe(
            &item.title,
            Money::new(cost, currency),
            &breakdown,
        )),
        Posted::Before | Posted::NothingCaptured => None,
    })
}

/// Shipping fees paid for parcels, by whether each has left.
async fn refund_fees(
    tx: &mut Tx<'_>,
    db: &Database,
    leg: &Leg,
    rules: &RefundRules,
) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for package in store::packages_in(tx, leg.order_id).await? {
        let (Some(fee_ref), Some(minor), Some(code)) = (
            package.fee_ledger_ref.as_deref(),
            package.fee_minor,
            package.fee_currency.as_deref(),
        ) else {
            continue;
        };
        let stage = RefundStage::reached(true, package.dispatched_at.is_some());
        let fee = Money::new(minor, currency(code)?);
        let breakdown = rules
            .refund_shipping_fee(stage, fee)
            .map_err(|e| WarehouseError::Internal(anyhow::anyhow!("refund rules: {e}")))?;
        let reference = format!("{fee_ref}{PART_SEPARATOR}wcancel");
        if let Posted::Now = post(tx, db, leg, breakdown.total, reference).await? {
            lines.push(describe("international shipping fee", fee, &breakdown));
        }
    }
    Ok(lines)
}

async fn post(
    tx: &mut Tx<'_>,
    db: &Database,
    leg: &Leg,
    amount: Money,
    reference: String,
) -> Result<Posted> {
    if amount.minor <= 0 {
        // Nothing goes back by the rules; there is nothing to post or to repeat.
        return Ok(Posted::Before);
    }
    let refund = Operation::Refund { amount, reference };
    match ledger::post(tx, db.engine, leg.store_id, &refund).await {
        Ok(_) => Ok(Posted::Now),
        Err(PostError::Refused(LedgerError::Duplicate { .. })) => Ok(Posted::Before),
        Err(PostError::Refused(LedgerError::RefundExceedsCapture { .. })) => {
            Ok(Posted::NothingCaptured)
        }
        Err(e) => Err(WarehouseError::Internal(e.into())),
    }
}

/// Whether the item left in an international parcel.
async fn dispatched(tx: &mut Tx<'_>, item: &ItemRow) -> Result<bool> {
    let Some(package_id) = item.package_id.as_deref() else {
        return Ok(false);
    };
    Ok(store::package(tx, package_id)
        .await?
        .is_some_and(|p| p.dispatched_at.is_some()))
}

fn currency(code: &str) -> Result<Currency> {
    Currency::from_code(code)
        .map_err(|_| WarehouseError::Internal(anyhow::anyhow!("stored currency {code:?}")))
}

/// "Linen tote bag: paid CNY 18.50, CNY 18.50 − CNY 10.00 domestic return postage = …".
fn describe(what: &str, paid: Money, b: &RefundBreakdown) -> String {
    let stage = match b.stage {
        RefundStage::BeforePurchase => "not bought",
        RefundStage::AfterPurchaseBeforeShipping => "bought, not shipped",
        RefundStage::AfterShipping => "shipped",
    };
    let share = b.product.minor + b.shipping.minor;
    let kept = if b.deduction.minor > 0 {
        format!(" − {} {}", b.deduction, b.deduction_label)
    } else {
        String::new()
    };
    format!(
        "{what}: paid {paid}, by the rules {}{kept} = {} back to the wallet ({stage})",
        Money::new(share, paid.currency),
        b.total
    )
}
