//! A refund made in the store, as its webhook (Shopify `refunds/create`) or a read-back
//! (WooCommerce, [`super::read_refunds`]) tells it: a new case already refunded on the
//! customer's side (the supplier side still to follow up); or, when it refunds a store
//! return (`"return": {"id": …}`) that a case follows, the refund of that case; or, when its
//! note carries a case's marker, the refund dropflow asked for that case. Idempotent per
//! store refund id.

use super::case_tx::{self, Entry};
use super::facts::{positions, read_facts};
use super::store_return::case_of_return;
use super::CaseError;
use crate::platforms::admin_refund::case_in_note;
use crate::storage::cases::{self as store, NewCase, StoredCase};
use crate::storage::{orders, Database};
use dropflow_core::after_sale::store_return::ReturnStatus;
use dropflow_core::after_sale::{self as core, Applied, CaseEvent, CaseMoney, StoreRefund};
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::money::Money;

/// What a store refund delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRefundOutcome {
    /// A case opened, already refunded on the customer's side (its id).
    Opened { order_id: OrderId, case_id: String },
    /// A refund dropflow made for a case (its marker in the note), or the refund of a store
    /// return a case follows, recorded on that case.
    Recorded { order_id: OrderId, case_id: String },
    /// The refund was recorded before (a repeated delivery): nothing written.
    Duplicate { order_id: OrderId },
    /// Not a case: the order is not one dropflow took, or the refund claims no shipped unit
    /// (a refund before shipping is a cancellation, which the order's own update carries).
    NotACase { order_id: Option<OrderId> },
}

/// A refund made in the store becomes a case resolved on the customer side, so the supplier
/// side still gets its follow-up; a refund dropflow made for a case is recorded on that case
/// (whichever of the refund job and this delivery comes first). Idempotent per store refund
/// id.
pub async fn record(
    db: &Database,
    store_id: StoreId,
    platform: &str,
    refund: &StoreRefund,
) -> Result<StoreRefundOutcome, CaseError> {
    let mut tx = db.begin().await?;
    let found =
        orders::find_many_for_update(&mut tx, store_id, &[refund.order_external_id.as_str()])
            .await?;
    let Some((_, order)) = found.into_iter().next() else {
        return Ok(StoreRefundOutcome::NotACase { order_id: None });
    };
    let order_id = order.id;
    orders::lock(&mut tx, order_id).await?;
    let cases = store::for_order_in(&mut tx, order_id).await?;
    let reference = format!("refund:{}", refund.refund_id);
    let known = |case: &StoredCase| {
        case.store_reference.as_deref() == Some(reference.as_str())
            || case
                .state
                .refunds
                .iter()
                .any(|r| r.reference == refund.refund_id)
    };
    if cases.iter().any(known) {
        return Ok(StoreRefundOutcome::Duplicate { order_id });
    }
    let actor = Actor::Store(platform.to_string());
    let ours = refund.note.as_deref().and_then(case_in_note);
    // The refund of a store return lands on the case that follows that return; dropflow's
    // own refund, on the case its note names.
    let of_return = refund
        .return_id
        .as_deref()
        .and_then(|id| case_of_return(&cases, id));
    let by_marker = || ours.and_then(|id| cases.iter().find(|c| c.id == id));
    if let Some(case) = of_return.or_else(by_marker) {
        let recorded = record_our_refund(&mut tx, case, refund, actor).await?;
        tx.commit()
            .await
            .map_err(crate::storage::StorageError::from)?;
        return Ok(match recorded {
            true => StoreRefundOutcome::Recorded {
                order_id,
                case_id: case.id.clone(),
            },
            false => StoreRefundOutcome::Duplicate { order_id },
        });
    }
    let (detail, facts) = read_facts(&mut tx, order_id, None).await?;
    let currency = facts.currency;
    let Some((lines, state)) = core::from_store_refund(&facts, refund)
        .map_err(|e| CaseError::Unprocessable(e.to_string()))?
    else {
        return Ok(StoreRefundOutcome::NotACase {
            order_id: Some(order_id),
        });
    };
    let lines = positions(&detail, &lines);
    let opened_by = actor.label();
    let money = CaseMoney::of(&state).refunded;
    let entry = Entry {
        step: "opened",
        detail: format!(
            "refunded in the store: {} {} for {} unit(s)",
            money.to_decimal_string(),
            currency.code(),
            lines.iter().map(|(_, q)| q).sum::<u32>()
        ),
        actor,
    };
    let new_case = NewCase {
        order_id,
        store_id,
        state: &state,
        lines: &lines,
        note: refund.note.as_deref(),
        opened_by: &opened_by,
        store_reference: Some(&reference),
    };
    let case_id = case_tx::insert(&mut tx, &new_case, entry).await?;
    if let Some(return_id) = refund.return_id.as_deref() {
        // The store refunds only an open return: its later deliveries (closed, reopened)
        // find this case, and its request or approval, delivered late, opens no second one.
        if store::by_store_return(&mut tx, store_id, return_id)
            .await?
            .is_none()
        {
            let open = ReturnStatus::Open.as_str();
            store::link_store_return(&mut tx, &case_id, return_id, open).await?;
        }
    }
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(order.id = %order_id, case.id = %case_id, "case opened by a store refund");
    Ok(StoreRefundOutcome::Opened { order_id, case_id })
}

/// The store telling of a refund dropflow asked for a case: the money lands on that case.
/// Whether anything was written (a refund that moved no money changes nothing).
async fn record_our_refund(
    tx: &mut crate::storage::Tx<'_>,
    case: &StoredCase,
    refund: &StoreRefund,
    actor: Actor,
) -> Result<bool, CaseError> {
    let currency = case.state.currency;
    if let Some(given) = refund.currency.filter(|c| *c != currency) {
        return Err(CaseError::Unprocessable(format!(
            "refund: the amount is in {}, the case in {}",
            given.code(),
            currency.code()
        )));
    }
    if refund.total_minor <= 0 {
        return Ok(false);
    }
    let amount = Money::new(refund.total_minor, currency);
    let event = CaseEvent::CustomerRefunded {
        refund_id: refund.refund_id.clone(),
        amount,
    };
    let entry = Entry {
        step: "refunded",
        detail: format!(
            "refunded through the store: {} {} (refund {})",
            amount.to_decimal_string(),
            currency.code(),
            refund.refund_id
        ),
        actor,
    };
    match core::apply(&case.state, event).map_err(|e| CaseError::Conflict(e.to_string()))? {
        Applied::Unchanged => Ok(false),
        Applied::Changed(next) => {
            case_tx::save(tx, case, &next, entry).await?;
            Ok(true)
        }
    }
}
