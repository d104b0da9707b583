//! `GET /stores/{store_id}/exports/{orders,ledger,payouts}.csv`: a store's orders, ledger
//! postings and vendor payouts as CSV files, streamed page by page (a million rows never sit
//! in memory). Adapters over [`crate::services::exports`].

use crate::http::api::Id;
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::services::exports::{self, LedgerFilters, OrderFilters, PayoutFilters};
use axum::response::{IntoResponse, Response};

/// The store's orders, newest first, one row per order: id, name, the store's id for it, received time,
/// state (tab), payment and procurement status, customer, e-mail, currency, and the total,
/// shipping, discounts and taxes as decimal strings in the order's currency. Text that
/// could start a spreadsheet formula (`=`, `+`, `-`, `@`) is prefixed with `'`.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/exports/orders.csv",
    params(("store_id" = String, Path, description = "store id"), OrderFilters),
    responses((status = 200, content_type = "text/csv; charset=utf-8", body = String,
            description = "the CSV file, as an attachment"),
        (status = 400, body = ErrorBody, description = "a filter that cannot be read \
            (`from`, `to`, `state`; named), or `to` not after `from`"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees")))]
pub async fn orders(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(filters): ApiQuery<OrderFilters>,
) -> Result<Response, ApiError> {
    Ok(exports::orders(&ctx, &caller, &store_id, &filters)
        .await?
        .into_response())
}

/// The store's ledger, one row per posting, newest transaction first: transaction id, time,
/// kind, reference, account, currency, amount (a signed decimal string).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/exports/ledger.csv",
    params(("store_id" = String, Path, description = "store id"), LedgerFilters),
    responses((status = 200, content_type = "text/csv; charset=utf-8", body = String,
            description = "the CSV file, as an attachment"),
        (status = 400, body = ErrorBody, description = "a filter that cannot be read \
            (`from`, `to`, `account`; named), or `to` not after `from`"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees")))]
pub async fn ledger(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(filters): ApiQuery<LedgerFilters>,
) -> Result<Response, ApiError> {
    Ok(exports::ledger(&ctx, &caller, &store_id, &filters)
        .await?
        .into_response())
}

/// The store's vendor payouts, newest request first: id, vendor, status, currency, amount,
/// who asked and when, who decided and when, the method, its reference and the note.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/exports/payouts.csv",
    params(("store_id" = String, Path, description = "store id"), PayoutFilters),
    responses((status = 200, content_type = "text/csv; charset=utf-8", body = String,
            description = "the CSV file, as an attachment"),
        (status = 400, body = ErrorBody, description = "a filter that cannot be read \
            (`from`, `to`, `status`; named), or `to` not after `from`"),
        (status = 403, body = ErrorBody, description = "anyone but the owner"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees")))]
pub async fn payouts(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(filters): ApiQuery<PayoutFilters>,
) -> Result<Response, ApiError> {
    Ok(exports::payouts(&ctx, &caller, &store_id, &filters)
        .await?
        .into_response())
}

/// The export routes, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/stores/{store_id}/exports/orders.csv", get(orders))
        .route("/stores/{store_id}/exports/ledger.csv", get(ledger))
        .route("/stores/{store_id}/exports/payouts.csv", get(payouts))
}
