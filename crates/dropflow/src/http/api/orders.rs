//! Orders: adapters over [`crate::services::orders`].

use crate::http::api::views::orders::{OrderDetail, OrderPage, Receipt};
use crate::http::api::views::{each, purchases::SupplierOrderView};
use crate::http::api::{Accepted, Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::orders;
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
#[utoipa::path(get, path = "/api/v1/orders", params(ListParams),
    responses((status = 200, body = OrderPage)))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Answer<OrderPage> {
    let page = orders::list(
        &ctx,
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
    Ok(Json(page.into()))
}

/// Orders per tab.
#[utoipa::path(get, path = "/api/v1/orders/counts",
    responses((status = 200, body = BTreeMap<String, i64>)))]
pub async fn counts(Acting(ctx, caller): Acting) -> Answer<BTreeMap<String, i64>> {
    Ok(Json(orders::counts(&ctx, &caller).await?))
}

/// One order with its lines and timeline. `id` may also be the order name (`1001`).
#[utoipa::path(get, path = "/api/v1/orders/{id}",
    params(("id" = String, Path, description = "order id, or order name")),
    responses((status = 200, body = OrderDetail)))]
pub async fn show(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<OrderDetail> {
    Ok(Json(orders::show(&ctx, &caller, &id).await?.into()))
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
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = OrderDetail), (status = 409, body = ErrorBody)))]
pub async fn place_hold(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(hold): ApiJson<NewHold>,
) -> Answer<OrderDetail> {
    Ok(Json(
        orders::place_hold(&ctx, &caller, &id, &hold.reason, &hold.detail)
            .await?
            .into(),
    ))
}

/// Releases a hold. Releasing a system hold (awaiting payment, incorrect address) is an
/// override: the same hold is not placed again for the same payment state or address.
#[utoipa::path(post, path = "/api/v1/orders/{id}/holds/{reason}/release",
    params(("id" = String, Path, description = "order id"),
        ("reason" = String, Path, description = "the hold's reason (as in `NewHold.reason`)")),
    responses((status = 200, body = OrderDetail), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn release_hold(
    Acting(ctx, caller): Acting,
    ApiPath((id, reason)): ApiPath<(String, String)>,
) -> Answer<OrderDetail> {
    Ok(Json(
        orders::release_hold(&ctx, &caller, &id, &reason)
            .await?
            .into(),
    ))
}

/// The webhook delivery a timeline entry points at (`receipt_id`), byte for byte.
#[utoipa::path(get, path = "/api/v1/receipts/{id}",
    params(("id" = String, Path, description = "receipt id from a timeline entry")),
    responses((status = 200, body = Receipt)))]
pub async fn receipt(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<Receipt> {
    Ok(Json(orders::receipt(&ctx, &caller, &id).await?.into()))
}

/// Routes the order again (after a mapping was fixed): the lines not yet bought are planned
/// anew. Queued as a job; answers at once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/route",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = Object)))]
pub async fn reroute(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
) -> Result<Accepted<serde_json::Value>, ApiError> {
    let job = orders::queue_routing(&ctx, &caller, &id).await?;
    Ok(Accepted(
        serde_json::json!({ "job_id": job, "status": "queued" }),
    ))
}

/// The supplier orders of one order, with their items.
#[utoipa::path(get, path = "/api/v1/orders/{id}/supplier-orders",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<SupplierOrderView>)))]
pub async fn supplier_orders(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
) -> Answer<Vec<SupplierOrderView>> {
    Ok(Json(each(
        orders::supplier_orders(&ctx, &caller, &id).await?,
    )))
}
