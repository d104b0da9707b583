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
//! Served here: `GET orders/{id}/refunds.json` (the REST Refund resource, integer ids as the
//! live API sends them) and `POST orders/{id}/refunds/calculate.json` (the shapes of the
//! official library's mocks, `Shopify/shopify-app-js`
//! `packages/apps/shopify-api/rest/admin/__tests__/2025-07/refund.test.ts`, test_1 and
//! test_6). The GraphQL `refundCreate` mutation ([`super::graphql`]) creates through
//! [`Book::create`].
//!
//! Modelled where the sources are silent (after-sale.md §1.4 found no refund error bodies):
//! calculate refuses an unknown line or too many units with 422 `{"errors": {field: […]}}`;
//! `refundCreate` refuses with `userErrors` worded by this sandbox.

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
struct Sale {
    id: u64,
    amount_minor: i64,
}

#[derive(Debug, Clone)]
struct OrderLine {
    id: u64,
    quantity: u32,
    price_minor: i64,
}

/// One order's money: what was paid, for what, and what went back.
#[derive(Debug, Clone)]
struct Ledger {
    currency: String,
    decimals: u32,
    lines: Vec<OrderLine>,
    shipping_minor: i64,
    sale: Sale,
    refunds: Vec<RefundRecord>,
}

impl Ledger {
    fn refunded_minor(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount_minor).sum()
    }

    /// What is left of the sale to refund.
    fn refundable_minor(&self) -> i64 {
        (self.sale.amount_minor - self.refunded_minor()).max(0)
    }

    fn refunded_units(&self, line_item_id: u64) -> u32 {
        self.refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|l| l.line_item_id == line_item_id)
            .map(|l| l.quantity)
            .sum()
    }

    fn shipping_left(&self) -> i64 {
        let refunded: i64 = self.refunds.iter().map(|r| r.shipping_minor).sum();
        (self.shipping_minor - refunded).max(0)
    }

    fn text(&self, minor: i64) -> String {
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

fn not_found() -> Refusal {
    (404, json!({"errors": "Not Found"}))
}

fn unprocessable(field: &str, message: String) -> Refusal {
    (422, json!({"errors": {field: [message]}}))
}

/// Every order's money, the refunds, and the GraphQL idempotency keys seen.
#[derive(Debug)]
pub(crate) struct Book {
    orders: HashMap<u64, Ledger>,
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

    fn ledger(&self, order_id: &str) -> Result<(u64, &Ledger), Refusal> {
        let id = order_id.trim().parse::<u64>().map_err(|_| not_found())?;
        self.orders.get(&id).map(|l| (id, l)).ok_or_else(not_found)
    }

    // ---- REST -------------------------------------------------------------------------

    /// `GET orders/{order_id}/refunds.json`: the REST Refund resource, oldest first.
    pub fn list(&self, order_id: &str, location_id: u64) -> Result<Value, Refusal> {
        let (id, ledger) = self.ledger(order_id)?;
        let refunds: Vec<Value> = ledger
            .refunds
            .iter()
            .map(|r| rest_refund(id, ledger, r, location_id))
            .collect();
        Ok(json!({ "refunds": refunds }))
    }

    /// `POST orders/{order_id}/refunds/calculate.json`: the lines' and shipping's amounts and
    /// the suggested transaction (`kind: "suggested_refund"`, with `maximum_refundable`).
    pub fn calculate(
        &self,
        order_id: &str,
        body: &Value,
        location_id: u64,
    ) -> Result<Value, Refusal> {
        let (id, ledger) = self.ledger(order_id)?;
        let refund = body.get("refund").filter(|r| r.is_object()).ok_or((
            400,
            json!({"errors": {"refund": "Required parameter missing or invalid"}}),
        ))?;
        let mut lines_json = Vec::new();
        let mut goods = 0i64;
        for (i, item) in refund
            .get("refund_line_items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let line_id = item.get("line_item_id").and_then(id_of);
            let line = line_id
                .and_then(|l| ledger.lines.iter().find(|o| o.id == l))
                .ok_or_else(|| {
                    unprocessable(
                        "refund_line_items",
                        format!("line item at {i} does not belong to the order"),
                    )
                })?;
            let quantity = item
                .get("quantity")
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok())
                .unwrap_or(0);
            if quantity == 0
                || quantity > line.quantity.saturating_sub(ledger.refunded_units(line.id))
            {
                return Err(unprocessable(
                    "refund_line_items",
                    format!("cannot refund {quantity} of line item {}", line.id),
                ));
            }
            let restock = item
                .get("restock_type")
                .and_then(Value::as_str)
                .unwrap_or("no_restock");
            let location = match restock {
                "return" | "cancel" => json!(item
                    .get("location_id")
                    .and_then(id_of)
                    .unwrap_or(location_id)),
                _ => Value::Null,
            };
            let subtotal = line.price_minor * i64::from(quantity);
            goods += subtotal;
            lines_json.push(json!({
                "quantity": quantity,
                "line_item_id": line.id,
                "location_id": location,
                "restock_type": restock,
                "price": ledger.text(line.price_minor),
                "subtotal": ledger.text(subtotal),
                "total_tax": ledger.text(0),
                "discounted_price": ledger.text(line.price_minor),
                "discounted_total_price": ledger.text(subtotal),
                "total_cart_discount_amount": ledger.text(0),
            }));
        }
        let shipping_left = ledger.shipping_left();
        let shipping = refund.get("shipping");
        let shipping_minor = if shipping
            .and_then(|s| s.get("full_refund"))
            .and_then(Value::as_bool)
            == Some(true)
        {
            shipping_left
        } else {
            match shipping.and_then(|s| s.get("amount")) {
                None | Some(Value::Null) => 0,
                Some(v) => parse_minor(&value_text(v), ledger.decimals).ok_or_else(|| {
                    unprocessable(
                        "shipping",
                        format!("amount {v} is not a {} amount", ledger.currency),
                    )
                })?,
            }
        };
        if shipping_minor > shipping_left {
            return Err(unprocessable(
                "shipping",
                format!(
                    "amount {} is more than the {} left to refund",
                    ledger.text(shipping_minor),
                    ledger.text(shipping_left)
                ),
            ));
        }
        let refundable = ledger.refundable_minor();
        let transactions: Vec<Value> = if refundable > 0 {
            vec![json!({
                "order_id": id,
                "kind": "suggested_refund",
                "gateway": GATEWAY,
                "parent_id": ledger.sale.id,
                "amount": ledger.text((goods + shipping_minor).min(refundable)),
                "currency": ledger.currency,
                "maximum_refundable": ledger.text(refundable),
            })]
        } else {
            Vec::new()
        };
        let zero_set = json!({
            "shop_money": {"amount": ledger.text(0), "currency_code": ledger.currency},
            "presentment_money": {"amount": ledger.text(0), "currency_code": ledger.currency}
        });
        Ok(json!({"refund": {
            "duties": [],
            "total_duties_set": zero_set,
            "return": null,
            "shipping": {
                "amount": ledger.text(shipping_minor),
                "tax": ledger.text(0),
                "maximum_refundable": ledger.text(shipping_left),
            },
            "additional_fees": [],
            "total_additional_fees_set": zero_set,
            "refund_shipping_lines": [],
            "refund_line_items": lines_json,
            "transactions": transactions,
            "currency": ledger.currency,
        }}))
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

/// A refund as the REST Refund resource shows it.
fn rest_refund(order_id: u64, ledger: &Ledger, r: &RefundRecord, location_id: u64) -> Value {
    let money_set = |minor: i64| {
        json!({
            "shop_money": {"amount": ledger.text(minor), "currency_code": ledger.currency},
            "presentment_money": {"amount": ledger.text(minor), "currency_code": ledger.currency}
        })
    };
    let lines: Vec<Value> = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let price = ledger
                .lines
                .iter()
                .find(|o| o.id == l.line_item_id)
                .map_or(0, |o| o.price_minor);
            let subtotal = price * i64::from(l.quantity);
            json!({
                "id": r.id * 10 + i as u64,
                "line_item_id": l.line_item_id,
                "quantity": l.quantity,
                "restock_type": l.restock_type.to_ascii_lowercase(),
                "location_id": if l.restock_type == "NO_RESTOCK" { Value::Null } else { json!(l.location_id.unwrap_or(location_id)) },
                "subtotal": ledger.text(subtotal),
                "total_tax": ledger.text(0),
                "subtotal_set": money_set(subtotal),
                "total_tax_set": money_set(0),
            })
        })
        .collect();
    let transactions: Vec<Value> = r
        .transactions
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "order_id": order_id,
                "kind": "refund",
                "gateway": t.gateway,
                "status": "success",
                "message": "Bogus Gateway: Forced success",
                "created_at": r.created_at,
                "test": true,
                "authorization": null,
                "parent_id": t.parent_id,
                "processed_at": r.created_at,
                "amount": ledger.text(t.amount_minor),
                "currency": ledger.currency,
                "admin_graphql_api_id": format!("gid://shopify/OrderTransaction/{}", t.id),
            })
        })
        .collect();
    let shipping_lines: Vec<Value> = if r.shipping_minor > 0 {
        vec![json!({
            "id": r.id * 10 + 9,
            "shipping_line_id": null,
            "subtotal_amount_set": money_set(r.shipping_minor),
        })]
    } else {
        Vec::new()
    };
    json!({
        "id": r.id,
        "order_id": order_id,
        "created_at": r.created_at,
        "note": r.note,
        "user_id": null,
        "processed_at": r.created_at,
        "restock": r.restock(),
        "duties": [],
        "return": null,
        "admin_graphql_api_id": format!("gid://shopify/Refund/{}", r.id),
        "refund_line_items": lines,
        "transactions": transactions,
        "refund_shipping_lines": shipping_lines,
        "order_adjustments": [],
    })
}

/// A JSON id: a number, or digits in a string (the official mocks write ids as strings).
pub(crate) fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON amount as text: a string as is, a number as written.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The decimals of a currency's minor unit (ISO 4217): the sandbox knows the zero- and
/// three-decimal ones; every other code has two.
pub(crate) fn minor_units(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// An amount in minor units, exactly: digits, and at most `decimals` of them after the
/// point (trailing zeros beyond are fine, `"10.0"` JPY); nothing negative.
pub(crate) fn parse_minor(text: &str, decimals: u32) -> Option<i64> {
    let text = text.trim();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = frac.trim_end_matches('0');
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > decimals as usize
    {
        return None;
    }
    let mut minor: i64 = 0;
    for b in int.bytes() {
        minor = minor.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    for i in 0..decimals as usize {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        minor = minor.checked_mul(10)?.checked_add(digit)?;
    }
    Some(minor)
}

/// Minor units as REST writes money: exactly the currency's decimals (`"41.94"`, `"3500"`).
pub(crate) fn decimal_text(minor: i64, decimals: u32) -> String {
    if decimals == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(decimals);
    format!(
        "{}{}.{:0width$}",
        if minor < 0 { "-" } else { "" },
        minor.abs() / scale,
        minor.abs() % scale,
        width = decimals as usize
    )
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}
