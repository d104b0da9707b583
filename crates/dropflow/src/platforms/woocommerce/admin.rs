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
//! Refunds (`refund`, `store_refunds`) are in `admin_refund.rs`, over the same calls.
//!
//! Logs carry the order id and our reference, never keys, addresses or e-mails.

use super::admin_wire::{error_message, note_text, oauth_query, Note, Order, TRACKING_META_KEY};
use crate::outbound::{Answer, Endpoint};
use crate::platforms::admin::{
    answer_error, call_json, logged, not_found_is_order, push_keys, text_at, FulfilmentPush,
    PushOutcome, Refusals, StoreAdmin, StoreApiError,
};
use crate::platforms::admin_refund::{RefundOutcome, RefundPush};
use dropflow_core::after_sale::StoreRefund;
use futures::future::BoxFuture;
use rand::Rng as _;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::time::Duration;

const API_PATH: &str = "/wp-json/wc/v3";

/// WooCommerce says no with 400, 409 or 422 and its `message`/`code`.
pub(super) const REFUSALS: Refusals = Refusals {
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
        self.call_with(method, path, &[], body).await
    }

    /// One call with query parameters of its own (signed with the OAuth ones), read as `T`.
    pub(super) async fn call_with<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T, StoreApiError> {
        let request = self.request(method, path, query)?;
        call_json(&self.endpoint, path, request, body, REFUSALS).await
    }

    /// A `GET`'s body as sent (for the decoders that name the field they stop at); anything
    /// but 2xx is the platform's error.
    pub(super) async fn get_body(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<u8>, StoreApiError> {
        let request = self
            .request(Method::GET, path, query)?
            .header(reqwest::header::ACCEPT, "application/json");
        let answer = self.endpoint.send(path, request).await?;
        match answer_error(&answer, REFUSALS.statuses, REFUSALS.message) {
            Some(error) => Err(error),
            None => Ok(answer.body),
        }
    }

    /// One call whose answer the caller reads itself, whatever its status (the refund
    /// request, whose 500 may be WooCommerce's own refusal).
    pub(super) async fn send_json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: &Value,
    ) -> Result<Answer, StoreApiError> {
        let request = self
            .request(method, path, query)?
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body);
        Ok(self.endpoint.send(path, request).await?)
    }

    /// The request, authenticated as the transport wants: Basic over https, else OAuth 1.0a
    /// signed over `query` and the `oauth_*` parameters.
    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<reqwest::RequestBuilder, StoreApiError> {
        let url = format!("{}{API_PATH}/{path}", self.base_url);
        let own: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        if self.uses_basic_auth() {
            let request = self
                .endpoint
                .request(method, &url)
                .basic_auth(&self.consumer_key, Some(&self.consumer_secret));
            return Ok(if own.is_empty() {
                request
            } else {
                request.query(&own)
            });
        }
        let signed_url = signing_url(&url)?;
        let nonce: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let query = oauth_query(
            method.as_str(),
            &signed_url,
            &own,
            &self.consumer_key,
            &self.consumer_secret,
            chrono::Utc::now().timestamp(),
            &nonce,
        );
        Ok(self.endpoint.request(method, format!("{url}?{query}")))
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
        refund: &'a RefundPush,
    ) -> BoxFuture<'a, Result<RefundOutcome, StoreApiError>> {
        Box::pin(async move { self.refund_once(refund).await })
    }

    fn store_refunds<'a>(
        &'a self,
        store_order_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoreRefund>, StoreApiError>> {
        Box::pin(async move { self.read_refunds(store_order_id).await })
    }

    fn catalogue(&self) -> Option<&dyn crate::platforms::admin_catalogue::CatalogueAccess> {
        Some(self)
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
