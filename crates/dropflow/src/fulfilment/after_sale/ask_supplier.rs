//! `case.ask_supplier`: the supplier of a case's goods is asked for its part, the way it can
//! answer (`dropflow_core::after_sale::supplier::ask_way`):
//! - its API takes return and refund requests (CJ disputes, 1688 refunds): the request is
//!   made with the case id as our key, and the follower asks for its answer;
//! - a marketplace vendor: the case shows on the vendor's page, which accepts (a credit) or
//!   refuses with a note;
//! - otherwise (AliExpress has no dispute API, or the goods came from several purchases): a
//!   task for the merchant, in Needs Attention, with the deadline the supplier's window
//!   allows (AliExpress: its buyer-protection window from delivery).
//!
//! Read, call outside any transaction, then write the answer on the case in one transaction.

use super::case_tx::{self, Entry};
use crate::fulfilment::Services;
use crate::storage::cases::{self as store, StoredCase};
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{flags::kind, orders};
use crate::suppliers::{registry, ReturnAnswer, ReturnRequest};
use anyhow::Context;
use chrono::DateTime;
use dropflow_core::after_sale::supplier::{answer_window, ask_way, AskWay};
use dropflow_core::after_sale::{apply, next_steps, supplier_due_ms, Applied, CaseEvent, Step};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;

/// The job kind.
pub const JOB: &str = case_tx::ASK_JOB;

/// What asking came to, written on the case.
enum Asked {
    /// The request is with the supplier (its API, or the vendor): wait for the answer.
    Waiting {
        by_api: bool,
        request_id: Option<String>,
        words: String,
    },
    /// The supplier's API said no at once.
    Refused { note: String },
    /// A person asks: the merchant's task, flagged.
    Task { words: String },
}

/// Asks the supplier of case `id`'s goods, if the case still calls for it.
pub async fn ask(services: &Services, id: &str) -> anyhow::Result<()> {
    let db = &services.db;
    let case = store::load(db, id)
        .await?
        .with_context(|| format!("case {id} does not exist"))?;
    if !next_steps(&case.state).contains(&Step::AskSupplier) {
        return Ok(());
    }
    let positions: Vec<i64> = case.lines.iter().map(|l| l.line_position).collect();
    let purchases = store::purchases_of_lines(db, case.order_id, &case.id, &positions).await?;
    let purchase = match purchases.as_slice() {
        [one] => Some(
            supplier_orders::load(db, *one)
                .await?
                .with_context(|| format!("supplier order {one} does not exist"))?,
        ),
        _ => None,
    };
    let kind = purchase
        .as_ref()
        .and_then(|p| SupplierKind::parse(&p.supplier));
    let way = ask_way(
        kind.map(registry::capabilities).unwrap_or_default(),
        purchases.len(),
    );
    let window = answer_window(kind.unwrap_or(SupplierKind::Manual));
    let delivered = match &purchase {
        Some(p) if window.from_delivery => store::delivered_at(db, p.id).await?,
        _ => None,
    };
    let due_ms = supplier_due_ms(
        case.created_at.timestamp_millis(),
        delivered,
        window.days,
        window.from_delivery,
    );
    let due = DateTime::from_timestamp_millis(due_ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let asked = match (way, &purchase) {
        (AskWay::Api, Some(p)) => by_api(services, &case, p, &due).await?,
        (AskWay::Vendor, Some(p)) => Asked::Waiting {
            by_api: false,
            request_id: None,
            words: format!(
                "{} was asked on its page to take its part; answer due by {due}",
                p.label()
            ),
        },
        _ => Asked::Task {
            words: task_words(purchase.as_ref(), purchases.len(), &due),
        },
    };
    record(services, &case, asked, due_ms, purchase.as_ref()).await
}

/// Asks the supplier's API: a return and refund request with the case id as our key.
async fn by_api(
    services: &Services,
    case: &StoredCase,
    purchase: &SupplierOrder,
    due: &str,
) -> anyhow::Result<Asked> {
    let (Some(supplier), Some(external)) = (
        services.suppliers.for_stored(&purchase.supplier),
        purchase.external_id.clone(),
    ) else {
        return Ok(Asked::Task {
            words: format!(
                "{} is not reachable from this process: ask it for the refund by {due}",
                purchase.label()
            ),
        });
    };
    let request = ReturnRequest {
        reference: case.id.clone(),
        supplier_order_id: external,
        supplier_sku_ids: claimed_items(case, purchase)
            .map(|(item, _)| item.supplier_sku_id.clone())
            .collect(),
        amount: claimed_cost(case, purchase)?,
        reason: format!(
            "{} (customer case {})",
            case.state.reason.as_str().replace('_', " "),
            case.id
        ),
    };
    let answer = supplier
        .request_return(&request)
        .await
        .map_err(crate::fulfilment::supplier_failure)?;
    Ok(match answer {
        ReturnAnswer::Requested { refund_id } => Asked::Waiting {
            by_api: true,
            words: format!(
                "{} was asked for {} {} (request {refund_id}); answer due by {due}",
                purchase.label(),
                request.amount.to_decimal_string(),
                request.amount.currency.code()
            ),
            request_id: Some(refund_id),
        },
        ReturnAnswer::AlreadyRequested => Asked::Waiting {
            by_api: true,
            request_id: None,
            words: format!(
                "{} already has the request; answer due by {due}",
                purchase.label()
            ),
        },
        ReturnAnswer::Refused { detail } => Asked::Refused {
            note: format!("{} refused: {detail}", purchase.label()),
        },
        ReturnAnswer::NotOffered => Asked::Task {
            words: format!(
                "{}'s API takes no such request: ask it for the refund by {due}",
                purchase.label()
            ),
        },
    })
}

/// The purchase's items for the case's lines, with the claimed share of each (its
/// supplier units for the claimed store units).
fn claimed_items<'a>(
    case: &'a StoredCase,
    purchase: &'a SupplierOrder,
) -> impl Iterator<Item = (&'a supplier_orders::SupplierOrderItem, i64)> + 'a {
    purchase.items.iter().filter_map(|item| {
        let claimed = case
            .lines
            .iter()
            .find(|l| l.line_position == item.line_position)?;
        let line_units = item.line_quantity.unwrap_or(item.quantity).max(1);
        // A pack of several supplier units per store unit is claimed pack by pack.
        let units = item.quantity * i64::from(claimed.quantity) / line_units;
        Some((item, units.max(1)))
    })
}

/// What the claimed goods cost at the supplier, in the purchase's currency.
fn claimed_cost(case: &StoredCase, purchase: &SupplierOrder) -> anyhow::Result<Money> {
    let mut total = 0i64;
    let mut currency = None;
    for (item, units) in claimed_items(case, purchase) {
        total += item.unit_cost_minor * units;
        currency.get_or_insert(item.currency.clone());
    }
    let code = currency
        .or_else(|| purchase.currency.clone())
        .context("the purchase has no currency")?;
    let currency = Currency::from_code(&code).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Money::new(total, currency))
}

fn task_words(purchase: Option<&SupplierOrder>, purchases: usize, due: &str) -> String {
    match purchase {
        Some(p) => format!(
            "open a dispute with {} for order {} by {due}, then record its answer on the case",
            p.label(),
            p.external_id.as_deref().unwrap_or("(not placed)")
        ),
        None if purchases == 0 => {
            format!("no purchase bought these goods: settle the supplier side by hand by {due}")
        }
        None => format!(
            "the goods came from {purchases} purchases: ask each supplier by {due}, then record \
             their answers on the case"
        ),
    }
}

async fn record(
    services: &Services,
    case: &StoredCase,
    asked: Asked,
    due_ms: i64,
    purchase: Option<&SupplierOrder>,
) -> anyhow::Result<()> {
    let mut tx = services.db.begin().await?;
    orders::lock(&mut tx, case.order_id).await?;
    let current = store::get_in(&mut tx, &case.id)
        .await?
        .with_context(|| format!("case {} does not exist", case.id))?;
    let purchase_id = purchase.map(|p| p.id.to_string());
    let (event, words, task) = match asked {
        Asked::Waiting {
            by_api,
            request_id,
            words,
        } => (
            CaseEvent::SupplierAsked {
                by_api,
                due_ms,
                purchase: purchase_id,
                request_id,
            },
            words,
            false,
        ),
        Asked::Refused { note } => (
            CaseEvent::SupplierRefused { note: note.clone() },
            note,
            false,
        ),
        Asked::Task { words } => (
            CaseEvent::SupplierAsked {
                by_api: false,
                due_ms,
                purchase: purchase_id,
                request_id: None,
            },
            words,
            true,
        ),
    };
    // A case that moved on meanwhile (closed, answered by hand) keeps what it has.
    if let Ok(Applied::Changed(next)) = apply(&current.state, event) {
        let entry = Entry {
            step: "supplier_asked",
            detail: words.clone(),
            actor: super::follower(),
        };
        case_tx::save(&mut tx, &current, &next, entry).await?;
        if task {
            case_tx::flag(
                &mut tx,
                case.order_id,
                &case.id,
                kind::CASE_SUPPLIER_TASK,
                &words,
                super::follower(),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
