//! Writing fulfilments back to WooCommerce over its REST API (`/wp-json/wc/v3`,
//! protocols.md §2.2, §2.3).
//!
//! WooCommerce has no fulfilment object: a parcel is an order note ("Shipped via {carrier},
//! tracking {number} {url}", e-mailed to the customer when `notify_customer`) plus the order
//! meta entry `_dropflow_tracking` (every number reported so far); the order's last parcel
//! also moves it to `completed`. A note already naming the tracking number means the push is
//! a repeat: nothing new is written (but a missing meta entry or status from an interrupted
//! earlier push is put right), and the answer is `AlreadyFulfilled`.
//!
//! Auth follows the transport, as WooCommerce does: over `https://` HTTP Basic with the
//! consumer key and secret; over plain `http://` OAuth 1.0a one-legged (HMAC-SHA256, a fresh
//! nonce and timestamp per request, in the query string).
//!
//! Logs carry the order id and our reference, never keys, addresses or e-mails.

use super::admin_wire::{error_message, note_text, oauth_query, Note, Order, TRACKING_META_KEY};
use crate::outbound::Endpoint;
use crate::platforms::admin::{
    call_json, logged, not_found_is_order, push_keys, text_at, FulfilmentPush, PushOutcome,
    Refusals, StoreAdmin, StoreApiError,
};
use futures::future::BoxFuture;
use rand::Rng as _;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::time::Duration;

const API_PATH: &str = "/wp-json/wc/v3";

/// WooCommerce says no with 400, 409 or 422 and its `message`/`code`.
const REFUSALS: Refusals = Refusals {
    statuses: &[400, 409, 422],
    message: error_message,
};

/// One site's REST API. Holds configuration only.
#[derive(Clone)]
pub struct WooAdmin {
    endpoint: Endpoint,
    /// The site's root (`https://shop.example`), no trailing slash.
    base_url: String,
    consumer_key: String,
    consumer_secret: String,
}

impl std::fmt::Debug for WooAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WooAdmin")
            .field("base_url", &self.base_url)
            .field("consumer_key", &"<redacted>")
            .field("consumer_secret", &"<redacted>")
            .field("timeout", &self.endpoint.timeout())
            .finish()
    }
}

impl WooAdmin {
    /// `base_url` is the site's root (the API is under `/wp-json/wc/v3`); `timeout` bounds
    /// each HTTP call.
    pub fn new(
        base_url: &str,
        consumer_key: &str,
        consumer_secret: &str,
        timeout: Duration,
    ) -> Self {
        WooAdmin {
            endpoint: Endpoint::new("woocommerce", "WooCommerce", timeout)
                .secret(consumer_key)
                .secret(consumer_secret),
            base_url: base_url.trim_end_matches('/').to_string(),
            consumer_key: consumer_key.to_string(),
            consumer_secret: consumer_secret.to_string(),
        }
    }

    fn uses_basic_auth(&self) -> bool {
        self.base_url.to_ascii_lowercase().starts_with("https://")
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, StoreApiError> {
        let url = format!("{}{API_PATH}/{path}", self.base_url);
        let request = if self.uses_basic_auth() {
            self.endpoint
                .request(method, &url)
                .basic_auth(&self.consumer_key, Some(&self.consumer_secret))
        } else {
            let signed_url = signing_url(&url)?;
            let nonce: String = rand::thread_rng()
                .sample_iter(&rand::distributions::Alphanumeric)
                .take(32)
                .map(char::from)
                .collect();
            let query = oauth_query(
                method.as_str(),
                &signed_url,
                &self.consumer_key,
                &self.consumer_secret,
                chrono::Utc::now().timestamp(),
                &nonce,
            );
            self.endpoint.request(method, format!("{url}?{query}"))
        };
        call_json(&self.endpoint, path, request, body, REFUSALS).await
    }

    /// The site these credentials open: `environment.home_url` of `GET system_status`
    /// (<https://developer.woocommerce.com/docs/apis/rest-api/v2/system-status/>: "home_url —
    /// Home URL", read-only; the v3 controller is the v2 one under `wc/v3`). It needs a key of
    /// a user who may manage WooCommerce, as writing orders back does.
    pub async fn home_url(&self) -> Result<String, StoreApiError> {
        let answer: Value = self.call(Method::GET, "system_status", None).await?;
        text_at(
            &answer,
            "/environment/home_url",
            "system_status without environment.home_url",
        )
    }

    async fn push(&self, push: &FulfilmentPush) -> Result<PushOutcome, StoreApiError> {
        let (order_id, number) = push_keys(push, "WooCommerce")?;
        let order: Order = self
            .call(Method::GET, &format!("orders/{order_id}"), None)
            .await
            .map_err(|e| not_found_is_order(e, order_id))?;
        if order.is_closed() {
            return Err(StoreApiError::Refused(format!(
                "the order is {}",
                order.status
            )));
        }

        let notes: Vec<Note> = self
            .call(Method::GET, &format!("orders/{order_id}/notes"), None)
            .await?;
        let existing = notes.iter().find(|n| n.mentions(number)).map(|n| n.id);
        let note_id = match existing {
            Some(id) => id,
            None => {
                let body = json!({
                    "note": note_text(push.carrier.as_deref(), number, push.tracking_url.as_deref()),
                    "customer_note": push.notify_customer,
                });
                let created: Note = self
                    .call(
                        Method::POST,
                        &format!("orders/{order_id}/notes"),
                        Some(&body),
                    )
                    .await?;
                created.id
            }
        };

        let (meta_id, mut numbers) = order.tracking_meta();
        let needs_meta = !numbers.iter().any(|n| n == number);
        let needs_completion = push.completes_order && order.status != "completed";
        if needs_meta || needs_completion {
            let mut update = Map::new();
            if needs_completion {
                update.insert("status".into(), json!("completed"));
            }
            if needs_meta {
                numbers.push(number.to_string());
                let mut entry = Map::new();
                if let Some(id) = meta_id {
                    entry.insert("id".into(), json!(id));
                }
                entry.insert("key".into(), json!(TRACKING_META_KEY));
                entry.insert("value".into(), json!(numbers));
                update.insert("meta_data".into(), json!([entry]));
            }
            let _: Value = self
                .call(
                    Method::PUT,
                    &format!("orders/{order_id}"),
                    Some(&Value::Object(update)),
                )
                .await?;
        }

        if existing.is_some() {
            tracing::info!(order_id, reference = %push.reference, note_id,
                "woocommerce: tracking already noted; nothing new written");
            Ok(PushOutcome::AlreadyFulfilled {
                store_fulfilment_id: Some(note_id.to_string()),
            })
        } else {
            tracing::info!(order_id, reference = %push.reference, note_id,
                completed = needs_completion, "woocommerce: tracking noted");
            Ok(PushOutcome::Fulfilled {
                store_fulfilment_id: note_id.to_string(),
            })
        }
    }
}

impl StoreAdmin for WooAdmin {
    fn push_fulfilment<'a>(
        &'a self,
        push: &'a FulfilmentPush,
    ) -> BoxFuture<'a, Result<PushOutcome, StoreApiError>> {
        Box::pin(async move { logged("woocommerce", push, self.push(push).await) })
    }

    fn refund<'a>(
        &'a self,
        _refund: &'a crate::platforms::admin_refund::RefundPush,
    ) -> BoxFuture<'a, Result<crate::platforms::admin_refund::RefundOutcome, StoreApiError>> {
        // Replaced by the platform's refund connector (issue 14, in progress).
        Box::pin(async {
            Err(StoreApiError::Refused(
                "refunds through this store's API are not built yet".to_string(),
            ))
        })
    }

    fn store_refunds<'a>(
        &'a self,
        _store_order_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<dropflow_core::after_sale::StoreRefund>, StoreApiError>> {
        // Replaced by the platform's refund connector (issue 14, in progress).
        Box::pin(async {
            Err(StoreApiError::Refused(
                "reading refunds back from this store is not built yet".to_string(),
            ))
        })
    }
}

/// The URL as OAuth signs it: scheme, host, port unless the default, path; no query.
fn signing_url(url: &str) -> Result<String, StoreApiError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| StoreApiError::Protocol(format!("bad store URL: {e}")))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| StoreApiError::Protocol("store URL without a host".to_string()))?;
    Ok(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}{}", parsed.scheme(), parsed.path()),
        None => format!("{}://{host}{}", parsed.scheme(), parsed.path()),
    })
}
