use crate::services::ActionError;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::orders::{self as store, OrderSummary};
use dropflow_core::event::Actor;
use dropflow_core::hold::HoldReason;
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::Command;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderPage {
    pub orders: Vec<OrderSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Orders per tab (every order the caller may see).
    pub counts: BTreeMap<String, i64>,
    /// Orders flagged "needs attention" (all stores; they are in other tabs too).
    pub needs_attention: i64,
}

pub fn parse_reason(text: &str) -> Result<HoldReason, ActionError> {
    HoldReason::parse(text).ok_or_else(|| {
        let names: Vec<&str> = HoldReason::ALL.iter().map(|r| r.as_str()).collect();
        ActionError::Unprocessable(format!(
            "unknown hold reason {text:?}: use one of {}",
            names.join(", ")
        ))
    })
}

/// The order a path names (id, name or store order id), among those the caller may see.
pub async fn resolve(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<OrderId, ActionError> {
    store::resolve(&ctx.db, &caller.scope, reference)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("order {reference:?} not found")))
}

/// Queues routing the order again (the Retry button); returns the job's id.
pub async fn queue_routing(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<i64, ActionError> {
    caller.require(&[Role::Owner, Role::Staff], "route orders")?;
    let id = resolve(ctx, caller, reference).await?;
    let mut tx = ctx.db.begin().await?;
    let payload = serde_json::json!({ "order_id": id.to_string() });
    let job = crate::storage::jobs::enqueue(
        &mut tx,
        crate::fulfilment::route::JOB,
        &payload,
        Some(id),
        crate::storage::now_ms(),
    )
    .await?;
    // Who asked goes on the timeline, like the other buttons.
    crate::fulfilment::order_tx::apply(
        &mut tx,
        id,
        Command::Record(vec![dropflow_core::event::OrderEvent::ActionRequested {
            action: "route".into(),
        }]),
        Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(|e| ActionError::Internal(e.to_string()))?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(order.id = %id, "routing queued by a merchant");
    Ok(job)
}
