//! The merchant wallet: top-ups, balances, and the ledger behind them.
//!
//! Amounts travel as decimal strings in the currency's exponent ("100.00" USD, "100" JPY), the
//! way the mapping API takes costs, so no float ever touches money.

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::AppState;
use crate::storage::accounts::Role;
use crate::storage::ledger::{self, Entry, PostError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dropflow_core::ids::StoreId;
use dropflow_core::ledger::{Account, Balances, LedgerError, Operation};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpInput {
    /// Decimal string in `currency`, more than zero, e.g. "100.00".
    pub amount: String,
    /// ISO 4217 code, e.g. "USD". The store has one wallet per currency.
    pub currency: String,
}

/// A wallet's balances.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WalletView {
    pub store_id: String,
    pub currency: String,
    /// Money the merchant has that we may spend on supplier orders.
    pub available: String,
    /// Set aside for placed supplier orders, not yet paid.
    pub reserved: String,
    /// Paid to suppliers, net of their refunds.
    pub spent: String,
}

impl WalletView {
    fn new(store_id: StoreId, balances: &Balances) -> Self {
        let text = |account| balances.money(account).to_decimal_string();
        WalletView {
            store_id: store_id.to_string(),
            currency: balances.currency.code().to_string(),
            available: text(Account::Available),
            reserved: text(Account::Reserved),
            spent: text(Account::Spent),
        }
    }
}

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
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id")),
    responses((status = 201, body = WalletView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn top_up(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiJson(input): ApiJson<TopUpInput>,
) -> Result<(StatusCode, Json<WalletView>), ApiError> {
    caller.require(&[Role::Owner], "top up the wallet")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    let amount = parse_top_up(&input.amount, &input.currency)?;
    let balances = top_up_store(&state.db, store_id, amount).await?;
    Ok((
        StatusCode::CREATED,
        Json(WalletView::new(store_id, &balances)),
    ))
}

/// A top-up amount: a decimal string in the currency's exponent, parsed exactly into minor
/// units, more than zero. (The API and the dashboard's form both go through here.)
pub fn parse_top_up(amount: &str, currency_code: &str) -> Result<Money, ApiError> {
    let currency = currency(currency_code)?;
    let money = Money::parse_decimal(amount, currency)
        .map_err(|e| ApiError::Unprocessable(format!("amount: {e}")))?;
    if money.minor <= 0 {
        return Err(ApiError::Unprocessable(format!(
            "amount: {amount:?} must be more than zero"
        )));
    }
    Ok(money)
}

/// Adds money to a store's wallet (the caller has checked the store and the role) and, in the
/// same transaction, queues the payments that failed for want of money.
pub async fn top_up_store(
    db: &crate::storage::Database,
    store_id: StoreId,
    amount: Money,
) -> Result<Balances, ApiError> {
    let mut tx = db.begin().await?;
    let posted = ledger::post(&mut tx, db.engine, store_id, &Operation::TopUp { amount })
        .await
        .map_err(post_error)?;
    // Purchases that failed for want of money are paid now that there is some.
    let waiting =
        crate::storage::supplier_orders::unpaid_for_lack_of_funds(&mut tx, store_id).await?;
    for (id, order_id) in &waiting {
        crate::storage::supplier_orders::enqueue_job(
            &mut tx,
            dropflow_core::jobs::PAY_SUPPLIER_ORDER,
            *id,
            *order_id,
        )
        .await?;
    }
    tx.commit()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(store.id = %store_id, ledger.transaction = posted.transaction_id,
        payments_queued = waiting.len(),
        "wallet topped up");
    Ok(posted.balances)
}

/// The store's wallet in one currency (zero if never topped up).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/wallet", security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id"), WalletParams),
    responses((status = 200, body = WalletView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiQuery(params): ApiQuery<WalletParams>,
) -> Result<Json<WalletView>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff], "see this")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    let balances = ledger::balances(&state.db, store_id, currency(&params.currency)?).await?;
    Ok(Json(WalletView::new(store_id, &balances)))
}

/// The store's ledger, newest first: every movement with its balanced postings.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/wallet/entries", security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id"), EntryParams),
    responses((status = 200, body = Vec<Entry>), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn entries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiQuery(params): ApiQuery<EntryParams>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff], "see the ledger")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    Ok(Json(
        ledger::entries(&state.db, store_id, limit, params.before).await?,
    ))
}

fn currency(code: &str) -> Result<Currency, ApiError> {
    Currency::from_code(code).map_err(|e| ApiError::Unprocessable(format!("currency: {e}")))
}

/// A refusal by the ledger's rules is the caller's problem (409 for a repeat, 422 otherwise);
/// a storage failure goes through the usual mapping.
pub fn post_error(error: PostError) -> ApiError {
    match error {
        PostError::Refused(e @ LedgerError::Duplicate { .. }) => ApiError::Conflict(e.to_string()),
        PostError::Refused(e) => ApiError::Unprocessable(e.to_string()),
        PostError::Storage(e) => ApiError::from(e),
    }
}
