//! The products list: an adapter over [`crate::services::products`].

use crate::http::api::views::products::ProductsView;
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::ErrorBody;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::services::products::{self as service, ProductsQuery};
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
    };
    Ok(Json(
        service::list(&ctx, &caller, &store_id, query).await?.into(),
    ))
}

pub fn routes() -> axum::Router<crate::http::HttpState> {
    axum::Router::new().route("/stores/{store_id}/products", axum::routing::get(list))
}
