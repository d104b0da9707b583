//! A Shopify Admin API stand-in for fulfilling orders with tracking (REST 2025-07) and
//! refunding customers (REST 2025-07 reads, GraphQL 2026-07 `refundCreate`), served over HTTP
//! on `127.0.0.1:0` (`shared/reference/protocols.md` §1.6, §1.9; `docs/protocols/after-sale.md`
//! §1).
//!
//! What it does, as Shopify does:
//! - **paths**: `GET /admin/api/2025-07/orders/{order_id}/fulfillment_orders.json`,
//!   `POST /admin/api/2025-07/fulfillments.json`,
//!   `GET /admin/api/2025-07/orders/{order_id}/fulfillments.json`;
//! - **auth**: `X-Shopify-Access-Token` must be the configured token, else 401 with Shopify's
//!   `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`;
//! - **orders**: registered by the test or demo ([`ShopifyAdminSandbox::add_order`]) from the
//!   REST Order JSON that [`crate::shopify::order_payload`] builds; each gets one fulfillment
//!   order (status `open` → `in_progress` → `closed` as it is fulfilled) with one line per line
//!   item;
//! - **refunds** ([`refunds`], [`refund_rest`], [`graphql`]): every order registered is paid by one successful
//!   `sale` of its total (gateway `bogus`); `GET orders/{order_id}/refunds.json`, `POST
//!   orders/{order_id}/refunds/calculate.json` and `POST /admin/api/2026-07/graphql.json`
//!   with the `refundCreate` mutation, which must carry `@idempotent(key: …)` (a repeated key
//!   with the same variables answers the first result, with other variables
//!   `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`); more money than is left of the sale, more units
//!   than are left of a line or more shipping than is left is refused in `userErrors`;
//!   [`ShopifyAdminSandbox::lose_next_refund_answer`] makes the next refund be created while
//!   its answer is lost, as a timeout after the store acted;
//! - **fulfillments**: omitting `fulfillment_order_line_items` fulfils everything that remains
//!   of that fulfillment order; partial quantities are supported; asking for more than remains,
//!   or fulfilling a closed fulfillment order, is answered 422 `{"errors":[…]}`;
//! - **rate limit**: a leaky bucket per store (size and leak rate configurable); every
//!   authenticated response carries `X-Shopify-Shop-Api-Call-Limit: used/bucket`; a call that
//!   does not fit is answered 429 with a fractional-seconds `Retry-After` (the time until one
//!   call fits) and Shopify's "Exceeded 2 calls per second" body;
//! - **catalogue** ([`catalogue`], [`catalogue_ops`], [`catalogue_graphql`], issue 15):
//!   products and variants seeded by [`ShopifyAdminSandbox::add_product`], read with
//!   `productVariants`, written with `inventorySetQuantities` (`@idempotent` mandatory),
//!   `inventoryItemUpdate`, `productVariantsBulkUpdate` and `productUpdate`, metered by a
//!   calculated-query-cost bucket (2,000 points, 100 a second; `THROTTLED` answers);
//! - **faults**: the shared [`FaultSwitch`] (latency, timeouts, 5xx, 429).
//!
//! Sandbox choices where the reference is silent: an unknown order or fulfillment order is 404
//! `{"errors":"Not Found"}`; an unknown fulfillment order line id is 422; the 401 and the
//! injected faults do not touch the bucket and carry no call-limit header.

mod catalogue;
mod catalogue_graphql;
mod catalogue_ops;
mod graphql;
mod money;
mod refund_rest;
mod refunds;
mod routes;
mod state;

pub use catalogue::{
    AdminEdit, CatalogueVariant, NewProduct, NewVariant, SeededProduct, SeededVariant,
};
pub use refunds::{RefundRecord, RefundTransaction, RefundedLine, GATEWAY};
pub use state::{FulfilledLine, FulfillmentRecord};

use crate::server::Sandbox;
use routes::{router, FAULT_ANSWERS};
use serde_json::Value;
use state::Shared;
use std::time::Duration;

/// The REST API version the sandbox serves (and the only one).
pub const API_VERSION: &str = "2025-07";

/// The GraphQL API version the sandbox serves (and the only one): the first stable version
/// dropflow's refund connector speaks, with `@idempotent` mandatory on `refundCreate`.
pub const GRAPHQL_API_VERSION: &str = "2026-07";

/// How the sandbox behaves. `Default` is a Standard-plan store: bucket 40, leak 2 calls/s.
#[derive(Debug, Clone)]
pub struct ShopifyAdminConfig {
    /// The Admin API access token the store accepts (`shpat_…`).
    pub access_token: String,
    /// Calls the bucket holds.
    pub bucket_size: u32,
    /// Calls leaked per second.
    pub leak_per_second: f64,
    /// The store's id (`shop_id` in fulfillment orders, `shop.id`).
    pub shop_id: u64,
    /// The shop's permanent domain (`shop.myshopify_domain` in `GET shop.json`).
    pub shop_domain: String,
    /// The one location every fulfillment order is assigned to.
    pub location_id: u64,
    /// How long a "timed out" request is held before the sandbox gives up on it.
    pub timeout_hold: Duration,
}

impl Default for ShopifyAdminConfig {
    fn default() -> Self {
        ShopifyAdminConfig {
            access_token: "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".to_string(),
            bucket_size: 40,
            leak_per_second: 2.0,
            shop_id: 548_380_009,
            shop_domain: crate::shopify::SHOP_DOMAIN.to_string(),
            location_id: 24_826_418,
            timeout_hold: Duration::from_secs(30),
        }
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is `http://127.0.0.1:PORT`, the shop's root
/// (what `https://{shop}.myshopify.com` is); the API lives under `/admin/api/2025-07/`.
pub type ShopifyAdminSandbox = Sandbox<Shared>;

/// Starts a sandbox on `127.0.0.1` at a free port.
pub async fn start(config: ShopifyAdminConfig) -> std::io::Result<ShopifyAdminSandbox> {
    let hold = config.timeout_hold;
    let shared = Shared::new(config);
    Sandbox::behind_faults("shopify admin", "", hold, FAULT_ANSWERS, shared, router).await
}

impl ShopifyAdminSandbox {
    /// The access token the sandbox accepts.
    pub fn access_token(&self) -> &str {
        &self.shared.config.access_token
    }

    /// Registers an order from its REST Order JSON (bare or wrapped in `{"order": …}`), as
    /// [`crate::shopify::order_payload`] builds it, and gives it one open fulfillment order.
    /// Returns the order id. Registering the same id again replaces the order.
    pub fn add_order(&self, order: &Value) -> Result<u64, String> {
        self.shared.add_order(order)
    }

    /// Applies a store-side edit of a registered order (its lines' `current_quantity`) to
    /// the order and its fulfillment order, keeping what was fulfilled already.
    pub fn edit_order(&self, order: &Value) -> Result<(), String> {
        self.shared.edit_order(order)
    }

    /// The id of the order's fulfillment order.
    pub fn fulfillment_order_id(&self, order_id: u64) -> Option<u64> {
        self.shared.fulfillment_order_id(order_id)
    }

    /// The fulfillment order's status (`open`, `in_progress`, `closed`).
    pub fn fulfillment_order_status(&self, order_id: u64) -> Option<String> {
        self.shared.fulfillment_order_status(order_id)
    }

    /// What remains to fulfil of one line item.
    pub fn fulfillable_quantity(&self, order_id: u64, line_item_id: u64) -> Option<u32> {
        self.shared.fulfillable_quantity(order_id, line_item_id)
    }

    /// The order's fulfillments, oldest first.
    pub fn fulfillments(&self, order_id: u64) -> Vec<FulfillmentRecord> {
        self.shared.fulfillments(order_id)
    }

    /// Whether nothing is left to fulfil on the order.
    pub fn is_fully_fulfilled(&self, order_id: u64) -> bool {
        self.shared.is_fully_fulfilled(order_id)
    }

    /// Fulfillments created so far, over all orders.
    pub fn fulfillment_count(&self) -> usize {
        self.shared.fulfillment_count()
    }

    /// Requests answered 429 by the bucket (injected 429s not included).
    pub fn throttled_count(&self) -> u64 {
        self.shared.throttled_count()
    }

    /// Requests that got past the token check and the bucket.
    pub fn admitted_count(&self) -> u64 {
        self.shared.admitted_count()
    }

    /// The order's refunds, oldest first: amounts, lines, shipping, note, restock.
    pub fn refunds(&self, order_id: u64) -> Vec<RefundRecord> {
        self.shared.book().refunds(order_id)
    }

    /// A person refunds `lines` (line item id, units) in the shop's admin, restocked, their
    /// price back through the order's sale, for the Shopify Return `return_id` if given.
    /// The refund is kept like any other; the answer is the `refunds/create` body Shopify
    /// sends for it.
    pub fn refund_in_admin(
        &self,
        order_id: u64,
        lines: &[(u64, u32)],
        return_id: Option<u64>,
    ) -> Result<Value, String> {
        let location = self.shared.config.location_id;
        self.shared
            .book()
            .refund_in_admin(order_id, lines, return_id, location)
    }

    /// Money refunded on the order so far, minor units of its currency.
    pub fn total_refunded(&self, order_id: u64) -> i64 {
        self.shared.book().total_refunded(order_id)
    }

    /// Refunds created so far, over all orders (replays not counted).
    pub fn refund_count(&self) -> usize {
        self.shared.book().created
    }

    /// The order's payment: its `sale` transaction id and amount (minor units).
    pub fn sale(&self, order_id: u64) -> Option<(u64, i64)> {
        self.shared.book().sale(order_id)
    }

    /// The next refund created through `refundCreate` is carried out, but its answer is held
    /// for `timeout_hold` and then dropped: the caller times out after the store acted.
    pub fn lose_next_refund_answer(&self) {
        self.shared.book().lose_next_answer = true;
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
