//! After-sale cases: adapters over [`crate::services::cases`].
//!
//! - `POST /orders/{id}/cases` opens a case for shipped units of the order's lines (422
//!   naming the line or amount that does not fit; nothing is written);
//! - `GET /orders/{id}/cases`, `GET /cases` (the Returns tab: open, closed or all, with
//!   counts), `GET /cases/{id}`;
//! - `POST /cases/{id}/events` records a step (the return's tracking, its arrival, restock
//!   or disposal, a decision, a decline, the close); 409 when the case is not at that step.

use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::cases::{
    self as service, CaseListParams, CasePage, CaseStepInput, CaseView, OpenCaseInput,
};
use axum::Json;

/// Opens a case on an order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cases", request_body = OpenCaseInput,
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 201, body = CaseView),
        (status = 409, body = ErrorBody, description = "the order changed meanwhile"),
        (status = 422, body = ErrorBody, description = "a line not in the order, more units \
            than were shipped and not already claimed, a refund larger than what is left to \
            refund, an amount not in the order's currency (named)")))]
pub async fn open(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<OpenCaseInput>,
) -> Result<Created<CaseView>, ApiError> {
    Ok(Created(service::open(&ctx, &caller, &id, input).await?))
}

/// The order's cases, newest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/cases",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<CaseView>)))]
pub async fn of_order(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<Vec<CaseView>> {
    Ok(Json(service::for_order(&ctx, &caller, &id).await?))
}

/// Cases the caller may see, newest first, with the Returns tab's counts.
#[utoipa::path(get, path = "/api/v1/cases", params(CaseListParams),
    responses((status = 200, body = CasePage)))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<CaseListParams>,
) -> Answer<CasePage> {
    Ok(Json(service::list(&ctx, &caller, params).await?))
}

/// One case.
#[utoipa::path(get, path = "/api/v1/cases/{id}",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseView)))]
pub async fn show(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<CaseView> {
    Ok(Json(service::show(&ctx, &caller, &id).await?))
}

/// Records one step of a case. A marketplace vendor asked about the case may record its
/// answer (`supplier_credited`, `supplier_refused`) and nothing else.
#[utoipa::path(post, path = "/api/v1/cases/{id}/events", request_body = CaseStepInput,
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseView),
        (status = 403, body = ErrorBody, description = "a vendor recording anything but its \
            own answer"),
        (status = 409, body = ErrorBody, description = "the case is closed, or not at that \
            step (no return awaited, nothing to decide yet)"),
        (status = 422, body = ErrorBody, description = "a bad tracking number, a decision \
            that does not fit the order, a note missing or too long, a supplier credit's \
            amount, currency or reference")))]
pub async fn step(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<CaseStepInput>,
) -> Answer<CaseView> {
    Ok(Json(service::step(&ctx, &caller, &id, input).await?))
}

/// The cases' routes, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/orders/{id}/cases", post(open).get(of_order))
        .route("/cases", get(list))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/events", post(step))
}
