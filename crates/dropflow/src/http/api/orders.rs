//! Orders: adapters over [`crate::services::orders`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::orders::{self, OrderPage};
use crate::services::{Caller, Context};
use crate::storage::orders::OrderDetail;
use crate::storage::receipts::Receipt;
use crate::storage::supplier_orders::SupplierOrderView;
use axum::extract::State;
use axum::Json;
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
    let page = orders::list(
        &state,
        &caller,
        orders::ListParams {
            tab: params.tab,
            limit: params.limit,
            q: params.q,
            store_id: params.store_id,
            cursor: params.cursor,
            needs_attention: params.needs_attention,
        },
    )
    .await?;
    Ok(Json(page))
}

/// Orders per tab.
#[utoipa::path(get, path = "/api/v1/orders/counts", security(("bearer" = [])),
    responses((status = 200, body = BTreeMap<String, i64>), (status = 401, body = ErrorBody)))]
pub async fn counts(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<BTreeMap<String, i64>>, ApiError> {
    Ok(Json(orders::counts(&state, &caller).await?))
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
    Ok(Json(orders::show(&state, &caller, &id).await?))
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
    Ok(Json(
        orders::place_hold(&state, &caller, &id, &hold.reason, &hold.detail).await?,
    ))
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
    Ok(Json(
        orders::release_hold(&state, &caller, &id, &reason).await?,
    ))
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
    Ok(Json(orders::receipt(&state, &caller, &id).await?))
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
    let job = orders::queue_routing(&state, &caller, &id).await?;
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
    Ok(Json(orders::supplier_orders(&state, &caller, &id).await?))
}
