//! Wallet top-ups paid by card through Stripe Checkout: an owner asks for one
//! ([`start_card_top_up`]: a payment page for the amount), pays on Stripe's page, and
//! Stripe's webhook credits the wallet (`payments::stripe::webhook`). The top-up by hand
//! ([`super::wallet::top_up`]) stays, for operators.
//!
//! The top-up is written before Stripe is asked, and its id is the request's idempotency
//! key: a create retried after a lost answer gives back the same session, never a second.

use super::stores::store_in_scope;
use super::wallet::parse_top_up;
use super::MERCHANTS;
use crate::payments::stripe::{SessionRequest, StripeError};
use crate::services::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::card_top_ups::{self, CardTopUp, NewCardTopUp};
use dropflow_core::money::Money;
use serde::Deserialize;

/// A top-up to pay by card.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardTopUpInput {
    /// Decimal string in `currency`, more than zero, e.g. "250.00"; at most
    /// `[payments.stripe] max_amount_minor` minor units (default 999,999.99 in a two-decimal
    /// currency).
    pub amount: String,
    /// ISO 4217 code of the wallet to credit, e.g. "USD": a currency with two decimals or
    /// none (Stripe's rules for three-decimal currencies are not followed here).
    pub currency: String,
}

/// What the payer reads on Stripe's page.
fn description(domain: Option<&str>) -> String {
    match domain {
        Some(domain) => format!("dropflow wallet top-up for {domain}"),
        None => "dropflow wallet top-up".to_string(),
    }
}

/// The amount, checked for a card top-up: a wallet's currency Stripe takes in its smallest
/// unit as we count it (no three-decimal currencies), more than zero, at most `max_minor`.
pub fn card_amount(amount: &str, currency: &str, max_minor: i64) -> Result<Money, ActionError> {
    let money = parse_top_up(amount, currency)?;
    if !matches!(money.currency.minor_units(), 0 | 2) {
        return Err(ActionError::Unprocessable(format!(
            "currency: {} has {} decimals; card top-ups take currencies with two decimals or none",
            money.currency.code(),
            money.currency.minor_units()
        )));
    }
    if money.minor > max_minor {
        return Err(ActionError::Unprocessable(format!(
            "amount: {money} is more than a card top-up may be ({})",
            Money::new(max_minor, money.currency)
        )));
    }
    Ok(money)
}

/// The refusal of a top-up whose provider is not configured.
pub fn not_configured() -> ActionError {
    ActionError::NotFound(
        "card top-ups are not configured on this installation (the operator sets \
         [payments.stripe])"
            .into(),
    )
}

/// Starts a card top-up of the store's wallet (owners): writes it, asks Stripe for a
/// payment page, and answers the top-up with the page's URL (`open`). A refusal by Stripe
/// leaves it `failed` and answers why; a Stripe that does not answer leaves it `creating`
/// (a payment made on a page we never heard of is still credited: its notice names the
/// top-up).
pub async fn start_card_top_up(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    input: CardTopUpInput,
) -> Result<CardTopUp, ActionError> {
    let store_id =
        store_in_scope(ctx, caller, &[Role::Owner], "top up the wallet", store_id).await?;
    let stripe = ctx.payments.stripe().ok_or_else(not_configured)?;
    let amount = card_amount(
        &input.amount,
        &input.currency,
        stripe.config().max_amount_minor,
    )?;
    let domain = crate::storage::stores::get(&ctx.db, store_id)
        .await
        .ok()
        .map(|s| s.domain);
    let mut tx = ctx.db.begin().await?;
    let top_up = card_top_ups::insert_in(
        &mut tx,
        &NewCardTopUp {
            store_id,
            provider: crate::payments::stripe::webhook::PROVIDER,
            amount,
            requested_by: caller.actor.clone(),
        },
    )
    .await?;
    // Recorded as asked for: what Stripe then says (open, failed, paid) follows from it.
    let store = store_id.to_string();
    super::audit::record(
        &mut tx,
        caller,
        Some(&store),
        "card_top_up.create",
        ("card_top_up", &top_up.id),
        None,
        Some(serde_json::json!({
            "id": top_up.id,
            "store_id": store,
            "provider": top_up.provider,
            "amount": top_up.amount.to_decimal_string(),
            "currency": top_up.amount.currency.code(),
            "status": top_up.status.as_str(),
            "requested_by": top_up.requested_by,
        })),
    )
    .await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    let asked = stripe
        .create_session(&SessionRequest {
            top_up_id: &top_up.id,
            store_id,
            amount,
            description: description(domain.as_deref()),
        })
        .await;
    match asked {
        Ok(session) => {
            card_top_ups::opened(&ctx.db, &top_up.id, &session.id, &session.url).await?;
            tracing::info!(top_up.id = %top_up.id, store.id = %store_id,
                stripe.session = %session.id, "card top-up opened");
        }
        Err(error) => {
            tracing::warn!(top_up.id = %top_up.id, store.id = %store_id, %error,
                "card top-up not opened");
            if error.is_final() {
                card_top_ups::failed(&ctx.db, &top_up.id, &error.to_string()).await?;
            }
            return Err(stripe_refusal(error));
        }
    }
    card_top_ups::in_store(&ctx.db, store_id, &top_up.id)
        .await?
        .ok_or_else(|| ActionError::Internal(format!("top-up {} vanished", top_up.id)))
}

/// Stripe's refusal as the caller reads it.
fn stripe_refusal(error: StripeError) -> ActionError {
    match error {
        StripeError::Refused { .. } => ActionError::Unprocessable(error.to_string()),
        StripeError::Idempotency(_) => ActionError::Conflict(error.to_string()),
        StripeError::Credentials(_) | StripeError::Unavailable(_) | StripeError::Garbled(_) => {
            ActionError::Unavailable(format!("{error}; try again later"))
        }
    }
}

/// One card top-up of the store (merchants): where it stands.
pub async fn card_top_up(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    id: &str,
) -> Result<CardTopUp, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see the wallet", store_id).await?;
    card_top_ups::in_store(&ctx.db, store_id, id.trim())
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("card top-up {id:?} not found")))
}
