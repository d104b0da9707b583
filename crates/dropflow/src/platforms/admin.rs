//! Writing back to the store: marking (part of) an order fulfilled with a parcel's tracking.
//!
//! One implementation per platform (`shopify/admin.rs`: fulfillment orders + fulfillments,
//! REST 2025-07; `woocommerce/admin.rs`: order note + status `completed`). Like the supplier
//! connectors they hold only configuration (base URL, credentials) and never order state.
//!
//! A push may be repeated (a timeout, a crash before we recorded the answer): implementations
//! look for a fulfilment already carrying the tracking number before creating one, so a
//! repeat answers `AlreadyFulfilled` instead of fulfilling twice.

use super::admin_catalogue::CatalogueAccess;
use super::admin_refund::{RefundOutcome, RefundPush};
use crate::outbound::{Answer, Endpoint, HttpError};
use dropflow_core::after_sale::StoreRefund;
use futures::future::BoxFuture;
use std::time::Duration;

/// Most characters of a store's own error text kept (in job errors and on the timeline).
pub const OUTSIDE_TEXT_LIMIT: usize = 200;

/// A store's error text as shown to merchants: only ever the platform's documented error
/// fields are passed here (Shopify `errors`, WooCommerce `message` and `code`), cut to
/// [`OUTSIDE_TEXT_LIMIT`] characters, control characters dropped — whatever answered (a
/// misconfigured or hostile server) cannot fill the job list or the timeline with its text.
pub fn outside_text(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    match clean.char_indices().nth(OUTSIDE_TEXT_LIMIT) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean.to_string(),
    }
}

/// An answer that is not the JSON the platform documents. serde's message quotes what it
/// read, so only where it stopped is kept.
pub fn unreadable(path: &str, error: &serde_json::Error) -> StoreApiError {
    StoreApiError::Protocol(format!(
        "unreadable answer to {path} (line {}, column {})",
        error.line(),
        error.column()
    ))
}

/// One parcel to report to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfilmentPush {
    /// The store's own id of the order (Shopify `order.id`, WooCommerce order `id`).
    pub store_order_id: String,
    /// Our id for this parcel (the shipment id), for logs and idempotency.
    pub reference: String,
    pub tracking_number: String,
    /// The carrier, as Shopify's list names it where it is on the list (protocols.md §1.8).
    pub carrier: Option<String>,
    pub tracking_url: Option<String>,
    /// The store lines this parcel carries (store line item ids and quantities); empty means
    /// everything that remains unfulfilled.
    pub lines: Vec<PushLine>,
    /// Whether the store should e-mail the customer (Shopify `notify_customer`, WooCommerce
    /// `customer_note`).
    pub notify_customer: bool,
    /// This parcel is the order's last: WooCommerce moves the order to `completed` only then.
    pub completes_order: bool,
}

/// One store line in a parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    /// The store's line item id (Shopify `line_items[].id`, WooCommerce `line_items[].id`).
    pub store_line_id: String,
    pub quantity: u32,
}

/// What the store did with a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// A fulfilment was created (Shopify fulfillment id, WooCommerce note id).
    Fulfilled { store_fulfilment_id: String },
    /// The store already had a fulfilment with this tracking number: nothing was created.
    AlreadyFulfilled { store_fulfilment_id: Option<String> },
}

/// Not being able to complete the push. Each variant says whether a retry can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreApiError {
    /// 429: wait `retry_after` (Shopify's `Retry-After`, fractional seconds) and try again.
    #[error("rate limited by the store (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the store did not answer in time")]
    Timeout,
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Our credentials were refused: the merchant must fix the store's settings.
    #[error("the store refused our credentials: {0}")]
    Unauthorized(String),
    /// The order (or a line) does not exist on the store.
    #[error("not found on the store: {0}")]
    NotFound(String),
    /// The store understood and said no (e.g. nothing left to fulfil, order cancelled).
    #[error("the store refused the fulfilment: {0}")]
    Refused(String),
    #[error("unexpected answer from the store: {0}")]
    Protocol(String),
}

impl StoreApiError {
    /// Whether retrying the same push later can help.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreApiError::RateLimited { .. }
            | StoreApiError::Timeout
            | StoreApiError::Unavailable(_) => true,
            StoreApiError::Unauthorized(_)
            | StoreApiError::NotFound(_)
            | StoreApiError::Refused(_)
            | StoreApiError::Protocol(_) => false,
        }
    }
}

/// An outside call's failure in store terms, the one conversion the Admin API clients use.
/// Only a connection never made proves the request was not received; a lost answer is a
/// `Timeout` (the store may have acted on it).
impl From<HttpError> for StoreApiError {
    fn from(error: HttpError) -> Self {
        match &error {
            HttpError::Timeout { .. } | HttpError::Lost { .. } => StoreApiError::Timeout,
            HttpError::RateLimited { retry_after, .. } => StoreApiError::RateLimited {
                retry_after: *retry_after,
            },
            HttpError::Unreachable { .. }
            | HttpError::Refused { .. }
            | HttpError::Unavailable { .. } => StoreApiError::Unavailable(error.to_string()),
            HttpError::Unauthorized { .. } => StoreApiError::Unauthorized(error.to_string()),
            HttpError::NotFound { .. } => StoreApiError::NotFound(error.to_string()),
            HttpError::Build { .. } | HttpError::Status { .. } => {
                StoreApiError::Protocol(error.to_string())
            }
        }
    }
}

/// What a store's answer other than 2xx means (`None` on success): the platform's own error
/// text (`message`, from its documented error fields) where there is one, `refusals` the
/// statuses by which the platform says "understood, and no".
pub fn answer_error(
    answer: &Answer,
    refusals: &[u16],
    message: fn(&[u8]) -> Option<String>,
) -> Option<StoreApiError> {
    let failure = answer.failure()?;
    let said = || message(&answer.body).unwrap_or_else(|| failure.to_string());
    Some(match &failure {
        HttpError::Unauthorized { .. } => StoreApiError::Unauthorized(said()),
        HttpError::NotFound { .. } => StoreApiError::NotFound(said()),
        HttpError::Status { status, .. } if refusals.contains(status) => {
            StoreApiError::Refused(said())
        }
        HttpError::Status { .. } => StoreApiError::Protocol(format!("{failure}: {}", said())),
        _ => failure.into(),
    })
}

/// How a platform says no: the statuses that mean "understood, and no" (beyond 401/403/404),
/// and where its error text is in a body.
#[derive(Debug, Clone, Copy)]
pub struct Refusals {
    pub statuses: &'static [u16],
    pub message: fn(&[u8]) -> Option<String>,
}

/// One Admin API call through `endpoint`: asks for JSON, sends `body` as JSON when given, and
/// reads a 2xx answer as `T`; anything else is the platform's error in [`StoreApiError`].
pub async fn call_json<T: serde::de::DeserializeOwned>(
    endpoint: &Endpoint,
    path: &str,
    request: reqwest::RequestBuilder,
    body: Option<&serde_json::Value>,
    refusals: Refusals,
) -> Result<T, StoreApiError> {
    let mut request = request.header(reqwest::header::ACCEPT, "application/json");
    if let Some(body) = body {
        request = request.json(body);
    }
    let answer = endpoint.send(path, request).await?;
    if let Some(error) = answer_error(&answer, refusals.statuses, refusals.message) {
        return Err(error);
    }
    answer.json().map_err(|e| unreadable(path, &e))
}

/// The text at `pointer` in an answer, or a protocol error naming what is missing.
pub fn text_at(
    answer: &serde_json::Value,
    pointer: &str,
    missing: &str,
) -> Result<String, StoreApiError> {
    answer
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| StoreApiError::Protocol(missing.to_string()))
}

/// A push's store order id and tracking number, checked before any call: both platforms
/// number their orders, and a fulfilment needs a tracking number.
pub fn push_keys<'a>(
    push: &'a FulfilmentPush,
    platform: &str,
) -> Result<(&'a str, &'a str), StoreApiError> {
    let order_id = push.store_order_id.trim();
    if order_id.is_empty() || !order_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreApiError::NotFound(format!(
            "order {order_id:?} ({platform} order ids are numbers)"
        )));
    }
    let number = push.tracking_number.trim();
    if number.is_empty() {
        return Err(StoreApiError::Refused(
            "a fulfilment needs a tracking number".to_string(),
        ));
    }
    Ok((order_id, number))
}

/// A 404 on one of an order's own paths means the order is not there: the error names it.
pub fn not_found_is_order(error: StoreApiError, order_id: &str) -> StoreApiError {
    match error {
        StoreApiError::NotFound(_) => StoreApiError::NotFound(format!("order {order_id}")),
        other => other,
    }
}

/// A push's result, a failure logged first under the platform's name (ids only: the error
/// names no customer data).
pub fn logged(
    platform: &str,
    push: &FulfilmentPush,
    result: Result<PushOutcome, StoreApiError>,
) -> Result<PushOutcome, StoreApiError> {
    if let Err(error) = &result {
        tracing::warn!(order_id = %push.store_order_id, reference = %push.reference,
            %error, "{platform}: fulfilment push failed");
    }
    result
}

/// A store's Admin API, as far as dropflow writes to it: orders' fulfilments and refunds
/// here, the catalogue in [`CatalogueAccess`].
pub trait StoreAdmin: Send + Sync {
    /// Marks the parcel's lines fulfilled with its tracking.
    fn push_fulfilment<'a>(
        &'a self,
        push: &'a FulfilmentPush,
    ) -> BoxFuture<'a, Result<PushOutcome, StoreApiError>>;

    /// Refunds the customer for a case, once: a refund already carrying the case's marker
    /// (see [`super::admin_refund`]) is answered `AlreadyRefunded` and nothing is created.
    fn refund<'a>(
        &'a self,
        refund: &'a RefundPush,
    ) -> BoxFuture<'a, Result<RefundOutcome, StoreApiError>>;

    /// Every refund the store holds for an order, oldest first, read back (WooCommerce tells
    /// refunds only inside the order, so its door reads them here; both use it to check what
    /// the store paid against the cases).
    fn store_refunds<'a>(
        &'a self,
        store_order_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoreRefund>, StoreApiError>>;

    /// The store's catalogue through the same access (`None`: this connector does not read
    /// or write it).
    fn catalogue(&self) -> Option<&dyn CatalogueAccess> {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_bounded_and_has_no_control_characters() {
        let long = format!("root:x:0:0\n{}", "a".repeat(5_000));
        let shown = outside_text(&long);
        assert_eq!(shown.chars().count(), OUTSIDE_TEXT_LIMIT + 1);
        assert!(shown.starts_with("root:x:0:0 a"), "{shown}");
        assert!(shown.ends_with('…'));
        assert_eq!(outside_text(" Not Found "), "Not Found");
        let quoted =
            serde_json::from_str::<Vec<u8>>("{\"secret\": \"metadata-token\"}").unwrap_err();
        let error = unreadable("shop.json", &quoted).to_string();
        assert!(
            !error.contains("metadata-token") && !error.contains("secret"),
            "{error}"
        );
    }
}
