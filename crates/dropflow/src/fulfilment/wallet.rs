//! The wallet side of a supplier order: reserve when it is placed (its cost is then known),
//! capture when the supplier is paid, release when it is refused or cancelled. The ledger's
//! reference is the supplier order's attempt id, so each purchase is reserved, settled and
//! refunded at most once whatever the retries.

use crate::storage::ledger::{self, PostError};
use crate::storage::supplier_orders::SupplierOrder;
use crate::storage::{Engine, Tx};
use dropflow_core::ledger::{LedgerError, Operation};
use dropflow_core::money::Money;

/// What reserving came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// Reserved now, or by an earlier run.
    Yes,
    /// The wallet is short: the message says by how much.
    InsufficientFunds(String),
    /// The purchase has no known cost (nothing to reserve).
    NoCost,
}

/// Reserves `amount` (default: the supplier order's cost) for the purchase.
pub async fn reserve(
    tx: &mut Tx<'_>,
    engine: Engine,
    so: &SupplierOrder,
    amount: Option<Money>,
) -> anyhow::Result<Reserved> {
    let Some(amount) = amount.or_else(|| so.cost()).filter(|m| m.minor > 0) else {
        return Ok(Reserved::NoCost);
    };
    let operation = Operation::Reserve {
        amount,
        reference: so.attempt_id.clone(),
    };
    match ledger::post(tx, engine, so.store_id, &operation).await {
        Ok(_) | Err(PostError::Refused(LedgerError::Duplicate { .. })) => Ok(Reserved::Yes),
        Err(PostError::Refused(e @ LedgerError::InsufficientFunds { .. })) => {
            Ok(Reserved::InsufficientFunds(e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Captures what the supplier charged; the rest of the reserve goes back to available.
/// Already captured is fine (a repeated run).
pub async fn capture(
    tx: &mut Tx<'_>,
    engine: Engine,
    so: &SupplierOrder,
    amount: Money,
) -> anyhow::Result<()> {
    let operation = Operation::Capture {
        amount,
        reference: so.attempt_id.clone(),
    };
    post_once(tx, engine, so, &operation, |refused| {
        matches!(
            refused,
            LedgerError::Duplicate { .. } | LedgerError::AlreadySettled(_)
        )
    })
    .await
}

/// Gives the reserve back, if there is one still open.
pub async fn release(tx: &mut Tx<'_>, engine: Engine, so: &SupplierOrder) -> anyhow::Result<()> {
    let Some(currency) = so.cost().map(|m| m.currency) else {
        return Ok(());
    };
    let operation = Operation::Release {
        currency,
        reference: so.attempt_id.clone(),
    };
    post_once(tx, engine, so, &operation, |refused| {
        matches!(
            refused,
            LedgerError::NothingReserved(_)
                | LedgerError::AlreadySettled(_)
                | LedgerError::Duplicate { .. }
        )
    })
    .await
}

/// Gives back what was captured for the purchase (its supplier cancelled it after it was
/// paid), at most once: a repeat, or nothing captured, changes nothing.
pub async fn refund(tx: &mut Tx<'_>, engine: Engine, so: &SupplierOrder) -> anyhow::Result<()> {
    let Some(amount) = so.cost().filter(|m| m.minor > 0) else {
        return Ok(());
    };
    let operation = Operation::Refund {
        amount,
        reference: so.attempt_id.clone(),
    };
    post_once(tx, engine, so, &operation, |refused| {
        matches!(
            refused,
            LedgerError::Duplicate { .. } | LedgerError::RefundExceedsCapture { .. }
        )
    })
    .await
}

/// Posts `operation` for the purchase; a refusal `done_already` accepts (a repeat, nothing
/// left to do) is success, as is the posting itself.
async fn post_once(
    tx: &mut Tx<'_>,
    engine: Engine,
    so: &SupplierOrder,
    operation: &Operation,
    done_already: impl Fn(&LedgerError) -> bool,
) -> anyhow::Result<()> {
    match ledger::post(tx, engine, so.store_id, operation).await {
        Ok(_) => Ok(()),
        Err(PostError::Refused(refused)) if done_already(&refused) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
