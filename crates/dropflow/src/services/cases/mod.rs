//! After-sale cases: a merchant opens one for some units of an order's shipped lines, with a
//! reason and a resolution (refund, reship, exchange, return first), and records what happens
//! to it (the return's tracking, its arrival, restock or disposal, a decision, a decline, the
//! close). Each action reads the order and its other cases under the order's lock, asks
//! `dropflow_core::after_sale` (`open`, `apply`), and writes the case and a timeline entry in
//! one transaction; a refused request writes nothing.

use super::{ActionError, Caller, Context, MERCHANTS};
use crate::fulfilment::after_sale::case_tx::{self, Entry};
use crate::fulfilment::after_sale::facts::{check_decision, positions, read_facts};
use crate::fulfilment::after_sale::{store_refund, store_return, supplier_credit, CaseError};
use crate::storage::accounts::Role;
use crate::storage::cases::{self as store, CaseQuery, NewCase, StoredCase};
use crate::storage::orders;
use crate::storage::supplier_orders::{self, SupplierOrder};
use dropflow_core::after_sale::store_return::StoreReturn;
use dropflow_core::after_sale::{
    self as core, Applied, CaseEvent, CaseLine, CaseReason, CaseRequest, StoreRefund,
};
use dropflow_core::event::Actor;
use dropflow_core::ids::StoreId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use inputs::{checked_note, resolution};
use views::view;

pub use crate::fulfilment::after_sale::store_refund::StoreRefundOutcome;
pub use crate::fulfilment::after_sale::store_return::{ReturnDelivery, StoreReturnOutcome};

mod inputs;
/// The customer's photos of a case: added by the merchant's people, seen by whoever sees it.
pub mod photos;
mod views;

pub use inputs::{CaseLineInput, CaseListParams, CaseStepInput, OpenCaseInput, ResolutionInput};
pub use photos::{CasePhotoUpload, CasePhotoView};
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
        .map_err(CaseError::from)?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(order.id = %order_id, case.id = %case_id, "case opened");
    show(ctx, caller, &case_id).await
}

/// A refund made in the store becomes a case resolved on the customer side, or lands on the
/// case dropflow refunded for ([`after_sale::store_refund::record`]).
pub async fn record_store_refund(
    ctx: &Context,
    store_id: StoreId,
    platform: &str,
    refund: &StoreRefund,
) -> Result<StoreRefundOutcome, ActionError> {
    Ok(store_refund::record(&ctx.db, store_id, platform, refund).await?)
}

/// A return made in the store opens a return-first case, or moves the case that follows it
/// ([`after_sale::store_return::record`]).
pub async fn record_store_return(
    ctx: &Context,
    store_id: StoreId,
    platform: &str,
    store: &str,
    delivery: &ReturnDelivery<'_>,
    ret: &StoreReturn,
) -> Result<StoreReturnOutcome, ActionError> {
    Ok(store_return::record(&ctx.db, store_id, platform, store, delivery, ret).await?)
}

/// Records one step of a case; its view afterwards. The same step twice (the return
/// delivered again) changes nothing.
pub async fn step(
    ctx: &Context,
    caller: &Caller,
    case_id: &str,
    input: CaseStepInput,
) -> Result<CaseView, ActionError> {
    if matches!(
        input,
        CaseStepInput::SupplierCredited { .. } | CaseStepInput::SupplierRefused { .. }
    ) {
        return supplier_answer(ctx, caller, case_id, input).await;
    }
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
        CaseStepInput::SupplierCredited { .. } | CaseStepInput::SupplierRefused { .. } => {
            return Err(ActionError::Internal(
                "supplier answers are recorded by supplier_answer".into(),
            ))
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
    let returned = match &event {
        CaseEvent::ReturnShipped { tracking_number } => Some(tracking_number.clone()),
        _ => None,
    };
    match core::apply(&case.state, event).map_err(|e| ActionError::Conflict(e.to_string()))? {
        Applied::Unchanged => {}
        Applied::Changed(next) => {
            // The return parcel is followed with the carrier like any other.
            if let Some(number) = returned {
                crate::fulfilment::after_sale::returns::follow(
                    &mut tx,
                    case.order_id,
                    &number,
                    &ctx.cadence,
                )
                .await
                .map_err(CaseError::from)?;
            }
            let entry = Entry {
                step: name,
                detail: words,
                actor: Actor::Merchant(caller.actor.clone()),
            };
            case_tx::save(&mut tx, &case, &next, entry)
                .await
                .map_err(CaseError::from)?;
        }
    }
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    show(ctx, caller, case_id).await
}

/// Who may answer for a case's supplier: the merchant (a supplier asked by hand), or the
/// marketplace vendor asked (its scope sees only the cases about its purchases).
const SUPPLIER_ANSWERERS: &[Role] = &[Role::Owner, Role::Staff, Role::Vendor];

/// The longest supplier reference kept.
const REFERENCE_LIMIT: usize = 200;

/// Records the supplier's answer to a case: a refund (credited to the case and, when the
/// purchase was paid from the wallet, back into it, once per supplier reference) or a
/// refusal. By the merchant, or by the vendor the case asks.
async fn supplier_answer(
    ctx: &Context,
    caller: &Caller,
    case_id: &str,
    input: CaseStepInput,
) -> Result<CaseView, ActionError> {
    caller.require(SUPPLIER_ANSWERERS, "answer for a case's supplier")?;
    let seen = scoped(ctx, caller, case_id).await?;
    let purchase = asked_purchase(ctx, &seen).await?;
    let actor = Actor::Merchant(caller.actor.clone());
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, seen.order_id).await?;
    let case = store::get_in(&mut tx, case_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("case {case_id:?} not found")))?;
    match input {
        CaseStepInput::SupplierCredited {
            amount,
            currency,
            reference,
        } => {
            let reference = reference.trim();
            if reference.is_empty() || reference.chars().count() > REFERENCE_LIMIT {
                return Err(ActionError::Unprocessable(format!(
                    "reference: the supplier's own refund or dispute id (1 to {REFERENCE_LIMIT} characters)"
                )));
            }
            let code = currency
                .or_else(|| purchase.as_ref().and_then(|p| p.currency.clone()))
                .unwrap_or_else(|| case.state.currency.code().to_string());
            let currency = Currency::from_code(code.trim())
                .map_err(|e| ActionError::Unprocessable(format!("currency: {e}")))?;
            let amount = Money::parse_decimal(amount.trim(), currency)
                .map_err(|e| ActionError::Unprocessable(format!("amount: {e}")))?;
            if amount.minor <= 0 {
                return Err(ActionError::Unprocessable(
                    "amount: must be more than 0".into(),
                ));
            }
            supplier_credit::record(
                &mut tx,
                ctx.db.engine,
                &case,
                purchase.as_ref(),
                reference,
                amount,
                actor,
            )
            .await
            .map_err(answer_error)?;
        }
        CaseStepInput::SupplierRefused { note } => {
            let note = checked_note("note", Some(&note))?
                .ok_or_else(|| ActionError::Unprocessable("note: say why it refused".into()))?;
            let event = CaseEvent::SupplierRefused { note: note.clone() };
            if let Applied::Changed(next) =
                core::apply(&case.state, event).map_err(|e| ActionError::Conflict(e.to_string()))?
            {
                let entry = Entry {
                    step: "supplier_refused",
                    detail: note,
                    actor,
                };
                case_tx::save(&mut tx, &case, &next, entry)
                    .await
                    .map_err(CaseError::from)?;
            }
        }
        _ => return Err(ActionError::Internal("not a supplier answer".into())),
    }
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    viewed(ctx, scoped(ctx, caller, case_id).await?).await
}

/// A supplier-credit write's failure: the case not taking it (closed) is a conflict.
fn answer_error(error: anyhow::Error) -> ActionError {
    match error.downcast::<core::CaseConflict>() {
        Ok(conflict) => ActionError::Conflict(conflict.to_string()),
        Err(other) => CaseError::from(other).into(),
    }
}

/// The purchase the case's supplier was asked about; or, before it was asked, the one
/// purchase its lines came from (none when they came from several).
async fn asked_purchase(
    ctx: &Context,
    case: &StoredCase,
) -> Result<Option<SupplierOrder>, ActionError> {
    let id = match &case.state.supplier {
        core::SupplierSide::Asked {
            purchase: Some(id), ..
        } => id.parse().ok(),
        _ => {
            let positions: Vec<i64> = case.lines.iter().map(|l| l.line_position).collect();
            match store::purchases_of_lines(&ctx.db, case.order_id, &case.id, &positions)
                .await?
                .as_slice()
            {
                [one] => Some(*one),
                _ => None,
            }
        }
    };
    match id {
        Some(id) => Ok(supplier_orders::load(&ctx.db, id).await?),
        None => Ok(None),
    }
}

/// One case the caller may see.
pub async fn show(ctx: &Context, caller: &Caller, case_id: &str) -> Result<CaseView, ActionError> {
    caller.require(SUPPLIER_ANSWERERS, "read cases")?;
    viewed(ctx, scoped(ctx, caller, case_id).await?).await
}

/// Every case of an order, newest first.
pub async fn for_order(
    ctx: &Context,
    caller: &Caller,
    order_ref: &str,
) -> Result<Vec<CaseView>, ActionError> {
    caller.require(MERCHANTS, "read cases")?;
    let order_id = super::orders::resolve(ctx, caller, order_ref).await?;
    viewed_all(ctx, store::for_order(&ctx.db, order_id).await?).await
}

/// Cases the caller may see, newest first, with the counts of the Returns tab.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    params: CaseListParams,
) -> Result<CasePage, ActionError> {
    caller.require(SUPPLIER_ANSWERERS, "read cases")?;
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
        cases: viewed_all(ctx, cases).await?,
        next_cursor,
        counts,
    })
}

/// A case as shown, with its photos.
async fn viewed(ctx: &Context, case: StoredCase) -> Result<CaseView, ActionError> {
    viewed_all(ctx, vec![case])
        .await?
        .pop()
        .ok_or_else(|| ActionError::Internal("a case viewed went missing".into()))
}

/// Cases as shown, each with its photos (read for all of them at once).
async fn viewed_all(ctx: &Context, cases: Vec<StoredCase>) -> Result<Vec<CaseView>, ActionError> {
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let mut photos = photos::of_cases(ctx, &ids).await?;
    Ok(cases
        .into_iter()
        .map(|case| {
            let mine = photos.remove(&case.id).unwrap_or_default();
            view(case, mine)
        })
        .collect())
}

/// What a new case of an order may claim, for a form to offer: each line's units shipped,
/// held by the order's other cases and still open, and the refund left. Read without the
/// order's lock: [`open`] checks again under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimable {
    pub currency: String,
    pub lines: Vec<ClaimableLine>,
    /// Goods paid for the shipped units less what was refunded, a decimal string.
    pub goods_left: String,
    /// Shipping charged less what was refunded of it, a decimal string.
    pub shipping_left: String,
}

/// One order line as a new case sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimableLine {
    /// The store's line id (what [`CaseLineInput::line_id`] names).
    pub line_id: String,
    pub title: String,
    /// The unit price, a decimal string in the order's currency.
    pub unit_price: String,
    pub shipped: u32,
    /// Units the order's other cases hold (declined ones hold none).
    pub claimed: u32,
    /// What a new case may claim: shipped less claimed.
    pub open: u32,
}

/// What a new case of the order may claim (404 for an order the caller does not see).
pub async fn claimable(
    ctx: &Context,
    caller: &Caller,
    order_ref: &str,
) -> Result<Claimable, ActionError> {
    caller.require(MERCHANTS, "open cases")?;
    let order_id = super::orders::resolve(ctx, caller, order_ref).await?;
    let mut tx = ctx
        .db
        .reader
        .begin()
        .await
        .map_err(crate::storage::StorageError::from)?;
    let (_, facts) = read_facts(&mut tx, order_id, None).await?;
    tx.rollback()
        .await
        .map_err(crate::storage::StorageError::from)?;
    let paid: i64 = facts
        .lines
        .iter()
        .map(|l| l.unit_price.minor.saturating_mul(l.shipped.into()))
        .sum();
    let left = |minor: i64| Money::new(minor.max(0), facts.currency).to_decimal_string();
    Ok(Claimable {
        currency: facts.currency.code().to_string(),
        goods_left: left(paid - facts.refunded_goods.minor),
        shipping_left: left(facts.shipping_charged.minor - facts.refunded_shipping.minor),
        lines: facts
            .lines
            .iter()
            .map(|l| ClaimableLine {
                line_id: l.line_id.clone(),
                title: l.title.clone(),
                unit_price: l.unit_price.to_decimal_string(),
                shipped: l.shipped,
                claimed: l.claimed,
                open: l.shipped.saturating_sub(l.claimed),
            })
            .collect(),
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
