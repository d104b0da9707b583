//! Writing fulfilments back to Shopify over the REST Admin API, version 2025-07
//! (protocols.md §1.6, §1.9).
//!
//! A push is three calls: the order's fulfillments (a live one already carrying the tracking
//! number means the push is a repeat: `AlreadyFulfilled`, nothing is created), its
//! fulfillment orders (to map our order line item ids onto fulfillment order line ids), then
//! `POST fulfillments.json` with `tracking_info` and `notify_customer`.
//!
//! Rate limits: a 429 is waited out inside the connector, as Shopify's own client does —
//! `Retry-After` (fractional seconds; 1 s when absent), at most [`RATE_LIMIT_RETRIES`] times
//! per call — and then reported as [`StoreApiError::RateLimited`]. A 429 means the call was
//! not processed, so repeating even the POST cannot fulfil twice.
//!
//! Logs carry the order id and our reference, never the access token.

use super::admin_wire::{
    error_message, plan, CreatedFulfillment, FulfillmentList, FulfillmentOrderList,
};
use crate::platforms::admin::{FulfilmentPush, PushOutcome, StoreAdmin, StoreApiError};
use futures::future::BoxFuture;
use reqwest::{Client, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// The REST Admin API version spoken.
pub const API_VERSION: &str = "2025-07";

/// How many times one call is repeated after a 429 before giving up.
pub const RATE_LIMIT_RETRIES: u32 = 3;

/// The wait after a 429 without `Retry-After` (Shopify's clients wait 1000 ms).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Longer waits than this are not sat out inside the connector: the caller reschedules.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(10);

const TOKEN_HEADER: &str = "X-Shopify-Access-Token";

/// Calls in flight to one store at once. Shopify's bucket refills at 2–40 calls a second and
/// answers 429 to the excess; a handful in flight keeps the bucket busy without a herd of
/// callers all retrying into it together.
const IN_FLIGHT_PER_STORE: usize = 4;

/// One store's Admin API: configuration, plus the pacing shared by every call to the store
/// (so keep one per store, see `app::store_admins`).
#[derive(Clone)]
pub struct ShopifyAdmin {
    client: Client,
    /// `https://{shop}.myshopify.com` (no trailing slash, no `/admin`).
    base_url: String,
    access_token: String,
    timeout: Duration,
    pacing: std::sync::Arc<Pacing>,
}

/// After a 429 every caller waits out the same `Retry-After`, instead of each finding out
/// with its own 429.
struct Pacing {
    in_flight: tokio::sync::Semaphore,
    blocked_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacing {
    async fn wait_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = self.in_flight.acquire().await.ok();
        let until = self.blocked_until.lock().ok().and_then(|b| *b);
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
        permit
    }

    fn block_for(&self, wait: Duration) {
        if let Ok(mut blocked) = self.blocked_until.lock() {
            let until = tokio::time::Instant::now() + wait;
            if blocked.is_none_or(|b| b < until) {
                *blocked = Some(until);
            }
        }
    }
}

impl std::fmt::Debug for ShopifyAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyAdmin")
            .field("base_url", &self.base_url)
            .field("access_token", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ShopifyAdmin {
    /// `base_url` is the shop's root (`https://{shop}.myshopify.com`); `timeout` bounds each
    /// HTTP call (waits after a 429 come on top).
    pub fn new(base_url: &str, access_token: &str, timeout: Duration) -> Self {
        // The builder only fails when the TLS backend cannot start; every request carries
        // its own timeout anyway.
        let client = crate::outbound::client(timeout);
        ShopifyAdmin {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            access_token: access_token.to_string(),
            timeout,
            pacing: std::sync::Arc::new(Pacing {
                in_flight: tokio::sync::Semaphore::new(IN_FLIGHT_PER_STORE),
                blocked_until: std::sync::Mutex::new(None),
            }),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/api/{API_VERSION}/{path}", self.base_url)
    }

    /// One call, repeated after 429s; the body of a 2xx answer read as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, StoreApiError> {
        let url = self.url(path);
        let mut attempt = 0;
        loop {
            let mut request = self
                .client
                .request(method.clone(), &url)
                .timeout(self.timeout)
                .header(TOKEN_HEADER, &self.access_token)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let turn = self.pacing.wait_turn().await;
            let response = request.send().await.map_err(|e| transport_error(&e))?;
            drop(turn);
            let status = response.status();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let bytes = response.bytes().await.map_err(|e| transport_error(&e))?;
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                self.pacing.block_for(wait);
                if attempt >= RATE_LIMIT_RETRIES || wait > MAX_INLINE_WAIT {
                    return Err(StoreApiError::RateLimited {
                        retry_after: Some(wait),
                    });
                }
                attempt += 1;
                tracing::debug!(
                    path,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "shopify throttled; waiting"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if !status.is_success() {
                return Err(status_error(status, &bytes));
            }
            return serde_json::from_slice(&bytes)
                .map_err(|e| crate::platforms::admin::unreadable(path, &e));
        }
    }

    /// The shop these credentials open: `shop.myshopify_domain` of `GET shop.json`
    /// (<https://shopify.dev/docs/api/admin-rest/latest/resources/shop>, "Retrieves the
    /// shop's configuration"; documented example `"myshopify_domain": "jsmith.myshopify.com"`).
    pub async fn shop_domain(&self) -> Result<String, StoreApiError> {
        let answer: Value = self.call(Method::GET, "shop.json", None).await?;
        answer
            .pointer("/shop/myshopify_domain")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                StoreApiError::Protocol("shop.json without shop.myshopify_domain".into())
            })
    }

    async fn push(&self, push: &FulfilmentPush) -> Result<PushOutcome, StoreApiError> {
        let order_id = push.store_order_id.trim();
        if order_id.is_empty() || !order_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreApiError::NotFound(format!(
                "order {order_id:?} (Shopify order ids are numbers)"
            )));
        }
        let number = push.tracking_number.trim();
        if number.is_empty() {
            return Err(StoreApiError::Refused(
                "a fulfilment needs a tracking number".to_string(),
            ));
        }

        let existing: FulfillmentList = self
            .call(
                Method::GET,
                &format!("orders/{order_id}/fulfillments.json"),
                None,
            )
            .await
            .map_err(|e| not_found_is_order(e, order_id))?;
        if let Some(found) = existing.fulfillments.iter().find(|f| f.carries(number)) {
            tracing::info!(order_id, reference = %push.reference, fulfillment_id = found.id,
                "shopify: tracking already on a fulfillment; nothing created");
            return Ok(PushOutcome::AlreadyFulfilled {
                store_fulfilment_id: Some(found.id.to_string()),
            });
        }

        let orders: FulfillmentOrderList = self
            .call(
                Method::GET,
                &format!("orders/{order_id}/fulfillment_orders.json"),
                None,
            )
            .await
            .map_err(|e| not_found_is_order(e, order_id))?;
        let request = plan(push, &orders.fulfillment_orders)?;
        let body = serde_json::to_value(&request)
            .map_err(|e| StoreApiError::Protocol(format!("cannot write the request: {e}")))?;
        let created: CreatedFulfillment = self
            .call(Method::POST, "fulfillments.json", Some(&body))
            .await?;
        tracing::info!(order_id, reference = %push.reference, fulfillment_id = created.fulfillment.id,
            "shopify: fulfillment created");
        Ok(PushOutcome::Fulfilled {
            store_fulfilment_id: created.fulfillment.id.to_string(),
        })
    }
}

impl StoreAdmin for ShopifyAdmin {
    fn push_fulfilment<'a>(
        &'a self,
        push: &'a FulfilmentPush,
    ) -> BoxFuture<'a, Result<PushOutcome, StoreApiError>> {
        Box::pin(async move {
            let result = self.push(push).await;
            if let Err(error) = &result {
                tracing::warn!(order_id = %push.store_order_id, reference = %push.reference,
                    %error, "shopify: fulfilment push failed");
            }
            result
        })
    }
}

/// `Retry-After` as Shopify sends it: seconds, possibly fractional (`0.5`, `2.0`).
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// A 404 on an order's own paths means the order.
fn not_found_is_order(error: StoreApiError, order_id: &str) -> StoreApiError {
    match error {
        StoreApiError::NotFound(_) => StoreApiError::NotFound(format!("order {order_id}")),
        other => other,
    }
}

/// Only a refused connection proves the request was never received; anything else after
/// sending leaves the outcome unknown, which is what `Timeout` tells the caller.
fn transport_error(error: &reqwest::Error) -> StoreApiError {
    if error.is_builder() {
        StoreApiError::Protocol(format!("cannot build the request: {error}"))
    } else if error.is_connect() {
        StoreApiError::Unavailable("cannot connect to Shopify".to_string())
    } else {
        StoreApiError::Timeout
    }
}

fn status_error(status: StatusCode, body: &[u8]) -> StoreApiError {
    let message = || {
        error_message(body).unwrap_or_else(|| format!("Shopify answered HTTP {}", status.as_u16()))
    };
    match status.as_u16() {
        401 | 403 => StoreApiError::Unauthorized(message()),
        404 => StoreApiError::NotFound(message()),
        422 => StoreApiError::Refused(message()),
        500..=599 => {
            StoreApiError::Unavailable(format!("Shopify answered HTTP {}", status.as_u16()))
        }
        _ => StoreApiError::Protocol(format!(
            "Shopify answered HTTP {}: {}",
            status.as_u16(),
            message()
        )),
    }
}
