//! Orders: list and read within the caller's scope, holds, routing again.

use super::{ActionError, Caller, Context, MERCHANTS};
use crate::fulfilment::order_tx::{self, ApplyError};
use crate::storage::orders::{self as store, ListQuery, OrderDetail, OrderSummary};
use crate::storage::receipts::{self, Receipt};
use crate::storage::supplier_orders::SupplierOrderView;
use dropflow_core::event::Actor;
use dropflow_core::hold::HoldReason;
use dropflow_core::ids::{OrderId, ReceiptId, StoreId};
use dropflow_core::lifecycle::{Command, Rejected};
use dropflow_core::tab::Tab;
use std::collections::BTreeMap;

#[derive(Debug)]
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
    caller.require(MERCHANTS, "route orders")?;
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

/// Which orders to list: the `/api/v1/orders` query, as given.
#[derive(Debug, Default)]
pub struct ListParams {
    pub tab: Option<String>,
    pub limit: Option<u32>,
    pub q: Option<String>,
    pub store_id: Option<String>,
    pub cursor: Option<String>,
    pub needs_attention: Option<bool>,
}

/// Orders in a tab the caller may see, newest first, with keyset pagination.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    params: ListParams,
) -> Result<OrderPage, ActionError> {
    let tab = match params.tab.as_deref() {
        None | Some("") => Tab::All,
        Some(t) => Tab::parse(t).ok_or_else(|| {
            let names: Vec<&str> = Tab::ALL.iter().map(|t| t.as_str()).collect();
            ActionError::Invalid(format!(
                "unknown tab {t:?}: use one of {}",
                names.join(", ")
            ))
        })?,
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ActionError::Invalid(
            "limit must be between 1 and 500".into(),
        ));
    }
    let before: Option<OrderId> = optional_id(
        params.cursor.as_deref(),
        "cursor is not one this API returned",
    )?;
    let store_id: Option<StoreId> =
        optional_id(params.store_id.as_deref(), "store_id is not a store id")?;
    let query = ListQuery {
        scope: caller.scope.clone(),
        tab,
        search: params.q,
        store_id,
        before,
        limit,
        needs_attention: params.needs_attention.unwrap_or(false),
        filters: Default::default(),
    };
    let orders = store::list(&ctx.db, &query).await?;
    let next_cursor = (orders.len() == limit as usize)
        .then(|| orders.last().map(|o| o.id.to_string()))
        .flatten();
    let counts = store::tab_counts(&ctx.db, &caller.scope).await?;
    let needs_attention = store::attention_count(&ctx.db, &caller.scope).await?;
    Ok(OrderPage {
        orders,
        next_cursor,
        counts,
        needs_attention,
    })
}

/// An id given as text, if given; `refusal` when it is not such an id.
fn optional_id<T: std::str::FromStr>(
    text: Option<&str>,
    refusal: &str,
) -> Result<Option<T>, ActionError> {
    text.map(str::parse)
        .transpose()
        .map_err(|_| ActionError::Invalid(refusal.into()))
}

/// Orders per tab, of those the caller may see.
pub async fn counts(ctx: &Context, caller: &Caller) -> Result<BTreeMap<String, i64>, ActionError> {
    Ok(store::tab_counts(&ctx.db, &caller.scope).await?)
}

/// One order with its lines and timeline (a vendor's narrowed to what it ships).
pub async fn show(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<OrderDetail, ActionError> {
    let id = resolve(ctx, caller, reference).await?;
    let mut detail = store::get(&ctx.db, id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("order {id} not found")))?;
    crate::services::vendor_view::restrict_detail(ctx, caller, &mut detail).await?;
    Ok(detail)
}

/// Holds an order back from purchasing (`reason` as in [`HoldReason`], `detail` says why).
pub async fn place_hold(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
    reason: &str,
    detail: &str,
) -> Result<OrderDetail, ActionError> {
    caller.require(MERCHANTS, "hold orders")?;
    let reason = parse_reason(reason)?;
    if detail.trim().is_empty() {
        return Err(ActionError::Unprocessable(
            "detail must say why the order is held".into(),
        ));
    }
    let id = resolve(ctx, caller, reference).await?;
    let command = Command::PlaceHold {
        reason,
        detail: detail.trim().to_string(),
    };
    apply(ctx, id, command, caller.actor.clone()).await
}

/// Releases a hold (a system hold released is an override: not placed again for the same
/// payment state or address).
pub async fn release_hold(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
    reason: &str,
) -> Result<OrderDetail, ActionError> {
    caller.require(MERCHANTS, "release holds")?;
    let reason = parse_reason(reason)?;
    let id = resolve(ctx, caller, reference).await?;
    apply(
        ctx,
        id,
        Command::ReleaseHold { reason },
        caller.actor.clone(),
    )
    .await
}

async fn apply(
    ctx: &Context,
    id: OrderId,
    command: Command,
    merchant: String,
) -> Result<OrderDetail, ActionError> {
    let mut tx = ctx.db.begin().await?;
    order_tx::try_apply(&mut tx, id, command, Actor::Merchant(merchant))
        .await
        .map_err(|e| match e {
            ApplyError::NotFound(_) => ActionError::NotFound(format!("order {id} not found")),
            ApplyError::Rejected(
                r @ (Rejected::NoSuchHold(_) | Rejected::AlreadyHeld(_) | Rejected::Cancelled),
            ) => ActionError::Conflict(r.to_string()),
            ApplyError::Storage(s) => s.into(),
        })?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    ctx.db.events_recorded.notify_waiters();
    let detail = store::get(&ctx.db, id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("order {id} not found")))?;
    Ok(detail)
}

/// The webhook delivery a timeline entry points at, byte for byte (owners and staff of its
/// store).
pub async fn receipt(ctx: &Context, caller: &Caller, id: &str) -> Result<Receipt, ActionError> {
    caller.require(MERCHANTS, "read webhook receipts")?;
    let not_found = || ActionError::NotFound(format!("receipt {id:?} not found"));
    let receipt_id = id.parse::<ReceiptId>().map_err(|_| not_found())?;
    let receipt = receipts::get(&ctx.db, receipt_id)
        .await?
        .ok_or_else(not_found)?;
    caller
        .store(&ctx.db, receipt.store_id)
        .await
        .map_err(|_| not_found())?;
    Ok(receipt)
}

/// The supplier orders of one order the caller may see, with their items.
pub async fn supplier_orders(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<Vec<SupplierOrderView>, ActionError> {
    let id = resolve(ctx, caller, reference).await?;
    super::vendor_view::supplier_orders_for(ctx, caller, id).await
}
