//! The action layer: every merchant, vendor and operator action is one function
//! `(ctx, &Caller, input) -> Result<Output, ActionError>` with its role and scope check
//! inside. The `/api/v1` handlers and the dashboard's pages and forms are adapters over
//! these functions: they read their input, call one action, and render its answer (or map
//! its [`ActionError`] once, at their edge).

/// Who is acting, and the scope checks every action makes.
pub mod caller;
/// The one error type of the actions.
pub mod error;
/// A cache of registered stores for webhook verification.
pub mod store_directory;

/// Per-store settings and Admin API access.
pub mod settings;
/// A user's own API tokens; tokens made from the command line.
pub mod tokens;
/// Dashboard users, made by the installation.
pub mod users;
/// Registering and listing stores.
pub mod stores;
/// The job queue: list, retry failed jobs.
pub mod jobs;
/// The operator's exchange rates (read, replace, import the ECB's CSV).
pub mod fx_rates;
/// Outbound webhook endpoints: add, list, remove, replay.
pub mod webhook_endpoints;
/// Product mappings (store items to supplier offers).
pub mod mappings;
/// The products list: mapped items, their offers' stock and cost as read, the policy's figures.
pub mod products;
/// Orders: resolve by reference, holds, routing again.
pub mod orders;
/// Place, pay, refresh (one order or many); a vendor's tracking entry.
pub mod procurement;
/// Flags a person settles; link by hand or buy again.
pub mod flags;
/// Buying the extra units of a line whose quantity went up after its purchase.
pub mod replace_difference;
/// What a vendor may read of an order (its own purchases, parcels and lines).
pub mod vendor_view;
/// The merchant wallet: top-ups, balances.
pub mod wallet;
/// Wallet top-ups paid by card (Stripe Checkout): start one, read one.
pub mod top_ups;
/// A manual vendor's earnings and payouts: read, request; the owner's approval and settings.
pub mod vendor_payouts;
/// A manual vendor's stock and cost, entered by the vendor (API or CSV) into the mappings.
pub mod vendor_stock;
/// The warehouse leg: operators' receiving, inspection, packing, dispatch, rates; merchants'
/// decisions, carrier and fee.
pub mod warehouse;
/// After-sale cases: open one for shipped lines, record its return and decisions, list them.
pub mod cases;
/// The evidence file an order's payment dispute is answered with (one HTML document).
pub mod evidence;
/// Profit per order and per day, product, supplier or store; the store's payment-fee rule.
pub mod profit;
/// The audit log: recording a change in its own transaction; the account's entries.
pub mod audit;
/// CSV exports streamed page by page: orders, ledger postings, vendor payouts.
pub mod exports;
/// Words for people: statuses, money and times as pages and files show them.
pub mod view;
/// An order's timeline in sentences (the order page, the evidence file).
pub mod timeline;

pub use caller::Caller;
pub use error::ActionError;

use crate::storage::accounts::Role;
use crate::storage::Database;
use std::sync::Arc;

/// The merchant's people, the owner and their staff: who works the orders and reads a
/// store's settings, wallet and mappings.
pub const MERCHANTS: &[Role] = &[Role::Owner, Role::Staff];

/// What the actions reach: the database and the process's configured collaborators. Built
/// once where the process is wired ([`crate::app`]).
#[derive(Clone)]
pub struct Context {
    pub db: Database,
    pub stores: Arc<store_directory::StoreDirectory>,
    /// How often parcels entered by hand are followed.
    pub cadence: dropflow_core::follow::Cadence,
    /// Where inspection photos are written (`[warehouse] files_dir`).
    pub warehouse_files: std::path::PathBuf,
    /// `[outbound] allow_private_addresses`: merchants' webhook endpoints and Admin API URLs
    /// may be private addresses (development and tests only).
    pub outbound_reach: crate::outbound::Reach,
    /// `[intake]`: what a store order may contain, and what is held for a person.
    pub intake: crate::platforms::limits::IntakeLimits,
    /// The installation's operator account (`[warehouse] operator_account`): its warehouse
    /// users change the rate tables and refund rules.
    pub operator_account: String,
    /// The supplier connectors the jobs use, for actions that ask a supplier while a person
    /// waits (a link by hand is checked against the supplier's order).
    pub suppliers: crate::suppliers::Suppliers,
    /// `[payments.*]`: the providers wallet top-ups are paid through.
    pub payments: crate::payments::Payments,
}
