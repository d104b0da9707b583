//! What the merchant's choice on a failed item does, inside the choice's transaction:
//!
//! - return and refund: the item's goods cost is refunded to the wallet as the refund rules
//!   say for the stage reached (bought, not shipped abroad), once — the ledger reference is
//!   `<purchase attempt>#wrefund-<item>`, a part of the purchase's capture, so it is posted at
//!   most once and never beyond what the purchase captured — and the seller is asked through
//!   the marketplace's API to take the goods back (`seller_return`, a job);
//! - reorder: the line is bought again (same marketplace product and variant, same quantity)
//!   as a new supplier order placed by the normal place/pay jobs with its own attempt id; its
//!   new warehouse item waits for its own parcel, the failed one never ships.

use super::{note, Leg, Result, WarehouseError};
use crate::storage::ledger::{self, PostError};
use crate::storage::supplier_orders;
use crate::storage::warehouse::{self as store, ItemRow};
use crate::storage::{Database, Tx};
use dropflow_core::catalog::SupplierRef;
use dropflow_core::event::OrderEvent;
use dropflow_core::ids::SupplierOrderId;
use dropflow_core::ledger::{LedgerError, Operation, PART_SEPARATOR};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::routing::PlannedPurchase;
use dropflow_core::supplier::SupplierKind;
use dropflow_core::warehouse::refunds::{RefundBreakdown, RefundRules, RefundStage};

/// The stage a failed item's return is refunded at: bought, not shipped abroad.
const RETURN_STAGE: RefundStage = RefundStage::AfterPurchaseBeforeShipping;

/// The ledger reference of an item's refund: a part of its purchase's capture.
pub fn refund_reference(attempt_id: &str, item_id: &str) -> String {
    format!("{attempt_id}{PART_SEPARATOR}wrefund-{item_id}")
}

/// Refunds the failed item's goods to the wallet by the rules; the timeline note with the
/// breakdown. Nothing captured for it (or a cost that cannot be told) is a conflict, and the
/// caller's transaction is dropped: nothing written.
pub(crate) async fn return_and_refund(
    tx: &mut Tx<'_>,
    db: &Database,
    leg: &Leg,
    item: &ItemRow,
    rules: &RefundRules,
) -> Result<OrderEvent> {
    let cannot = |why: String| {
        WarehouseError::Conflict(format!(
            "the refund for item {} ({}) cannot be computed: {why}; nothing was changed",
            item.id, item.title
        ))
    };
    let (cost, code) = store::item_cost(tx, item)
        .await?
        .ok_or_else(|| cannot("its purchase has no single known goods cost".into()))?;
    let currency = Currency::from_code(&code)
        .map_err(|_| WarehouseError::Internal(anyhow::anyhow!("stored currency {code:?}")))?;
    let breakdown = rules
        .refund_goods(RETURN_STAGE, Money::new(cost, currency))
        .map_err(|e| cannot(e.to_string()))?;
    let (_, _, attempt_id) = store::item_purchase(tx, item).await?;
    let reference = refund_reference(&attempt_id, &item.id);
    let order_id = leg.order_id;
    super::seller_return::enqueue(
        tx,
        order_id,
        &item.supplier_order_id,
        &item.id,
        Money::new(cost, currency),
    )
    .await?;
    if breakdown.total.minor > 0 {
        let refund = Operation::Refund {
            amount: breakdown.total,
            reference,
        };
        match ledger::post(tx, db.engine, leg.store_id, &refund).await {
            Ok(_) | Err(PostError::Refused(LedgerError::Duplicate { .. })) => {}
            Err(PostError::Refused(LedgerError::RefundExceedsCapture { captured, .. })) => {
                return Err(cannot(format!(
                    "its purchase captured {captured} that can still be refunded (not paid \
                     yet, or refunded already)"
                )));
            }
            Err(e) => return Err(WarehouseError::Internal(e.into())),
        }
    }
    Ok(note(
        "refund",
        describe(item, Money::new(cost, currency), &breakdown),
    ))
}

/// "Item: goods CNY 45.90, by the rules CNY 45.90 − CNY 10.00 domestic return postage =
/// CNY 35.90 back to the wallet."
fn describe(item: &ItemRow, paid: Money, b: &RefundBreakdown) -> String {
    let kept = if b.deduction.minor > 0 {
        let label = if b.deduction_label.is_empty() {
            "deduction"
        } else {
            b.deduction_label.as_str()
        };
        format!(" − {} {label}", b.deduction)
    } else {
        String::new()
    };
    format!(
        "{}: returned to the seller; goods paid {paid}, by the refund rules {}{kept} = {} back \
         to the wallet (bought, not shipped); the seller is asked to take the goods back.",
        item.title, b.product, b.total
    )
}

/// Buys the failed item's line again and creates its replacement item; the timeline note.
pub(crate) async fn reorder(tx: &mut Tx<'_>, leg: &Leg, item: &ItemRow) -> Result<OrderEvent> {
    let (kind, account, _) = store::item_purchase(tx, item).await?;
    let kind = SupplierKind::parse(&kind)
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("supplier kind {kind:?}")))?;
    let items = store::item_line_bought(tx, item).await?;
    if items.is_empty() {
        return Err(WarehouseError::Conflict(format!(
            "item {} ({}) cannot be reordered: its purchase lists no goods for the line",
            item.id, item.title
        )));
    }
    let purchase = PlannedPurchase {
        supplier: SupplierRef { kind, account },
        items,
    };
    // Placed now whatever the store's auto-order: the merchant's choice is the order to buy.
    let created = supplier_orders::create_from_plan(tx, leg.order_id, &[purchase], true).await?;
    let new: SupplierOrderId = created
        .first()
        .copied()
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("no supplier order created")))?;
    store::ensure_items(tx, leg.order_id, new).await?;
    Ok(note(
        "reorder",
        format!(
            "{}: bought again (purchase {new}, quantity {}); the failed item stays here and \
             does not ship, the order waits for the replacement",
            item.title, item.quantity
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_reference_is_a_part_of_the_purchase_capture() {
        let r = refund_reference("0190abc", "item-1");
        assert_eq!(r, "0190abc#wrefund-item-1");
        assert_eq!(dropflow_core::ledger::captured_reference(&r), "0190abc");
    }
}
