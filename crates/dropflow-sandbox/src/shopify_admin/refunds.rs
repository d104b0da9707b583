//! Refunds in the Shopify Admin sandbox: each registered order's payment, what is left to
//! refund of it, and the refunds made (`docs/protocols/after-sale.md` §1).
//!
//! Every order registered gets one successful `sale` transaction of its `total_price` through
//! the `bogus` gateway (Shopify's test gateway, the one in the official library's refund mocks
//! and in `payment_gateway_names` of [`crate::shopify::order_payload`]), so a refund has a
//! parent to draw on. A refund may take from that parent no more than is left of it (unless
//! `allowOverRefunding`), no more units of a line than were bought less those refunded, and no
//! more shipping than was charged less what went back.
//!
//! The REST paths that read this state are in [`super::refund_rest`]; the GraphQL
//! `refundCreate` mutation ([`super::graphql`]) creates through [`Book::create`].
//!
//! Modelled where the sources are silent (after-sale.md §1.4 found no refund error bodies):
//! calculate refuses an unknown line or too many units with 422 `{"errors": {field: […]}}`;
//! `refundCreate` refuses with `userErrors` worded by this sandbox.

use super::money::{decimal_text, minor_units, parse_minor, value_text};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The gateway of every sandbox payment.
pub const GATEWAY: &str = "bogus";

/// A refund, as the sandbox recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: u64,
    pub order_id: u64,
    pub note: Option<String>,
    pub notify: bool,
    pub lines: Vec<RefundedLine>,
    /// Shipping refunded, minor units of the order's currency.
    pub shipping_minor: i64,
    pub transactions: Vec<RefundTransaction>,
    /// Money back in all (the transactions), minor units.
    pub amount_minor: i64,
    pub created_at: String,
}

impl RefundRecord {
    /// Whether any unit was put back in stock (`RETURN` or `CANCEL`).
    pub fn restock(&self) -> bool {
        self.lines
            .iter()
            .any(|l| matches!(l.restock_type.as_str(), "RETURN" | "CANCEL"))
    }
}

/// Units of one order line in a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundedLine {
    pub line_item_id: u64,
    pub quantity: u32,
    /// The GraphQL `RefundLineItemRestockType`: `RETURN`, `CANCEL` or `NO_RESTOCK`.
    pub restock_type: String,
    pub location_id: Option<u64>,
}

/// Money moved back to the customer against a parent transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundTransaction {
    pub id: u64,
    pub parent_id: u64,
    pub gateway: String,
    pub amount_minor: i64,
    /// The amount as the request wrote it (the exactness of minor units is checked on it).
    pub amount_text: String,
}

/// The order's successful payment.
#[derive(Debug, Clone)]
pub(super) struct Sale {
    pub id: u64,
    pub amount_minor: i64,
}

#[derive(Debug, Clone)]
pub(super) struct OrderLine {
    pub id: u64,
    pub quantity: u32,
    pub price_minor: i64,
}

/// One order's money: what was paid, for what, and what went back.
#[derive(Debug, Clone)]
pub(super) struct Ledger {
    pub currency: String,
    pub decimals: u32,
    pub lines: Vec<OrderLine>,
    pub shipping_minor: i64,
    pub sale: Sale,
    pub refunds: Vec<RefundRecord>,
}

impl Ledger {
    pub(super) fn refunded_minor(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount_minor).sum()
    }

    /// What is left of the sale to refund.
    pub(super) fn refundable_minor(&self) -> i64 {
        (self.sale.amount_minor - self.refunded_minor()).max(0)
    }

    pub(super) fn refunded_units(&self, line_item_id: u64) -> u32 {
        self.refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|l| l.line_item_id == line_item_id)
            .map(|l| l.quantity)
            .sum()
    }

    pub(super) fn shipping_left(&self) -> i64 {
        let refunded: i64 = self.refunds.iter().map(|r| r.shipping_minor).sum();
        (self.shipping_minor - refunded).max(0)
    }

    pub(super) fn text(&self, minor: i64) -> String {
        decimal_text(minor, self.decimals)
    }
}

/// One field's refusal, as a GraphQL `UserError` (`field` is the path to the input field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserError {
    pub field: Vec<String>,
    pub message: String,
}

impl UserError {
    fn new(field: &[&str], message: impl Into<String>) -> Self {
        UserError {
            field: field.iter().map(|s| s.to_string()).collect(),
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"field": self.field, "message": self.message})
    }
}

/// A refund asked for, as read from a `RefundInput`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wanted {
    pub order_id: u64,
    pub currency: Option<String>,
    pub note: Option<String>,
    pub notify: bool,
    pub allow_over_refunding: bool,
    pub lines: Vec<RefundedLine>,
    /// `shipping.amount` as written, or `shipping.fullRefund`.
    pub shipping_amount: Option<String>,
    pub shipping_full: bool,
    pub transactions: Vec<WantedTransaction>,
}

#[derive(Debug, Clone)]
pub(crate) struct WantedTransaction {
    pub order_id: u64,
    pub parent_id: Option<u64>,
    pub gateway: String,
    pub kind: String,
    pub amount: String,
}

/// An error answer on a REST path: HTTP status and Shopify's `{"errors": …}` body.
pub(crate) type Refusal = (u16, Value);

pub(super) fn not_found() -> Refusal {
    (404, json!({"errors": "Not Found"}))
}

pub(super) fn unprocessable(field: &str, message: String) -> Refusal {
    (422, json!({"errors": {field: [message]}}))
}

/// Every order's money, the refunds, and the GraphQL idempotency keys seen.
#[derive(Debug)]
pub(crate) struct Book {
    pub(super) orders: HashMap<u64, Ledger>,
    next_id: u64,
    /// Idempotency key → the variables first sent with it and the answer given.
    pub idempotency: HashMap<String, (Value, Value)>,
    /// The next successful `refundCreate` is carried out and its answer lost.
    pub lose_next_answer: bool,
    pub created: usize,
}

impl Book {
    pub fn new() -> Self {
        Book {
            orders: HashMap::new(),
            next_id: 1_047_000_000,
            idempotency: HashMap::new(),
            lose_next_answer: false,
            created: 0,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Registers an order's money from its REST Order JSON: `presentment_currency` (or
    /// `currency`), `total_price`, `line_items[].price` and `shipping_lines[].price` (an
    /// amount left out is 0), and gives it a successful sale of its total. Registering again
    /// starts it afresh.
    pub fn register(&mut self, order: &Value) -> Result<(), String> {
        let order = order.get("order").unwrap_or(order);
        let id = order
            .get("id")
            .and_then(Value::as_u64)
            .ok_or("order.id is missing or not a number")?;
        let currency = order
            .get("presentment_currency")
            .or_else(|| order.get("currency"))
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_string();
        let decimals = minor_units(&currency);
        let amount = |v: Option<&Value>, what: &str| -> Result<i64, String> {
            let Some(v) = v.filter(|v| !v.is_null()) else {
                return Ok(0);
            };
            let text = value_text(v);
            parse_minor(&text, decimals)
                .ok_or(format!("{what} {text:?} is not a {currency} amount"))
        };
        let total = amount(order.get("total_price"), "total_price")?;
        let mut lines = Vec::new();
        for (i, item) in order
            .get("line_items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            lines.push(OrderLine {
                id: item
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or(format!("line_items[{i}].id is missing"))?,
                quantity: item
                    .get("quantity")
                    .and_then(Value::as_u64)
                    .and_then(|q| u32::try_from(q).ok())
                    .ok_or(format!("line_items[{i}].quantity is missing"))?,
                price_minor: amount(item.get("price"), &format!("line_items[{i}].price"))?,
            });
        }
        let mut shipping = 0;
        for (i, line) in order
            .get("shipping_lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            shipping += amount(line.get("price"), &format!("shipping_lines[{i}].price"))?;
        }
        let sale_id = self.id();
        self.orders.insert(
            id,
            Ledger {
                currency,
                decimals,
                lines,
                shipping_minor: shipping,
                sale: Sale {
                    id: sale_id,
                    amount_minor: total,
                },
                refunds: Vec::new(),
            },
        );
        Ok(())
    }

    pub fn refunds(&self, order_id: u64) -> Vec<RefundRecord> {
        self.orders
            .get(&order_id)
            .map(|l| l.refunds.clone())
            .unwrap_or_default()
    }

    pub fn total_refunded(&self, order_id: u64) -> i64 {
        self.orders
            .get(&order_id)
            .map(Ledger::refunded_minor)
            .unwrap_or(0)
    }

    /// The order's sale: transaction id and amount (minor units).
    pub fn sale(&self, order_id: u64) -> Option<(u64, i64)> {
        self.orders
            .get(&order_id)
            .map(|l| (l.sale.id, l.sale.amount_minor))
    }

    // ---- refundCreate -----------------------------------------------------------------

    /// Creates the refund `wanted` describes, or says every reason it cannot.
    pub fn create(&mut self, wanted: &Wanted) -> Result<RefundRecord, Vec<UserError>> {
        let Some(ledger) = self.orders.get(&wanted.order_id) else {
            return Err(vec![UserError::new(&["orderId"], "Order does not exist.")]);
        };
        let mut errors = Vec::new();
        if let Some(code) = wanted.currency.as_deref().filter(|c| *c != ledger.currency) {
            errors.push(UserError::new(
                &["currency"],
                format!(
                    "Currency {code} is not the order's presentment currency {}.",
                    ledger.currency
                ),
            ));
        }
        for (i, line) in wanted.lines.iter().enumerate() {
            let at = i.to_string();
            let field = |name: &'static str| ["refundLineItems", at.as_str(), name];
            match ledger.lines.iter().find(|l| l.id == line.line_item_id) {
                None => errors.push(UserError::new(
                    &field("lineItemId"),
                    "Line item does not exist on the order.",
                )),
                Some(bought) => {
                    let left = bought
                        .quantity
                        .saturating_sub(ledger.refunded_units(bought.id));
                    if line.quantity == 0 || line.quantity > left {
                        errors.push(UserError::new(
                            &field("quantity"),
                            format!("Quantity {} is more than the {left} left to refund of the line item.", line.quantity),
                        ));
                    }
                }
            }
            // RefundLineItemRestockType: LEGACY_RESTOCK "is not accepted when creating new
            // refunds" (shopify.dev, admin-graphql enums/RefundLineItemRestockType).
            if !matches!(
                line.restock_type.as_str(),
                "RETURN" | "CANCEL" | "NO_RESTOCK"
            ) {
                errors.push(UserError::new(
                    &field("restockType"),
                    format!(
                        "Restock type {} is not accepted when creating new refunds.",
                        line.restock_type
                    ),
                ));
            }
        }
        let shipping_left = ledger.shipping_left();
        let shipping_minor = if let Some(text) = &wanted.shipping_amount {
            match parse_minor(text, ledger.decimals) {
                Some(m) if m <= shipping_left => m,
                Some(m) => {
                    errors.push(UserError::new(
                        &["shipping", "amount"],
                        format!(
                            "Shipping amount {} is more than the {} left to refund.",
                            ledger.text(m),
                            ledger.text(shipping_left)
                        ),
                    ));
                    0
                }
                None => {
                    errors.push(UserError::new(
                        &["shipping", "amount"],
                        format!("{text:?} is not a {} amount.", ledger.currency),
                    ));
                    0
                }
            }
        } else if wanted.shipping_full {
            shipping_left
        } else {
            0
        };
        let mut money = 0i64;
        let mut parsed = Vec::new();
        for (i, tx) in wanted.transactions.iter().enumerate() {
            let at = i.to_string();
            let field = |name: &'static str| ["transactions", at.as_str(), name];
            if tx.kind != "REFUND" {
                errors.push(UserError::new(
                    &field("kind"),
                    format!("Kind {} cannot refund; use REFUND.", tx.kind),
                ));
            }
            if tx.order_id != wanted.order_id {
                errors.push(UserError::new(
                    &field("orderId"),
                    "Transaction belongs to another order.",
                ));
            }
            if tx.parent_id != Some(ledger.sale.id) {
                errors.push(UserError::new(
                    &field("parentId"),
                    "Parent transaction does not exist on the order.",
                ));
            }
            if tx.gateway != GATEWAY {
                errors.push(UserError::new(
                    &field("gateway"),
                    format!(
                        "Gateway {:?} is not the parent transaction's gateway.",
                        tx.gateway
                    ),
                ));
            }
            match parse_minor(&tx.amount, ledger.decimals) {
                Some(m) if m > 0 => {
                    money += m;
                    parsed.push((tx, m));
                }
                _ => errors.push(UserError::new(
                    &field("amount"),
                    format!(
                        "Amount {:?} is not a positive {} amount.",
                        tx.amount, ledger.currency
                    ),
                )),
            }
        }
        let refundable = ledger.refundable_minor();
        if money > refundable && !wanted.allow_over_refunding {
            errors.push(UserError::new(
                &["transactions"],
                format!(
                    "Refund amount {} is more than the {} left to refund on the order.",
                    ledger.text(money),
                    ledger.text(refundable)
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let refund_id = self.id();
        let transactions: Vec<RefundTransaction> = parsed
            .into_iter()
            .map(|(tx, amount_minor)| RefundTransaction {
                id: {
                    self.next_id += 1;
                    self.next_id
                },
                parent_id: tx.parent_id.unwrap_or_default(),
                gateway: tx.gateway.clone(),
                amount_minor,
                amount_text: tx.amount.clone(),
            })
            .collect();
        let record = RefundRecord {
            id: refund_id,
            order_id: wanted.order_id,
            note: wanted.note.clone(),
            notify: wanted.notify,
            lines: wanted.lines.clone(),
            shipping_minor,
            transactions,
            amount_minor: money,
            created_at: now(),
        };
        if let Some(ledger) = self.orders.get_mut(&wanted.order_id) {
            ledger.refunds.push(record.clone());
        }
        self.created += 1;
        Ok(record)
    }

    /// The order's currency and its decimals.
    pub fn currency(&self, order_id: u64) -> Option<(String, u32)> {
        self.orders
            .get(&order_id)
            .map(|l| (l.currency.clone(), l.decimals))
    }
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}
