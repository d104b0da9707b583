//! After-sale cases: a merchant opens one for some units of an order's shipped lines, with a
//! reason and a resolution (refund, reship, exchange, return first), and records what happens
//! to it (the return's tracking, its arrival, restock or disposal, a decision, a decline, the
//! close). Each action reads the order and its other cases under the order's lock, asks
//! `dropflow_core::after_sale` (`open`, `apply`), and writes the case and a timeline entry in
//! one transaction; a refused request writes nothing.

use super::{ActionError, Caller, Context, MERCHANTS};
use crate::fulfilment::order_tx;
use crate::storage::cases::{self as store, CaseCounts, CaseQuery, NewCase, StoredCase};
use crate::storage::orders;
use chrono::{DateTime, Utc};
use dropflow_core::after_sale::{
    self as core, Applied, CaseEvent, CaseLine, CaseMoney, CaseReason, CaseRequest, CaseState,
    OrderFacts, OrderLineFacts, Resolution, StoreRefund,
};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::lifecycle::Command;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the merchant asks for, as sent (`POST /api/v1/orders/{id}/cases`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseInput {
    /// `damaged`, `wrong_item`, `not_as_described`, `not_received`, `changed_mind`, `other`.
    pub reason: String,
    /// The units claimed, by the store's line id (`lines[].external_id` of the order).
    pub lines: Vec<CaseLineInput>,
    pub resolution: ResolutionInput,
    /// The customer's words, or the merchant's (at most 2,000 characters).
    pub note: Option<String>,
}

/// Units of one order line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseLineInput {
    pub line_id: String,
    pub quantity: u32,
}

/// What the merchant does for the customer. Amounts are decimal strings in the order's
/// currency ("12.50" USD, "1200" JPY, "1.250" KWD).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResolutionInput {
    /// Money back: `goods` for the claimed lines (at most what they were paid), `shipping`
    /// (at most what shipping was charged); `with_return`: the goods come back first.
    Refund {
        goods: String,
        #[serde(default)]
        shipping: Option<String>,
        #[serde(default)]
        with_return: bool,
    },
    /// The same goods again, bought through the normal route.
    Reship,
    /// Another variant instead; the goods come back.
    Exchange { variant_id: String },
    /// The goods come back first; the merchant decides once they are in.
    ReturnFirst,
}

/// Something that happened to a case, recorded by the merchant
/// (`POST /api/v1/cases/{id}/events`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseStepInput {
    /// The customer sent the goods back with this tracking number (checked like any other:
    /// its courier's check digit, unless `accept_unverified`).
    ReturnShipped {
        tracking_number: String,
        #[serde(default)]
        accept_unverified: bool,
    },
    /// The returned goods arrived where they were sent.
    ReturnDelivered,
    /// What became of the returned goods: back in stock, or disposed of.
    ReturnSettled { restocked: bool },
    /// A return-first case whose goods are back: what the merchant now does.
    Decide { resolution: ResolutionInput },
    /// The merchant refuses the customer's claim, saying why.
    Decline { note: String },
    /// The case is over; a note is needed while work is left.
    Close {
        #[serde(default)]
        note: Option<String>,
    },
}

/// One case as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: String,
    pub order_id: String,
    pub store_id: String,
    /// `damaged`, `wrong_item`, `not_as_described`, `not_received`, `changed_mind`, `other`.
    pub reason: String,
    /// `refund`, `reship`, `exchange` or `return_first`.
    pub resolution: String,
    /// The resolution's terms: for a refund, `goods`, `shipping` (decimal strings) and
    /// `with_return`; for an exchange, `variant_id`.
    #[schema(value_type = Object)]
    pub terms: serde_json::Value,
    pub currency: String,
    pub lines: Vec<CaseLineView>,
    /// The customer's side: `{"state": "pending" | "refunded" | "replacement_ordered" |
    /// "replacement_shipped" | "declined", …}`.
    #[schema(value_type = Object)]
    pub customer: serde_json::Value,
    /// The goods coming back: `{"state": "not_needed" | "awaited" | "in_transit" |
    /// "delivered" | "restocked" | "disposed", …}`.
    #[serde(rename = "return")]
    #[schema(value_type = Object)]
    pub return_leg: serde_json::Value,
    /// The supplier's side: `{"state": "not_needed" | "not_asked" | "asked" | "credited" |
    /// "refused" | "expired", …}`.
    #[schema(value_type = Object)]
    pub supplier: serde_json::Value,
    /// What is left to do, in order (`await_return`, `settle_return`, `decide`,
    /// `refund_customer`, `order_replacement`, `ask_supplier`, `await_supplier`); empty once
    /// the case can close.
    pub next_steps: Vec<String>,
    pub money: CaseMoneyView,
    pub note: Option<String>,
    /// Who opened it: `merchant:<who>` or `store:<platform>`.
    pub opened_by: String,
    /// The store's refund or return id, for a case the store opened.
    pub store_reference: Option<String>,
    pub supplier_due_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Units of one order line in a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseLineView {
    /// The store's line id.
    pub line_id: String,
    pub title: String,
    pub quantity: u32,
}

/// A case's money, decimal strings in the order's currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseMoneyView {
    /// Refunded to the customer.
    pub refunded: String,
    /// Recovered from the supplier.
    pub recovered: String,
    /// What a replacement purchase cost.
    pub replacement: String,
    /// refunded + replacement − recovered.
    pub net_loss: String,
}

/// A page of cases with the Returns tab's counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub counts: CaseCountsView,
}

/// How many cases the caller may see, open and closed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseCountsView {
    pub open: i64,
    pub closed: i64,
    /// Open cases per resolution.
    pub open_by_resolution: BTreeMap<String, i64>,
}

impl From<CaseCounts> for CaseCountsView {
    fn from(counts: CaseCounts) -> Self {
        CaseCountsView {
            open: counts.open,
            closed: counts.closed,
            open_by_resolution: counts.open_by_resolution,
        }
    }
}

/// The longest note a case keeps.
const NOTE_LIMIT: usize = 2_000;

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
    let (detail, facts) = read_facts(ctx, &mut tx, order_id, None).await?;
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
    let actor = Actor::Merchant(caller.actor.clone());
    let case_id = store::insert(
        &mut tx,
        &NewCase {
            order_id,
            store_id: detail.summary.store_id,
            state: &opening.state,
            lines: &lines,
            note: note.as_deref(),
            opened_by: &actor.label(),
            store_reference: None,
        },
    )
    .await?;
    let units: u32 = lines.iter().map(|(_, q)| q).sum();
    record(
        &mut tx,
        order_id,
        &case_id,
        "opened",
        format!(
            "{} unit(s), {}: {}",
            units,
            reason.as_str().replace('_', " "),
            opening.state.resolution.kind().replace('_', " ")
        ),
        actor,
    )
    .await?;
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
    /// The refund was recorded before (a repeated delivery): nothing written.
    Duplicate { order_id: OrderId },
    /// Not a case: the order is not one dropflow took, or the refund claims no shipped unit
    /// (a refund before shipping is a cancellation, which the order's own update carries).
    NotACase { order_id: Option<OrderId> },
}

/// A refund made in the store becomes a case resolved on the customer side, so the supplier
/// side still gets its follow-up. Idempotent per store refund id.
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
    let reference = format!("refund:{}", refund.refund_id);
    if store::by_store_reference(&mut tx, store_id, &reference)
        .await?
        .is_some()
    {
        return Ok(StoreRefundOutcome::Duplicate { order_id });
    }
    let (detail, facts) = read_facts(ctx, &mut tx, order_id, None).await?;
    let currency = facts.currency;
    let Some((lines, state)) = core::from_store_refund(&facts, refund)
        .map_err(|e| ActionError::Unprocessable(e.to_string()))?
    else {
        return Ok(StoreRefundOutcome::NotACase {
            order_id: Some(order_id),
        });
    };
    let lines = positions(&detail, &lines);
    let actor = Actor::Store(platform.to_string());
    let case_id = store::insert(
        &mut tx,
        &NewCase {
            order_id,
            store_id,
            state: &state,
            lines: &lines,
            note: refund.note.as_deref(),
            opened_by: &actor.label(),
            store_reference: Some(&reference),
        },
    )
    .await?;
    let money = CaseMoney::of(&state).refunded;
    record(
        &mut tx,
        order_id,
        &case_id,
        "opened",
        format!(
            "refunded in the store: {} {} for {} unit(s)",
            money.to_decimal_string(),
            currency.code(),
            lines.iter().map(|(_, q)| q).sum::<u32>()
        ),
        actor,
    )
    .await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(order.id = %order_id, case.id = %case_id, "case opened by a store refund");
    Ok(StoreRefundOutcome::Opened { order_id, case_id })
}

/// The order line positions of case lines named by store line id.
fn positions(detail: &orders::OrderDetail, lines: &[CaseLine]) -> Vec<(i64, u32)> {
    lines
        .iter()
        .filter_map(|line| {
            detail
                .lines
                .iter()
                .find(|l| l.external_id == line.line_id)
                .map(|l| (l.position, line.quantity))
        })
        .collect()
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
        check_decision(ctx, &mut tx, &case, resolution).await?;
    }
    match core::apply(&case.state, event).map_err(|e| ActionError::Conflict(e.to_string()))? {
        Applied::Unchanged => {}
        Applied::Changed(next) => {
            store::update(&mut tx, &case, &next, due_at(&next)).await?;
            record(
                &mut tx,
                case.order_id,
                &case.id,
                name,
                words,
                Actor::Merchant(caller.actor.clone()),
            )
            .await?;
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

/// Which cases to list (`GET /api/v1/cases`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// `open` (default), `closed` or `all`.
    pub status: Option<String>,
    /// 1 to 500, default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
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

fn checked_note(field: &str, note: Option<&str>) -> Result<Option<String>, ActionError> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > NOTE_LIMIT {
        return Err(ActionError::Unprocessable(format!(
            "{field}: at most {NOTE_LIMIT} characters"
        )));
    }
    Ok(Some(note.to_string()))
}

fn order_currency(code: &str) -> Result<Currency, ActionError> {
    Currency::from_code(code).map_err(|e| ActionError::Internal(format!("order currency: {e}")))
}

fn amount(field: &str, text: &str, currency: Currency) -> Result<Money, ActionError> {
    Money::parse_decimal(text.trim(), currency)
        .map_err(|e| ActionError::Unprocessable(format!("{field}: {e}")))
}

/// The resolution asked, with its amounts read exactly in the order's currency.
fn resolution(input: ResolutionInput, currency: Currency) -> Result<Resolution, ActionError> {
    Ok(match input {
        ResolutionInput::Refund {
            goods,
            shipping,
            with_return,
        } => Resolution::Refund {
            goods: amount("resolution.goods", &goods, currency)?,
            shipping: match shipping {
                Some(text) => amount("resolution.shipping", &text, currency)?,
                None => Money::zero(currency),
            },
            with_return,
        },
        ResolutionInput::Reship => Resolution::Reship,
        ResolutionInput::Exchange { variant_id } => Resolution::Exchange {
            variant_id: variant_id.trim().to_string(),
        },
        ResolutionInput::ReturnFirst => Resolution::ReturnFirst,
    })
}

/// Reads, under the order's lock, the order and what a case is checked against: what shipped
/// per line and what its other cases (all but `besides`) already claim or refund.
async fn read_facts(
    ctx: &Context,
    tx: &mut crate::storage::Tx<'_>,
    order_id: OrderId,
    besides: Option<&str>,
) -> Result<(orders::OrderDetail, OrderFacts), ActionError> {
    let detail = orders::get(&ctx.db, order_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("order {order_id} not found")))?;
    let currency = order_currency(&detail.summary.currency)?;
    let others: Vec<StoredCase> = store::for_order_in(tx, order_id)
        .await?
        .into_iter()
        .filter(|other| Some(other.id.as_str()) != besides)
        .collect();
    let shipped = store::shipped_per_line(tx, order_id).await?;
    let facts = order_facts(&detail, currency, &shipped, &others);
    Ok((detail, facts))
}

/// The order as a case sees it: each line's price, what shipped and what the other cases
/// already claim or refund.
fn order_facts(
    detail: &orders::OrderDetail,
    currency: Currency,
    shipped: &BTreeMap<i64, u32>,
    others: &[StoredCase],
) -> OrderFacts {
    let other_lines: Vec<Vec<CaseLine>> = others.iter().map(StoredCase::core_lines).collect();
    let held = core::claimed(
        others
            .iter()
            .zip(&other_lines)
            .map(|(case, lines)| (&case.state, lines.as_slice())),
    );
    OrderFacts {
        currency,
        lines: detail
            .lines
            .iter()
            .map(|line| OrderLineFacts {
                line_id: line.external_id.clone(),
                title: line.title.clone(),
                unit_price: Money::new(line.unit_price_minor, currency),
                shipped: shipped.get(&line.position).copied().unwrap_or(0),
                claimed: held.units.get(&line.external_id).copied().unwrap_or(0),
            })
            .collect(),
        shipping_charged: Money::new(detail.amounts.shipping_minor, currency),
        refunded_goods: Money::new(held.goods_minor, currency),
        refunded_shipping: Money::new(held.shipping_minor, currency),
    }
}

/// A decision checked against the order like an opening of the same lines, with this case's
/// own claim set aside.
async fn check_decision(
    ctx: &Context,
    tx: &mut crate::storage::Tx<'_>,
    case: &StoredCase,
    resolution: &Resolution,
) -> Result<(), ActionError> {
    let (_, facts) = read_facts(ctx, tx, case.order_id, Some(&case.id)).await?;
    let request = CaseRequest {
        reason: case.state.reason,
        lines: case.core_lines(),
        resolution: resolution.clone(),
    };
    core::open(&facts, &request)
        .map(|_| ())
        .map_err(|e| ActionError::Unprocessable(e.to_string()))
}

/// When the supplier's answer is due, while one is awaited.
fn due_at(state: &CaseState) -> Option<DateTime<Utc>> {
    match state.supplier {
        core::SupplierSide::Asked { due_ms, .. } => DateTime::from_timestamp_millis(due_ms),
        _ => None,
    }
}

/// Puts a case's step on the order's timeline, with who did it.
async fn record(
    tx: &mut crate::storage::Tx<'_>,
    order_id: OrderId,
    case_id: &str,
    step: &str,
    detail: String,
    actor: Actor,
) -> Result<(), ActionError> {
    order_tx::apply(
        tx,
        order_id,
        Command::Record(vec![OrderEvent::Case {
            case_id: case_id.to_string(),
            step: step.to_string(),
            detail,
        }]),
        actor,
    )
    .await
    .map(|_| ())
    .map_err(ActionError::internal)
}

fn view(case: StoredCase) -> CaseView {
    let state = &case.state;
    let money = CaseMoney::of(state);
    let terms = match &state.resolution {
        Resolution::Refund {
            goods,
            shipping,
            with_return,
        } => serde_json::json!({
            "goods": goods.to_decimal_string(),
            "shipping": shipping.to_decimal_string(),
            "with_return": with_return,
        }),
        Resolution::Exchange { variant_id } => serde_json::json!({ "variant_id": variant_id }),
        Resolution::Reship | Resolution::ReturnFirst => serde_json::json!({}),
    };
    CaseView {
        id: case.id.clone(),
        order_id: case.order_id.to_string(),
        store_id: case.store_id.to_string(),
        reason: state.reason.as_str().to_string(),
        resolution: state.resolution.kind().to_string(),
        terms,
        currency: state.currency.code().to_string(),
        lines: case
            .lines
            .iter()
            .map(|l| CaseLineView {
                line_id: l.line_id.clone(),
                title: l.title.clone(),
                quantity: l.quantity,
            })
            .collect(),
        customer: as_json(&state.customer),
        return_leg: as_json(&state.ret),
        supplier: as_json(&state.supplier),
        next_steps: core::next_steps(state)
            .into_iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        money: CaseMoneyView {
            refunded: money.refunded.to_decimal_string(),
            recovered: money.recovered.to_decimal_string(),
            replacement: money.replacement.to_decimal_string(),
            net_loss: money.net_loss.to_decimal_string(),
        },
        note: case.note,
        opened_by: case.opened_by,
        store_reference: case.store_reference,
        supplier_due_at: case.supplier_due_at,
        closed_at: state
            .closed
            .as_ref()
            .and_then(|c| DateTime::from_timestamp_millis(c.at_ms)),
        closing_note: state.closed.as_ref().and_then(|c| c.note.clone()),
        created_at: case.created_at,
        updated_at: case.updated_at,
    }
}

/// A part of a case state as the JSON the API shows (its serde form: tagged by `state`).
fn as_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
