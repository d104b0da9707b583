//! Order refunds, as WooCommerce makes and shows them (`docs/protocols/after-sale.md` §3).
//!
//! Creating one follows, step by step, `WC_REST_Order_Refunds_Controller::
//! prepare_object_for_database` (v3), `RestApiUtil::adjust_create_refund_request_parameters`
//! and `wc_create_refund` / `wc_refund_payment` (woocommerce/woocommerce,
//! `plugins/woocommerce/includes/rest-api/Controllers/Version3/class-wc-rest-order-refunds-controller.php`,
//! `src/Internal/RestApiUtil.php`, `includes/wc-order-functions.php`):
//! - the request's types are checked first, as WordPress checks a route's schema arguments
//!   (`amount` and `reason` strings, `api_refund`/`api_restock` booleans, `meta_data` objects
//!   with a string `key`): 400 `rest_invalid_param`. `line_items` is read-only in the schema,
//!   so WordPress does not check it;
//! - `api_refund` and `api_restock` default to true; a missing `amount` is the sum of the
//!   lines' `refund_total` and `refund_tax` when every one is a number, else 0;
//! - a negative amount is 400 `woocommerce_rest_invalid_order_refund`; an amount above the
//!   order's total less what was refunded is `wc_create_refund`'s "Invalid refund amount.",
//!   which the controller answers **500** `woocommerce_rest_cannot_create_order_refund`, as it
//!   does every `wc_create_refund` error (the gateway's included);
//! - only the order's line, fee and shipping items named in `line_items` are refunded; ids
//!   the order does not have are skipped without a word, and a quantity is **not** checked
//!   against what is left of the line (`wc_create_refund` checks only the amount);
//! - each refunded item copies the order item with quantity `-qty`, totals `-refund_total`
//!   and the meta `_refunded_item_id` (the original item id, a string in answers);
//! - with `api_refund` the order's gateway must exist and support refunds, else the refund is
//!   deleted and the gateway's words come back in the same 500;
//! - `meta_data` is written onto the refund after it is made; a refund that leaves nothing to
//!   refund moves the order to `refunded` (with the status note).
//!
//! The refund's JSON is `WC_REST_Order_Refunds_V2_Controller::get_formatted_item_data`: id,
//! dates, `amount` (positive), `reason`, `refunded_by`, `refunded_payment`, `meta_data`,
//! `line_items`, `shipping_lines`, `tax_lines`, `fee_lines`; the list is newest first, `dp`
//! decimals (the store's price decimals unless asked), paged by `page`/`per_page` (≤ 100)
//! with `X-WP-Total`/`X-WP-TotalPages`. The order's own `refunds` entry is
//! `{id, reason, total: "-<amount>"}` (`WC_REST_Orders_V2_Controller`).

use super::amount::Amount;
use super::state::{invalid_param, now, refusal, status_label, NoteRecord, Order, Refusal};
use serde_json::{json, Map, Value};

/// The key of the meta entry naming the original item on a refunded item.
pub(crate) const REFUNDED_ITEM_ID: &str = "_refunded_item_id";

/// A refund as the site keeps it.
#[derive(Debug, Clone)]
pub(crate) struct StoredRefund {
    pub id: u64,
    pub date_created: String,
    pub amount: Amount,
    pub reason: Option<String>,
    pub refunded_payment: bool,
    pub restock: bool,
    /// `(meta id, key, value)`.
    pub meta: Vec<(u64, String, Value)>,
    pub line_items: Vec<RefundedItem>,
    pub shipping_lines: Vec<RefundedItem>,
    pub fee_lines: Vec<RefundedItem>,
}

/// One order item, refunded.
#[derive(Debug, Clone)]
pub(crate) struct RefundedItem {
    pub id: u64,
    /// The order item it refunds, as the order shows it.
    pub original: Value,
    pub original_id: u64,
    pub meta_id: u64,
    /// Negative (or 0), as WooCommerce stores it.
    pub quantity: i64,
    /// Negative (or 0).
    pub total: Amount,
}

/// A refund as a test reads it: amounts as WooCommerce stores them (the refund's amount
/// positive, the items' quantities and totals negative).
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRecord {
    pub id: u64,
    /// `wc_format_decimal` of the amount, without rounding (`"12.345"`).
    pub amount: String,
    pub reason: Option<String>,
    /// Whether the gateway refunded the money (`api_refund`).
    pub refunded_payment: bool,
    /// Whether the items were to go back to stock (`api_restock`).
    pub restock: bool,
    /// `(key, value)`.
    pub meta_data: Vec<(String, Value)>,
    /// Refunded product lines, then shipping lines: `(original item id, quantity, total)`.
    pub lines: Vec<(u64, i64, String)>,
    pub shipping: Vec<(u64, String)>,
}

impl StoredRefund {
    pub fn record(&self) -> RefundRecord {
        let exact = |a: Amount| {
            a.format(6)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        };
        RefundRecord {
            id: self.id,
            amount: exact(self.amount),
            reason: self.reason.clone(),
            refunded_payment: self.refunded_payment,
            restock: self.restock,
            meta_data: self
                .meta
                .iter()
                .map(|(_, k, v)| (k.clone(), v.clone()))
                .collect(),
            lines: self
                .line_items
                .iter()
                .map(|i| (i.original_id, i.quantity, exact(i.total)))
                .collect(),
            shipping: self
                .shipping_lines
                .iter()
                .map(|i| (i.original_id, exact(i.total)))
                .collect(),
        }
    }

    /// The refund's REST representation with `dp` decimals.
    pub fn json(&self, order_id: u64, dp: u32, site: &str) -> Value {
        let base = format!("{site}/wp-json/wc/v3/orders/{order_id}");
        json!({
            "id": self.id,
            "date_created": self.date_created,
            "date_created_gmt": self.date_created,
            "amount": self.amount.format(dp),
            "reason": self.reason.clone().unwrap_or_default(),
            "refunded_by": 1,
            "refunded_payment": self.refunded_payment,
            "meta_data": self.meta.iter()
                .map(|(id, key, value)| json!({"id": id, "key": key, "value": value}))
                .collect::<Vec<_>>(),
            "line_items": self.line_items.iter().map(|i| i.json(dp)).collect::<Vec<_>>(),
            "shipping_lines": self.shipping_lines.iter().map(|i| i.json(dp)).collect::<Vec<_>>(),
            "tax_lines": [],
            "fee_lines": self.fee_lines.iter().map(|i| i.json(dp)).collect::<Vec<_>>(),
            "_links": {
                "self": [{"href": format!("{base}/refunds/{}", self.id)}],
                "collection": [{"href": format!("{base}/refunds")}],
                "up": [{"href": base}]
            }
        })
    }

    /// The order's `refunds[]` entry.
    pub fn summary(&self, dp: u32) -> Value {
        json!({
            "id": self.id,
            "reason": self.reason.clone().unwrap_or_default(),
            "total": format!("-{}", self.amount.format(dp)),
        })
    }
}

impl RefundedItem {
    /// The order item's own fields, with the refund's id, quantity, totals and meta. A
    /// product line's `price` is `total / max(1, quantity)` (`WC_Order::get_item_total`),
    /// so it is the (negative) total, as in the documented example.
    fn json(&self, dp: u32) -> Value {
        let mut item = match &self.original {
            Value::Object(fields) => fields.clone(),
            _ => Map::new(),
        };
        let zero = Amount::ZERO.format(dp);
        item.insert("id".into(), json!(self.id));
        item.insert("total".into(), json!(self.total.format(dp)));
        item.insert("total_tax".into(), json!(zero));
        item.insert("taxes".into(), json!([]));
        if item.contains_key("quantity") {
            item.insert("quantity".into(), json!(self.quantity));
            item.insert("subtotal".into(), json!(self.total.format(dp)));
            item.insert("subtotal_tax".into(), json!(zero));
            let price = self.total.0 as f64 / 1_000_000.0;
            item.insert("price".into(), json!(price));
        }
        item.insert(
            "meta_data".into(),
            json!([{
                "id": self.meta_id,
                "key": REFUNDED_ITEM_ID,
                "value": self.original_id.to_string(),
                "display_key": REFUNDED_ITEM_ID,
                "display_value": self.original_id.to_string(),
            }]),
        );
        Value::Object(item)
    }
}

/// Gateways the sandbox site knows: those that refund through their API, and WooCommerce's
/// offline ones, which exist but cannot (`supports( 'refunds' )` is false for them).
const REFUNDING_GATEWAYS: [&str; 4] = ["stripe", "woocommerce_payments", "ppcp-gateway", "paypal"];
const OFFLINE_GATEWAYS: [&str; 3] = ["bacs", "cheque", "cod"];

/// WordPress's boolean argument check (`rest_is_boolean`, then `rest_sanitize_boolean`).
fn boolean(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, Refusal> {
    let invalid = || invalid_param(name, &format!("{name} is not of type boolean."));
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(invalid()),
        },
        Some(Value::Number(n)) => match n.as_i64() {
            Some(1) => Ok(Some(true)),
            Some(0) => Ok(Some(false)),
            _ => Err(invalid()),
        },
        Some(_) => Err(invalid()),
    }
}

fn cannot_create(message: &str) -> Refusal {
    refusal(500, "woocommerce_rest_cannot_create_order_refund", message)
}

/// One requested item after `RestApiUtil`'s conversion.
struct Asked {
    qty: i64,
    refund_total: Amount,
    refund_tax: Vec<Amount>,
    /// Every amount given was a number (for computing a missing `amount`).
    numeric: bool,
}

/// `line_items` by id. Any entry without an `id` leaves the list as sent, whose positions
/// then never match an item id: nothing is refunded per item.
fn asked_items(body: &Map<String, Value>) -> Vec<(u64, Asked)> {
    let Some(Value::Array(items)) = body.get("line_items") else {
        return Vec::new();
    };
    if items.iter().any(|i| i.get("id").is_none()) {
        return Vec::new();
    }
    items
        .iter()
        .filter_map(|item| {
            let id = match item.get("id")? {
                Value::Number(n) => n.as_u64()?,
                Value::String(s) => s.trim().parse().ok()?,
                _ => return None,
            };
            let qty = item
                .get("quantity")
                .or_else(|| item.get("qty"))
                .and_then(Amount::from_json)
                .map_or(0, |a| a.0 / 1_000_000);
            let total = item.get("refund_total").map(Amount::from_json);
            let taxes: Vec<Option<Amount>> = match item.get("refund_tax") {
                Some(Value::Array(taxes)) => taxes
                    .iter()
                    .map(|t| t.get("refund_total").and_then(Amount::from_json))
                    .collect(),
                _ => Vec::new(),
            };
            let numeric = matches!(total, Some(Some(_))) && taxes.iter().all(Option::is_some);
            Some((
                id,
                Asked {
                    qty,
                    refund_total: total.flatten().unwrap_or_default(),
                    refund_tax: taxes.into_iter().flatten().collect(),
                    numeric,
                },
            ))
        })
        .collect()
}

/// What the order's total less its refunds leaves (`get_remaining_refund_amount`, rounded to
/// the store's decimals).
pub(crate) fn remaining(order: &Order, dp: u32) -> Amount {
    let total = order
        .json
        .get("total")
        .and_then(Amount::from_json)
        .unwrap_or_default();
    let refunded: Amount = order.refunds.iter().map(|r| r.amount).sum();
    (total - refunded).round(dp)
}

/// Creates a refund on `order` from a request body in the REST shape (the merchant's refund
/// in wp-admin ends in the same `wc_create_refund`). `next_id` numbers what is made.
pub(crate) fn create(
    order: &mut Order,
    body: &Value,
    next_id: &mut u64,
    dp: u32,
) -> Result<StoredRefund, Refusal> {
    let Some(body) = body.as_object() else {
        return Err(refusal(
            400,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        ));
    };
    // The route's schema arguments, as WordPress checks them before the controller runs.
    let amount_text = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid_param("amount", "amount is not of type string.")),
    };
    let reason = match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()).filter(|s| !s.is_empty()),
        Some(_) => return Err(invalid_param("reason", "reason is not of type string.")),
    };
    let refund_payment = boolean(body, "api_refund")?.unwrap_or(true);
    let restock = boolean(body, "api_restock")?.unwrap_or(true);
    let meta: Vec<(String, Value)> = match body.get("meta_data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(entries)) => {
            let mut meta = Vec::new();
            for (n, entry) in entries.iter().enumerate() {
                let Some(key) = entry.get("key").and_then(Value::as_str) else {
                    return Err(invalid_param(
                        "meta_data",
                        &format!("meta_data[{n}][key] is not of type string."),
                    ));
                };
                meta.push((
                    key.to_string(),
                    entry.get("value").cloned().unwrap_or(Value::Null),
                ));
            }
            meta
        }
        Some(_) => {
            return Err(invalid_param(
                "meta_data",
                "meta_data is not of type array.",
            ))
        }
    };
    let asked = asked_items(body);

    // RestApiUtil: a missing amount is the lines' sum when every amount is a number.
    let amount = match amount_text {
        Some(text) => {
            Amount::parse(&text).ok_or_else(|| cannot_create("Invalid refund amount."))?
        }
        None if !asked.is_empty() && asked.iter().all(|(_, a)| a.numeric) => asked
            .iter()
            .map(|(_, a)| a.refund_total + a.refund_tax.iter().copied().sum())
            .sum(),
        None => Amount::ZERO,
    };
    if amount < Amount::ZERO {
        return Err(refusal(
            400,
            "woocommerce_rest_invalid_order_refund",
            "Refund amount must be greater than zero.",
        ));
    }
    let left = remaining(order, dp);
    if amount > left {
        return Err(cannot_create("Invalid refund amount."));
    }

    let refund_id = take(next_id);
    let refunded = |kind: &str, ids: &mut u64| -> Vec<RefundedItem> {
        let Some(Value::Array(items)) = order.json.get(kind) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let original_id = item.get("id").and_then(Value::as_u64)?;
                let (_, a) = asked.iter().find(|(id, _)| *id == original_id)?;
                if a.qty == 0 && a.refund_total == Amount::ZERO && a.refund_tax.is_empty() {
                    return None;
                }
                Some(RefundedItem {
                    id: take(ids),
                    original: item.clone(),
                    original_id,
                    meta_id: take(ids),
                    quantity: -a.qty,
                    total: -(a.refund_total),
                })
            })
            .collect()
    };
    let line_items = refunded("line_items", next_id);
    let fee_lines = refunded("fee_lines", next_id);
    let shipping_lines = refunded("shipping_lines", next_id);

    if refund_payment {
        // wc_refund_payment: on failure the refund just saved is deleted (its ids stay used).
        let gateway = order
            .json
            .get("payment_method")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if OFFLINE_GATEWAYS.contains(&gateway) {
            return Err(cannot_create(
                "The payment gateway for this order does not support automatic refunds.",
            ));
        }
        if !REFUNDING_GATEWAYS.contains(&gateway) {
            return Err(cannot_create(
                "The payment gateway for this order does not exist.",
            ));
        }
    }

    let meta = meta
        .into_iter()
        .map(|(key, value)| (take(next_id), key, value))
        .collect();
    let refund = StoredRefund {
        id: refund_id,
        date_created: now(),
        amount,
        reason,
        refunded_payment: refund_payment,
        restock,
        meta,
        line_items,
        shipping_lines,
        fee_lines,
    };
    order.refunds.push(refund.clone());
    write_summaries(order, dp);
    if left - amount <= Amount::ZERO {
        set_status(order, "refunded", next_id);
    }
    Ok(refund)
}

/// The next id, used.
fn take(next_id: &mut u64) -> u64 {
    let id = *next_id;
    *next_id += 1;
    id
}

/// The order's `refunds[]`, newest first.
pub(crate) fn write_summaries(order: &mut Order, dp: u32) {
    let summaries: Vec<Value> = order.refunds.iter().rev().map(|r| r.summary(dp)).collect();
    if let Some(fields) = order.json.as_object_mut() {
        fields.insert("refunds".into(), Value::Array(summaries));
    }
}

/// `wc_order_fully_refunded`, run when an order is set to `refunded` by hand: a refund of
/// what is left, reason "Order fully refunded.", no gateway, no restock, and a note telling
/// the merchant the money did not move.
pub(crate) fn fully_refunded(order: &mut Order, next_id: &mut u64, dp: u32) {
    let left = remaining(order, dp);
    if left <= Amount::ZERO {
        return;
    }
    let body = json!({
        "amount": left.format(dp),
        "reason": "Order fully refunded.",
        "api_refund": false,
        "api_restock": false,
    });
    if create(order, &body, next_id, dp).is_ok() {
        order.notes.push(NoteRecord {
            id: take(next_id),
            author: "system".to_string(),
            note: "Order status set to refunded. To return funds to the customer you will need \
                   to issue a refund through your payment gateway."
                .to_string(),
            customer_note: false,
            date_created: now(),
        });
    }
}

/// Moves the order to `status` with WooCommerce's system note.
fn set_status(order: &mut Order, status: &str, next_id: &mut u64) {
    let old = order
        .json
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if old == status {
        return;
    }
    if let Some(fields) = order.json.as_object_mut() {
        fields.insert("status".into(), json!(status));
    }
    order.notes.push(NoteRecord {
        id: *next_id,
        author: "system".to_string(),
        note: format!(
            "Order status changed from {} to {}.",
            status_label(&old),
            status_label(status)
        ),
        customer_note: false,
        date_created: now(),
    });
    *next_id += 1;
}

/// `GET …/refunds` query: `page`, `per_page` (1–100, default 10), `dp`.
pub(crate) struct Listing {
    pub page: usize,
    pub per_page: usize,
    pub dp: Option<u32>,
}

impl Listing {
    pub fn from_query(pairs: &[(String, String)]) -> Result<Listing, Refusal> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let per_page = match get("per_page") {
            None => 10,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    return Err(invalid_param(
                        "per_page",
                        "per_page must be between 1 (inclusive) and 100 (inclusive)",
                    ))
                }
            },
        };
        let page = match get("page") {
            None => 1,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(invalid_param(
                        "page",
                        "page must be greater than or equal to 1",
                    ))
                }
            },
        };
        let dp = match get("dp") {
            None => None,
            Some(v) => Some(
                v.parse::<u32>()
                    .map_err(|_| invalid_param("dp", "dp is not of type integer."))?,
            ),
        };
        Ok(Listing { page, per_page, dp })
    }
}
