use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::orders::{parse_reason, queue_routing, resolve, OrderPage};
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::orders::{self as store, ApplyError, ListQuery, OrderDetail};
use crate::storage::receipts::{self, Receipt};
use crate::storage::supplier_orders::SupplierOrderView;
use axum::extract::State;
use axum::Json;
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, ReceiptId, StoreId};
use dropflow_core::lifecycle::{Command, Rejected};
use dropflow_core::tab::Tab;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// all, awaiting_order, awaiting_payment, awaiting_shipment, fulfilled, canceled, failed,
    /// on_hold (default all).
    #[param(schema_with = crate::http::openapi::tab_schema)]
    pub tab: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Order name (`#1001` or `1001`), store order id, or customer e-mail.
    pub q: Option<String>,
    /// Only this store's orders.
    pub store_id: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only orders flagged "needs attention" (default false).
    pub needs_attention: Option<bool>,
}

/// Lists orders in a tab, newest first, with keyset pagination.
#[utoipa::path(get, path = "/api/v1/orders", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = OrderPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<OrderPage>, ApiError> {
    let tab = match params.tab.as_deref() {
        None | Some("") => Tab::All,
        Some(t) => Tab::parse(t).ok_or_else(|| {
            let names: Vec<&str> = Tab::ALL.iter().map(|t| t.as_str()).collect();
            ApiError::BadRequest(format!(
                "unknown tab {t:?}: use one of {}",
                names.join(", ")
            ))
        })?,
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    let before = params
        .cursor
        .as_deref()
        .map(|c| c.parse::<OrderId>())
        .transpose()
        .map_err(|_| ApiError::BadRequest("cursor is not one this API returned".into()))?;
    let store_id = params
        .store_id
        .as_deref()
        .map(|s| s.parse::<StoreId>())
        .transpose()
        .map_err(|_| ApiError::BadRequest("store_id is not a store id".into()))?;
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
    let orders = store::list(&state.db, &query).await?;
    let next_cursor = (orders.len() == limit as usize)
        .then(|| orders.last().map(|o| o.id.to_string()))
        .flatten();
    let counts = store::tab_counts(&state.db, &caller.scope).await?;
    let needs_attention = store::attention_count(&state.db, &caller.scope).await?;
    Ok(Json(OrderPage {
        orders,
        next_cursor,
        counts,
        needs_attention,
    }))
}

/// Orders per tab.
#[utoipa::path(get, path = "/api/v1/orders/counts", security(("bearer" = [])),
    responses((status = 200, body = BTreeMap<String, i64>), (status = 401, body = ErrorBody)))]
pub async fn counts(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<BTreeMap<String, i64>>, ApiError> {
    Ok(Json(store::tab_counts(&state.db, &caller.scope).await?))
}

/// One order with its lines and timeline. `id` may also be the order name (`1001`).
#[utoipa::path(get, path = "/api/v1/orders/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id, or order name")),
    responses((status = 200, body = OrderDetail), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn show(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    let id = resolve(&state, &caller, &id).await?;
    let mut detail = store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {id} not found")))?;
    crate::services::vendor_view::restrict_detail(&state, &caller, &mut detail).await?;
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHold {
    /// awaiting_payment, incorrect_address, high_risk_of_fraud, inventory_out_of_stock, other,
    /// price_increased, implausible_order.
    #[schema(schema_with = crate::http::openapi::hold_reason_schema)]
    pub reason: String,
    /// Why, for whoever releases it.
    pub detail: String,
}

/// Holds an order back from purchasing.
#[utoipa::path(post, path = "/api/v1/orders/{id}/holds", request_body = NewHold,
    security(("bearer" = [])), params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = OrderDetail), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn place_hold(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(hold): ApiJson<NewHold>,
) -> Result<Json<OrderDetail>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff], "hold orders")?;
    let reason = parse_reason(&hold.reason)?;
    if hold.detail.trim().is_empty() {
        return Err(ApiError::Unprocessable(
            "detail must say why the order is held".into(),
        ));
    }
    let id = resolve(&state, &caller, &id).await?;
    let command = Command::PlaceHold {
        reason,
        detail: hold.detail.trim().to_string(),
    };
    apply(&state, id, command, caller.actor).await
}

/// Releases a hold. Releasing a system hold (awaiting payment, incorrect address) is an
/// override: the same hold is not placed again for the same payment state or address.
#[utoipa::path(post, path = "/api/v1/orders/{id}/holds/{reason}/release",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "order id"),
        ("reason" = String, Path, description = "the hold's reason (as in `NewHold.reason`)")),
    responses((status = 200, body = OrderDetail), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn release_hold(
    State(state): State<Context>,
    caller: Caller,
    ApiPath((id, reason)): ApiPath<(String, String)>,
) -> Result<Json<OrderDetail>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff], "release holds")?;
    let reason = parse_reason(&reason)?;
    let id = resolve(&state, &caller, &id).await?;
    apply(&state, id, Command::ReleaseHold { reason }, caller.actor).await
}

async fn apply(
    state: &Context,
    id: OrderId,
    command: Command,
    merchant: String,
) -> Result<Json<OrderDetail>, ApiError> {
    store::apply(&state.db, id, command, &Actor::Merchant(merchant))
        .await
        .map_err(|e| match e {
            ApplyError::NotFound => ApiError::NotFound(format!("order {id} not found")),
            ApplyError::Rejected(
                r @ (Rejected::NoSuchHold(_) | Rejected::AlreadyHeld(_) | Rejected::Cancelled),
            ) => ApiError::Conflict(r.to_string()),
            ApplyError::Storage(s) => s.into(),
        })?;
    let detail = store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {id} not found")))?;
    Ok(Json(detail))
}

/// The webhook delivery a timeline entry points at (`receipt_id`), byte for byte.
#[utoipa::path(get, path = "/api/v1/receipts/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "receipt id from a timeline entry")),
    responses((status = 200, body = Receipt), (status = 404, body = ErrorBody)))]
pub async fn receipt(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Receipt>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff], "read webhook receipts")?;
    let not_found = || ApiError::NotFound(format!("receipt {id:?} not found"));
    let receipt_id = id.parse::<ReceiptId>().map_err(|_| not_found())?;
    let receipt = receipts::get(&state.db, receipt_id)
        .await?
        .ok_or_else(not_found)?;
    caller
        .store(&state.db, receipt.store_id)
        .await
        .map_err(|_| not_found())?;
    Ok(Json(receipt))
}

/// Routes the order again (after a mapping was fixed): the lines not yet bought are planned
/// anew. Queued as a job; answers at once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/route", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = Object), (status = 404, body = ErrorBody)))]
pub async fn reroute(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    let job = queue_routing(&state, &caller, &id).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(serde_json::json!({ "job_id": job, "status": "queued" })),
    ))
}

/// The supplier orders of one order, with their items.
#[utoipa::path(get, path = "/api/v1/orders/{id}/supplier-orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<SupplierOrderView>), (status = 404, body = ErrorBody)))]
pub async fn supplier_orders(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<SupplierOrderView>>, ApiError> {
    let id = resolve(&state, &caller, &id).await?;
    Ok(Json(
        crate::services::vendor_view::supplier_orders_for(&state, &caller, id).await?,
    ))
}
