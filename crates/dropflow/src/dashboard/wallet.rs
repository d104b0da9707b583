//! `/wallet?store=`: a store's balances per currency, its ledger newest first (keyset pages by
//! entry id), and for owners a top-up form. The top-up goes through the API's own
//! [`crate::services::wallet::parse_top_up`] and [`crate::services::wallet::top_up_store`],
//! so an amount is parsed exactly into minor units and waiting payments are queued the same
//! way whichever door the money came in by.

use super::error::{html, PageError};
use super::layout::{redirect_with, shown, Flash, Layout};
use super::session::{Posted, Viewer};
use super::view;
use crate::services::wallet::{parse_top_up, top_up_store};
use crate::services::ActionError;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::dashboard as queries;
use crate::storage::ledger;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dropflow_core::ids::StoreId;
use dropflow_core::ledger::Account;
use serde::Deserialize;

/// Ledger entries per page.
const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct WalletParams {
    pub store: Option<String>,
    /// Keyset cursor: entries with a smaller id.
    pub before: Option<i64>,
}

pub struct StoreLink {
    pub id: String,
    pub domain: String,
    pub current: bool,
}

pub struct BalanceRow {
    pub currency: String,
    pub available: String,
    pub reserved: String,
    pub spent: String,
}

pub struct EntryRow {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub reference: String,
    /// "available +100.00 USD" etc., in account order.
    pub postings: Vec<String>,
}

/// The top-up form's values and its field errors.
#[derive(Default)]
pub struct TopUpForm {
    pub amount: String,
    pub currency: String,
    pub amount_error: Option<String>,
    pub currency_error: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/wallet.html")]
struct WalletPage {
    layout: Layout,
    stores: Vec<StoreLink>,
    store_id: String,
    can_top_up: bool,
    /// Owners download the store's vendor payouts too.
    can_export_payouts: bool,
    /// Whether a top-up by card is offered (`[payments.stripe]` set).
    card_top_ups: bool,
    balances: Vec<BalanceRow>,
    entries: Vec<EntryRow>,
    next_page: Option<String>,
    form: TopUpForm,
}

/// The store shown: the one asked for (404 outside the scope) or the first the viewer sees.
async fn chosen_store(
    state: &Context,
    viewer: &Viewer,
    asked: Option<&str>,
) -> Result<Option<StoreId>, PageError> {
    viewer.require(&[Role::Owner, Role::Staff], "see the wallet")?;
    match asked.filter(|s| !s.is_empty()) {
        Some(text) => Ok(Some(viewer.caller.store_path(&state.db, text).await?)),
        None => Ok(queries::visible_stores(&state.db, &viewer.caller.scope)
            .await?
            .first()
            .map(|c| c.id)),
    }
}

/// `GET /wallet`.
pub async fn page(
    State(state): State<Context>,
    viewer: Viewer,
    Query(params): Query<WalletParams>,
) -> Result<Response, PageError> {
    let store = chosen_store(&state, &viewer, params.store.as_deref()).await?;
    let page = render(&state, &viewer, store, params.before, TopUpForm::default()).await?;
    Ok(shown(page.render(), &viewer))
}

async fn render(
    state: &Context,
    viewer: &Viewer,
    store: Option<StoreId>,
    before: Option<i64>,
    mut form: TopUpForm,
) -> Result<WalletPage, PageError> {
    let choices = queries::visible_stores(&state.db, &viewer.caller.scope).await?;
    let mut balances = Vec::new();
    let mut entries = Vec::new();
    let mut next_page = None;
    if let Some(store_id) = store {
        for currency in ledger::currencies(&state.db, store_id).await? {
            let b = ledger::balances(&state.db, store_id, currency).await?;
            let text = |account| b.money(account).to_decimal_string();
            balances.push(BalanceRow {
                currency: currency.code().to_string(),
                available: text(Account::Available),
                reserved: text(Account::Reserved),
                spent: text(Account::Spent),
            });
        }
        let page = ledger::entries(&state.db, store_id, PAGE_SIZE, before).await?;
        if page.len() as i64 == PAGE_SIZE {
            next_page = page
                .last()
                .map(|e| format!("/wallet?store={store_id}&before={}", e.id));
        }
        entries = page
            .into_iter()
            .map(|e| EntryRow {
                id: e.id,
                at: view::time(&e.created_at),
                kind: view::words(&e.kind),
                reference: e.reference.unwrap_or_default(),
                postings: e
                    .postings
                    .iter()
                    .map(|p| {
                        let sign = if p.amount.starts_with('-') { "" } else { "+" };
                        format!("{} {sign}{} {}", p.account, p.amount, e.currency)
                    })
                    .collect(),
            })
            .collect();
    }
    if form.currency.is_empty() {
        form.currency = balances
            .first()
            .map(|b| b.currency.clone())
            .unwrap_or_else(|| "USD".into());
    }
    Ok(WalletPage {
        layout: Layout::new(viewer, "Wallet", "wallet"),
        stores: choices
            .iter()
            .map(|c| StoreLink {
                id: c.id.to_string(),
                domain: c.domain.clone(),
                current: Some(c.id) == store,
            })
            .collect(),
        store_id: store.map(|s| s.to_string()).unwrap_or_default(),
        can_top_up: viewer.role() == Role::Owner && store.is_some(),
        can_export_payouts: viewer.role() == Role::Owner,
        card_top_ups: state.payments.stripe().is_some(),
        balances,
        entries,
        next_page,
        form,
    })
}

/// `POST /wallet/top-up` (owners): `store`, `amount` (decimal), `currency`.
pub async fn top_up(State(state): State<Context>, posted: Posted) -> Result<Response, PageError> {
    let viewer = &posted.viewer;
    let store_id = match chosen_store(&state, viewer, posted.field("store")).await? {
        Some(id) if posted.field("store").is_some() => id,
        _ => return Err(PageError::BadRequest("choose a store to top up".into())),
    };
    viewer.require(&[Role::Owner], "top up the wallet")?;
    let amount_text = posted.field("amount").unwrap_or_default();
    let currency_text = posted
        .field("currency")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let amount = match parse_top_up(amount_text, &currency_text) {
        Ok(amount) => amount,
        Err(ActionError::Unprocessable(message)) => {
            // The API's words name the field first ("currency: …", "amount: …").
            let mut form = TopUpForm {
                amount: amount_text.to_string(),
                currency: currency_text.clone(),
                ..TopUpForm::default()
            };
            match message.strip_prefix("currency: ") {
                Some(rest) => form.currency_error = Some(rest.to_string()),
                None => {
                    form.amount_error = Some(
                        message
                            .strip_prefix("amount: ")
                            .unwrap_or(&message)
                            .to_string(),
                    )
                }
            }
            let page = render(&state, viewer, Some(store_id), None, form).await?;
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()));
        }
        Err(other) => return Err(other.into()),
    };
    let balances = top_up_store(&state.db, &viewer.caller, store_id, amount).await?;
    Ok(redirect_with(
        &format!("/wallet?store={store_id}"),
        Flash::ok(format!(
            "Added {amount}. Available now: {}.",
            balances.money(Account::Available)
        )),
    ))
}
