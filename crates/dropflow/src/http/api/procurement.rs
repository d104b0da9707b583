//! What a merchant (or a vendor) does to the supplier side of orders: place, pay, refresh —
//! one order or many at once — and, for a manual vendor's purchase, enter the tracking number
//! and mark it delivered. Placing, paying and refreshing are queued as jobs (the answer is
//! 202 at once); who asked is on each order's timeline.
//!
//! The handlers here are adapters over [`crate::services::procurement`].

use crate::http::api::views::{each, purchases::ParcelView};
use crate::http::api::{Accepted, Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::procurement as service;
use crate::services::procurement::{act, Action, ActionResult, BulkInput, BulkResult, ShipInput};
use axum::response::NoContent;
use axum::Json;

/// What placing, paying or refreshing one order answers: 202 with what was queued.
type Queued = Result<Accepted<ActionResult>, ApiError>;

/// Queues `action` for one order; nothing to queue is 404 (no such order) or 409.
async fn act_one(Acting(ctx, caller): Acting, reference: &str, action: Action) -> Queued {
    let result = act(&ctx, reference, action, &caller).await?;
    match result.outcome.as_str() {
        "not_found" => Err(ApiError::NotFound(result.message.unwrap_or_default())),
        "nothing_to_do" => Err(ApiError::Conflict(result.message.unwrap_or_default())),
        _ => Ok(Accepted(result)),
    }
}

/// Places the order's supplier orders that wait for placing (auto-order off, or held back).
#[utoipa::path(post, path = "/api/v1/orders/{id}/place",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 409, body = ErrorBody)))]
pub async fn place(acting: Acting, ApiPath(id): Id) -> Queued {
    act_one(acting, &id, Action::Place).await
}

/// Pays the order's supplier orders that wait for payment, from the wallet (the "Pay" click).
#[utoipa::path(post, path = "/api/v1/orders/{id}/pay",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 409, body = ErrorBody)))]
pub async fn pay(acting: Acting, ApiPath(id): Id) -> Queued {
    act_one(acting, &id, Action::Pay).await
}

/// Asks the suppliers about the order now instead of at the next scheduled sync.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refresh",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 409, body = ErrorBody)))]
pub async fn refresh(acting: Acting, ApiPath(id): Id) -> Queued {
    act_one(acting, &id, Action::Refresh).await
}

/// Bulk place: each order's waiting supplier orders are queued for placing.
#[utoipa::path(post, path = "/api/v1/orders/place", request_body = BulkInput,
    responses((status = 200, body = BulkResult)))]
pub async fn bulk_place(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<BulkInput>,
) -> Answer<BulkResult> {
    Ok(Json(
        service::bulk(&ctx, &caller, input, Action::Place).await?,
    ))
}

/// Bulk pay: each order's supplier orders awaiting payment are queued for paying.
#[utoipa::path(post, path = "/api/v1/orders/pay", request_body = BulkInput,
    responses((status = 200, body = BulkResult)))]
pub async fn bulk_pay(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<BulkInput>,
) -> Answer<BulkResult> {
    Ok(Json(
        service::bulk(&ctx, &caller, input, Action::Pay).await?,
    ))
}

/// The order's parcels with their tracking, check outcome and write-back state.
#[utoipa::path(get, path = "/api/v1/orders/{id}/parcels",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<ParcelView>)))]
pub async fn parcels_of(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<Vec<ParcelView>> {
    Ok(Json(each(service::parcels_of(&ctx, &caller, &id).await?)))
}

/// A vendor ships a manual supplier order (or the merchant enters a tracking number by hand
/// for any purchase): the tracking number, and which lines are in the parcel.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/ship", request_body = ShipInput,
    params(("id" = String, Path, description = "supplier order id")),
    responses((status = 200, body = Vec<ParcelView>), (status = 409, body = ErrorBody)))]
pub async fn ship(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<ShipInput>,
) -> Answer<Vec<ParcelView>> {
    Ok(Json(each(service::ship(&ctx, &caller, &id, input).await?)))
}

/// A vendor (or the merchant) marks a manual supplier order delivered.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/deliver",
    params(("id" = String, Path, description = "supplier order id")),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn deliver(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Result<NoContent, ApiError> {
    service::deliver(&ctx, &caller, &id).await?;
    Ok(NoContent)
}
