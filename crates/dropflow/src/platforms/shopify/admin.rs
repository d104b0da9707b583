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
//!
//! Refunds (the other two [`StoreAdmin`] methods) are in `admin_refund.rs`.

use super::admin_wire::{
    error_message, plan, CreatedFulfillment, FulfillmentList, FulfillmentOrderList,
};
use crate::outbound::{Endpoint, Retry};
use crate::platforms::admin::{
    call_json, logged, not_found_is_order, push_keys, text_at, FulfilmentPush, PushOutcome,
    Refusals, StoreAdmin, StoreApiError,
};
use crate::platforms::admin_refund::{RefundOutcome, RefundPush};
use dropflow_core::after_sale::StoreRefund;
use futures::future::BoxFuture;
use reqwest::Method;
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

pub(super) const TOKEN_HEADER: &str = "X-Shopify-Access-Token";

/// Shopify says no with 422 and its `errors` text.
pub(super) const REFUSALS: Refusals = Refusals {
    statuses: &[422],
    message: error_message,
};

/// Calls in flight to one store at once. Shopify's bucket refills at 2–40 calls a second and
/// answers 429 to the excess; a handful in flight keeps the bucket busy without a herd of
/// callers all retrying into it together.
const IN_FLIGHT_PER_STORE: usize = 4;

/// One store's Admin API: configuration, plus the pacing shared by every call to the store
/// (so keep one per store, see `app::store_admins`).
#[derive(Clone)]
pub struct ShopifyAdmin {
    pub(super) endpoint: Endpoint,
    /// `https://{shop}.myshopify.com` (no trailing slash, no `/admin`).
    pub(super) base_url: String,
    pub(super) access_token: String,
}

impl std::fmt::Debug for ShopifyAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyAdmin")
            .field("base_url", &self.base_url)
            .field("access_token", &"<redacted>")
            .field("timeout", &self.endpoint.timeout())
            .finish()
    }
}

impl ShopifyAdmin {
    /// `base_url` is the shop's root (`https://{shop}.myshopify.com`); `timeout` bounds each
    /// HTTP call (waits after a 429 come on top).
    pub fn new(base_url: &str, access_token: &str, timeout: Duration) -> Self {
        let endpoint = Endpoint::new("shopify", "Shopify", timeout)
            .rate_limit_wait(DEFAULT_RETRY_AFTER)
            .retry(Retry::RateLimited {
                times: RATE_LIMIT_RETRIES,
                max_wait: MAX_INLINE_WAIT,
            })
            .paced(IN_FLIGHT_PER_STORE)
            .secret(access_token);
        ShopifyAdmin {
            endpoint,
            base_url: base_url.trim_end_matches('/').to_string(),
            access_token: access_token.to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/api/{API_VERSION}/{path}", self.base_url)
    }

    /// One call, repeated after 429s; the body of a 2xx answer read as `T`.
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, StoreApiError> {
        let request = self
            .endpoint
            .request(method, self.url(path))
            .header(TOKEN_HEADER, &self.access_token);
        call_json(&self.endpoint, path, request, body, REFUSALS).await
    }

    /// `GET orders/{order_id}/{resource}`; a 404 means the order is not there (not that the
    /// order has none of `resource`).
    pub(super) async fn order_resource<T: DeserializeOwned>(
        &self,
        order_id: &str,
        resource: &str,
    ) -> Result<T, StoreApiError> {
        self.call(Method::GET, &format!("orders/{order_id}/{resource}"), None)
            .await
            .map_err(|e| not_found_is_order(e, order_id))
    }

    /// The shop these credentials open: `shop.myshopify_domain` of `GET shop.json`
    /// (<https://shopify.dev/docs/api/admin-rest/latest/resources/shop>, "Retrieves the
    /// shop's configuration"; documented example `"myshopify_domain": "jsmith.myshopify.com"`).
    pub async fn shop_domain(&self) -> Result<String, StoreApiError> {
        let answer: Value = self.call(Method::GET, "shop.json", None).await?;
        text_at(
            &answer,
            "/shop/myshopify_domain",
            "shop.json without shop.myshopify_domain",
        )
    }

    async fn push(&self, push: &FulfilmentPush) -> Result<PushOutcome, StoreApiError> {
        let (order_id, number) = push_keys(push, "Shopify")?;

        let existing: FulfillmentList = self.order_resource(order_id, "fulfillments.json").await?;
        if let Some(found) = existing.fulfillments.iter().find(|f| f.carries(number)) {
            tracing::info!(order_id, reference = %push.reference, fulfillment_id = found.id,
                "shopify: tracking already on a fulfillment; nothing created");
            return Ok(PushOutcome::AlreadyFulfilled {
                store_fulfilment_id: Some(found.id.to_string()),
            });
        }

        let orders: FulfillmentOrderList = self
            .order_resource(order_id, "fulfillment_orders.json")
            .await?;
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
        Box::pin(async move { logged("shopify", push, self.push(push).await) })
    }

    fn refund<'a>(
        &'a self,
        refund: &'a RefundPush,
    ) -> BoxFuture<'a, Result<RefundOutcome, StoreApiError>> {
        Box::pin(async move { super::admin_refund::logged(refund, self.refund_case(refund).await) })
    }

    fn store_refunds<'a>(
        &'a self,
        store_order_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoreRefund>, StoreApiError>> {
        Box::pin(self.read_refunds(store_order_id))
    }

    fn catalogue(&self) -> Option<&dyn crate::platforms::admin_catalogue::CatalogueAccess> {
        Some(self)
    }
}
