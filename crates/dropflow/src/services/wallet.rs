//! The merchant wallet: top-ups, balances, and the ledger behind them.
//!
//! Amounts travel as decimal strings in the currency's exponent ("100.00" USD, "100" JPY), the
//! way the mapping API takes costs, so no float ever touches money.

use super::stores::store_in_scope;
use super::MERCHANTS;
use crate::services::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::ledger::{self, Entry, PostError};
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
    pub fn new(store_id: StoreId, balances: &Balances) -> Self {
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

/// A top-up amount: a decimal string in the currency's exponent, parsed exactly into minor
/// units, more than zero. (The API and the dashboard's form both go through here.)
pub fn parse_top_up(amount: &str, currency_code: &str) -> Result<Money, ActionError> {
    let currency = currency(currency_code)?;
    let money = Money::parse_decimal(amount, currency)
        .map_err(|e| ActionError::Unprocessable(format!("amount: {e}")))?;
    if money.minor <= 0 {
        return Err(ActionError::Unprocessable(format!(
            "amount: {amount:?} must be more than zero"
        )));
    }
    Ok(money)
}

/// Adds money to a store's wallet (the caller has checked the store and the role) and, in the
/// same transaction, queues the payments that failed for want of money and records the
/// top-up in the audit log as `caller`'s.
pub async fn top_up_store(
    db: &crate::storage::Database,
    caller: &Caller,
    store_id: StoreId,
    amount: Money,
) -> Result<Balances, ActionError> {
    let mut tx = db.begin().await?;
    let posted = ledger::post(&mut tx, db.engine, store_id, &Operation::TopUp { amount })
        .await
        .map_err(post_error)?;
    let after = WalletView::new(store_id, &posted.balances);
    let mut before = serde_json::to_value(&after).map_err(ActionError::internal)?;
    before["available"] = Money::new(posted.balances.available - amount.minor, amount.currency)
        .to_decimal_string()
        .into();
    let mut after = serde_json::to_value(&after).map_err(ActionError::internal)?;
    after["amount"] = amount.to_decimal_string().into();
    after["ledger_transaction_id"] = posted.transaction_id.into();
    let store = store_id.to_string();
    let subject = format!("{store}:{}", amount.currency.code());
    super::audit::record(
        &mut tx,
        caller,
        Some(&store),
        "wallet.top_up",
        ("wallet", &subject),
        Some(before),
        Some(after),
    )
    .await?;
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
        .map_err(|e| ActionError::Internal(e.to_string()))?;
    tracing::info!(store.id = %store_id, ledger.transaction = posted.transaction_id,
        payments_queued = waiting.len(),
        "wallet topped up");
    Ok(posted.balances)
}

pub fn currency(code: &str) -> Result<Currency, ActionError> {
    Currency::from_code(code).map_err(|e| ActionError::Unprocessable(format!("currency: {e}")))
}

/// A refusal by the ledger's rules is the caller's problem (409 for a repeat, 422 otherwise);
/// a storage failure goes through the usual mapping.
pub fn post_error(error: PostError) -> ActionError {
    match error {
        PostError::Refused(e @ LedgerError::Duplicate { .. }) => {
            ActionError::Conflict(e.to_string())
        }
        PostError::Refused(e) => ActionError::Unprocessable(e.to_string()),
        PostError::Storage(e) => ActionError::from(e),
    }
}

pub async fn top_up(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    input: TopUpInput,
) -> Result<WalletView, ActionError> {
    let store_id =
        store_in_scope(ctx, caller, &[Role::Owner], "top up the wallet", store_id).await?;
    let amount = parse_top_up(&input.amount, &input.currency)?;
    let balances = top_up_store(&ctx.db, caller, store_id, amount).await?;
    Ok(WalletView::new(store_id, &balances))
}

/// The store's wallet in one currency (zero if never topped up).
pub async fn show(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    currency_code: &str,
) -> Result<WalletView, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see this", store_id).await?;
    let balances = ledger::balances(&ctx.db, store_id, currency(currency_code)?).await?;
    Ok(WalletView::new(store_id, &balances))
}

/// The store's ledger, newest first: `limit` entries (1–500, default 100) older than `before`.
pub async fn entries(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    limit: Option<i64>,
    before: Option<i64>,
) -> Result<Vec<Entry>, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see the ledger", store_id).await?;
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ActionError::Invalid(
            "limit must be between 1 and 500".into(),
        ));
    }
    Ok(ledger::entries(&ctx.db, store_id, limit, before).await?)
}
