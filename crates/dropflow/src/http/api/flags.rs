//! Flags a person settles (`storage::flags`), and the two ways out of a placement nobody
//! can see: link it by hand to the supplier's order, or knowingly buy again.
//!
//! - `GET /orders/{id}/flags`, `POST /orders/{id}/flags/{flag}/resolve` (`accept`: the
//!   change is taken as it is — a quantity or address difference is not raised again);
//! - `POST /supplier-orders/{id}/link` (`{"supplier_order_id": …}`): the attempt is the
//!   supplier's order N, fetched and checked first (`link_check`: same items and quantities,
//!   same ship-to, our reference): a difference refuses the link (422 naming it) unless the
//!   person sends `accept_mismatch: true`, which the timeline records with who did; it is
//!   followed from there;
//! - `POST /supplier-orders/{id}/buy-again` (`{"accept_duplicate_risk": true}`): the attempt
//!   is given up and its lines routed again, with who decided on the timeline.
//!
//! The handlers here are adapters over [`crate::services::flags`].

use crate::http::api::views::flags::Flag;
use crate::http::api::views::{each, purchases::SupplierOrderView};
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::flags as service;
use crate::services::flags::{
    buy_purchase_again, resolve_flag, BuyAgainInput, LinkInput, Queued, ResolveInput,
};
use axum::Json;

/// Every flag of the order (open and resolved), newest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/flags",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<Flag>)))]
pub async fn list(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<Vec<Flag>> {
    Ok(Json(each(service::list(&ctx, &caller, &id).await?)))
}

/// Settles one open flag.
#[utoipa::path(post, path = "/api/v1/orders/{id}/flags/{flag}/resolve", request_body = ResolveInput,
    params(("id" = String, Path, description = "order id or name"),
        ("flag" = String, Path, description = "flag id")),
    responses((status = 200, body = Flag), (status = 409, body = ErrorBody)))]
pub async fn resolve(
    Acting(ctx, caller): Acting,
    ApiPath((id, flag_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Answer<Flag> {
    Ok(Json(
        resolve_flag(&ctx, &caller, &id, &flag_id, input)
            .await?
            .into(),
    ))
}

/// Links an attempt to the supplier's order a person found (never buys), once that order is
/// fetched from the supplier and matches the purchase (or the person accepts the
/// differences).
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/link", request_body = LinkInput,
    params(("id" = String, Path, description = "supplier order id")),
    responses((status = 200, body = SupplierOrderView),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a bad number, an order the supplier \
            does not have, or one that differs from the purchase (named)"),
        (status = 503, body = ErrorBody,
            description = "the supplier could not be asked; try again")))]
pub async fn link(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<LinkInput>,
) -> Answer<SupplierOrderView> {
    Ok(Json(
        service::link_purchase(&ctx, &caller, &id, input)
            .await?
            .into(),
    ))
}

/// Gives up an attempt in doubt and routes its lines again, knowingly.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/buy-again", request_body = BuyAgainInput,
    params(("id" = String, Path, description = "supplier order id")),
    responses((status = 202, body = Queued), (status = 409, body = ErrorBody)))]
pub async fn buy_again(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<BuyAgainInput>,
) -> Result<(axum::http::StatusCode, Json<Queued>), ApiError> {
    let queued = buy_purchase_again(&ctx, &caller, &id, input).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(queued)))
}
