//! The operator's exchange rates: routing converts offer costs with them so money is compared
//! in one currency (an offer whose currency has no rate fails its line, never compared raw).
//! Read and set by operators (warehouse role) and owners; the table is shared by every
//! process on the database and seeded from `[fx]` at start-up.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::fx_rates;
use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use dropflow_core::fx::{ecb, FxRate, Rate, RateTable};
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};

const OPERATORS: &[Role] = &[Role::Warehouse, Role::Owner];

/// One rate: 1 `base` = `rate` `quote`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FxRateBody {
    /// ISO 4217 code of the currency one unit of which is priced (`EUR`).
    pub base: String,
    /// ISO 4217 code of the currency the rate is in (`USD`).
    pub quote: String,
    /// A positive decimal as a string, kept exact (`"1.0690"`).
    pub rate: String,
    /// Where the rate came from; `operator` when left out.
    #[serde(default)]
    pub source: Option<String>,
    /// The day the rate is for, `YYYY-MM-DD`.
    pub as_of: String,
}

/// The rate table.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FxRatesBody {
    pub rates: Vec<FxRateBody>,
}

/// An ECB euro reference-rate file (`eurofxref.csv` or `eurofxref-hist.csv`) as text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EcbImportInput {
    pub csv: String,
}

/// What an ECB import set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EcbImported {
    /// The day of the rates imported (the file's newest row).
    pub as_of: String,
    /// How many EUR rates were set.
    pub imported: usize,
    /// Column codes that are not current ISO 4217 currencies, left out.
    pub skipped: Vec<String>,
    /// The whole table after the import.
    pub rates: Vec<FxRateBody>,
}

fn body_of(rate: &FxRate) -> FxRateBody {
    FxRateBody {
        base: rate.base.code().to_string(),
        quote: rate.quote.code().to_string(),
        rate: rate.rate.to_string(),
        source: Some(rate.source.clone()),
        as_of: rate.as_of.format("%Y-%m-%d").to_string(),
    }
}

fn bodies(table: &RateTable) -> FxRatesBody {
    FxRatesBody {
        rates: table.rates().iter().map(body_of).collect(),
    }
}

/// Reads one input rate, naming the field at fault (`rates[1].quote: …`).
fn read(index: usize, input: &FxRateBody) -> Result<FxRate, ApiError> {
    let field = |name: &str, problem: String| {
        ApiError::Unprocessable(format!("rates[{index}].{name}: {problem}"))
    };
    let currency =
        |name: &str, code: &str| Currency::from_code(code).map_err(|e| field(name, e.to_string()));
    let base = currency("base", &input.base)?;
    let quote = currency("quote", &input.quote)?;
    if base == quote {
        return Err(field("quote", format!("must differ from base ({base})")));
    }
    let source = match input.source.as_deref().map(str::trim) {
        None => "operator".to_string(),
        Some("") => return Err(field("source", "must not be empty".into())),
        Some(s) if s.len() > 200 => return Err(field("source", "at most 200 characters".into())),
        Some(s) => s.to_string(),
    };
    Ok(FxRate {
        base,
        quote,
        rate: Rate::parse(&input.rate).map_err(|e| field("rate", e.to_string()))?,
        source,
        as_of: NaiveDate::parse_from_str(input.as_of.trim(), "%Y-%m-%d").map_err(|_| {
            field(
                "as_of",
                format!("{:?} is not a YYYY-MM-DD date", input.as_of),
            )
        })?,
    })
}

/// The exchange rates in force, by base then quote.
#[utoipa::path(get, path = "/api/v1/fx-rates", security(("bearer" = [])),
    responses((status = 200, body = FxRatesBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<FxRatesBody>, ApiError> {
    caller.require(OPERATORS, "see the exchange rates")?;
    Ok(Json(bodies(&fx_rates::all(&state.db).await?)))
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
    // One table for the whole installation: only its operators change it, never an owner
    // of one merchant account for every other.
    crate::services::warehouse::require_installation_operator(
        &state,
        &caller,
        "change the exchange rates",
    )?;
    let mut rates: Vec<FxRate> = Vec::with_capacity(input.rates.len());
    for (index, body) in input.rates.iter().enumerate() {
        let rate = read(index, body)?;
        if rates
            .iter()
            .any(|r| r.base == rate.base && r.quote == rate.quote)
        {
            return Err(ApiError::Unprocessable(format!(
                "rates[{index}]: {}/{} is given twice",
                rate.base, rate.quote
            )));
        }
        rates.push(rate);
    }
    let table = RateTable::new(rates).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    fx_rates::replace(&state.db, &table, &caller.actor).await?;
    tracing::info!(rates = table.rates().len(), "exchange rates replaced");
    Ok(Json(bodies(&fx_rates::all(&state.db).await?)))
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
    // One table for the whole installation: only its operators change it, never an owner
    // of one merchant account for every other.
    crate::services::warehouse::require_installation_operator(
        &state,
        &caller,
        "change the exchange rates",
    )?;
    let parsed =
        ecb::parse(&input.csv).map_err(|e| ApiError::Unprocessable(format!("csv: {e}")))?;
    fx_rates::merge(&state.db, &parsed.rates, &caller.actor).await?;
    tracing::info!(rates = parsed.rates.len(), as_of = %parsed.as_of, "ECB exchange rates imported");
    Ok(Json(EcbImported {
        as_of: parsed.as_of.format("%Y-%m-%d").to_string(),
        imported: parsed.rates.len(),
        skipped: parsed.skipped,
        rates: bodies(&fx_rates::all(&state.db).await?).rates,
    }))
}
