//! A supplier's refund for a case, recorded once: on the case (by the supplier's reference)
//! and in the wallet it was paid from (a ledger refund under `<attempt id>#case:<case id>`,
//! a part of the purchase's capture, so the ledger itself refuses a second credit and never
//! gives back more than was paid). A manual vendor was never paid from the wallet: its
//! credit is charged to its earnings instead (`fulfilment::vendor_earnings::charge`, once per
//! case and purchase).

use super::case_tx::{self, Entry};
use crate::storage::cases::StoredCase;
use crate::storage::ledger::{self, PostError};
use crate::storage::supplier_orders::SupplierOrder;
use crate::storage::{Engine, Tx};
use dropflow_core::after_sale::{apply, Applied, CaseEvent};
use dropflow_core::event::Actor;
use dropflow_core::ledger::{LedgerError, Operation, PART_SEPARATOR};
use dropflow_core::money::Money;

/// The ledger reference of a case's credit on `purchase`.
pub fn reference(purchase: &SupplierOrder, case_id: &str) -> String {
    format!("{}{PART_SEPARATOR}case:{case_id}", purchase.attempt_id)
}

/// Records the supplier's refund of `amount` (its `supplier_reference`) on the case and, when
/// the purchase was paid from the wallet, back into it; in the caller's transaction, under
/// the order's lock. Whether anything changed (the same reference again changes nothing).
pub async fn record(
    tx: &mut Tx<'_>,
    engine: Engine,
    case: &StoredCase,
    purchase: Option<&SupplierOrder>,
    supplier_reference: &str,
    amount: Money,
    actor: Actor,
) -> anyhow::Result<bool> {
    let event = CaseEvent::SupplierCredited {
        reference: supplier_reference.to_string(),
        amount,
    };
    let Applied::Changed(next) = apply(&case.state, event)? else {
        return Ok(false);
    };
    let mut words = format!(
        "the supplier refunded {} {} ({supplier_reference})",
        amount.to_decimal_string(),
        amount.currency.code()
    );
    let vendors = match purchase {
        Some(purchase) => {
            crate::fulfilment::vendor_earnings::is_vendors(tx, &purchase.id.to_string()).await?
        }
        None => false,
    };
    if let (true, Some(purchase)) = (vendors, purchase) {
        // A manual vendor was never paid from the wallet: its refund comes off its earnings.
        crate::fulfilment::vendor_earnings::charge(
            tx,
            &purchase.id.to_string(),
            &case.id,
            amount,
            chrono::Utc::now(),
        )
        .await?;
        words.push_str(", charged to the vendor's earnings");
    } else if let Some(purchase) = purchase {
        let operation = Operation::Refund {
            amount,
            reference: reference(purchase, &case.id),
        };
        match ledger::post(tx, engine, purchase.store_id, &operation).await {
            Ok(_) => words.push_str(", credited to the wallet"),
            Err(PostError::Refused(LedgerError::Duplicate { .. })) => {}
            // Not paid from the wallet (a vendor paid otherwise), or more than was paid:
            // the case records it, the wallet is left as it is, and the words say why.
            Err(PostError::Refused(refused)) => {
                words.push_str(&format!("; not credited to the wallet: {refused}"))
            }
            Err(PostError::Storage(error)) => return Err(error.into()),
        }
    }
    let entry = Entry {
        step: "supplier_credited",
        detail: words,
        actor,
    };
    case_tx::save(tx, case, &next, entry).await?;
    Ok(true)
}
