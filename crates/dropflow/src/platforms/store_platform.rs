//! What the one webhook route, store registration and the write-back need from a store
//! platform: the [`StorePlatform`] trait, and the headers it reads a delivery from.

use super::admin::{StoreAdmin, StoreApiError};
use super::PayloadError;
use crate::storage::settings::AdminAccess;
use axum::http::HeaderMap;
use dropflow_core::after_sale::dispute::StoreDispute;
use dropflow_core::after_sale::store_return::StoreReturn;
use dropflow_core::after_sale::StoreRefund;
use dropflow_core::intake::{Platform, StoreOrder};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// One store platform: its webhooks, its store addresses and its Admin API connector.
/// Implementations hold no state; apart from [`shop_address`](Self::shop_address), which asks
/// the shop, they do no IO: raw bytes and header values in, typed values out.
///
/// The route (`src/http/webhooks.rs`) calls them in this order, each failing before anything
/// is stored: [`envelope`](Self::envelope) (400 on a missing header), the store lookup by
/// [`Envelope::store`] (404), [`verify`](Self::verify) against the store's secrets (401),
/// [`carries_order`](Self::carries_order) (200 `ignored` when not), then
/// [`parse_order`](Self::parse_order) (422).
pub trait StorePlatform: Send + Sync {
    /// Which platform this is; its `as_str()` is the `stores.platform` value and the webhook
    /// path `/webhooks/{as_str}`.
    fn platform(&self) -> Platform;

    /// The platform's name for people, in messages ("not a Shopify order: …").
    fn title(&self) -> &'static str;

    /// What the route needs from a delivery's headers, or [`Incoming::Ping`] for a test
    /// delivery the platform sends unsigned and wants a 2xx for. `body` is only for telling a
    /// ping apart; a missing or empty required header is an error naming it.
    fn envelope<'h>(
        &self,
        headers: &WebhookHeaders<'h>,
        body: &[u8],
    ) -> Result<Incoming<'h>, MissingHeader>;

    /// Whether `signature` (from [`Envelope::signature`]) signs the raw `body` under one of the
    /// store's webhook secrets. Constant-time. By default the base64 HMAC-SHA256 of the body,
    /// which Shopify and WooCommerce both use.
    fn verify(&self, secret: &[u8], body: &[u8], signature: &str) -> bool {
        super::verify_base64_hmac_sha256(secret, body, signature)
    }

    /// Whether a delivery of `topic` carries a whole order that [`parse_order`](Self::parse_order)
    /// reads. Other topics (unknown ones included) are verified and acknowledged with 200, so
    /// the platform neither retries them nor disables the webhook.
    fn carries_order(&self, topic: &str) -> bool;

    /// The order in a delivery's body, as our normalised [`StoreOrder`].
    fn parse_order(&self, body: &[u8]) -> Result<StoreOrder, PayloadError>;

    /// Whether a delivery of `topic` is a refund made in the store, which
    /// [`parse_refund`](Self::parse_refund) reads and the route turns into an after-sale case.
    /// Platforms that tell refunds only inside the order (WooCommerce) answer `false`.
    fn carries_refund(&self, _topic: &str) -> bool {
        false
    }

    /// The refund in a delivery's body.
    fn parse_refund(&self, _body: &[u8]) -> Result<StoreRefund, PayloadError> {
        Err(PayloadError::Invalid {
            path: String::new(),
            reason: format!("{} sends no refund deliveries", self.title()),
        })
    }

    /// Whether a delivery of `topic` is a payment dispute (a chargeback or an inquiry) opened
    /// or changed, which [`parse_dispute`](Self::parse_dispute) reads and the route records
    /// on the order (flagged, with the evidence due date). Platforms whose store tells no
    /// disputes by webhook (WooCommerce: the payment gateway's own dashboard does) answer
    /// `false`.
    fn carries_dispute(&self, _topic: &str) -> bool {
        false
    }

    /// The dispute in a delivery's body.
    fn parse_dispute(&self, _body: &[u8]) -> Result<StoreDispute, PayloadError> {
        Err(PayloadError::Invalid {
            path: String::new(),
            reason: format!("{} sends no dispute deliveries", self.title()),
        })
    }

    /// Whether a delivery of `topic` tells of a return made in the store (requested,
    /// approved, declined, closed, cancelled, reopened), which
    /// [`parse_return`](Self::parse_return) reads and the route carries to the case of that
    /// return. Platforms without a return flow of their own answer `false`.
    fn carries_return(&self, _topic: &str) -> bool {
        false
    }

    /// The return in a delivery's body; `topic` says what happened to it (the later
    /// deliveries carry little more than the return's id).
    fn parse_return(&self, _topic: &str, _body: &[u8]) -> Result<StoreReturn, PayloadError> {
        Err(PayloadError::Invalid {
            path: String::new(),
            reason: format!("{} sends no return deliveries", self.title()),
        })
    }

    /// Whether `domain` (already normalised: lower case, no scheme, no trailing `/`) is a
    /// store address on this platform, the key its webhooks name the store by; `Err` says
    /// why not, starting with `domain: `.
    fn check_domain(&self, domain: &str) -> Result<(), String>;

    /// What the store's Admin API URL must be, for the message refusing another
    /// ("the shop's own Admin API").
    fn admin_api_site(&self) -> &'static str;

    /// The payload field the order total comes from, for messages about it (`total_price`).
    fn total_field(&self) -> &'static str;

    /// Whether a fulfilment written back carries one tracking number and fulfils its lines
    /// once (Shopify): a purchase the supplier ships in several packages is pushed with its
    /// first package, the others recorded against that fulfilment. `false` (WooCommerce, a
    /// note per package): every package is pushed.
    fn one_fulfilment_per_purchase(&self) -> bool {
        false
    }

    /// The Admin API connector of one store, writing fulfilments back. Each call builds a new
    /// one: callers keep it per store and credentials (`app::store_admins`).
    fn admin(&self, access: &AdminAccess, timeout: Duration) -> Arc<dyn StoreAdmin>;

    /// The shop's own address as its Admin API gives it with `access` (to compare with the
    /// registered domain: the credentials must open that very shop).
    fn shop_address<'a>(
        &'a self,
        access: &'a AdminAccess,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<String, StoreApiError>>;
}

/// A delivery's headers, as a platform reads them: values trimmed, an empty value is missing.
pub struct WebhookHeaders<'h>(&'h HeaderMap);

impl<'h> WebhookHeaders<'h> {
    pub fn new(headers: &'h HeaderMap) -> Self {
        WebhookHeaders(headers)
    }

    /// The header's value, `None` when absent, empty or not text. `name` in lower case.
    pub fn optional(&self, name: &'static str) -> Option<&'h str> {
        self.0
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// The header's value, or the error naming it. `name` in lower case.
    pub fn required(&self, name: &'static str) -> Result<&'h str, MissingHeader> {
        self.optional(name).ok_or(MissingHeader(name))
    }
}

/// A header a delivery must have is missing or empty (its lower-case name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("missing header {0}")]
pub struct MissingHeader(pub &'static str);

/// What arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming<'h> {
    /// A test delivery that carries no data: answered 200 `pong` without a signature check.
    Ping,
    /// A signed delivery.
    Delivery(Envelope<'h>),
}

/// The headers of a signed delivery, by what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'h> {
    /// The store as the platform names it, matched against the registered domains.
    pub store: &'h str,
    /// Passed to [`StorePlatform::verify`].
    pub signature: &'h str,
    /// The platform's topic, verbatim (kept with the stored delivery).
    pub topic: &'h str,
    /// What makes two deliveries "the same": a re-delivery of one event carries the same key
    /// and is dropped as a duplicate.
    pub dedup_key: &'h str,
}
