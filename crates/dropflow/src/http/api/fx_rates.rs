//! The operator's exchange rates: routing converts offer costs with them so money is compared
//! in one currency (an offer whose currency has no rate fails its line, never compared raw).
//! Read and set by operators (warehouse role) and owners; the table is shared by every
//! process on the database and seeded from `[fx]` at start-up.
//!
//! The handlers here are adapters over [`crate::services::fx_rates`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::services::fx_rates as service;
use crate::services::fx_rates::{EcbImportInput, EcbImported, FxRatesBody};
use crate::services::Caller;
use crate::services::Context;
use axum::extract::State;
use axum::Json;

/// The exchange rates in force, by base then quote.
#[utoipa::path(get, path = "/api/v1/fx-rates", security(("bearer" = [])),
    responses((status = 200, body = FxRatesBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<FxRatesBody>, ApiError> {
    Ok(Json(service::list(&state, &caller).await?))
}

/// Replaces the whole table. Every rate is checked first (422 naming `rates[i].field`: an
/// unknown currency, a rate that is not a positive decimal, a bad date, base = quote, or a
/// pair given twice); nothing is written unless all are good.
#[utoipa::path(put, path = "/api/v1/fx-rates", request_body = FxRatesBody,
    security(("bearer" = [])),
    responses((status = 200, body = FxRatesBody), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(input): ApiJson<FxRatesBody>,
) -> Result<Json<FxRatesBody>, ApiError> {
    Ok(Json(service::put(&state, &caller, input).await?))
}

/// Imports the ECB's euro reference rates from their CSV file (`Date, USD, JPY, …` header,
/// one row per day, units per 1 EUR): sets EUR→currency for the newest day in the file,
/// with source "ECB euro foreign exchange reference rates" and the file's date; other rates
/// stay. A file that cannot be read is 422 naming the line and the problem.
#[utoipa::path(post, path = "/api/v1/fx-rates/ecb", request_body = EcbImportInput,
    security(("bearer" = [])),
    responses((status = 200, body = EcbImported), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_ecb(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(input): ApiJson<EcbImportInput>,
) -> Result<Json<EcbImported>, ApiError> {
    Ok(Json(service::import_ecb(&state, &caller, input).await?))
}
