//! The merchant wallet: top-ups, balances, and the ledger behind them.
//!
//! Amounts travel as decimal strings in the currency's exponent ("100.00" USD, "100" JPY), the
//! way the mapping API takes costs, so no float ever touches money.
//!
//! The handlers here are adapters over [`crate::services::wallet`].

use crate::http::api::views::{each, wallet::Entry};
use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::wallet as service;
use crate::services::wallet::{TopUpInput, WalletView};
use axum::Json;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WalletParams {
    /// ISO 4217 code of the wallet, e.g. USD (required).
    pub currency: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntryParams {
    /// 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Only entries with a smaller id (the last id of the previous page).
    pub before: Option<i64>,
}

/// Adds money to the store's wallet in that currency.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/wallet/top-ups", request_body = TopUpInput,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 201, body = WalletView)))]
pub async fn top_up(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<TopUpInput>,
) -> Result<Created<WalletView>, ApiError> {
    Ok(Created(
        service::top_up(&ctx, &caller, &store_id, input).await?,
    ))
}

/// The store's wallet in one currency (zero if never topped up).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/wallet",
    params(("store_id" = String, Path, description = "store id"), WalletParams),
    responses((status = 200, body = WalletView), (status = 422, body = ErrorBody)))]
pub async fn show(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(params): ApiQuery<WalletParams>,
) -> Answer<WalletView> {
    Ok(Json(
        service::show(&ctx, &caller, &store_id, &params.currency).await?,
    ))
}

/// The store's ledger, newest first: every movement with its balanced postings.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/wallet/entries",
    params(("store_id" = String, Path, description = "store id"), EntryParams),
    responses((status = 200, body = Vec<Entry>)))]
pub async fn entries(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(params): ApiQuery<EntryParams>,
) -> Answer<Vec<Entry>> {
    let entries = service::entries(&ctx, &caller, &store_id, params.limit, params.before).await?;
    Ok(Json(each(entries)))
}
