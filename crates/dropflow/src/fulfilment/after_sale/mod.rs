//! After delivery: an order's cases carried out on both sides. The pure decisions are in
//! `dropflow_core::after_sale`; this layer reads what they need, calls the stores, and writes
//! each change through [`case_tx`] (the case, its timeline entry and the job it calls for, in
//! one transaction). The merchant's actions (`services::cases`), the store webhooks and the
//! jobs below all come through here.
//!
//! Jobs: [`refund_customer`] (`case.refund_customer`: the customer refunded through the
//! store's Admin API, once), [`read_refunds`] (`case.read_store_refunds`: a store that
//! tells refunds only inside the order, WooCommerce, read back and recorded),
//! [`ask_supplier`] (`case.ask_supplier`: its API, the vendor, or a task for the merchant)
//! and [`follow_supplier`] (`case.follow_supplier`, queued by the follower: the API's answer,
//! deadlines warned and expired).

/// `case.ask_supplier`: the supplier of a case's goods asked for its part.
pub mod ask_supplier;
/// A payment dispute (chargeback, inquiry) the store tells of, recorded and flagged.
pub mod chargeback;
/// A case changed inside a caller's transaction, with its timeline entry and follow-up job.
pub mod case_tx;
/// `case.follow_supplier`: the supplier's answer asked for, deadlines warned and expired.
pub mod follow_supplier;
/// What a case is checked against, read under the order's lock.
pub mod facts;
/// `case.read_store_refunds`: an order's refunds read back from the store.
pub mod read_refunds;
/// `case.refund_customer`: a case's customer refunded through the store, once.
pub mod refund_customer;
/// `case.order_replacement`: a reship or exchange bought through the normal route.
pub mod replacement;
/// The return parcel followed with the carrier; its delivery moves the case on.
pub mod returns;
/// A refund made in the store, recorded: a new case, or the case dropflow refunded for.
pub mod store_refund;
/// A return made in the store (Shopify Returns): a case opened, moved or noted.
pub mod store_return;
/// A supplier's refund for a case, on the case and in the wallet, once.
pub mod supplier_credit;

use crate::storage::StorageError;
use anyhow::Context as _;

/// Why a case could not be opened or changed as asked.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    NotFound(String),
    /// Well-formed but not acceptable; the message names the line or amount.
    #[error("{0}")]
    Unprocessable(String),
    /// Not now: the case is closed, or changed meanwhile.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Internal(String),
}

impl From<anyhow::Error> for CaseError {
    /// A write helper's failure: a storage error keeps its meaning (a case changed meanwhile
    /// is a conflict), anything else is internal.
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<StorageError>() {
            Ok(storage) => CaseError::Storage(storage),
            Err(other) => CaseError::Internal(other.to_string()),
        }
    }
}

pub(crate) use super::store_access::{retry_later, store_admin};

/// Reads `{"case_id": …}` from a job payload.
pub(crate) fn case_id(payload: &serde_json::Value) -> anyhow::Result<&str> {
    payload
        .get("case_id")
        .and_then(|v| v.as_str())
        .context("the job payload has no case_id")
}

/// Who the timeline names for what dropflow does on a case's supplier side.
fn follower() -> dropflow_core::event::Actor {
    dropflow_core::event::Actor::System("case-follower".into())
}
