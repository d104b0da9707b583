//! After-sale cases: a merchant opens one for some units of an order's shipped lines, with a
//! reason and a resolution (refund, reship, exchange, return first), and records what happens
//! to it (the return's tracking, its arrival, restock or disposal, a decision, a decline, the
//! close). Each action reads the order and its other cases under the order's lock, asks
//! `dropflow_core::after_sale` (`open`, `apply`), and writes the case and a timeline entry in
//! one transaction; a refused request writes nothing.

use super::{ActionError, Caller, Context, MERCHANTS};
use crate::fulfilment::case_tx::{self, Entry};
use crate::platforms::admin_refund::case_in_note;
use crate::storage::cases::{self as store, CaseQuery, NewCase, StoredCase};
use crate::storage::orders;
use dropflow_core::after_sale::{
    self as core, Applied, CaseEvent, CaseLine, CaseMoney, CaseReason, CaseRequest, StoreRefund,
};
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::money::Money;
use facts::{check_decision, positions, read_facts};
use inputs::{checked_note, resolution};
use views::view;

mod facts;
mod inputs;
mod views;

pub use inputs::{CaseLineInput, CaseListParams, CaseStepInput, OpenCaseInput, ResolutionInput};
pub use views::{CaseCountsView, CaseLineView, CaseMoneyView, CasePage, CaseView};

/// Opens a case on an order; its view (201).
pub async fn open(
    ctx: &Context,
    caller: &Caller,
    order_ref: &str,
    input: OpenCaseInput,
) -> Result<CaseView, ActionError> {
    caller.require(MERCHANTS, "open cases")?;
    let reason = CaseReason::parse(&input.reason).ok_or_else(|| {
        ActionError::Unprocessable(format!(
            "reason: {:?} is not one of damaged, wrong_item, not_as_described, not_received, \
             changed_mind, other",
            input.reason
        ))
    })?;
    let note = checked_note("note", input.note.as_deref())?;
    let order_id = super::orders::resolve(ctx, caller, order_ref).await?;
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, order_id).await?;
    let (detail, facts) = read_facts(&mut tx, order_id, None).await?;
    let resolution = resolution(input.resolution, facts.currency)?;
    let request = CaseRequest {
        reason,
        lines: input
            .lines
            .iter()
            .map(|l| CaseLine {
                line_id: l.line_id.trim().to_string(),
                quantity: l.quantity,
            })
            .collect(),
        resolution,
    };
    let opening =
        core::open(&facts, &request).map_err(|e| ActionError::Unprocessable(e.to_string()))?;
    let lines = positions(&detail, &request.lines);
    let units: u32 = lines.iter().map(|(_, q)| q).sum();
    let actor = Actor::Merchant(caller.actor.clone());
    let opened_by = actor.label();
    let entry = Entry {
        step: "opened",
        detail: format!(
            "{} unit(s), {}: {}",
            units,
            reason.as_str().replace('_', " "),
            opening.state.resolution.kind().replace('_', " ")
        ),
        actor,
    };
    let new_case = NewCase {
        order_id,
        store_id: detail.summary.store_id,
        state: &opening.state,
        lines: &lines,
        note: note.as_deref(),
        opened_by: &opened_by,
        store_reference: None,
    };
    let case_id = case_tx::insert(&mut tx, &new_case, entry)
        .await
        .map_err(internal)?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(order.id = %order_id, case.id = %case_id, "case opened");
    show(ctx, caller, &case_id).await
}

/// What a store refund delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRefundOutcome {
    /// A case opened, already refunded on the customer's side (its id).
    Opened { order_id: OrderId, case_id: String },
    /// A refund dropflow made for a case (its marker in the note), recorded on that case.
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
pub async fn record_store_refund(
    ctx: &Context,
    store_id: StoreId,
    platform: &str,
    refund: &StoreRefund,
) -> Result<StoreRefundOutcome, ActionError> {
    let mut tx = ctx.db.begin().await?;
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
    if let Some(case) = ours.and_then(|id| cases.iter().find(|c| c.id == id)) {
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
        .map_err(|e| ActionError::Unprocessable(e.to_string()))?
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
    let case_id = case_tx::insert(&mut tx, &new_case, entry)
        .await
        .map_err(internal)?;
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
) -> Result<bool, ActionError> {
    let currency = case.state.currency;
    if let Some(given) = refund.currency.filter(|c| *c != currency) {
        return Err(ActionError::Unprocessable(format!(
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
    match core::apply(&case.state, event).map_err(|e| ActionError::Conflict(e.to_string()))? {
        Applied::Unchanged => Ok(false),
        Applied::Changed(next) => {
            case_tx::save(tx, case, &next, entry)
                .await
                .map_err(internal)?;
            Ok(true)
        }
    }
}

/// A write's failure as the action's: a storage error keeps its meaning (a case changed
/// meanwhile is a 409), anything else is internal.
fn internal(error: anyhow::Error) -> ActionError {
    match error.downcast::<crate::storage::StorageError>() {
        Ok(storage) => storage.into(),
        Err(other) => ActionError::internal(other),
    }
}

/// Records one step of a case; its view afterwards. The same step twice (the return
/// delivered again) changes nothing.
pub async fn step(
    ctx: &Context,
    caller: &Caller,
    case_id: &str,
    input: CaseStepInput,
) -> Result<CaseView, ActionError> {
    caller.require(MERCHANTS, "work on cases")?;
    let seen = scoped(ctx, caller, case_id).await?;
    let currency = seen.state.currency;
    let (event, name, words) = match input {
        CaseStepInput::ReturnShipped {
            tracking_number,
            accept_unverified,
        } => {
            let number =
                super::procurement::checked_tracking_number(&tracking_number, accept_unverified)?;
            (
                CaseEvent::ReturnShipped {
                    tracking_number: number.clone(),
                },
                "return_shipped",
                format!("the customer sent the goods back: {number}"),
            )
        }
        CaseStepInput::ReturnDelivered => (
            CaseEvent::ReturnDelivered,
            "return_delivered",
            "the returned goods arrived".to_string(),
        ),
        CaseStepInput::ReturnSettled { restocked } => (
            CaseEvent::ReturnSettled { restocked },
            "return_settled",
            if restocked {
                "restocked"
            } else {
                "disposed of"
            }
            .to_string(),
        ),
        CaseStepInput::Decide { resolution: chosen } => {
            let resolution = resolution(chosen, currency)?;
            let kind = resolution.kind().replace('_', " ");
            (CaseEvent::Decided { resolution }, "decided", kind)
        }
        CaseStepInput::Decline { note } => {
            let note = checked_note("note", Some(&note))?
                .ok_or_else(|| ActionError::Unprocessable("note: say why it is declined".into()))?;
            (CaseEvent::Declined { note: note.clone() }, "declined", note)
        }
        CaseStepInput::Close { note } => {
            let note = checked_note("note", note.as_deref())?;
            (
                CaseEvent::Close {
                    at_ms: crate::storage::now_ms(),
                    note: note.clone(),
                },
                "closed",
                note.unwrap_or_default(),
            )
        }
    };
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, seen.order_id).await?;
    let case = store::get_in(&mut tx, case_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("case {case_id:?} not found")))?;
    if let CaseEvent::Decided { resolution } = &event {
        // A decision after the goods are back is checked like an opening: a refund no larger
        // than the lines were paid and what other cases have not already refunded.
        check_decision(&mut tx, &case, resolution).await?;
    }
    match core::apply(&case.state, event).map_err(|e| ActionError::Conflict(e.to_string()))? {
        Applied::Unchanged => {}
        Applied::Changed(next) => {
            let entry = Entry {
                step: name,
                detail: words,
                actor: Actor::Merchant(caller.actor.clone()),
            };
            case_tx::save(&mut tx, &case, &next, entry)
                .await
                .map_err(internal)?;
        }
    }
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    show(ctx, caller, case_id).await
}

/// One case the caller may see.
pub async fn show(ctx: &Context, caller: &Caller, case_id: &str) -> Result<CaseView, ActionError> {
    caller.require(MERCHANTS, "read cases")?;
    Ok(view(scoped(ctx, caller, case_id).await?))
}

/// Every case of an order, newest first.
pub async fn for_order(
    ctx: &Context,
    caller: &Caller,
    order_ref: &str,
) -> Result<Vec<CaseView>, ActionError> {
    caller.require(MERCHANTS, "read cases")?;
    let order_id = super::orders::resolve(ctx, caller, order_ref).await?;
    Ok(store::for_order(&ctx.db, order_id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Cases the caller may see, newest first, with the counts of the Returns tab.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    params: CaseListParams,
) -> Result<CasePage, ActionError> {
    caller.require(MERCHANTS, "read cases")?;
    let closed = match params.status.as_deref().unwrap_or("open") {
        "open" => Some(false),
        "closed" => Some(true),
        "all" => None,
        other => {
            return Err(ActionError::Invalid(format!(
                "status {other:?}: use open, closed or all"
            )))
        }
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ActionError::Invalid(
            "limit must be between 1 and 500".into(),
        ));
    }
    if let Some(cursor) = &params.cursor {
        uuid::Uuid::parse_str(cursor)
            .map_err(|_| ActionError::Invalid("cursor is not one this API returned".into()))?;
    }
    let cases = store::list(
        &ctx.db,
        &CaseQuery {
            scope: caller.scope.clone(),
            closed,
            before: params.cursor,
            limit,
        },
    )
    .await?;
    let next_cursor = (cases.len() == limit as usize)
        .then(|| cases.last().map(|c| c.id.clone()))
        .flatten();
    let counts = store::counts(&ctx.db, &caller.scope).await?.into();
    Ok(CasePage {
        cases: cases.into_iter().map(view).collect(),
        next_cursor,
        counts,
    })
}

/// The case, if the caller sees its order; otherwise 404.
async fn scoped(ctx: &Context, caller: &Caller, case_id: &str) -> Result<StoredCase, ActionError> {
    let not_found = || ActionError::NotFound(format!("case {case_id:?} not found"));
    uuid::Uuid::parse_str(case_id).map_err(|_| not_found())?;
    store::get(&ctx.db, &caller.scope, case_id)
        .await?
        .ok_or_else(not_found)
}
