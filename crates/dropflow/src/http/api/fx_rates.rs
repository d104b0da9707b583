//! The operator's exchange rates: routing converts offer costs with them so money is compared
//! in one currency (an offer whose currency has no rate fails its line, never compared raw).
//! Read and set by operators (warehouse role) and owners; the table is shared by every
//! process on the database and seeded from `[fx]` at start-up.
//!
//! The handlers here are adapters over [`crate::services::fx_rates`].

use crate::http::api::Answer;
use crate::http::auth::Acting;
use crate::http::extract::ApiJson;
use crate::services::fx_rates as service;
use crate::services::fx_rates::{EcbImportInput, EcbImported, FxRatesBody};
use axum::Json;

/// The exchange rates in force, by base then quote.
#[utoipa::path(get, path = "/api/v1/fx-rates", responses((status = 200, body = FxRatesBody)))]
pub async fn list(Acting(ctx, caller): Acting) -> Answer<FxRatesBody> {
    Ok(Json(service::list(&ctx, &caller).await?))
}

/// Replaces the whole table. Every rate is checked first (422 naming `rates[i].field`: an
/// unknown currency, a rate that is not a positive decimal, a bad date, base = quote, or a
/// pair given twice); nothing is written unless all are good.
#[utoipa::path(put, path = "/api/v1/fx-rates", request_body = FxRatesBody,
    responses((status = 200, body = FxRatesBody)))]
pub async fn put(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<FxRatesBody>,
) -> Answer<FxRatesBody> {
    Ok(Json(service::put(&ctx, &caller, input).await?))
}

/// Imports the ECB's euro reference rates from their CSV file (`Date, USD, JPY, …` header,
/// one row per day, units per 1 EUR): sets EUR→currency for the newest day in the file,
/// with source "ECB euro foreign exchange reference rates" and the file's date; other rates
/// stay. A file that cannot be read is 422 naming the line and the problem.
#[utoipa::path(post, path = "/api/v1/fx-rates/ecb", request_body = EcbImportInput,
    responses((status = 200, body = EcbImported)))]
pub async fn import_ecb(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<EcbImportInput>,
) -> Answer<EcbImported> {
    Ok(Json(service::import_ecb(&ctx, &caller, input).await?))
}
