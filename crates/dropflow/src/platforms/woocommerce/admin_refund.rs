//! Refunding a case's customer through WooCommerce's REST API, and reading the order's
//! refunds back (`docs/protocols/after-sale.md` §3; shapes in [`super::refund_wire`]).
//!
//! WooCommerce takes no idempotency key. So before creating a refund the connector reads
//! `GET orders/{id}/refunds` and answers `AlreadyRefunded` when one carries the case: its
//! marker in `reason`, or our `_dropflow_case` entry in `meta_data` (the controller writes
//! `meta_data` only after the refund and the gateway refund are done, so `reason`, saved with
//! the refund itself, is what a crash in between leaves behind).
//!
//! The request (`POST orders/{id}/refunds`): `amount` the whole refund as a decimal string in
//! the order's currency (it "takes precedence over line item totals"), `reason` the case's
//! note and marker, `api_refund: true` (the gateway moves the money), `api_restock` as asked,
//! `line_items` the case's lines with their `refund_total`, and the shipping refund as a
//! `refund_total` on the order's shipping line(s): `wc_create_refund` refunds the order's
//! `line_item`, `fee` and `shipping` items alike, by item id. Shipping beyond what the
//! shipping lines charged (less earlier refunds of them) goes back in `amount` only.
//!
//! What the connector checks because WooCommerce does not (`wc_create_refund` checks only the
//! amount): every line is on the order (an unknown id is skipped without a word) and no line
//! gives back more units than it has left after earlier refunds.
//!
//! How WooCommerce says no: a negative amount is 400; *every* failure inside
//! `wc_create_refund` — more than is left to refund ("Invalid refund amount."), a gateway that
//! does not exist or cannot refund, a gateway that declined — is **500**
//! `woocommerce_rest_cannot_create_order_refund` with the inner message. That 500 is read as
//! a refusal, not an outage: the source returns it only from a `WP_Error` of
//! `wc_create_refund`, which deletes the refund before answering (nothing is left behind to
//! find), and the causes are decisions a retry would meet again (or, for a gateway's decline,
//! should not repeat on its own: it moves money). A 5xx without that code (WordPress's fatal
//! error page, a proxy) stays `Unavailable`, and a retry is safe because of the read-back.
//!
//! WooCommerce e-mails the customer about a refund as the store's e-mail settings say;
//! `notify_customer` cannot change that per refund. Logs carry ids only.

use super::admin::WooAdmin;
use super::refund_wire::{self, OrderView, ReadRefund, CASE_META_KEY};
use crate::platforms::admin::{answer_error, not_found_is_order, StoreApiError};
use crate::platforms::admin_refund::{case_in_note, RefundOutcome, RefundPush};
use crate::platforms::PayloadError;
use dropflow_core::after_sale::StoreRefund;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use reqwest::Method;
use serde_json::{json, Value};

/// The most refunds asked for at once (`per_page` is at most 100).
const PAGE_SIZE: usize = 100;
/// Pages read before giving up: 10,000 refunds on one order is not an order.
const MAX_PAGES: usize = 100;

/// The controller's code for any error of `wc_create_refund` (answered with 500).
const CANNOT_CREATE: &str = "woocommerce_rest_cannot_create_order_refund";

/// What the read-back found: the case's refund, or the request that makes it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Prepared {
    Done(RefundOutcome),
    Create { order_id: String, body: Value },
}

fn order_key(store_order_id: &str) -> Result<&str, StoreApiError> {
    let id = store_order_id.trim();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreApiError::NotFound(format!(
            "order {id:?} (WooCommerce order ids are numbers)"
        )));
    }
    Ok(id)
}

fn unreadable(path: &str, error: PayloadError) -> StoreApiError {
    StoreApiError::Protocol(format!("unreadable answer to {path}: {error}"))
}

fn decimal(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_decimal_string()
}

impl ReadRefund {
    /// Whether this refund was made for case `reference`.
    fn is_for(&self, reference: &str) -> bool {
        self.case_key.as_deref() == Some(reference)
            || self
                .refund
                .note
                .as_deref()
                .and_then(case_in_note)
                .is_some_and(|case| case == reference)
    }
}

/// The request's `line_items`: the case's lines (one entry per store line: WooCommerce keys
/// them by id, so a second entry would replace the first), then the shipping refund spread
/// over the shipping lines. Refuses lines the order does not have or has no units left of.
fn line_items(
    push: &RefundPush,
    order: &OrderView,
    earlier: &[ReadRefund],
) -> Result<Vec<Value>, StoreApiError> {
    let mut merged: Vec<(String, u32, i64)> = Vec::new();
    for line in &push.lines {
        let id = line.store_line_id.trim();
        if line.amount_minor < 0 {
            return Err(StoreApiError::Refused(format!(
                "line {id}: a refund amount cannot be negative"
            )));
        }
        match merged.iter_mut().find(|(known, _, _)| known == id) {
            Some(entry) => {
                entry.1 = entry.1.saturating_add(line.quantity);
                entry.2 += line.amount_minor;
            }
            None => merged.push((id.to_string(), line.quantity, line.amount_minor)),
        }
    }
    let mut items = Vec::new();
    for (id, quantity, amount) in &merged {
        let Some((_, ordered)) = order.lines.iter().find(|(line, _)| line == id) else {
            return Err(StoreApiError::Refused(format!(
                "line {id} is not on order (WooCommerce would skip it)"
            )));
        };
        let refunded: u32 = earlier
            .iter()
            .flat_map(|r| &r.refund.lines)
            .filter(|l| &l.line_id == id)
            .map(|l| l.quantity)
            .sum();
        let left = ordered.saturating_sub(refunded);
        if *quantity > left {
            return Err(StoreApiError::Refused(format!(
                "line {id}: {quantity} to refund, {left} left of {ordered}"
            )));
        }
        items.push(json!({
            "id": item_id(id)?,
            "quantity": quantity,
            "refund_total": decimal(*amount, push.currency),
        }));
    }
    let mut shipping_left = push.shipping_minor.max(0);
    for (id, charged) in &order.shipping {
        if shipping_left == 0 {
            break;
        }
        let refunded: i64 = earlier
            .iter()
            .flat_map(|r| &r.shipping_by_line)
            .filter(|(line, _)| line == id)
            .map(|(_, minor)| minor)
            .sum();
        let here = shipping_left.min((charged - refunded).max(0));
        if here > 0 {
            items.push(json!({"id": item_id(id)?, "refund_total": decimal(here, push.currency)}));
            shipping_left -= here;
        }
    }
    if shipping_left > 0 {
        tracing::info!(order_id = %push.store_order_id, reference = %push.reference,
            "woocommerce: shipping refund beyond the shipping lines goes back in the amount only");
    }
    Ok(items)
}

/// Item ids are numbers in WooCommerce; sent as numbers.
fn item_id(id: &str) -> Result<u64, StoreApiError> {
    id.parse()
        .map_err(|_| StoreApiError::Refused(format!("line {id:?} is not a WooCommerce item id")))
}

impl WooAdmin {
    /// `GET orders/{id}`, as a refund needs it.
    async fn refund_order(&self, order_id: &str) -> Result<OrderView, StoreApiError> {
        let path = format!("orders/{order_id}");
        let body = self
            .get_body(&path, &[])
            .await
            .map_err(|e| not_found_is_order(e, order_id))?;
        refund_wire::parse_order(&body).map_err(|e| unreadable(&path, e))
    }

    /// Every refund of the order, newest first, amounts with the currency's decimals (`dp`:
    /// the store's own setting may show fewer, and would round a KWD amount).
    async fn refunds_of(
        &self,
        order_id: &str,
        currency: Currency,
    ) -> Result<Vec<ReadRefund>, StoreApiError> {
        let path = format!("orders/{order_id}/refunds");
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let query = [
                ("dp", currency.minor_units().to_string()),
                ("page", page.to_string()),
                ("per_page", PAGE_SIZE.to_string()),
            ];
            let body = self
                .get_body(&path, &query)
                .await
                .map_err(|e| not_found_is_order(e, order_id))?;
            let read = refund_wire::parse_refunds(&body, order_id, currency)
                .map_err(|e| unreadable(&path, e))?;
            let last = read.len() < PAGE_SIZE;
            all.extend(read);
            if last {
                return Ok(all);
            }
        }
        Err(StoreApiError::Protocol(format!(
            "{path}: more than {} refunds",
            PAGE_SIZE * MAX_PAGES
        )))
    }

    /// Reads the order and its refunds: the case's refund if there is one, else the request.
    pub(super) async fn prepare_refund(
        &self,
        push: &RefundPush,
    ) -> Result<Prepared, StoreApiError> {
        let order_id = order_key(&push.store_order_id)?;
        let order = self.refund_order(order_id).await?;
        if order.currency != push.currency {
            return Err(StoreApiError::Refused(format!(
                "the order is in {}, the refund in {}",
                order.currency.code(),
                push.currency.code()
            )));
        }
        let earlier = self.refunds_of(order_id, order.currency).await?;
        if let Some(ours) = earlier.iter().find(|r| r.is_for(&push.reference)) {
            return Ok(Prepared::Done(RefundOutcome::AlreadyRefunded {
                store_refund_id: ours.refund.refund_id.clone(),
                amount_minor: ours.refund.total_minor,
            }));
        }
        if push.total_minor() < 0 {
            return Err(StoreApiError::Refused(
                "a refund amount cannot be negative".to_string(),
            ));
        }
        let body = json!({
            "amount": decimal(push.total_minor(), push.currency),
            "reason": push.store_note(),
            "api_refund": true,
            "api_restock": push.restock,
            "line_items": line_items(push, &order, &earlier)?,
            "meta_data": [{"key": CASE_META_KEY, "value": push.reference}],
        });
        Ok(Prepared::Create {
            order_id: order_id.to_string(),
            body,
        })
    }

    /// `POST orders/{id}/refunds` with a prepared request.
    pub(super) async fn create_refund(
        &self,
        order_id: &str,
        body: &Value,
        currency: Currency,
    ) -> Result<RefundOutcome, StoreApiError> {
        let path = format!("orders/{order_id}/refunds");
        let dp = [("dp", currency.minor_units().to_string())];
        let answer = self.send_json(Method::POST, &path, &dp, body).await?;
        if answer.status.as_u16() == 500 {
            let said: Option<Value> = serde_json::from_slice(&answer.body).ok();
            if said
                .as_ref()
                .and_then(|b| b.get("code"))
                .and_then(Value::as_str)
                == Some(CANNOT_CREATE)
            {
                let message = super::admin_wire::error_message(&answer.body)
                    .unwrap_or_else(|| CANNOT_CREATE.to_string());
                return Err(StoreApiError::Refused(message));
            }
        }
        if let Some(error) = answer_error(
            &answer,
            super::admin::REFUSALS.statuses,
            super::admin::REFUSALS.message,
        ) {
            return Err(not_found_is_order(error, order_id));
        }
        let created = refund_wire::parse_created(&answer.body, order_id, currency)
            .map_err(|e| unreadable(&path, e))?;
        Ok(RefundOutcome::Refunded {
            store_refund_id: created.refund.refund_id,
            amount_minor: created.refund.total_minor,
        })
    }

    /// The trait's `refund`: read back, then create if the case has no refund yet.
    pub(super) async fn refund_once(
        &self,
        push: &RefundPush,
    ) -> Result<RefundOutcome, StoreApiError> {
        let result = match self.prepare_refund(push).await {
            Ok(Prepared::Done(outcome)) => Ok(outcome),
            Ok(Prepared::Create { order_id, body }) => {
                self.create_refund(&order_id, &body, push.currency).await
            }
            Err(error) => Err(error),
        };
        match &result {
            Ok(RefundOutcome::Refunded {
                store_refund_id, ..
            }) => tracing::info!(order_id = %push.store_order_id, reference = %push.reference,
                refund_id = %store_refund_id, "woocommerce: refund created"),
            Ok(RefundOutcome::AlreadyRefunded {
                store_refund_id, ..
            }) => tracing::info!(order_id = %push.store_order_id, reference = %push.reference,
                refund_id = %store_refund_id, "woocommerce: the case was already refunded; nothing new"),
            Err(error) => tracing::warn!(order_id = %push.store_order_id,
                reference = %push.reference, %error, "woocommerce: refund failed"),
        }
        result
    }

    /// The trait's `store_refunds`: every refund of the order, oldest first.
    pub(super) async fn read_refunds(
        &self,
        store_order_id: &str,
    ) -> Result<Vec<StoreRefund>, StoreApiError> {
        let order_id = order_key(store_order_id)?;
        let order = self.refund_order(order_id).await?;
        let mut refunds: Vec<StoreRefund> = self
            .refunds_of(order_id, order.currency)
            .await?
            .into_iter()
            .map(|r| r.refund)
            .collect();
        // Refund ids grow with time (they are post or order ids).
        refunds.sort_by_key(|r| r.refund_id.parse::<u64>().unwrap_or(u64::MAX));
        Ok(refunds)
    }
}
