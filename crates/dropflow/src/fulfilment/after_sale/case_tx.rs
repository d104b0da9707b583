//! A case written inside the caller's transaction (under the order's lock), together with its
//! step on the order's timeline and the job the step calls for: the one place a case changes,
//! whether a person (`services::cases`), a store webhook or a job changed it.

use crate::fulfilment::order_tx;
use crate::storage::cases::{self as store, NewCase, StoredCase};
use crate::storage::{jobs, now_ms, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::after_sale::{self as core, CaseState, Step};
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
/// with its entry, and queues what the change calls for.
pub async fn save(
    tx: &mut Tx<'_>,
    case: &StoredCase,
    next: &CaseState,
    entry: Entry,
) -> anyhow::Result<()> {
    store::update(tx, case, next, due_at(next)).await?;
    record(tx, case.order_id, &case.id, entry).await?;
    follow_up(tx, case.order_id, &case.id, Some(&case.state), next).await?;
    follow_supplier(tx, &case.id, Some(&case.state), next).await
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
