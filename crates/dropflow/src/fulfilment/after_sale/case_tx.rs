//! A case written inside the caller's transaction (under the order's lock), together with its
//! step on the order's timeline and the job the step calls for: the one place a case changes,
//! whether a person (`services::cases`), a store webhook or a job changed it.

use crate::fulfilment::order_tx;
use crate::storage::cases::{self as store, NewCase, StoredCase};
use crate::storage::{jobs, now_ms, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::after_sale::{self as core, Applied, CaseEvent, CaseState, Step};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::Command;

/// The job that refunds the customer through the store ([`super::refund_customer`]).
pub const REFUND_JOB: &str = dropflow_core::jobs::REFUND_CUSTOMER;
/// The job that asks the supplier of the case's goods ([`super::ask_supplier`]).
pub const ASK_JOB: &str = dropflow_core::jobs::ASK_SUPPLIER;
/// The job that buys a reship or an exchange ([`super::replacement`]).
pub const REPLACEMENT_JOB: &str = dropflow_core::jobs::ORDER_REPLACEMENT;
/// Tries before a refund is left failed for a person: like a tracking write-back, about a
/// day of the store being down (the connector reads back before creating, so tries are safe).
pub const REFUND_TRIES: i64 = 30;

/// One step of a case for the timeline: its name (`opened`, `refunded`, …), the words shown,
/// and who took it.
pub struct Entry {
    pub step: &'static str,
    pub detail: String,
    pub actor: Actor,
}

/// Writes a new case with its "opened" entry, and queues what it calls for first; its id.
pub async fn insert(tx: &mut Tx<'_>, case: &NewCase<'_>, entry: Entry) -> anyhow::Result<String> {
    let case_id = store::insert(tx, case).await?;
    record(tx, case.order_id, &case_id, entry).await?;
    follow_up(tx, case.order_id, &case_id, None, case.state).await?;
    follow_supplier(tx, &case_id, None, case.state).await?;
    Ok(case_id)
}

/// Writes a case's next state over the version read (a case changed meanwhile is a conflict),
/// with its entry, and queues what the change calls for. A case this change leaves with
/// nothing to do (goods and money accounted for on every side) closes by itself, and the
/// case's flags about a step it has moved past are settled.
pub async fn save(
    tx: &mut Tx<'_>,
    case: &StoredCase,
    next: &CaseState,
    entry: Entry,
) -> anyhow::Result<()> {
    // An expired supplier side is settled for the case's steps, but what is lost is a
    // person's call (its flag says so): such a case waits for them to close it.
    let expired = matches!(next.supplier, core::SupplierSide::Expired);
    let closed_by_itself = if core::complete(next) && !expired {
        match core::apply(
            next,
            CaseEvent::Close {
                at_ms: now_ms(),
                note: None,
            },
        ) {
            Ok(Applied::Changed(closed)) => Some(*closed),
            _ => None,
        }
    } else {
        None
    };
    let next = closed_by_itself.as_ref().unwrap_or(next);
    store::update(tx, case, next, due_at(next)).await?;
    record(tx, case.order_id, &case.id, entry).await?;
    if closed_by_itself.is_some() {
        let closing = Entry {
            step: "closed",
            detail: "closed by itself: nothing left to do on either side".into(),
            actor: Actor::System("cases".into()),
        };
        record(tx, case.order_id, &case.id, closing).await?;
    }
    settle_flags(tx, case.order_id, &case.id, &case.state, next).await?;
    follow_up(tx, case.order_id, &case.id, Some(&case.state), next).await?;
    follow_supplier(tx, &case.id, Some(&case.state), next).await
}

/// How a flag about a case begins: the case, so the case can settle it ([`save`]).
fn flag_prefix(case_id: &str) -> String {
    format!("case {case_id}: ")
}

/// Raises a flag about case `case_id` for a person (Needs Attention); settled by the case
/// itself once it moves past what the flag is about.
pub async fn flag(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    case_id: &str,
    kind: &str,
    words: &str,
    actor: Actor,
) -> anyhow::Result<bool> {
    let detail = format!("{}{words}", flag_prefix(case_id));
    crate::fulfilment::flags::raise(tx, order_id, None, kind, &detail, actor).await
}

/// The case's flags a change has made moot: the supplier's once its side is settled, the
/// customer's once the refund or the replacement went through, all of them once closed.
fn moot_flags(before: &CaseState, after: &CaseState) -> Vec<&'static str> {
    use crate::storage::flags::kind;
    let closed = after.closed.is_some() && before.closed.is_none();
    let mut moot = Vec::new();
    let answered =
        |side: &core::SupplierSide| side.settled() && !matches!(side, core::SupplierSide::Expired);
    if closed || (!answered(&before.supplier) && answered(&after.supplier)) {
        moot.extend([
            kind::CASE_SUPPLIER_TASK,
            kind::CASE_SUPPLIER_DUE,
            kind::CASE_SUPPLIER_EXPIRED,
        ]);
    } else if !before.supplier.settled() && after.supplier.settled() {
        // Expired: the asking and the warning are over; the expiry's own flag stays.
        moot.extend([kind::CASE_SUPPLIER_TASK, kind::CASE_SUPPLIER_DUE]);
    }
    let customer_moved =
        before.customer != after.customer && !matches!(after.customer, core::CustomerSide::Pending);
    if closed || customer_moved {
        moot.extend([kind::CASE_REFUND_FAILED, kind::CASE_REPLACEMENT_FAILED]);
    }
    moot
}

/// Settles the case's flags the change made moot, each said on the order's timeline (which
/// also takes the order out of Needs Attention when nothing else holds it there).
async fn settle_flags(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    case_id: &str,
    before: &CaseState,
    after: &CaseState,
) -> anyhow::Result<()> {
    let prefix = flag_prefix(case_id);
    for kind in moot_flags(before, after) {
        let settled = crate::storage::flags::resolve_by_prefix(
            tx,
            order_id,
            kind,
            &prefix,
            "settled on the case",
            "dropflow",
        )
        .await?;
        if settled > 0 {
            order_tx::apply(
                tx,
                order_id,
                Command::Record(vec![OrderEvent::FlagResolved {
                    flag: kind.to_string(),
                    resolution: format!("case {case_id} moved on"),
                }]),
                Actor::System("cases".into()),
            )
            .await?;
        }
    }
    Ok(())
}

/// Whether the follower looks at the supplier's side: at once when the supplier was just
/// asked (its job works out when next), never again once its side is settled.
async fn follow_supplier(
    tx: &mut Tx<'_>,
    case_id: &str,
    before: Option<&CaseState>,
    after: &CaseState,
) -> anyhow::Result<()> {
    if before.is_some_and(|b| b.supplier == after.supplier && b.closed == after.closed) {
        return Ok(());
    }
    let asked =
        matches!(after.supplier, core::SupplierSide::Asked { .. }) && after.closed.is_none();
    store::set_next_sync(tx, case_id, asked.then(now_ms)).await?;
    if let core::SupplierSide::Asked {
        purchase: Some(purchase),
        ..
    } = &after.supplier
    {
        store::set_supplier_order(tx, case_id, purchase).await?;
    }
    Ok(())
}

/// Queues the job for a step the case has just reached (not one it was already at, so a
/// change that leaves the step in place — the goods restocked while the refund is on its
/// way — never queues a second refund).
async fn follow_up(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    case_id: &str,
    before: Option<&CaseState>,
    after: &CaseState,
) -> anyhow::Result<()> {
    let reached = |step: Step| {
        core::next_steps(after).contains(&step)
            && !before.is_some_and(|b| core::next_steps(b).contains(&step))
    };
    let payload = serde_json::json!({ "case_id": case_id });
    if reached(Step::RefundCustomer) {
        jobs::enqueue_with_tries(
            tx,
            REFUND_JOB,
            &payload,
            Some(order_id),
            now_ms(),
            REFUND_TRIES,
        )
        .await?;
    }
    if reached(Step::AskSupplier) {
        jobs::enqueue(tx, ASK_JOB, &payload, Some(order_id), now_ms()).await?;
    }
    if reached(Step::OrderReplacement) {
        jobs::enqueue(tx, REPLACEMENT_JOB, &payload, Some(order_id), now_ms()).await?;
    }
    Ok(())
}

/// When the supplier's answer is due, while one is awaited.
fn due_at(state: &CaseState) -> Option<DateTime<Utc>> {
    match state.supplier {
        core::SupplierSide::Asked { due_ms, .. } => DateTime::from_timestamp_millis(due_ms),
        _ => None,
    }
}

/// Puts a case's step on the order's timeline, with who took it.
pub async fn record(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    case_id: &str,
    entry: Entry,
) -> anyhow::Result<()> {
    order_tx::apply(
        tx,
        order_id,
        Command::Record(vec![OrderEvent::Case {
            case_id: case_id.to_string(),
            step: entry.step.to_string(),
            detail: entry.detail,
        }]),
        entry.actor,
    )
    .await?;
    Ok(())
}
