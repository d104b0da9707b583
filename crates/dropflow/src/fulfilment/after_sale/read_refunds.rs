//! `case.read_store_refunds`: a store that tells refunds only inside the order (WooCommerce
//! lists `refunds: [{id, reason, total}]` in `order.updated`) is asked for the order's refunds
//! in full (`GET …/orders/{id}/refunds`: lines and amounts), and each is recorded as a
//! webhook's would be ([`super::store_refund::record`]): a new case, the case dropflow
//! refunded for, or nothing for one already recorded. Queued by the order's lifecycle when a
//! snapshot lists a refund id it had not seen.

use super::store_refund::{self, StoreRefundOutcome};
use super::CaseError;
use crate::fulfilment::Services;
use crate::jobs::GiveUp;
use crate::storage::orders;
use anyhow::Context;
use dropflow_core::ids::OrderId;

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::READ_STORE_REFUNDS;

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    read(services, crate::fulfilment::order_id(payload)?).await
}

/// Reads order `order_id`'s refunds from its store and records the new ones.
pub async fn read(services: &Services, order_id: OrderId) -> anyhow::Result<()> {
    let db = &services.db;
    let order = orders::get(db, order_id)
        .await?
        .with_context(|| format!("order {order_id} does not exist"))?;
    let store_id = order.summary.store_id;
    let (platform, admin) = super::store_admin(services, store_id).await?;
    let refunds = match admin.store_refunds(&order.summary.external_id).await {
        Ok(refunds) => refunds,
        Err(error) => {
            return Err(super::retry_later(&error).unwrap_or_else(|| {
                GiveUp(format!("the store's refunds could not be read: {error}")).into()
            }))
        }
    };
    for refund in &refunds {
        match store_refund::record(db, store_id, platform.as_str(), refund).await {
            Ok(outcome) => {
                let what = match outcome {
                    StoreRefundOutcome::Opened { .. } => "case opened",
                    StoreRefundOutcome::Recorded { .. } => "recorded on its case",
                    StoreRefundOutcome::Duplicate { .. } => "known already",
                    StoreRefundOutcome::NotACase { .. } => "not a case",
                };
                tracing::debug!(order.id = %order_id, store_refund_id = %refund.refund_id,
                    "store refund read back: {what}");
            }
            // One refund that does not fit (another currency than the order's) must not keep
            // the others out: it is logged by id and the rest are recorded.
            Err(CaseError::Unprocessable(why)) => {
                tracing::warn!(order.id = %order_id, store_refund_id = %refund.refund_id,
                    %why, "store refund read back but not recorded");
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}
