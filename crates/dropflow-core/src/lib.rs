//! dropflow's domain: what an order is, the separate state axes it moves along, and the pure
//! functions that move it. No IO lives here (no sqlx, axum, reqwest): the compiler keeps it out.
//!
//! Read in this order: [`intake`] (what a store sends us, normalised), [`lifecycle`] (the
//! transition function), [`tab`] (the merchant's views derived from the axes).

/// Identifiers: typed wrappers so an order id is never passed where a store id is meant.
pub mod ids;
/// Money as integer minor units plus an ISO 4217 currency; never floats.
pub mod money;
/// Exchange rates set by the operator and exact conversion between currencies with them.
pub mod fx;
/// ISO reference data and postal-address rules, embedded at build time from `data/`.
pub mod reference;
/// A store order normalised from any platform's payload: the input to the lifecycle.
pub mod intake;
/// The customer's chosen variant in words (option names and values), for people who pick
/// the goods by hand.
pub mod variant;
/// Customer-payment axis (Shopify's `financial_status` vocabulary).
pub mod payment;
/// Holds with typed reasons (Shopify's FulfillmentHoldReason vocabulary).
pub mod hold;
/// Supplier-order axis: one purchase per supplier, and the procurement summary over them.
pub mod procurement;
/// What dropflow asks of a supplier and what it can answer, in no supplier's wire format.
pub mod supplier;
/// The merchant wallet as a double-entry ledger: every movement balances.
pub mod ledger;
/// A wallet top-up paid by card (Stripe Checkout): what a payment notice does to it.
pub mod card_top_up;
/// An order's profit: revenue less every cost, each converted at the rate recorded when it
/// was incurred, or the costs still unknown.
pub mod profit;
/// A manual vendor's earnings and payouts, as postings in the same ledger.
pub mod payouts;
/// Product mapping: store items to supplier offers (with bundles and backups).
pub mod catalog;
/// The catalogue side: what a store variant should show from its suppliers and policies.
pub mod inventory;
/// Routing: a paid order's lines to one purchase per supplier.
pub mod routing;
/// What a store edit means for what was bought (re-derive or flag).
pub mod edits;
/// Buying one supplier order: what each answer of the supplier leads to.
pub mod placement;
/// Paying a placed supplier order from the wallet: what each answer leads to.
pub mod supplier_payment;
/// What the supplier's view of one of its orders means for ours (forward only).
pub mod supplier_sync;
/// Letting go of a purchase: by its stage, and by what its supplier answers.
pub mod cancellation;
/// Checking a supplier order a person found against the purchase it is linked to.
pub mod link_check;
/// Shipment axis: one per shipping leg, with the normalised tracking vocabulary.
pub mod shipment;
/// Courier detection from the tracking number itself (patterns and check digits).
pub mod tracking;
/// Timeline events: what happened to an order, when, and who or what did it.
pub mod event;
/// The order's whole state and the pure transition function over it.
pub mod lifecycle;
/// The merchant's tabs, derived from the axes.
pub mod tab;
/// How often to ask suppliers and carriers, adapted to where an order stands.
pub mod follow;
/// The mails dropflow sends and who reads each (the outbox's vocabulary).
pub mod mail;
/// Every job kind the queue runs, by name: one list shared by the writers and the handlers.
pub mod jobs;
/// After delivery: cases (returns, refunds, reships, exchanges) on the customer's and the
/// supplier's side, and what each cost.
pub mod after_sale;
/// The warehouse leg: rates, carrier choice, refunds, consolidation, inspection, stages.
pub mod warehouse;
