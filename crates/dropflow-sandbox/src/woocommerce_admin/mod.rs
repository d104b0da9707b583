//! A WooCommerce REST API (`/wp-json/wc/v3`) stand-in for marking orders shipped, served over
//! HTTP on `127.0.0.1:0` (`shared/reference/protocols.md` §2.2, §2.3).
//!
//! What it does, as WooCommerce does:
//! - **paths**: `GET|PUT|POST|PATCH /wp-json/wc/v3/orders/{id}` (update `status` and
//!   `meta_data`), `GET|POST /wp-json/wc/v3/orders/{id}/notes` (a new note is 201 with `id`,
//!   `author`, `date_created`, `note`, `customer_note`; lists are newest first);
//! - **auth**: the sandbox speaks plain HTTP, where WooCommerce wants OAuth 1.0a one-legged
//!   (`oauth_consumer_key`, `oauth_timestamp` within 15 minutes, `oauth_nonce` never reused,
//!   `oauth_signature_method` `HMAC-SHA1` or `HMAC-SHA256`, `oauth_signature`; in the query
//!   string or an `Authorization: OAuth …` header). HTTP Basic (consumer key as user, secret
//!   as password) and `consumer_key`/`consumer_secret` query parameters — what WooCommerce
//!   accepts over HTTPS — are accepted too unless [`WooAdminConfig::basic_over_http`] is off
//!   (a store behind a TLS-terminating proxy). Refusals are 401 with WooCommerce's
//!   `{"code":"woocommerce_rest_authentication_error","message":…,"data":{"status":401}}`;
//! - **orders**: registered by the test or demo ([`WooAdminSandbox::add_order`]) from the
//!   JSON [`crate::woocommerce::order_payload`] builds. A status change adds WooCommerce's
//!   system note ("Order status changed from Processing to Completed.");
//! - **refunds**: `GET|POST /wp-json/wc/v3/orders/{id}/refunds` as `wc_create_refund` makes
//!   them ([`refunds`] says what is refused, and what WooCommerce lets through); each refund
//!   shows in the order's `refunds[]` as `{id, reason, total: "-…"}`; a test reads them with
//!   [`WooAdminSandbox::refunds`] and makes one by hand, as a merchant in wp-admin would, with
//!   [`WooAdminSandbox::refund_in_admin`]. Amounts are shown with the store's price decimals
//!   ([`WooAdminConfig::price_decimals`], WooCommerce's "Number of decimals" setting);
//! - **catalogue**: `GET products`, `GET products/{id}/variations`, `products/batch` and
//!   `products/{id}/variations/batch` (`catalogue.rs` and `catalogue_api.rs` say what is
//!   modelled); seeded with [`WooAdminSandbox::add_product`], inspected with
//!   [`WooAdminSandbox::catalogue_variant`] and [`WooAdminSandbox::catalogue_write_calls`];
//! - **faults**: the shared [`FaultSwitch`] (latency, timeouts, 5xx as WordPress's HTML error
//!   page, 429) in front of every route; with `place_despite_timeout` a timed-out refund
//!   request is still carried out (the caller never hears it was made).

mod amount;
mod auth;
mod catalogue;
mod catalogue_api;
mod refund_api;
mod refunds;
mod routes;
mod state;

pub use catalogue::{CatalogueVariant, SeedProduct, SeedVariation, Seeded};
pub use refunds::RefundRecord;
pub use state::{AuthSeen, NoteRecord};

use crate::server::Sandbox;
use routes::{router, FAULT_ANSWERS};
use serde_json::Value;
use state::Shared;
use std::time::Duration;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct WooAdminConfig {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Accept HTTP Basic / query-string credentials although the sandbox is plain HTTP.
    pub basic_over_http: bool,
    /// How far `oauth_timestamp` may be from now (WooCommerce: 15 minutes).
    pub oauth_window: Duration,
    /// How long a "timed out" request is held before the sandbox gives up on it.
    pub timeout_hold: Duration,
    /// The site's home URL (`environment.home_url` in `GET system_status`).
    pub home_url: String,
    /// The store's "Number of decimals" (`wc_get_price_decimals`): how amounts are shown, and
    /// how what is left to refund is rounded. A JPY store sets 0, a KWD store 3.
    pub price_decimals: u32,
}

impl Default for WooAdminConfig {
    fn default() -> Self {
        WooAdminConfig {
            consumer_key: "ck_4f1e9a2b7c3d5e6f8a9b0c1d2e3f4a5b6c7d8e9f".to_string(),
            consumer_secret: "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d".to_string(),
            basic_over_http: true,
            oauth_window: Duration::from_secs(15 * 60),
            timeout_hold: Duration::from_secs(30),
            home_url: crate::woocommerce::SITE_URL
                .trim_end_matches('/')
                .to_string(),
            price_decimals: 2,
        }
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is `http://127.0.0.1:PORT`, the site's root; the
/// API lives under `/wp-json/wc/v3/`.
pub type WooAdminSandbox = Sandbox<Shared>;

/// Starts a sandbox on `127.0.0.1` at a free port.
pub async fn start(config: WooAdminConfig) -> std::io::Result<WooAdminSandbox> {
    let hold = config.timeout_hold;
    let shared = Shared::new(config);
    Sandbox::behind_faults("woocommerce admin", "", hold, FAULT_ANSWERS, shared, router).await
}

impl WooAdminSandbox {
    pub fn consumer_key(&self) -> &str {
        &self.shared.config.consumer_key
    }

    pub fn consumer_secret(&self) -> &str {
        &self.shared.config.consumer_secret
    }

    /// Registers an order from its REST JSON (as [`crate::woocommerce::order_payload`] builds
    /// it). Returns the order id. Registering the same id again replaces the order and drops
    /// its notes.
    pub fn add_order(&self, order: &Value) -> Result<u64, String> {
        self.shared.add_order(order)
    }

    /// The order's status now (`processing`, `completed`, …).
    pub fn order_status(&self, order_id: u64) -> Option<String> {
        self.shared.order_status(order_id)
    }

    /// The order as the API would answer it now.
    pub fn order(&self, order_id: u64) -> Option<Value> {
        self.shared.order(order_id)
    }

    /// The value of the order's meta entry `key`.
    pub fn meta(&self, order_id: u64, key: &str) -> Option<Value> {
        self.shared.meta(order_id, key)
    }

    /// The order's notes, oldest first (system notes included).
    pub fn notes(&self, order_id: u64) -> Vec<NoteRecord> {
        self.shared.notes(order_id)
    }

    /// The order's refunds, oldest first, amounts as WooCommerce stores them.
    pub fn refunds(&self, order_id: u64) -> Vec<RefundRecord> {
        self.shared.refunds(order_id)
    }

    /// What the order's refunds add up to (`None` for an unknown order).
    pub fn refunded_total(&self, order_id: u64) -> Option<String> {
        self.shared.refunded_total(order_id)
    }

    /// A refund made by the merchant in wp-admin, not through the REST API: `body` in the
    /// REST request's shape (`amount`, `reason`, `api_refund`, `line_items`), refused as
    /// WooCommerce would refuse it. Returns the refund id.
    pub fn refund_in_admin(&self, order_id: u64, body: &Value) -> Result<u64, String> {
        self.shared.refund_in_admin(order_id, body)
    }

    /// How requests authenticated so far.
    pub fn auth_seen(&self) -> AuthSeen {
        self.shared.auth_seen()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod refund_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod catalogue_tests;
