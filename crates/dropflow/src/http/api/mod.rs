//! `/api/v1`: every endpoint requires a Bearer API token ([`super::auth`]), scoped to what
//! the token's user may see. The handlers are adapters over [`crate::services`].

/// Product mappings (store items to supplier offers).
pub mod mappings;
/// The job queue: list, retry failed jobs.
pub mod jobs;
/// Orders: tabs, search, detail with timeline, holds.
pub mod orders;
/// Registering and listing stores.
pub mod stores;
/// The merchant wallet: top-ups, balances, ledger entries.
pub mod wallet;
/// Wallet top-ups paid by card (Stripe Checkout).
pub mod top_ups;
/// Place, pay, refresh (one order or many); a vendor's tracking entry.
pub mod procurement;
/// Flags a person settles; link by hand or buy again.
pub mod flags;
/// Buying the extra units of a line whose quantity went up after its purchase.
pub mod replace_difference;
/// Per-store settings and Admin API access.
pub mod settings;
/// The operator's exchange rates (read, replace, import the ECB's CSV).
pub mod fx_rates;
/// A user's own API tokens.
pub mod tokens;
/// Outbound webhook endpoints: add, list, remove, replay.
pub mod webhook_endpoints;
/// The warehouse leg: operators' receiving, inspection, packing, dispatch, rates; merchants'
/// view, decisions, carrier and fee.
pub mod warehouse;
/// After-sale cases: open, list, read, record a step.
pub mod cases;
/// The evidence file for answering a payment dispute.
pub mod evidence;
/// Profit per order and per day, product, supplier or store; the payment-fee rule.
pub mod profit;
/// The products list: mapped items, their offers as read at the suppliers.
pub mod products;
/// A manual vendor's earnings and payouts; the owner's approval and settings.
pub mod vendor_payouts;
/// A manual vendor's stock and cost (JSON or CSV).
pub mod vendor_stock;
/// A store's orders, ledger and vendor payouts as streamed CSV files.
pub mod exports;
/// The account's audit log.
pub mod audit;
/// What the handlers answer: the API's own types, made from rows and action outputs.
pub mod views;

use crate::http::error::ApiError;
use crate::http::extract::ApiPath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// The one path segment an action's handler takes: what is acted on (an order's id or name,
/// a store id, a package id…), a 400 when it cannot be read.
pub type Id = ApiPath<String>;

/// What an action's handler answers: the action's output as JSON (200), or its refusal.
pub type Answer<T> = Result<Json<T>, ApiError>;

/// 201: what the action made (a store, a token, an endpoint, the wallet after a top-up).
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

/// 202: what the action queued; a job does the work.
pub struct Accepted<T>(pub T);

impl<T: Serialize> IntoResponse for Accepted<T> {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(self.0)).into_response()
    }
}
