//! A payment dispute the store tells of (Shopify `disputes/create` / `disputes/update`),
//! recorded on its order under the order's lock: the dispute's row (one per store dispute,
//! latest stage kept), a `chargeback` flag the first time it needs a person (the order goes
//! to Needs Attention with the amount, the reason and the evidence due date), and a timeline
//! entry for each new stage. A settled outcome (won, lost, accepted) only goes on the
//! timeline: whoever settles the flag says what was done. The evidence to answer with is
//! gathered by `services::evidence`.

use crate::fulfilment::flags;
use crate::fulfilment::order_tx;
use crate::storage::chargebacks::{self, StoredChargeback};
use crate::storage::flags::kind;
use crate::storage::{orders, Database, StorageError};
use dropflow_core::after_sale::dispute::{self as core, DisputeStatus, Progress, StoreDispute};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::lifecycle::Command;

/// What a dispute delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisputeOutcome {
    /// First seen: recorded (and the order flagged when it needs a person).
    Recorded { order_id: OrderId, flagged: bool },
    /// A later stage (or new dates) of a dispute already recorded.
    Updated { order_id: OrderId },
    /// Exactly what is recorded: a repeated delivery, nothing written.
    Duplicate { order_id: OrderId },
    /// An earlier stage than recorded, delivered late: nothing written.
    Stale { order_id: OrderId },
    /// Not on an order dropflow took (or on no order at all): nothing to record.
    NoOrder,
}

/// Records one delivery of a store dispute on its order.
pub async fn record(
    db: &Database,
    store_id: StoreId,
    platform: &str,
    dispute: &StoreDispute,
) -> anyhow::Result<DisputeOutcome> {
    let Some(external) = dispute.order_external_id.as_deref() else {
        return Ok(DisputeOutcome::NoOrder);
    };
    let mut tx = db.begin().await?;
    let found = orders::find_many_for_update(&mut tx, store_id, &[external]).await?;
    let Some((_, order)) = found.into_iter().next() else {
        return Ok(DisputeOutcome::NoOrder);
    };
    let order_id = order.id;
    orders::lock(&mut tx, order_id).await?;
    let upserted = chargebacks::upsert(&mut tx, order_id, store_id, dispute).await?;
    let actor = || Actor::Store(platform.to_string());
    let outcome = match upserted.progress {
        Progress::Same => return Ok(DisputeOutcome::Duplicate { order_id }),
        Progress::Stale => {
            tracing::info!(
                order.id = %order_id,
                dispute.status = dispute.status.as_str(),
                "a dispute delivery older than what is recorded was ignored"
            );
            return Ok(DisputeOutcome::Stale { order_id });
        }
        Progress::New => {
            let flagged = if core::needs_a_person(&dispute.status) {
                flags::raise(
                    &mut tx,
                    order_id,
                    None,
                    kind::CHARGEBACK,
                    &flag_words(&upserted.row),
                    actor(),
                )
                .await?
            } else {
                false
            };
            DisputeOutcome::Recorded { order_id, flagged }
        }
        Progress::Moved => DisputeOutcome::Updated { order_id },
    };
    let detail = match (&upserted.previous_status, upserted.progress) {
        (Some(before), Progress::Moved) if before != dispute.status.as_str() => format!(
            "{} (was {})",
            summary(&upserted.row),
            before.replace('_', " ")
        ),
        _ => summary(&upserted.row),
    };
    order_tx::apply(
        &mut tx,
        order_id,
        Command::Record(vec![OrderEvent::Chargeback {
            dispute_id: dispute.dispute_id.clone(),
            status: dispute.status.as_str().to_string(),
            detail,
        }]),
        actor(),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    tracing::info!(
        order.id = %order_id,
        dispute.status = dispute.status.as_str(),
        "payment dispute recorded"
    );
    Ok(outcome)
}

/// The flag's words: what the merchant must do, and by when. Fixed for a dispute (its id,
/// kind, amount, reason and first due date), so a repeated raise finds it open.
fn flag_words(row: &StoredChargeback) -> String {
    let due = match row.evidence_due_by {
        Some(at) => format!("evidence due by {}", at.format("%Y-%m-%d %H:%M UTC")),
        None => "no evidence due date given".to_string(),
    };
    format!(
        "{} {} on the payment ({}), dispute {}: {due}",
        row.kind,
        money(row),
        reason(row),
        row.store_dispute_id
    )
}

/// One line for the timeline: kind, amount, reason, due date or outcome date.
fn summary(row: &StoredChargeback) -> String {
    let mut words = format!("{} {} ({})", row.kind, money(row), reason(row));
    let status = DisputeStatus::parse(&row.status);
    if let Some(at) = row.finalized_on.filter(|_| status.settled()) {
        words.push_str(&format!(", decided {}", at.format("%Y-%m-%d")));
    } else if let Some(at) = row.evidence_due_by.filter(|_| !status.settled()) {
        words.push_str(&format!(
            ", evidence due by {}",
            at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    words
}

fn money(row: &StoredChargeback) -> String {
    match dropflow_core::reference::currency::Currency::from_code(&row.currency) {
        Ok(currency) => dropflow_core::money::Money::new(row.amount_minor, currency).to_string(),
        Err(_) => format!("{} {}", row.amount_minor, row.currency),
    }
}

fn reason(row: &StoredChargeback) -> String {
    row.reason
        .as_deref()
        .map(|r| r.replace('_', " "))
        .unwrap_or_else(|| "no reason given".into())
}
