//! Store platforms: each connector turns one platform's webhook into our normalised
//! [`StoreOrder`](dropflow_core::intake::StoreOrder), checks the delivery's signature, knows
//! what a store address on the platform looks like, and writes fulfilments back through the
//! platform's Admin API.
//!
//! Everything outside a platform's directory reaches it through the
//! [`StorePlatform`](crate::platforms::StorePlatform) trait, found in
//! [`registry`](crate::platforms::registry) by [`Platform`](dropflow_core::intake::Platform):
//! the one webhook route family `POST /webhooks/{platform}` (`http::webhooks`), the
//! registration checks ([`store_address`](crate::platforms::store_address),
//! [`shop_check`](crate::platforms::shop_check)), the intake limits' messages
//! ([`limits`](crate::platforms::limits)) and the Admin API connectors the write-back uses
//! (`app::store_admins`).
//!
//! Layout of a connector (one directory per platform):
//! - `mod.rs`: the public functions (`verify_webhook`, `parse_order`, the topic vocabulary)
//!   and the unit struct implementing `StorePlatform` (`Shopify`, `WooCommerce`);
//! - `transformers.rs`: every wire type (serde structs shaped like the platform's JSON) and every
//!   mapping from them into our types. Wire types never leave the connector, so a platform's
//!   quirks (ids as integers, money as strings or floats, statuses as free text) stop here;
//! - `admin.rs` (+ `admin_wire.rs`): the Admin API client implementing `admin::StoreAdmin`;
//! - `admin_catalogue.rs` (+ `_wire`, `_tests`): the same client implementing
//!   `admin_catalogue::CatalogueAccess` (the store's variants read and written), handed out
//!   by `StoreAdmin::catalogue()` — a platform without it answers `None` and its stores'
//!   catalogues are left alone;
//! - `tests.rs`, `admin_tests.rs`: against the platform's published fixtures
//!   (`tests/fixtures/<platform>/`).
//!
//! Webhook connectors hold no state and do no IO: the HTTP layer passes raw bytes in and gets
//! typed values (or a [`PayloadError`](crate::platforms::PayloadError)) out.
//!
//! Statuses from outside map onto our enums exhaustively; a status we do not know maps to the
//! state that can do no harm (payment `Pending`: nothing is bought on it), never to "paid".
//!
//! # Adding a store platform
//!
//! 1. `crates/dropflow-core/src/intake.rs`: a [`Platform`](dropflow_core::intake::Platform)
//!    variant, its entry in `Platform::ALL` and its name in `as_str` (the `stores.platform`
//!    value and the webhook path `/webhooks/<name>`). The compiler then points at step 2.
//! 2. `src/platforms/registry.rs`: its line in `store_platform`.
//! 3. `src/platforms/<name>/`: `mod.rs` with `pub mod <name>;` added here, the topics,
//!    `verify_webhook`, `parse_order` and `impl StorePlatform`; `transformers.rs`; `admin.rs`
//!    implementing `admin::StoreAdmin`; unit tests against the platform's own fixtures in
//!    `tests/fixtures/<name>/`.
//! 4. The sandbox: `crates/dropflow-sandbox/src/<name>.rs` (signed webhooks) and
//!    `<name>_admin/` (the Admin API), each a `pub mod` line in that crate's `lib.rs`.
//! 5. The integration test: `crates/dropflow/tests/it/webhooks_<name>.rs`, a `mod` line in
//!    `tests/it/main.rs` (and, if several tests send its webhooks, a `send_<name>` helper in
//!    `tests/it/support.rs`).
//!
//! Nothing else changes: the webhook route, the OpenAPI enum of platforms, registration,
//! verification and the write-back all go through the registry. A store platform has no
//! configuration section: its credentials are per store, in the database. Files outside the
//! platform's directory that a new platform still touches: `dropflow-core/src/intake.rs`,
//! `platforms/mod.rs` (the `pub mod` line), `platforms/registry.rs`, the sandbox crate's
//! `lib.rs`, `tests/it/main.rs`. Optional, only to show it in `dropflow demo` and
//! `dropflow sandbox`: `src/demo/{sandboxes,world,traffic,summary}.rs` and `src/sandbox/`.
//! Still outside the trait: `fulfilment::push` pushes a purchase's parcels as one fulfilment
//! on Shopify (one tracking number per fulfilment) and each on its own elsewhere; the "use
//! shopify or woocommerce" refusals of `POST /api/v1/stores` and `dropflow stores add` name
//! the platforms in words.

pub mod admin;
/// Reading and writing the store's catalogue (stock, prices, on sale) for issue 15.
pub mod admin_catalogue;
/// Refunding a customer through the store's Admin API, for an after-sale case.
pub mod admin_refund;
/// What a store's domain and Admin API URL may be (platform syntax, public only).
pub mod store_address;
/// Checking a store's Admin API access against the shop itself (verification).
pub mod shop_check;
/// What a store order may contain (422 otherwise) and what is held for a person.
pub mod limits;
/// Every store platform's connector, one line each.
pub mod registry;
pub mod shopify;
pub mod woocommerce;

mod decode;
mod signature;
mod store_platform;

#[cfg(test)]
mod amounts_tests;

pub use signature::verify_base64_hmac_sha256;
pub use store_platform::{Envelope, Incoming, MissingHeader, StorePlatform, WebhookHeaders};

/// What is wrong with a store's payload, precise enough for the merchant (or us) to find the
/// field: every variant that concerns a field carries its JSON path, e.g.
/// `line_items[0].price`.
///
/// Messages never quote personal data (names, emails, phones, addresses): they say what was
/// expected, not what was sent, for those fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON at all, is truncated, or has trailing garbage.
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    /// A field we cannot do without is absent or `null`.
    #[error("{path}: required field is missing or null")]
    Missing { path: String },
    /// A field is present but unusable (wrong JSON type, bad amount, unknown currency, ...).
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl PayloadError {
    /// The JSON path of the offending field, when the error is about one field.
    pub fn path(&self) -> Option<&str> {
        match self {
            PayloadError::NotJson(_) => None,
            PayloadError::Missing { path } | PayloadError::Invalid { path, .. } => Some(path),
        }
    }
}
