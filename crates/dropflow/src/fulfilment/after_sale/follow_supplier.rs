//! `case.follow_supplier`: the follower's look at a case whose supplier was asked, when its
//! `next_sync_at` comes (`dropflow_core::after_sale::supplier::follow` decides):
//! - a request made through the supplier's API is asked where it stands: a refund is
//!   credited to the case and the wallet ([`super::supplier_credit`]), a refusal recorded;
//! - a deadline near puts the case in Needs Attention; a deadline passed with no answer marks
//!   the supplier's side expired and flags it for a person.
//!
//! The claim (`storage::cases::claim_due_follows`) pushed `next_sync_at` a lease ahead; this
//! job sets the real next look, or clears it once nothing is left to follow.

use super::{case_tx, supplier_credit};
use crate::fulfilment::Services;
use crate::storage::cases::{self as store, StoredCase};
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{flags::kind, now_ms, orders};
use crate::suppliers::{ReturnCheck, ReturnStatus};
use anyhow::Context;
use chrono::DateTime;
use dropflow_core::after_sale::supplier::follow as decide;
use dropflow_core::after_sale::{apply, Applied, CaseEvent, SupplierSide};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::FOLLOW_SUPPLIER;

/// What the supplier's API said, if it was asked.
enum Heard {
    Nothing,
    Refunded {
        amount: dropflow_core::money::Money,
        reference: String,
    },
    Refused(String),
}

/// Looks at case `id`'s supplier side now.
pub async fn follow(services: &Services, id: &str) -> anyhow::Result<()> {
    let db = &services.db;
    let case = store::load(db, id)
        .await?
        .with_context(|| format!("case {id} does not exist"))?;
    let now = now_ms();
    let decision = decide(&case.state.supplier, now, services.cadence.case_poll_ms());
    let purchase = purchase_of(services, &case).await?;
    let heard = match (&case.state.supplier, &purchase) {
        (
            SupplierSide::Asked {
                by_api: true,
                request_id,
                ..
            },
            Some(purchase),
        ) if decision.ask_api => ask(services, &case, purchase, request_id.clone()).await?,
        _ => Heard::Nothing,
    };

    let mut tx = db.begin().await?;
    orders::lock(&mut tx, case.order_id).await?;
    let current = store::get_in(&mut tx, &case.id)
        .await?
        .with_context(|| format!("case {} does not exist", case.id))?;
    if current.state.supplier != case.state.supplier || current.state.closed.is_some() {
        // Answered by hand, or closed, meanwhile: nothing of this look applies.
        tx.commit().await?;
        return Ok(());
    }
    let settled = match heard {
        Heard::Refunded { amount, reference } => {
            supplier_credit::record(
                &mut tx,
                db.engine,
                &current,
                purchase.as_ref(),
                &reference,
                amount,
                super::follower(),
            )
            .await?
        }
        Heard::Refused(detail) => {
            let event = CaseEvent::SupplierRefused {
                note: detail.clone(),
            };
            save(&mut tx, &current, event, "supplier_refused", detail).await?
        }
        Heard::Nothing if decision.expire => {
            let words = format!(
                "the supplier did not answer by {}: decide what is lost",
                day(current_due(&current))
            );
            case_tx::flag(
                &mut tx,
                case.order_id,
                &case.id,
                kind::CASE_SUPPLIER_EXPIRED,
                &words,
                super::follower(),
            )
            .await?;
            save(
                &mut tx,
                &current,
                CaseEvent::SupplierExpired,
                "supplier_expired",
                words,
            )
            .await?
        }
        Heard::Nothing => false,
    };
    if !settled {
        if decision.warn {
            let words = format!(
                "the supplier's answer is due by {}",
                day(current_due(&current))
            );
            case_tx::flag(
                &mut tx,
                case.order_id,
                &case.id,
                kind::CASE_SUPPLIER_DUE,
                &words,
                super::follower(),
            )
            .await?;
        }
        store::set_next_sync(&mut tx, &case.id, decision.next_at_ms).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The purchase the supplier was asked about, when the case names one.
async fn purchase_of(
    services: &Services,
    case: &StoredCase,
) -> anyhow::Result<Option<SupplierOrder>> {
    let SupplierSide::Asked {
        purchase: Some(id), ..
    } = &case.state.supplier
    else {
        return Ok(None);
    };
    let id = id
        .parse()
        .with_context(|| format!("case {}: purchase {id:?} is not an id", case.id))?;
    Ok(supplier_orders::load(&services.db, id).await?)
}

/// Asks the supplier's API where the case's request stands.
async fn ask(
    services: &Services,
    case: &StoredCase,
    purchase: &SupplierOrder,
    request_id: Option<String>,
) -> anyhow::Result<Heard> {
    let (Some(supplier), Some(external)) = (
        services.suppliers.for_stored(&purchase.supplier),
        purchase.external_id.clone(),
    ) else {
        return Ok(Heard::Nothing);
    };
    let check = ReturnCheck {
        reference: case.id.clone(),
        supplier_order_id: external,
        request_id,
    };
    let status = supplier
        .return_status(&check)
        .await
        .map_err(crate::fulfilment::supplier_failure)?;
    Ok(match status {
        ReturnStatus::Refunded { amount, reference } => Heard::Refunded { amount, reference },
        ReturnStatus::Refused { detail } => {
            Heard::Refused(format!("{} refused: {detail}", purchase.label()))
        }
        // Still open, unknown, or not told: the deadline settles it.
        ReturnStatus::Open | ReturnStatus::NotFound | ReturnStatus::NotOffered => Heard::Nothing,
    })
}

/// Applies `event` and writes it with its entry; whether the case changed.
async fn save(
    tx: &mut crate::storage::Tx<'_>,
    case: &StoredCase,
    event: CaseEvent,
    step: &'static str,
    detail: String,
) -> anyhow::Result<bool> {
    let Applied::Changed(next) = apply(&case.state, event)? else {
        return Ok(false);
    };
    let entry = super::case_tx::Entry {
        step,
        detail,
        actor: super::follower(),
    };
    super::case_tx::save(tx, case, &next, entry).await?;
    Ok(true)
}

fn current_due(case: &StoredCase) -> i64 {
    match case.state.supplier {
        SupplierSide::Asked { due_ms, .. } => due_ms,
        _ => 0,
    }
}

fn day(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}
