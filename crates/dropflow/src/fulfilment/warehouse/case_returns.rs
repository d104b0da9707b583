//! A customer's return parcel of an after-sale case at the agent warehouse, worked with the
//! floor's own tools. A scan finds it as a `customer_return` parcel of an order in the
//! operator's scope (or as a return received before under that scan); an unknown parcel can be
//! linked to its case instead. Receiving it delivers the case's return once (not again when
//! the carrier says so too, nor the other way round); its inspection settles it: a pass
//! restocks the goods, a failure disposes of them. `dropflow_core::after_sale::warehouse`
//! decides each step; each is one transaction under the order's lock: the receipt row, the
//! case and its timeline entry naming who did it (`after_sale::case_tx`).

use super::{parse_stored, Result, WarehouseError};
use crate::fulfilment::after_sale::case_tx::{self, Entry};
use crate::storage::accounts::Scope;
use crate::storage::cases::{self, StoredCase};
use crate::storage::warehouse::{self as store, receipt_stage, NewReturnReceipt, ReturnReceipt};
use crate::storage::{Database, Tx};
use crate::suppliers::registry;
use dropflow_core::after_sale::warehouse::{
    self as core, settled_as, Arrival, ReturnRefused, Settlement,
};
use dropflow_core::after_sale::ReturnLeg;
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::warehouse::inspection::{judge, InspectionReport, Outcome};
use serde::Serialize;

/// What receiving one case's return did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnArrived {
    pub case_id: String,
    pub order_id: String,
    /// The store's name of the order (`#1001`).
    pub order_name: String,
    /// False when this return was received before: nothing changed.
    pub received_now: bool,
    /// Whether the case learnt from this receipt that its goods are back (false when the
    /// carrier had said delivered first, or when it was received before).
    pub case_moved: bool,
    /// What happened, in words for the operator.
    pub message: String,
}

/// What inspecting a case's returned goods did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnInspected {
    pub case_id: String,
    /// `pass` or `fail`, with reasons, note and photos (as an item's inspection).
    #[schema(value_type = Object)]
    pub outcome: Outcome,
    /// The goods went back on the warehouse's shelf (`true`) or were disposed of.
    pub restocked: bool,
    /// Whether the case's return was settled by this inspection (false when a person had
    /// settled or closed the case before it).
    pub case_settled: bool,
}

/// The cases whose return parcel `scan` names, among the orders `scope` sees, each with its
/// order locked (in id order) and read again under the lock: returns received before under
/// this scan, and cases whose return in transit (or delivered by the carrier) carries this
/// number and whose goods come back to the warehouse. Empty when the scan names none.
pub(crate) async fn matching(
    tx: &mut Tx<'_>,
    scope: &Scope,
    scan: &str,
) -> Result<Vec<(StoredCase, Option<ReturnReceipt>)>> {
    let received = store::return_receipts_by_scan(tx, scope, scan).await?;
    let mut orders: Vec<OrderId> = received
        .iter()
        .map(|r| parse_stored(&r.order_id))
        .collect::<Result<_>>()?;
    orders.extend(store::orders_with_return_parcel(tx, scope, scan).await?);
    orders.sort();
    orders.dedup();
    let mut found = Vec::new();
    for order_id in orders {
        crate::storage::orders::lock(tx, order_id).await?;
        for case in cases::for_order_in(tx, order_id).await? {
            let receipt = store::return_receipt_in(tx, &case.id).await?;
            let names_it = match &receipt {
                Some(receipt) => receipt.scan == scan,
                None => carries(&case, scan) && comes_here(tx, &case).await?,
            };
            if names_it {
                found.push((case, receipt));
            }
        }
    }
    Ok(found)
}

/// Whether the case's return parcel is numbered `scan` (on its way, or delivered by the
/// carrier before anyone scanned it).
fn carries(case: &StoredCase, scan: &str) -> bool {
    match &case.state.ret {
        ReturnLeg::InTransit { tracking_number } => tracking_number == scan,
        ReturnLeg::Delivered {
            tracking_number: Some(number),
        } => number == scan,
        _ => false,
    }
}

/// Whether the case's goods come back to the warehouse: every live purchase of its lines was
/// bought by a supplier that buys for the warehouse.
async fn comes_here(tx: &mut Tx<'_>, case: &StoredCase) -> Result<bool> {
    let positions: Vec<i64> = case.lines.iter().map(|l| l.line_position).collect();
    let suppliers = cases::suppliers_of_lines(tx, case.order_id, &positions).await?;
    Ok(core::comes_back_here(
        suppliers
            .iter()
            .map(|s| registry::capabilities_of(s).buys_for_warehouse),
    ))
}

/// Receives the cases' return parcels `matching` found (caller's transaction, orders locked):
/// each case's return delivered unless the carrier said so first, a receipt recorded, a
/// return received before left as it is. Refused as a whole (nothing written) when a case
/// cannot take its goods back (closed, settled by a person).
pub(crate) async fn receive_scanned(
    tx: &mut Tx<'_>,
    found: Vec<(StoredCase, Option<ReturnReceipt>)>,
    scan: &str,
    actor: &Actor,
) -> Result<Vec<ReturnArrived>> {
    let mut arrived = Vec::with_capacity(found.len());
    for (case, receipt) in found {
        let how = format!("scan {scan}");
        arrived.push(receive_one(tx, &case, receipt.as_ref(), scan, None, &how, actor).await?);
    }
    Ok(arrived)
}

/// Links the open exception `exception_id` of `scope` to case `case_id` (which the caller
/// checked `scope` sees): the unknown parcel was the case's return, received now. One
/// transaction; `NotFound` for an exception outside the scope, `Conflict` when it was already
/// resolved or the return was already received, `Invalid` for a case whose goods do not come
/// back here.
pub async fn resolve_to_case(
    db: &Database,
    scope: &Scope,
    exception_id: &str,
    case: &StoredCase,
    actor: &Actor,
) -> Result<ReturnArrived> {
    let mut tx = db.begin().await?;
    let exception = store::exception(&mut *tx, scope, exception_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("exception {exception_id} not found")))?;
    if exception.resolved_at.is_some() {
        return Err(super::floor::already_resolved(&exception));
    }
    crate::storage::orders::lock(&mut tx, case.order_id).await?;
    let case = cases::get_in(&mut tx, &case.id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("case {} not found", case.id)))?;
    let receipt = store::return_receipt_in(&mut tx, &case.id).await?;
    if let Some(receipt) = &receipt {
        return Err(WarehouseError::Conflict(format!(
            "case {}: {}; link this parcel to its order if it is another one",
            case.id,
            received_before(receipt)
        )));
    }
    if !comes_here(&mut tx, &case).await? {
        return Err(WarehouseError::Invalid(format!(
            "case: {}: {}",
            case.id,
            ReturnRefused::NotHere
        )));
    }
    // The conditional update settles a race between two operators resolving it at once.
    if !store::resolve_exception(&mut tx, exception_id, case.order_id).await? {
        return Err(super::floor::already_resolved(&exception));
    }
    let how = format!(
        "unknown parcel {} (scanned {}) linked to this case",
        exception.scan,
        exception.scanned_at.format("%Y-%m-%d %H:%M UTC")
    );
    let arrived = receive_one(
        &mut tx,
        &case,
        None,
        &exception.scan,
        Some(exception_id),
        &how,
        actor,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(exception.id = %exception_id, case.id = %case.id, "unknown parcel linked to a case's return");
    Ok(arrived)
}

/// One case's return received: what core says, written once.
async fn receive_one(
    tx: &mut Tx<'_>,
    case: &StoredCase,
    receipt: Option<&ReturnReceipt>,
    scan: &str,
    exception_id: Option<&str>,
    how: &str,
    actor: &Actor,
) -> Result<ReturnArrived> {
    // `matching` only names a case not received yet when its goods come back here; a
    // linked exception was checked by its caller.
    let decided = core::receive(&case.state, true, receipt_stage(receipt))
        .map_err(|e| refused(&case.id, e))?;
    let order_name = order_name(tx, case.order_id).await?;
    let answer = |received_now: bool, case_moved: bool, message: String| ReturnArrived {
        case_id: case.id.clone(),
        order_id: case.order_id.to_string(),
        order_name: order_name.clone(),
        received_now,
        case_moved,
        message,
    };
    let (entry, next) = match decided {
        Arrival::AlreadyReceived => {
            let message = receipt.map(received_before).unwrap_or_default();
            return Ok(answer(false, false, format!("{message}: nothing changed")));
        }
        Arrival::AlreadyDelivered => (
            Entry {
                step: "return_received",
                detail: format!(
                    "received at the warehouse ({how}); the carrier had already delivered it"
                ),
                actor: actor.clone(),
            },
            None,
        ),
        Arrival::Arrived(next) => (
            Entry {
                step: "return_delivered",
                detail: format!("received at the warehouse ({how})"),
                actor: actor.clone(),
            },
            Some(next),
        ),
    };
    let new = NewReturnReceipt {
        case_id: &case.id,
        order_id: case.order_id,
        scan,
        exception_id,
        received_by: &actor.label(),
    };
    if !store::insert_return_receipt(tx, &new).await? {
        return Err(WarehouseError::Conflict(format!(
            "the return of case {} was received meanwhile; scan it again",
            case.id
        )));
    }
    let case_moved = next.is_some();
    match next {
        Some(next) => case_tx::save(tx, case, &next, entry).await?,
        None => case_tx::record(tx, case.order_id, &case.id, entry).await?,
    }
    tracing::info!(case.id = %case.id, order.id = %case.order_id, "case return received at the warehouse");
    Ok(answer(
        true,
        case_moved,
        format!(
            "customer return, case {} (order {order_name}): received, ready to inspect",
            case.id
        ),
    ))
}

/// Records the inspection of a case's returned goods: restocked on a pass, disposed of on a
/// failure (core decides), the case's return settled and its timeline saying who inspected.
/// `NotFound` when the return was not received here, `Conflict` when already inspected.
pub async fn inspect(
    db: &Database,
    case_id: &str,
    report: &InspectionReport,
    actor: &Actor,
) -> Result<ReturnInspected> {
    let outcome = judge(report).map_err(|e| WarehouseError::Invalid(e.to_string()))?;
    let not_received = || {
        WarehouseError::NotFound(format!(
            "case {case_id} has no return received at the warehouse"
        ))
    };
    let mut tx = db.begin().await?;
    let seen = store::return_receipt_in(&mut tx, case_id)
        .await?
        .ok_or_else(not_received)?;
    let order_id: OrderId = parse_stored(&seen.order_id)?;
    crate::storage::orders::lock(&mut tx, order_id).await?;
    // Read again under the order's lock.
    let receipt = store::return_receipt_in(&mut tx, case_id)
        .await?
        .ok_or_else(not_received)?;
    let case = cases::get_in(&mut tx, case_id)
        .await?
        .ok_or_else(not_received)?;
    let (restocked, settlement) =
        core::inspected(&case.state, receipt.stage(), &outcome).map_err(|e| refused(case_id, e))?;
    let recorded = store::record_return_inspection(
        &mut tx,
        case_id,
        &outcome,
        &report.checklist,
        restocked,
        &actor.label(),
    )
    .await?;
    if !recorded {
        return Err(WarehouseError::Conflict(format!(
            "case {case_id}: its return was inspected meanwhile"
        )));
    }
    let verdict = verdict(&outcome, restocked);
    let case_settled = matches!(settlement, Settlement::Settles(_));
    match settlement {
        Settlement::Settles(next) => {
            let entry = Entry {
                step: "return_settled",
                detail: format!("inspected at the warehouse: {verdict}"),
                actor: actor.clone(),
            };
            case_tx::save(&mut tx, &case, &next, entry).await?;
        }
        Settlement::CaseUnchanged => {
            let entry = Entry {
                step: "return_inspected",
                detail: format!(
                    "inspected at the warehouse: {verdict}; the case was already settled, left \
                     as it was"
                ),
                actor: actor.clone(),
            };
            case_tx::record(&mut tx, case.order_id, &case.id, entry).await?;
        }
    }
    tx.commit().await?;
    Ok(ReturnInspected {
        case_id: case_id.to_string(),
        outcome,
        restocked,
        case_settled,
    })
}

/// "passed, restocked" or "failed (damaged: the note), disposed of".
fn verdict(outcome: &Outcome, restocked: bool) -> String {
    match outcome {
        Outcome::Pass { .. } => format!("passed, {}", settled_as(restocked)),
        Outcome::Fail { reasons, note, .. } => {
            let reasons: Vec<&str> = reasons.iter().map(|r| r.words()).collect();
            let note = if note.is_empty() {
                String::new()
            } else {
                format!(": {note}")
            };
            format!(
                "failed ({}{note}), {}",
                reasons.join(", "),
                settled_as(restocked)
            )
        }
    }
}

/// "the return of case … was already received on … by …".
fn received_before(receipt: &ReturnReceipt) -> String {
    format!(
        "the return of case {} was already received on {} by {}",
        receipt.case_id,
        receipt.received_at.format("%Y-%m-%d %H:%M UTC"),
        receipt
            .received_by
            .trim_start_matches("merchant:")
            .trim_start_matches("user:")
    )
}

/// A refusal of core's, as the floor answers it.
fn refused(case_id: &str, refusal: ReturnRefused) -> WarehouseError {
    match refusal {
        ReturnRefused::NotReceived => WarehouseError::NotFound(format!(
            "case {case_id} has no return received at the warehouse"
        )),
        other => WarehouseError::Conflict(format!("case {case_id}: {other}")),
    }
}

async fn order_name(tx: &mut Tx<'_>, order_id: OrderId) -> Result<String> {
    Ok(store::order_facts(&mut **tx, order_id)
        .await?
        .map(|f| f.name)
        .unwrap_or_default())
}
