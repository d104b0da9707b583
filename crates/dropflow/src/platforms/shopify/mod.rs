//! Shopify webhooks: topics, signature check and the `orders/*` payload.
//!
//! A delivery is a POST whose body is the REST resource of the topic (for `orders/*` the bare
//! Order object, *not* wrapped in `{"order": …}` as REST GET responses are) and whose
//! `X-Shopify-Hmac-Sha256` header is the base64 HMAC-SHA256 of the raw body keyed with the
//! app's client secret (`shared/reference/protocols.md` §1.1–1.5).
//!
//! During a secret rotation Shopify may sign with the old secret for up to an hour: callers
//! holding two secrets call [`verify_webhook`] with each.
//!
//! [`Shopify`] is the connector as the webhook route and store registration use it.

pub mod admin;
mod admin_catalogue;
mod admin_catalogue_wire;
mod admin_refund;
mod admin_wire;
pub mod dispute;
pub mod refund;
mod refund_wire;
pub mod returns;
mod transformers;

#[cfg(test)]
mod admin_catalogue_tests;

#[cfg(test)]
mod admin_refund_tests;

#[cfg(test)]
mod admin_tests;

#[cfg(test)]
mod dispute_tests;

#[cfg(test)]
mod refund_tests;

#[cfg(test)]
mod returns_tests;

#[cfg(test)]
mod tests;

use super::admin::{StoreAdmin, StoreApiError};
use super::store_address::MAX_LABEL_LEN;
use super::{Envelope, Incoming, MissingHeader, PayloadError, StorePlatform, WebhookHeaders};
use crate::storage::settings::AdminAccess;
use dropflow_core::after_sale::dispute::StoreDispute;
use dropflow_core::after_sale::store_return::StoreReturn;
use dropflow_core::after_sale::StoreRefund;
use dropflow_core::intake::{Platform, StoreOrder};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

pub use admin::ShopifyAdmin;

/// The webhook topics dropflow subscribes to (`X-Shopify-Topic`), including the three
/// mandatory privacy topics every public app must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    OrdersCreate,
    OrdersUpdated,
    OrdersPaid,
    OrdersCancelled,
    /// A refund made in the store: the bare Refund resource ([`refund::parse_refund`]).
    RefundsCreate,
    /// A payment dispute opened or changed: the bare Dispute resource
    /// ([`dispute::parse_dispute`]).
    DisputesCreate,
    DisputesUpdate,
    /// A return made in the store (Shopify Returns): requested, approved, declined, closed,
    /// cancelled, reopened ([`returns::parse_return`]). Only the first two name the order.
    ReturnsRequest,
    ReturnsApprove,
    ReturnsDecline,
    ReturnsClose,
    ReturnsCancel,
    ReturnsReopen,
    CustomersDataRequest,
    CustomersRedact,
    ShopRedact,
    AppUninstalled,
}

impl Topic {
    pub const ALL: [Topic; 17] = [
        Topic::OrdersCreate,
        Topic::OrdersUpdated,
        Topic::OrdersPaid,
        Topic::OrdersCancelled,
        Topic::RefundsCreate,
        Topic::DisputesCreate,
        Topic::DisputesUpdate,
        Topic::ReturnsRequest,
        Topic::ReturnsApprove,
        Topic::ReturnsDecline,
        Topic::ReturnsClose,
        Topic::ReturnsCancel,
        Topic::ReturnsReopen,
        Topic::CustomersDataRequest,
        Topic::CustomersRedact,
        Topic::ShopRedact,
        Topic::AppUninstalled,
    ];

    /// The topic as Shopify writes it in `X-Shopify-Topic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrdersCreate => "orders/create",
            Topic::OrdersUpdated => "orders/updated",
            Topic::OrdersPaid => "orders/paid",
            Topic::OrdersCancelled => "orders/cancelled",
            Topic::RefundsCreate => "refunds/create",
            Topic::DisputesCreate => "disputes/create",
            Topic::DisputesUpdate => "disputes/update",
            Topic::ReturnsRequest => "returns/request",
            Topic::ReturnsApprove => "returns/approve",
            Topic::ReturnsDecline => "returns/decline",
            Topic::ReturnsClose => "returns/close",
            Topic::ReturnsCancel => "returns/cancel",
            Topic::ReturnsReopen => "returns/reopen",
            Topic::CustomersDataRequest => "customers/data_request",
            Topic::CustomersRedact => "customers/redact",
            Topic::ShopRedact => "shop/redact",
            Topic::AppUninstalled => "app/uninstalled",
        }
    }

    /// Reads an `X-Shopify-Topic` value; `None` for topics we do not handle (the caller
    /// acknowledges those with 200 and ignores them, so Shopify does not retry).
    pub fn parse(topic: &str) -> Option<Topic> {
        let topic = topic.trim();
        Topic::ALL.into_iter().find(|t| t.as_str() == topic)
    }

    /// Whether the body is an Order resource that [`parse_order`] reads. Every order topic
    /// carries the whole order, so each delivery is a full snapshot.
    pub fn is_order_topic(self) -> bool {
        match self {
            Topic::OrdersCreate
            | Topic::OrdersUpdated
            | Topic::OrdersPaid
            | Topic::OrdersCancelled => true,
            Topic::RefundsCreate
            | Topic::DisputesCreate
            | Topic::DisputesUpdate
            | Topic::ReturnsRequest
            | Topic::ReturnsApprove
            | Topic::ReturnsDecline
            | Topic::ReturnsClose
            | Topic::ReturnsCancel
            | Topic::ReturnsReopen
            | Topic::CustomersDataRequest
            | Topic::CustomersRedact
            | Topic::ShopRedact
            | Topic::AppUninstalled => false,
        }
    }
}

/// Whether `hmac_header` (`X-Shopify-Hmac-Sha256`) signs `body` under the app's client
/// secret. `body` must be the raw bytes as received. Constant-time.
pub fn verify_webhook(secret: &[u8], body: &[u8], hmac_header: &str) -> bool {
    super::verify_base64_hmac_sha256(secret, body, hmac_header)
}

/// Parses the body of an `orders/*` webhook: the bare REST Order resource.
///
/// A REST GET response (`{"order": {…}}`) is deliberately *not* accepted: webhook bodies are
/// never wrapped, so a wrapped body means a caller mixed up its sources; the error says so.
/// Unknown fields are ignored (Shopify adds fields in every API version).
pub fn parse_order(body: &[u8]) -> Result<StoreOrder, PayloadError> {
    let order: transformers::Order = super::decode::json(body)?;
    transformers::to_store_order(order)
}

/// Shopify, for the webhook route and store registration.
pub struct Shopify;

impl StorePlatform for Shopify {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn title(&self) -> &'static str {
        "Shopify"
    }

    fn envelope<'h>(
        &self,
        headers: &WebhookHeaders<'h>,
        _body: &[u8],
    ) -> Result<Incoming<'h>, MissingHeader> {
        let topic = headers.required("x-shopify-topic")?;
        let signature = headers.required("x-shopify-hmac-sha256")?;
        let store = headers.required("x-shopify-shop-domain")?;
        let webhook_id = headers.required("x-shopify-webhook-id")?;
        // Shopify keeps the event id across re-deliveries of one event; the webhook id is per
        // delivery. Prefer the event id, fall back to the webhook id on older API versions.
        let dedup_key = headers.optional("x-shopify-event-id").unwrap_or(webhook_id);
        Ok(Incoming::Delivery(Envelope {
            store,
            signature,
            topic,
            dedup_key,
        }))
    }

    /// Compliance and app topics are verified and acknowledged only: dropflow keeps no
    /// customer data beyond orders, which the order lifecycle owns.
    fn carries_order(&self, topic: &str) -> bool {
        Topic::parse(topic).is_some_and(Topic::is_order_topic)
    }

    fn parse_order(&self, body: &[u8]) -> Result<StoreOrder, PayloadError> {
        parse_order(body)
    }

    fn carries_refund(&self, topic: &str) -> bool {
        Topic::parse(topic) == Some(Topic::RefundsCreate)
    }

    fn parse_refund(&self, body: &[u8]) -> Result<StoreRefund, PayloadError> {
        refund::parse_refund(body)
    }

    fn carries_dispute(&self, topic: &str) -> bool {
        matches!(
            Topic::parse(topic),
            Some(Topic::DisputesCreate | Topic::DisputesUpdate)
        )
    }

    fn parse_dispute(&self, body: &[u8]) -> Result<StoreDispute, PayloadError> {
        dispute::parse_dispute(body)
    }

    fn carries_return(&self, topic: &str) -> bool {
        Topic::parse(topic).is_some_and(returns::is_return_topic)
    }

    fn parse_return(&self, topic: &str, body: &[u8]) -> Result<StoreReturn, PayloadError> {
        let topic = Topic::parse(topic)
            .filter(|t| returns::is_return_topic(*t))
            .ok_or_else(|| PayloadError::Invalid {
                path: "(topic)".into(),
                reason: format!("{topic:?} is not a returns topic"),
            })?;
        returns::parse_return(topic, body)
    }

    /// `[a-z0-9][a-z0-9-]*.myshopify.com`: the shop's permanent domain, which Shopify sends as
    /// `X-Shopify-Shop-Domain` and serves the Admin API on.
    fn check_domain(&self, domain: &str) -> Result<(), String> {
        let handle = domain.strip_suffix(".myshopify.com").unwrap_or_default();
        let valid = !handle.is_empty()
            && handle.len() <= MAX_LABEL_LEN
            && handle
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !handle.starts_with('-');
        if valid {
            Ok(())
        } else {
            Err(format!(
                "domain: {domain:?} is not a Shopify shop domain (expected \
                 your-shop.myshopify.com: letters, digits and hyphens, then .myshopify.com)"
            ))
        }
    }

    fn admin_api_site(&self) -> &'static str {
        "the shop's own Admin API"
    }

    fn total_field(&self) -> &'static str {
        "total_price"
    }

    /// A fulfilment's tracking info is one number (the REST fulfilment's `tracking_info`),
    /// and a fulfilled line cannot be fulfilled again.
    fn one_fulfilment_per_purchase(&self) -> bool {
        true
    }

    /// `key` is the access token; `secret` is not used.
    fn admin(&self, access: &AdminAccess, timeout: Duration) -> Arc<dyn StoreAdmin> {
        Arc::new(ShopifyAdmin::new(&access.url, &access.key, timeout))
    }

    fn shop_address<'a>(
        &'a self,
        access: &'a AdminAccess,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<String, StoreApiError>> {
        Box::pin(async move {
            ShopifyAdmin::new(&access.url, &access.key, timeout)
                .shop_domain()
                .await
        })
    }
}
