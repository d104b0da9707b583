//! The products list: an adapter over [`crate::services::products`].

use crate::http::api::views::products::ProductsView;
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::ApiError;
use crate::http::error::ErrorBody;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::products::{self as service, ProductsQuery};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// Which page of products.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsParams {
    /// The `next_after` of the page before.
    pub after: Option<String>,
    /// Products per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// `true`: only those no offer can supply now (filters each page).
    pub out_of_stock: Option<bool>,
    /// Only those whose store price leaves a margin below this percent over the cost of
    /// buying one now (filters each page).
    pub margin_below_pct: Option<u32>,
    /// `true`: only those with a price rise held for a person (filters each page).
    pub price_held: Option<bool>,
    /// `true`: only those whose last write the store refused (filters each page).
    pub write_refused: Option<bool>,
}

/// The held price a person approves.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApprovePrice {
    /// The held price, in minor units of the store's currency: exactly the one held.
    pub price_minor: i64,
}

/// The store's mapped products, in key order: each offer's stock and cost as mapped and as
/// last read at its supplier (when, and when next), and what the catalogue policy makes of the
/// figures routing uses now — the stock to publish, out of stock everywhere, the cost of one
/// unit and the rule's price.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/products",
    params(("store_id" = String, Path, description = "store id"), ProductsParams),
    responses((status = 200, body = ProductsView),
        (status = 400, body = ErrorBody, description = "a limit out of range or a cursor this API never answered"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees")))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(params): ApiQuery<ProductsParams>,
) -> Answer<ProductsView> {
    let query = ProductsQuery {
        after: params.after,
        limit: params.limit,
        out_of_stock: params.out_of_stock.unwrap_or(false),
        margin_below_pct: params.margin_below_pct,
        price_held: params.price_held.unwrap_or(false),
        write_refused: params.write_refused.unwrap_or(false),
    };
    Ok(Json(
        service::list(&ctx, &caller, &store_id, query).await?.into(),
    ))
}

/// Approves a price rise held above the catalogue policy's ceiling: exactly the price held
/// (a rise held since at another price needs its own approval); the store is written at the
/// next sync.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/products/{variant_id}/approve-price",
    params(("store_id" = String, Path, description = "store id"),
        ("variant_id" = String, Path, description = "the store's variant id")),
    request_body = ApprovePrice,
    responses((status = 204, description = "approved"),
        (status = 400, body = ErrorBody, description = "a body that is not the JSON documented"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees"),
        (status = 409, body = ErrorBody, description = "no rise to this price is held for the variant"),
        (status = 422, body = ErrorBody, description = "a field of the wrong type")))]
pub async fn approve_price(
    Acting(ctx, caller): Acting,
    ApiPath((store_id, variant_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ApprovePrice>,
) -> Result<StatusCode, ApiError> {
    service::approve_price(&ctx, &caller, &store_id, &variant_id, body.price_minor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads the store's whole catalogue again now (stock, prices, on sale), page by page in the
/// background; every variant is compared with its suppliers as it comes in. The follower
/// does it daily by itself.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/catalogue/read",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 202, description = "queued"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees"),
        (status = 409, body = ErrorBody, description = "the store has no Admin API access")))]
pub async fn read_catalogue(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
) -> Result<StatusCode, ApiError> {
    service::read_store_catalogue(&ctx, &caller, &store_id).await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> axum::Router<crate::http::HttpState> {
    axum::Router::new()
        .route("/stores/{store_id}/products", axum::routing::get(list))
        .route(
            "/stores/{store_id}/products/{variant_id}/approve-price",
            axum::routing::post(approve_price),
        )
        .route(
            "/stores/{store_id}/catalogue/read",
            axum::routing::post(read_catalogue),
        )
}
