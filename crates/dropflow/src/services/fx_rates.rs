//! The operator's exchange rates: routing converts offer costs with them so money is compared
//! in one currency (an offer whose currency has no rate fails its line, never compared raw).
//! Read and set by operators (warehouse role) and owners; the table is shared by every
//! process on the database and seeded from `[fx]` at start-up.

use crate::services::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::fx_rates;
use chrono::NaiveDate;
use dropflow_core::fx::{ecb, FxRate, Rate, RateTable};
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};

pub const OPERATORS: &[Role] = &[Role::Warehouse, Role::Owner];

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

pub fn bodies(table: &RateTable) -> FxRatesBody {
    FxRatesBody {
        rates: table.rates().iter().map(body_of).collect(),
    }
}

/// Reads one input rate, naming the field at fault (`rates[1].quote: …`).
pub fn read(index: usize, input: &FxRateBody) -> Result<FxRate, ActionError> {
    let field = |name: &str, problem: String| {
        ActionError::Unprocessable(format!("rates[{index}].{name}: {problem}"))
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

/// One table for the whole installation: only its operators change it, never an owner of
/// one merchant account for every other.
fn require_rate_setter(ctx: &Context, caller: &Caller) -> Result<(), ActionError> {
    let what = "change the exchange rates";
    crate::services::warehouse::require_installation_operator(ctx, caller, what)
}

pub async fn list(ctx: &Context, caller: &Caller) -> Result<FxRatesBody, ActionError> {
    caller.require(OPERATORS, "see the exchange rates")?;
    Ok(bodies(&fx_rates::all(&ctx.db).await?))
}

pub async fn put(
    ctx: &Context,
    caller: &Caller,
    input: FxRatesBody,
) -> Result<FxRatesBody, ActionError> {
    require_rate_setter(ctx, caller)?;
    let mut rates: Vec<FxRate> = Vec::with_capacity(input.rates.len());
    for (index, body) in input.rates.iter().enumerate() {
        let rate = read(index, body)?;
        if rates
            .iter()
            .any(|r| r.base == rate.base && r.quote == rate.quote)
        {
            return Err(ActionError::Unprocessable(format!(
                "rates[{index}]: {}/{} is given twice",
                rate.base, rate.quote
            )));
        }
        rates.push(rate);
    }
    let table = RateTable::new(rates).map_err(|e| ActionError::Unprocessable(e.to_string()))?;
    let mut tx = ctx.db.begin().await?;
    let before = bodies(&fx_rates::all_in(&mut tx).await?);
    fx_rates::replace_in(&mut tx, &table, &caller.actor).await?;
    audited(&mut tx, caller, "fx_rates.replace", &before).await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(rates = table.rates().len(), "exchange rates replaced");
    Ok(bodies(&fx_rates::all(&ctx.db).await?))
}

pub async fn import_ecb(
    ctx: &Context,
    caller: &Caller,
    input: EcbImportInput,
) -> Result<EcbImported, ActionError> {
    require_rate_setter(ctx, caller)?;
    let parsed =
        ecb::parse(&input.csv).map_err(|e| ActionError::Unprocessable(format!("csv: {e}")))?;
    let mut tx = ctx.db.begin().await?;
    let before = bodies(&fx_rates::all_in(&mut tx).await?);
    fx_rates::merge_in(&mut tx, &parsed.rates, &caller.actor).await?;
    audited(&mut tx, caller, "fx_rates.import_ecb", &before).await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(rates = parsed.rates.len(), as_of = %parsed.as_of, "ECB exchange rates imported");
    Ok(EcbImported {
        as_of: parsed.as_of.format("%Y-%m-%d").to_string(),
        imported: parsed.rates.len(),
        skipped: parsed.skipped,
        rates: bodies(&fx_rates::all(&ctx.db).await?).rates,
    })
}

/// Records a change of the rate table (the whole table before and after) in its `tx`.
async fn audited(
    tx: &mut crate::storage::Tx<'_>,
    caller: &Caller,
    action: &str,
    before: &FxRatesBody,
) -> Result<(), ActionError> {
    let after = bodies(&fx_rates::all_in(tx).await?);
    super::audit::record(
        tx,
        caller,
        None,
        action,
        ("fx_rates", "table"),
        Some(super::audit::snapshot(before)?),
        Some(super::audit::snapshot(&after)?),
    )
    .await
}
