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
