//! `GET|POST /wp-json/wc/v3/orders/{id}/refunds` and the refund state tests read: the routes
//! hand over to [`super::refunds`], which does what WooCommerce does.

use super::refunds::{self, Listing, RefundRecord};
use super::routes::{query_pairs, App};
use super::state::{parse_id, refusal, Refusal, Shared};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

/// The refunds controller's word for an order it cannot find (`prepare_object_for_database`,
/// `prepare_object_for_response`).
fn invalid_order() -> Refusal {
    refusal(
        404,
        "woocommerce_rest_invalid_order_id",
        "Invalid order ID.",
    )
}

/// One page of an order's refunds, newest first, and the count of all of them.
pub(crate) struct RefundPage {
    pub items: Vec<Value>,
    pub total: usize,
    pub pages: usize,
}

impl Shared {
    fn dp(&self) -> u32 {
        self.config.price_decimals
    }

    /// `POST orders/{id}/refunds`; the answer has `dp` decimals when asked (the controller
    /// formats the new refund as it formats a listed one).
    pub fn create_refund(&self, id: &str, body: &Value, dp: Option<u32>) -> Result<Value, Refusal> {
        let store_dp = self.dp();
        let site = self.config.home_url.clone();
        let mut inner = self.lock();
        let mut next_id = inner.next_id;
        let order_id = parse_id(id).ok_or_else(invalid_order)?;
        let order = inner.orders.get_mut(&order_id).ok_or_else(invalid_order)?;
        let created = refunds::create(order, body, &mut next_id, store_dp);
        // Ids taken by a refund that was then deleted (a gateway refusal) stay used.
        inner.next_id = next_id;
        Ok(created?.json(order_id, dp.unwrap_or(store_dp), &site))
    }

    /// `GET orders/{id}/refunds`.
    pub(crate) fn list_refunds(&self, id: &str, listing: &Listing) -> Result<RefundPage, Refusal> {
        let site = self.config.home_url.clone();
        let dp = listing.dp.unwrap_or(self.dp());
        let inner = self.lock();
        let order_id = parse_id(id).ok_or_else(invalid_order)?;
        let order = inner.orders.get(&order_id).ok_or_else(invalid_order)?;
        let total = order.refunds.len();
        let items = order
            .refunds
            .iter()
            .rev()
            .skip((listing.page - 1) * listing.per_page)
            .take(listing.per_page)
            .map(|r| r.json(order_id, dp, &site))
            .collect();
        Ok(RefundPage {
            items,
            total,
            pages: total.div_ceil(listing.per_page),
        })
    }

    /// A refund made in wp-admin ("Refund manually" or "Refund via <gateway>"): the same
    /// `wc_create_refund`, with the request in the REST shape. Returns the refund id.
    pub fn refund_in_admin(&self, order_id: u64, body: &Value) -> Result<u64, String> {
        let dp = self.dp();
        let mut inner = self.lock();
        let mut next_id = inner.next_id;
        let order = inner
            .orders
            .get_mut(&order_id)
            .ok_or_else(|| format!("no order {order_id}"))?;
        let created = refunds::create(order, body, &mut next_id, dp);
        inner.next_id = next_id;
        created.map(|r| r.id).map_err(|(status, body)| {
            format!("{status}: {}", body.get("message").unwrap_or(&Value::Null))
        })
    }

    /// The order's refunds, oldest first.
    pub fn refunds(&self, order_id: u64) -> Vec<RefundRecord> {
        self.lock()
            .orders
            .get(&order_id)
            .map(|o| o.refunds.iter().map(|r| r.record()).collect())
            .unwrap_or_default()
    }

    /// What the order's refunds add up to, with the store's decimals.
    pub fn refunded_total(&self, order_id: u64) -> Option<String> {
        let dp = self.dp();
        self.lock().orders.get(&order_id).map(|o| {
            o.refunds
                .iter()
                .map(|r| r.amount)
                .sum::<super::amount::Amount>()
                .format(dp)
        })
    }
}

pub(crate) async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let page = Listing::from_query(&query_pairs(query.as_deref()))
        .and_then(|listing| app.shared.list_refunds(&id, &listing));
    match page {
        Ok(page) => {
            let mut response = (StatusCode::OK, Json(Value::Array(page.items))).into_response();
            let headers = response.headers_mut();
            headers.insert("X-WP-Total", HeaderValue::from(page.total));
            headers.insert("X-WP-TotalPages", HeaderValue::from(page.pages));
            response
        }
        Err(refusal) => super::routes::answer(Err(refusal), StatusCode::OK),
    }
}

pub(crate) async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let created = Listing::from_query(&query_pairs(query.as_deref())).and_then(|listing| {
        super::routes::json_body(&body).and_then(|b| app.shared.create_refund(&id, &b, listing.dp))
    });
    super::routes::answer(created, StatusCode::CREATED)
}
