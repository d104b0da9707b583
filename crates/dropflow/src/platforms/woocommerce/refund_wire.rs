//! WooCommerce REST wire shapes for refunds (`docs/protocols/after-sale.md` §3), read into
//! dropflow's terms. Nothing here leaves the connector.
//!
//! - `GET orders/{id}/refunds` items: `WC_REST_Order_Refunds_V2_Controller::
//!   get_formatted_item_data` (woocommerce/woocommerce,
//!   `plugins/woocommerce/includes/rest-api/Controllers/Version2/class-wc-rest-order-refunds-v2-controller.php`)
//!   and the documented example (woocommerce/woocommerce-rest-api-docs,
//!   `source/includes/wp-api-v3/_order-refunds.md`): `amount` positive (a string, `dp`
//!   decimals), `reason`, `meta_data[{id,key,value}]`, `line_items` and `shipping_lines`
//!   whose `quantity` and `total` are **negative** and whose `meta_data` holds
//!   `_refunded_item_id`, the original order item's id (a string in answers: `"311"`);
//! - `GET orders/{id}`, the fields a refund needs: `currency`, `line_items[{id, quantity}]`,
//!   `shipping_lines[{id, total}]`.

use crate::platforms::decode::{self, currency, required, DecimalText, ExternalId, NumberText};
use crate::platforms::PayloadError;
use dropflow_core::after_sale::{CaseLine, StoreRefund};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::Deserialize;
use serde_json::Value;

/// The refund meta entry carrying our case id (hidden from the customer: a `_` key).
pub(super) const CASE_META_KEY: &str = "_dropflow_case";

/// The meta entry naming, on a refunded item, the order item it refunds.
const REFUNDED_ITEM_ID: &str = "_refunded_item_id";

#[derive(Debug, Deserialize)]
pub(super) struct RefundOrder {
    currency: Option<String>,
    #[serde(default)]
    line_items: Vec<OrderItem>,
    #[serde(default)]
    shipping_lines: Vec<OrderItem>,
}

#[derive(Debug, Deserialize)]
struct OrderItem {
    id: Option<ExternalId>,
    quantity: Option<i64>,
    total: Option<DecimalText>,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: Option<ExternalId>,
    amount: Option<NumberText>,
    #[serde(default, deserialize_with = "decode::opt_text")]
    reason: Option<String>,
    #[serde(default)]
    meta_data: Vec<Meta>,
    #[serde(default)]
    line_items: Vec<RefundItem>,
    /// In answers since the controller returns them (not in the 2017 example): absent, the
    /// shipping part of a refund is unknown and read as 0.
    #[serde(default)]
    shipping_lines: Vec<RefundItem>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Debug, Deserialize)]
struct RefundItem {
    #[serde(default)]
    quantity: Option<i64>,
    total: Option<NumberText>,
    #[serde(default)]
    meta_data: Vec<Meta>,
}

/// An order, as far as refunding it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OrderView {
    pub currency: Currency,
    /// `(item id, quantity ordered)`.
    pub lines: Vec<(String, u32)>,
    /// `(item id, shipping charged, minor units)`.
    pub shipping: Vec<(String, i64)>,
}

/// One refund read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReadRefund {
    pub refund: StoreRefund,
    /// Our [`CASE_META_KEY`] entry, when the refund has one.
    pub case_key: Option<String>,
    /// What went back per shipping line: `(original item id, minor units)`.
    pub shipping_by_line: Vec<(String, i64)>,
}

fn meta_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads `GET orders/{id}` for a refund.
pub(super) fn parse_order(body: &[u8]) -> Result<OrderView, PayloadError> {
    let order: RefundOrder = decode::json(body)?;
    let code = required(order.currency, "currency")?;
    let order_currency = currency(&code, "currency")?;
    let mut lines = Vec::new();
    for (i, item) in order.line_items.into_iter().enumerate() {
        let path = format!("line_items[{i}]");
        let id = required(item.id, format!("{path}.id"))?.0;
        let quantity = required(item.quantity, format!("{path}.quantity"))?;
        let quantity = u32::try_from(quantity)
            .map_err(|_| decode::invalid(format!("{path}.quantity"), "not a unit count"))?;
        lines.push((id, quantity));
    }
    let mut shipping = Vec::new();
    for (i, item) in order.shipping_lines.into_iter().enumerate() {
        let path = format!("shipping_lines[{i}]");
        let id = required(item.id, format!("{path}.id"))?.0;
        let charged = match item.total {
            Some(DecimalText(text)) => {
                decode::money(&text, order_currency, &format!("{path}.total"))?.minor
            }
            None => 0,
        };
        shipping.push((id, charged));
    }
    Ok(OrderView {
        currency: order_currency,
        lines,
        shipping,
    })
}

/// A refunded item's original item id and its (negative) total, minor units.
fn refunded_item(
    item: &RefundItem,
    path: &str,
    currency: Currency,
) -> Result<(String, i64), PayloadError> {
    let original = item
        .meta_data
        .iter()
        .find(|m| m.key == REFUNDED_ITEM_ID)
        .and_then(|m| meta_text(&m.value));
    let original = required(original, format!("{path}.meta_data[{REFUNDED_ITEM_ID}]"))?;
    let total = match &item.total {
        Some(NumberText(text)) => {
            Money::parse_decimal(text, currency)
                .map_err(|e| decode::invalid(format!("{path}.total"), e.to_string()))?
                .minor
        }
        None => 0,
    };
    Ok((original, total))
}

/// Reads one page of `GET orders/{order_id}/refunds` (amounts in the order's `currency`).
pub(super) fn parse_refunds(
    body: &[u8],
    order_id: &str,
    currency: Currency,
) -> Result<Vec<ReadRefund>, PayloadError> {
    let refunds: Vec<Refund> = decode::json(body)?;
    let mut read = Vec::with_capacity(refunds.len());
    for (n, refund) in refunds.into_iter().enumerate() {
        let at = format!("[{n}]");
        let refund_id = required(refund.id, format!("{at}.id"))?.0;
        let NumberText(amount) = required(refund.amount, format!("{at}.amount"))?;
        let total = decode::money(&amount, currency, &format!("{at}.amount"))?.minor;
        let mut lines: Vec<CaseLine> = Vec::new();
        for (i, item) in refund.line_items.iter().enumerate() {
            let path = format!("{at}.line_items[{i}]");
            let (line_id, _) = refunded_item(item, &path, currency)?;
            // WooCommerce stores `qty * -1`; the size is what counts.
            let units = item.quantity.unwrap_or(0).unsigned_abs();
            if units == 0 {
                continue; // money back on the line, no units
            }
            let units = u32::try_from(units)
                .map_err(|_| decode::invalid(format!("{path}.quantity"), "too large"))?;
            match lines.iter_mut().find(|l| l.line_id == line_id) {
                Some(line) => line.quantity = line.quantity.saturating_add(units),
                None => lines.push(CaseLine {
                    line_id,
                    quantity: units,
                }),
            }
        }
        let mut shipping_by_line = Vec::new();
        for (i, item) in refund.shipping_lines.iter().enumerate() {
            let path = format!("{at}.shipping_lines[{i}]");
            let (line_id, refunded) = refunded_item(item, &path, currency)?;
            shipping_by_line.push((line_id, refunded.saturating_neg().max(0)));
        }
        let shipping: i64 = shipping_by_line.iter().map(|(_, minor)| minor).sum();
        let case_key = refund
            .meta_data
            .iter()
            .find(|m| m.key == CASE_META_KEY)
            .and_then(|m| meta_text(&m.value));
        read.push(ReadRefund {
            refund: StoreRefund {
                refund_id,
                order_external_id: order_id.to_string(),
                lines,
                currency: Some(currency),
                total_minor: total,
                shipping_minor: shipping.min(total),
                return_id: None,
                note: refund.reason,
            },
            case_key,
            shipping_by_line,
        });
    }
    Ok(read)
}

/// The `id` and `amount` of the refund `POST orders/{id}/refunds` answers with.
pub(super) fn parse_created(
    body: &[u8],
    order_id: &str,
    currency: Currency,
) -> Result<ReadRefund, PayloadError> {
    let one: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let list = serde_json::to_vec(&Value::Array(vec![one]))
        .map_err(|e| PayloadError::NotJson(e.to_string()))?;
    parse_refunds(&list, order_id, currency)?
        .pop()
        .ok_or_else(|| decode::invalid("(body)", "no refund"))
}
