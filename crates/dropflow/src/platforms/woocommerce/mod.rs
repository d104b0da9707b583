//! WooCommerce webhooks: topics, the unsigned ping, signature check and the order payload.
//!
//! A delivery is a POST of the REST v3 representation of the resource (the same JSON as
//! `GET /wp-json/wc/v3/orders/<id>`), signed in `X-WC-Webhook-Signature` with the base64
//! HMAC-SHA256 of the raw body keyed with the webhook's secret
//! (`shared/reference/protocols.md` §2.1, §2.3). WooCommerce does not retry failed deliveries
//! and disables a webhook after 5 consecutive failures, so a receiver must answer 2xx to
//! everything it has verified, including topics it ignores and the ping.
//!
//! [`WooCommerce`] is the connector as the webhook route and store registration use it.

pub mod admin;
mod admin_catalogue;
mod admin_catalogue_wire;
mod admin_catalogue_write;
mod admin_refund;
mod admin_wire;
mod refund_wire;
mod transformers;

#[cfg(test)]
mod admin_catalogue_tests;
#[cfg(test)]
mod admin_refund_tests;
#[cfg(test)]
mod admin_tests;

#[cfg(test)]
mod tests;

use super::admin::{StoreAdmin, StoreApiError};
use super::store_address::public_host_name;
use super::{Envelope, Incoming, MissingHeader, PayloadError, StorePlatform, WebhookHeaders};
use crate::storage::settings::AdminAccess;
use dropflow_core::intake::{Platform, StoreOrder};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

pub use admin::WooAdmin;

/// The order topics (`X-WC-Webhook-Topic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    OrderCreated,
    OrderUpdated,
    /// The body is only `{"id": <id>}`: read it with [`parse_order_id`].
    OrderDeleted,
    /// Newer WooCommerce versions, when an order comes back out of the trash.
    OrderRestored,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::OrderCreated,
        Topic::OrderUpdated,
        Topic::OrderDeleted,
        Topic::OrderRestored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrderCreated => "order.created",
            Topic::OrderUpdated => "order.updated",
            Topic::OrderDeleted => "order.deleted",
            Topic::OrderRestored => "order.restored",
        }
    }

    /// Reads an `X-WC-Webhook-Topic` value; `None` for topics we do not handle.
    pub fn parse(topic: &str) -> Option<Topic> {
        let topic = topic.trim();
        Topic::ALL.into_iter().find(|t| t.as_str() == topic)
    }

    /// Whether the body is a whole order that [`parse_order`] reads.
    pub fn carries_order(self) -> bool {
        match self {
            Topic::OrderCreated | Topic::OrderUpdated | Topic::OrderRestored => true,
            Topic::OrderDeleted => false,
        }
    }
}

/// Whether a request is WooCommerce's ping: when a webhook is saved it POSTs the form body
/// `webhook_id=<digits>`, *unsigned*, and expects 200; answering anything else makes the
/// merchant's save fail.
///
/// The body's exact shape is what decides. The content type is only used to rule out a body
/// declared as JSON: WordPress's HTTP client is not documented to set one on this request.
/// A ping carries no data, so accepting it unsigned grants nothing.
pub fn is_ping(content_type: Option<&str>, body: &[u8]) -> bool {
    if let Some(ct) = content_type {
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media == "application/json" || media.ends_with("+json") {
            return false;
        }
    }
    let body = body.trim_ascii();
    match body.strip_prefix(b"webhook_id=") {
        Some(id) => !id.is_empty() && id.iter().all(u8::is_ascii_digit),
        None => false,
    }
}

/// Whether `signature_header` (`X-WC-Webhook-Signature`) signs `body` under the webhook's
/// secret. `body` must be the raw bytes as received. Constant-time.
pub fn verify_webhook(secret: &[u8], body: &[u8], signature_header: &str) -> bool {
    super::verify_base64_hmac_sha256(secret, body, signature_header)
}

/// Parses an order body (`order.created`, `order.updated`, `order.restored`).
pub fn parse_order(body: &[u8]) -> Result<StoreOrder, PayloadError> {
    let order: transformers::Order = super::decode::json(body)?;
    transformers::to_store_order(order)
}

/// The order id of any order body, including `order.deleted`'s bare `{"id": <id>}`.
pub fn parse_order_id(body: &[u8]) -> Result<String, PayloadError> {
    let reference: transformers::OrderRef = super::decode::json(body)?;
    transformers::order_ref_id(reference)
}

/// Longest path of a site installed in a sub-folder (`example.com/shop`).
const MAX_SITE_PATH_LEN: usize = 200;

/// WooCommerce, for the webhook route and store registration.
pub struct WooCommerce;

impl StorePlatform for WooCommerce {
    fn platform(&self) -> Platform {
        Platform::Woocommerce
    }

    fn title(&self) -> &'static str {
        "WooCommerce"
    }

    fn envelope<'h>(
        &self,
        headers: &WebhookHeaders<'h>,
        body: &[u8],
    ) -> Result<Incoming<'h>, MissingHeader> {
        // WooCommerce pings a new webhook with an unsigned form body and disables it unless
        // the answer is 2xx.
        if headers.optional("x-wc-webhook-signature").is_none()
            && is_ping(headers.optional("content-type"), body)
        {
            return Ok(Incoming::Ping);
        }
        let signature = headers.required("x-wc-webhook-signature")?;
        let topic = headers.required("x-wc-webhook-topic")?;
        let store = headers.required("x-wc-webhook-source")?;
        // WooCommerce does not retry; its delivery id identifies one delivery, so a replay of
        // the same delivery (a proxy, a manual re-send) is dropped.
        let dedup_key = headers.required("x-wc-webhook-delivery-id")?;
        Ok(Incoming::Delivery(Envelope {
            store,
            signature,
            topic,
            dedup_key,
        }))
    }

    /// `order.deleted` carries only an id and follows a trash (which arrives as an
    /// `order.updated` with status `trash`, and cancels the order), so it is acknowledged only.
    fn carries_order(&self, topic: &str) -> bool {
        Topic::parse(topic).is_some_and(Topic::carries_order)
    }

    fn parse_order(&self, body: &[u8]) -> Result<StoreOrder, PayloadError> {
        parse_order(body)
    }

    /// The site's address as its webhooks name it (`X-WC-Webhook-Source`): a public host
    /// name, optionally followed by the path of a site installed in a sub-folder.
    fn check_domain(&self, domain: &str) -> Result<(), String> {
        let (host, path) = match domain.split_once('/') {
            Some((host, path)) => (host, Some(path)),
            None => (domain, None),
        };
        if let Err(why) = public_host_name(host) {
            return Err(format!("domain: {host:?} {why}"));
        }
        if let Some(path) = path {
            let valid = path.len() <= MAX_SITE_PATH_LEN
                && path.split('/').all(|segment| {
                    !segment.is_empty()
                        && segment != "."
                        && segment != ".."
                        && segment.bytes().all(|b| {
                            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
                        })
                });
            if !valid {
                return Err(format!("domain: {path:?} is not a site path"));
            }
        }
        Ok(())
    }

    fn admin_api_site(&self) -> &'static str {
        "the store's own site"
    }

    fn total_field(&self) -> &'static str {
        "total"
    }

    fn admin(&self, access: &AdminAccess, timeout: Duration) -> Arc<dyn StoreAdmin> {
        Arc::new(admin_client(access, timeout))
    }

    fn shop_address<'a>(
        &'a self,
        access: &'a AdminAccess,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<String, StoreApiError>> {
        Box::pin(async move { admin_client(access, timeout).home_url().await })
    }
}

/// `key` and `secret` are the REST API's consumer key and secret.
fn admin_client(access: &AdminAccess, timeout: Duration) -> WooAdmin {
    WooAdmin::new(
        &access.url,
        &access.key,
        access.secret.as_deref().unwrap_or_default(),
        timeout,
    )
}
