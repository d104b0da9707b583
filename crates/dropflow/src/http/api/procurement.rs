//! What a merchant (or a vendor) does to the supplier side of orders: place, pay, refresh —
//! one order or many at once — and, for a manual vendor's purchase, enter the tracking number
//! and mark it delivered. Placing, paying and refreshing are queued as jobs (the answer is
//! 202 at once); who asked is on each order's timeline.
//!
//! The handlers here are adapters over [`crate::services::procurement`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::procurement as service;
use crate::services::procurement::{act, Action, ActionResult, BulkInput, BulkResult, ShipInput};
use crate::services::Caller;
use crate::services::Context;
use crate::storage::parcels::ParcelView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

async fn act_one(
    state: &Context,
    reference: &str,
    action: Action,
    caller: &Caller,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    let result = act(state, reference, action, caller).await?;
    match result.outcome.as_str() {
        "not_found" => Err(ApiError::NotFound(result.message.unwrap_or_default())),
        "nothing_to_do" => Err(ApiError::Conflict(result.message.unwrap_or_default())),
        _ => Ok((StatusCode::ACCEPTED, Json(result))),
    }
}

/// Places the order's supplier orders that wait for placing (auto-order off, or held back).
#[utoipa::path(post, path = "/api/v1/orders/{id}/place", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn place(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    act_one(&state, &id, Action::Place, &caller).await
}

/// Pays the order's supplier orders that wait for payment, from the wallet (the "Pay" click).
#[utoipa::path(post, path = "/api/v1/orders/{id}/pay", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn pay(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    act_one(&state, &id, Action::Pay, &caller).await
}

/// Asks the suppliers about the order now instead of at the next scheduled sync.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refresh", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    act_one(&state, &id, Action::Refresh, &caller).await
}

/// Bulk place: each order's waiting supplier orders are queued for placing.
#[utoipa::path(post, path = "/api/v1/orders/place", request_body = BulkInput,
    security(("bearer" = [])),
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_place(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(input): ApiJson<BulkInput>,
) -> Result<Json<BulkResult>, ApiError> {
    Ok(Json(
        service::bulk(&state, &caller, input, Action::Place).await?,
    ))
}

/// Bulk pay: each order's supplier orders awaiting payment are queued for paying.
#[utoipa::path(post, path = "/api/v1/orders/pay", request_body = BulkInput,
    security(("bearer" = [])),
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_pay(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(input): ApiJson<BulkInput>,
) -> Result<Json<BulkResult>, ApiError> {
    Ok(Json(
        service::bulk(&state, &caller, input, Action::Pay).await?,
    ))
}

/// The order's parcels with their tracking, check outcome and write-back state.
#[utoipa::path(get, path = "/api/v1/orders/{id}/parcels", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<ParcelView>), (status = 404, body = ErrorBody)))]
pub async fn parcels_of(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<ParcelView>>, ApiError> {
    Ok(Json(service::parcels_of(&state, &caller, &id).await?))
}

/// A vendor ships a manual supplier order (or the merchant enters a tracking number by hand
/// for any purchase): the tracking number, and which lines are in the parcel.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/ship", request_body = ShipInput,
    security(("bearer" = [])), params(("id" = String, Path, description = "supplier order id")),
    responses((status = 200, body = Vec<ParcelView>), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ship(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ShipInput>,
) -> Result<Json<Vec<ParcelView>>, ApiError> {
    Ok(Json(service::ship(&state, &caller, &id, input).await?))
}

/// A vendor (or the merchant) marks a manual supplier order delivered.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/deliver", security(("bearer" = [])),
    params(("id" = String, Path, description = "supplier order id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn deliver(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    service::deliver(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
