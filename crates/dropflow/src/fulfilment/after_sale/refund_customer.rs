//! `case.refund_customer`: refunds a case's customer through the store's Admin API, once.
//!
//! Read the case and its order; ask the core what to refund (`after_sale::refund::plan`:
//! nothing when the case no longer calls for it); call the store outside any transaction;
//! then record the refund on the case and the timeline in one transaction. The store's
//! connector reads the order's refunds back before creating one and answers
//! `AlreadyRefunded` for a refund carrying the case's marker, so a job run twice (a lost
//! answer, a lost lease) never pays twice; the store's own `refunds/create` webhook for the
//! same refund is recognised by the marker and lands on the same case.
//!
//! Transient failures (429, 5xx, timeouts) fail the job so the queue retries with backoff. A
//! refusal that retrying cannot fix (no Admin API access, more than the order can refund,
//! credentials refused) raises a flag: a person refunds in the store (whose webhook then
//! settles the case) or fixes the cause and retries the job.

use super::case_tx;
use crate::fulfilment::Services;
use crate::jobs::GiveUp;
use crate::platforms::admin_refund::{RefundLine, RefundOutcome, RefundPush};
use crate::storage::cases::{self as store, StoredCase};
use crate::storage::{flags::kind, orders};
use anyhow::Context;
use dropflow_core::after_sale::refund::{plan, RefundPlan};
use dropflow_core::after_sale::{apply, Applied, CaseEvent};
use dropflow_core::event::Actor;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;

/// The job kind.
pub const JOB: &str = case_tx::REFUND_JOB;

fn writer() -> Actor {
    Actor::System("store-writer".into())
}

/// Refunds case `id`'s customer if the case still calls for it.
pub async fn refund(services: &Services, id: &str) -> anyhow::Result<()> {
    let db = &services.db;
    let case = store::load(db, id)
        .await?
        .with_context(|| format!("case {id} does not exist"))?;
    let order = orders::get(db, case.order_id)
        .await?
        .with_context(|| format!("order {} does not exist", case.order_id))?;
    let unit_price = |line_id: &str| {
        order
            .lines
            .iter()
            .find(|l| l.external_id == line_id)
            .map_or(0, |l| l.unit_price_minor)
    };
    let Some(planned) = plan(&case.state, &case.core_lines(), unit_price) else {
        return Ok(());
    };
    let (_, admin) = super::store_admin(services, case.store_id).await?;
    let request = push(&case, &order.summary.external_id, planned);
    match admin.refund(&request).await {
        Ok(outcome) => record(services, &case, &request, &outcome).await,
        Err(error) => {
            if let Some(later) = super::retry_later(&error) {
                return Err(later);
            }
            let words = format!(
                "the store refused to refund {} {}: {error}",
                money(case.state.currency, request.total_minor()),
                case.state.currency.code()
            );
            let mut tx = db.begin().await?;
            orders::lock(&mut tx, case.order_id).await?;
            flag(&mut tx, &case, "refund_failed", &words).await?;
            tx.commit().await?;
            Err(GiveUp(words).into())
        }
    }
}

/// The refund request for the store.
fn push(case: &StoredCase, store_order_id: &str, planned: RefundPlan) -> RefundPush {
    RefundPush {
        store_order_id: store_order_id.to_string(),
        reference: case.id.clone(),
        currency: case.state.currency,
        lines: planned
            .lines
            .into_iter()
            .map(|line| RefundLine {
                store_line_id: line.line_id,
                quantity: line.quantity,
                amount_minor: line.amount_minor,
            })
            .collect(),
        goods_minor: planned.goods_minor,
        shipping_minor: planned.shipping_minor,
        restock: planned.restock,
        // The customer hears of the refund once, from dropflow's own mail (`refund issued`,
        // with the case's context, as the store's `notify_customer` setting allows); the
        // store's mail would be a second one.
        notify_customer: false,
        // The reason only: the customer's words stay in dropflow.
        note: format!("Refund: {}", case.state.reason.as_str().replace('_', " ")),
    }
}

/// Writes the store's refund on the case (once: the same refund id again changes nothing).
async fn record(
    services: &Services,
    case: &StoredCase,
    request: &RefundPush,
    outcome: &RefundOutcome,
) -> anyhow::Result<()> {
    let currency = case.state.currency;
    let mut tx = services.db.begin().await?;
    orders::lock(&mut tx, case.order_id).await?;
    let current = store::get_in(&mut tx, &case.id)
        .await?
        .with_context(|| format!("case {} does not exist", case.id))?;
    let refunded = Money::new(outcome.amount_minor(), currency);
    let mut words = format!(
        "refunded through the store: {} {} (refund {})",
        refunded.to_decimal_string(),
        currency.code(),
        outcome.store_refund_id()
    );
    if outcome.amount_minor() != request.total_minor() {
        words.push_str(&format!(
            "; {} {} was asked",
            money(currency, request.total_minor()),
            currency.code()
        ));
    }
    let event = CaseEvent::CustomerRefunded {
        refund_id: outcome.store_refund_id().to_string(),
        amount: refunded,
    };
    match apply(&current.state, event) {
        Ok(Applied::Changed(next)) => {
            case_tx::save(&mut tx, &current, &next, entry("refunded", &words)).await?
        }
        Ok(Applied::Unchanged) => {}
        // The case moved on meanwhile (closed by a person): the money went back all the
        // same, so the timeline says so and a person looks.
        Err(conflict) => {
            let words = format!("{words}, but the case could not take it: {conflict}");
            flag(&mut tx, case, "refunded", &words).await?;
        }
    }
    tx.commit().await?;
    tracing::info!(case.id = %case.id, order.id = %case.order_id,
        store_refund_id = %outcome.store_refund_id(), "customer refunded through the store");
    Ok(())
}

/// Puts `words` on the timeline as the case's `step` and flags the order for a person.
async fn flag(
    tx: &mut crate::storage::Tx<'_>,
    case: &StoredCase,
    step: &'static str,
    words: &str,
) -> anyhow::Result<()> {
    case_tx::record(tx, case.order_id, &case.id, entry(step, words)).await?;
    case_tx::flag(
        tx,
        case.order_id,
        &case.id,
        kind::CASE_REFUND_FAILED,
        words,
        writer(),
    )
    .await?;
    Ok(())
}

fn entry(step: &'static str, words: &str) -> case_tx::Entry {
    case_tx::Entry {
        step,
        detail: words.to_string(),
        actor: writer(),
    }
}

fn money(currency: Currency, minor: i64) -> String {
    Money::new(minor, currency).to_decimal_string()
}
