//! Store platforms: each connector turns one platform's webhook into our normalised
//! [`StoreOrder`](dropflow_core::intake::StoreOrder) and checks the delivery's signature.
//!
//! Layout of a connector (one directory per platform):
//! - `mod.rs`: the public functions (`verify_webhook`, `parse_order`, the topic vocabulary);
//! - `transformers.rs`: every wire type (serde structs shaped like the platform's JSON) and every
//!   mapping from them into our types. Wire types never leave the connector, so a platform's
//!   quirks (ids as integers, money as strings or floats, statuses as free text) stop here.
//!
//! Connectors hold no state and do no IO: the HTTP layer passes raw bytes in and gets typed
//! values (or a [`PayloadError`]) out. That keeps them testable against the platforms' own
//! published fixtures (`tests/fixtures/`).
//!
//! Statuses from outside map onto our enums exhaustively; a status we do not know maps to the
//! state that can do no harm (payment `Pending`: nothing is bought on it), never to "paid".

pub mod admin;
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
