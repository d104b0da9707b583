//! A return made in the store (Shopify Returns), as its webhooks tell it: a request (or an
//! approval nobody requested) opens a return-first case from the store's door; the later
//! deliveries, which name only the return, find that case by the store's return id and move
//! it as `dropflow_core::after_sale::store_return::plan` says (approved, declined, cancelled,
//! closed, reopened). Every delivery is kept as a webhook receipt in the transaction of what
//! it changed, so the same event delivered again is a duplicate; the same status told twice
//! (another event) changes nothing either. A delivery that changes nothing writes nothing.

use super::case_tx::{self, Entry};
use super::facts::{positions, read_facts};
use super::CaseError;
use crate::storage::cases::{self as store, NewCase, StoredCase};
use crate::storage::receipts::{self, NewReceipt};
use crate::storage::{now_ms, orders, Database, StorageError, Tx};
use dropflow_core::after_sale::store_return::{
    self as core_return, ReturnPlan, ReturnRequest, ReturnStatus, StoreReturn,
};
use dropflow_core::after_sale::{self as core, CaseRequest, Resolution};
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, ReceiptId, StoreId};

/// The longest note a case opened from a store return keeps (the merchant's door allows as
/// much); longer words are cut, since refusing the store's delivery for them would only make
/// it retry.
const NOTE_LIMIT: usize = 2_000;

/// The delivery as received: what makes it "the same" again, and its raw body (kept).
pub struct ReturnDelivery<'a> {
    /// The platform's duplicate key (Shopify: `X-Shopify-Event-Id`, else the webhook id).
    pub dedup_key: &'a str,
    pub topic: &'a str,
    pub body: &'a [u8],
}

/// What a return delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreReturnOutcome {
    /// A case opened for the return.
    Opened { order_id: OrderId, case_id: String },
    /// The return's case moved, or its timeline says what the store did.
    Changed { order_id: OrderId, case_id: String },
    /// This delivery, or this status, was recorded before: nothing written.
    Duplicate { order_id: OrderId },
    /// An earlier stage than recorded, delivered late: nothing written.
    Stale { order_id: OrderId },
    /// No case follows this return and the delivery names no order dropflow took: nothing
    /// written.
    Unknown,
}

/// Records one delivery about a store return. `store` names the platform for people
/// ("Shopify"), `platform` for the timeline's actor (`store:shopify`).
pub async fn record(
    db: &Database,
    store_id: StoreId,
    platform: &str,
    store: &str,
    delivery: &ReturnDelivery<'_>,
    ret: &StoreReturn,
) -> Result<StoreReturnOutcome, CaseError> {
    let mut tx = db.begin().await?;
    let Some(order_id) = order_of(&mut tx, store_id, ret).await? else {
        return Ok(StoreReturnOutcome::Unknown);
    };
    orders::lock(&mut tx, order_id).await?;
    // Read again under the order's lock: a request and its approval may arrive together.
    let case = match store::by_store_return(&mut tx, store_id, &ret.return_id).await? {
        Some((case_id, _)) => store::get_in(&mut tx, &case_id).await?,
        None => None,
    };
    let known = case.as_ref().map(|c| {
        (
            &c.state,
            c.store_return_status
                .as_deref()
                .and_then(ReturnStatus::parse),
        )
    });
    let plan = core_return::plan(known, ret, store, now_ms());
    if matches!(plan, ReturnPlan::Unknown) {
        return Ok(StoreReturnOutcome::Unknown);
    }
    if !kept(&mut tx, store_id, delivery).await? {
        return Ok(StoreReturnOutcome::Duplicate { order_id });
    }
    let actor = Actor::Store(platform.to_string());
    let outcome = match (plan, case) {
        (ReturnPlan::Same, _) => return Ok(StoreReturnOutcome::Duplicate { order_id }),
        (ReturnPlan::Stale, _) => {
            tracing::info!(
                order.id = %order_id,
                topic = delivery.topic,
                "a store return delivery older than what is recorded was ignored"
            );
            return Ok(StoreReturnOutcome::Stale { order_id });
        }
        (ReturnPlan::Open { approved }, _) => {
            let request = ret.change.request().ok_or_else(|| {
                CaseError::Internal("a return opens a case only from its request".into())
            })?;
            let case_id = open(
                &mut tx, store_id, order_id, store, ret, request, approved, actor,
            )
            .await?;
            tracing::info!(order.id = %order_id, case.id = %case_id, "case opened by a store return");
            StoreReturnOutcome::Opened { order_id, case_id }
        }
        (ReturnPlan::Apply { next, step, words }, Some(case)) => {
            let entry = Entry {
                step,
                detail: words,
                actor,
            };
            match next {
                Some(next) => case_tx::save(&mut tx, &case, &next, entry).await?,
                None => case_tx::record(&mut tx, order_id, &case.id, entry).await?,
            }
            store::set_store_return_status(&mut tx, &case.id, ret.change.status().as_str()).await?;
            StoreReturnOutcome::Changed {
                order_id,
                case_id: case.id,
            }
        }
        (ReturnPlan::Apply { .. }, None) | (ReturnPlan::Unknown, _) => {
            return Ok(StoreReturnOutcome::Unknown)
        }
    };
    tx.commit().await.map_err(StorageError::from)?;
    Ok(outcome)
}

/// The order the return is about: its case's, or the one a request names (when dropflow
/// took it); `None` otherwise.
async fn order_of(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    ret: &StoreReturn,
) -> Result<Option<OrderId>, CaseError> {
    if let Some((_, order_id)) = store::by_store_return(tx, store_id, &ret.return_id).await? {
        return Ok(Some(order_id));
    }
    let Some(request) = ret.change.request() else {
        return Ok(None);
    };
    let found =
        orders::find_many_for_update(tx, store_id, &[request.order_external_id.as_str()]).await?;
    Ok(found.into_iter().next().map(|(_, order)| order.id))
}

/// Keeps the delivery as a receipt; `false` when this very delivery was kept before.
async fn kept(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    delivery: &ReturnDelivery<'_>,
) -> Result<bool, CaseError> {
    let body = String::from_utf8_lossy(delivery.body);
    let receipt = NewReceipt {
        id: ReceiptId::new(),
        store_id,
        dedup_key: delivery.dedup_key,
        topic: delivery.topic,
        body: &body,
    };
    Ok(!receipts::insert_new(tx, &[receipt]).await?.is_empty())
}

/// Opens the return-first case of a store return, checked like the merchant's own opening
/// (lines in the order, no more than shipped and unclaimed); its id.
#[allow(clippy::too_many_arguments)]
async fn open(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    order_id: OrderId,
    store: &str,
    ret: &StoreReturn,
    request: &ReturnRequest,
    approved: bool,
    actor: Actor,
) -> Result<String, CaseError> {
    let (detail, facts) = read_facts(tx, order_id, None).await?;
    let asked = CaseRequest {
        reason: request.reason(),
        lines: request.case_lines(),
        resolution: Resolution::ReturnFirst,
    };
    let opening = core::open(&facts, &asked)
        .map_err(|e| CaseError::Unprocessable(format!("return_line_items: {e}")))?;
    let lines = positions(&detail, &asked.lines);
    let units: u32 = lines.iter().map(|(_, q)| q).sum();
    let name = request.label(&ret.return_id);
    let opened_by = actor.label();
    let entry = Entry {
        step: "opened",
        detail: format!(
            "{name} {} in {store}: {units} unit(s), {}, the goods come back first",
            if approved { "approved" } else { "requested" },
            asked.reason.as_str().replace('_', " "),
        ),
        actor: actor.clone(),
    };
    let note = note_of(request, &name, store);
    let reference = format!("return:{}", ret.return_id);
    let new_case = NewCase {
        order_id,
        store_id,
        state: &opening.state,
        lines: &lines,
        note: Some(&note),
        opened_by: &opened_by,
        store_reference: Some(&reference),
    };
    let case_id = case_tx::insert(tx, &new_case, entry).await?;
    store::link_store_return(tx, &case_id, &ret.return_id, ret.change.status().as_str()).await?;
    if approved {
        // The approval is its own step: it is what sends the customer where to return the
        // goods (`notify::case_mails`), as it would for a return requested first.
        let approval = Entry {
            step: "store_approved",
            detail: format!("{store} approved {name}: the goods are to come back"),
            actor,
        };
        case_tx::record(tx, order_id, &case_id, approval).await?;
    }
    Ok(case_id)
}

/// The case's note: the return, and each line's reason with the words the store and the
/// customer gave, cut to [`NOTE_LIMIT`] characters.
fn note_of(request: &ReturnRequest, name: &str, store: &str) -> String {
    let mut note = format!("{name} in {store}.");
    for line in &request.lines {
        note.push_str(&format!(
            "\n- line {}, {} unit(s): {}",
            line.line_id,
            line.quantity,
            line.store_reason
                .as_deref()
                .map(|r| r.replace('_', " "))
                .unwrap_or_else(|| "no reason given".into())
        ));
        if let Some(words) = line
            .reason_note
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            note.push_str(&format!(" ({words})"));
        }
        if let Some(words) = line
            .customer_note
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            note.push_str(&format!("; the customer wrote: {words}"));
        }
    }
    bounded(note)
}

fn bounded(text: String) -> String {
    if text.chars().count() <= NOTE_LIMIT {
        return text;
    }
    let mut cut: String = text.chars().take(NOTE_LIMIT - 1).collect();
    cut.push('…');
    cut
}

/// The open case of `cases` that follows the store return `return_id`: where a refund of
/// that return lands (a closed one takes no refund, so the refund opens its own case).
pub fn case_of_return<'a>(cases: &'a [StoredCase], return_id: &str) -> Option<&'a StoredCase> {
    cases
        .iter()
        .find(|c| c.store_return_id.as_deref() == Some(return_id) && c.state.closed.is_none())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use dropflow_core::after_sale::store_return::ReturnedLine;
    use dropflow_core::after_sale::CaseReason;

    fn request(customer_note: Option<String>) -> ReturnRequest {
        ReturnRequest {
            order_external_id: "1".into(),
            name: Some("#1001-R1".into()),
            lines: vec![ReturnedLine {
                line_id: "L1".into(),
                quantity: 2,
                reason: CaseReason::Damaged,
                store_reason: Some("defective".into()),
                reason_note: Some("  ".into()),
                customer_note,
            }],
        }
    }

    #[test]
    fn the_note_names_each_line_its_reason_and_the_customers_words_within_the_limit() {
        let note = note_of(
            &request(Some("Cracked lid.".into())),
            "return #1001-R1 (9)",
            "Shopify",
        );
        assert_eq!(
            note,
            "return #1001-R1 (9) in Shopify.\n- line L1, 2 unit(s): defective; the customer wrote: Cracked lid."
        );
        let long = note_of(&request(Some("é".repeat(5_000))), "return 9", "Shopify");
        assert_eq!(long.chars().count(), NOTE_LIMIT);
        assert!(long.ends_with('…'));
    }
}
